"""Ecological security pattern: MSPA, connectivity, resistance, corridors, circuits, gravity.

The public façade of the corridors subpackage; the algorithms live in private modules and
work on numpy arrays (resistance with NaN as NODATA, integer labels with 0 as none):

- :func:`mspa`, :func:`mspa_statistics`, :func:`core_patches`: GuidosToolbox's MSPA;
- :func:`connectivity`: Conefor's IIC and PC with dIIC / dPC and their intra, flux and
  connector fractions; :func:`edge_distances`, :func:`raster_edge_distances`;
- :func:`cost_distance`, :func:`cost_allocation`, :func:`least_cost_path`,
  :func:`linkage`, :func:`barrier_improvement`: Linkage Mapper's least-cost corridors and
  Barrier Mapper's improvement scores;
- :func:`pairwise`, :func:`one_to_all`, :func:`all_to_one`, :func:`advanced`: circuit
  theory as Circuitscape computes it (``zoning circuitscape CONFIG.ini`` runs its INI files);
- :func:`gravity`, :func:`corridor_levels`: the gravity model ranking of corridors;
- :data:`STAGE`: the pipeline stage that builds the whole pattern from a rule file.

Examples
--------
>>> import numpy as np
>>> from zoning.corridors import cost_distance, pairwise
>>> r = np.ones((1, 5))
>>> cost_distance(r, np.array([[True, False, False, False, False]]), 10.0).tolist()
[[0.0, 10.0, 20.0, 30.0, 40.0]]
>>> focal = np.array([[1, 0, 0, 0, 2]])
>>> round(float(pairwise(r, focal, connect=4).resistances.loc[1, 2]), 9)  # 4 unit steps
4.0
"""

from zoning.corridors._barriers import barrier_improvement
from zoning.corridors._circuit import pairwise
from zoning.corridors._circuit_sources import advanced, all_to_one, one_to_all
from zoning.corridors._conefor import connectivity
from zoning.corridors._cost import cost_allocation, cost_distance, least_cost_path
from zoning.corridors._distances import edge_distances, raster_edge_distances
from zoning.corridors._gravity import corridor_levels, gravity
from zoning.corridors._linkage import Linkage, linkage
from zoning.corridors._mspa import core_patches, mspa, mspa_statistics
from zoning.corridors.stage import STAGE

__all__ = ["STAGE", "Linkage", "advanced", "all_to_one", "barrier_improvement", "connectivity",
           "core_patches", "corridor_levels", "cost_allocation", "cost_distance",
           "edge_distances", "gravity", "least_cost_path", "linkage", "mspa", "mspa_statistics",
           "one_to_all", "pairwise", "raster_edge_distances"]
