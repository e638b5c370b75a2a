"""SYNTHETIC demo region: a seeded generator of a plains coalfield like Xuzhou's Jiawang.

The generator lays out a square region in EPSG:4548 (CGCS2000 / 3-degree Gauss-Kruger
CM 117E) centred near 117.4°E, 34.4°N: a meandering river with its floodplain, a canal,
curved main roads and a net of rural roads, towns, villages of small homestead parcels,
forested hills, and three or four coal mines whose longwall panels produce subsidence
basins (probability integral method). Land that has subsided below the water table is
already water. Every output is labelled synthetic; none of it describes a real place.

Examples
--------
>>> from zoning.synthetic import generate_region
>>> paths = generate_region("/tmp/demo", n_parcels=800, seed=1)  # doctest: +SKIP
>>> paths["parcels"].name  # doctest: +SKIP
'parcels.gpkg'
"""

from __future__ import annotations

from zoning.synthetic._codes import GBT21010_L1, GBT21010_L2
from zoning.synthetic._mining import CONTOUR_LEVELS
from zoning.synthetic._parcels import GROUNDWATER_DEPTH_M
from zoning.synthetic._region import CRS_EPSG, DEFAULT_SEED, Region, build_region, generate_region

__all__ = [
    "CONTOUR_LEVELS",
    "CRS_EPSG",
    "DEFAULT_SEED",
    "GBT21010_L1",
    "GBT21010_L2",
    "GROUNDWATER_DEPTH_M",
    "Region",
    "build_region",
    "generate_region",
]
