"""Per-parcel statistics of rasters: slope from a DEM, and any raster the project names.

Every parcel gets :data:`zoning.columns.SLOPE_COLUMNS` (mean and largest slope in degrees and
the share steeper than 15° and 25°; missing without a ``dem``). Every project raster
``<name>`` gives ``<name>_mean``, ``<name>_max`` and one ``<name>_share_gt_<t>`` per threshold
of its ``shares``, usable in every rule file. Cells belong to the parcel holding their centre,
the same cell index the subsidence statistics use (:class:`zoning.overlay.CellIndex`); a
parcel too small to hold a cell centre takes the cell under a point inside it. Missing cells
(nodata) are left out; a parcel with no valid cell gets missing values and a warning.

Examples
--------
>>> from zoning.project import RasterLayer
>>> stage({"ndvi": RasterLayer(path="ndvi.tif", shares=[0.3])}).columns(None)[4:]
['ndvi_mean', 'ndvi_max', 'ndvi_share_gt_0p3']
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping, Sequence

import geopandas as gpd
import numpy as np
import pandas as pd

from zoning import columns as col
from zoning.declare import Column
from zoning.errors import Problem
from zoning.layers import LayerSet
from zoning.layers.grid import Grid
from zoning.layers.load import SLOPE
from zoning.overlay import CellIndex
from zoning.project import RasterLayer
from zoning.rules.ruleset import RuleSet
from zoning.stage import Stage

logger = logging.getLogger(__name__)

NAME = "rasters"
"""Name of the stage (logs, timings)."""


SLOPE_DECLARED: tuple[Column, ...] = (
    Column(col.SLOPE_MEAN_DEG, "float", "平均坡度", "Mean slope",
           "mean slope over the parcel's cells, from the dem; missing without one"),
    Column(col.SLOPE_MAX_DEG, "float", "最大坡度", "Max slope", "steepest cell of the parcel"),
    *(Column(name, "float", f"坡度大于{t:g}°比例", f"Share steeper than {t:g}°",
             f"share of the parcel's cells steeper than {t:g} degrees")
      for name, t in zip(col.SLOPE_SHARES, col.SLOPE_SHARE_THRESHOLDS_DEG, strict=True)),
)
"""The slope columns every parcel gets (missing without a ``dem``)."""


def raster_declared(rasters: Mapping[str, RasterLayer]) -> list[Column]:
    """The slope columns, then ``<name>_mean``, ``<name>_max`` and the shares of each raster."""
    out = list(SLOPE_DECLARED)
    for name, spec in rasters.items():
        out += [Column(col.raster_mean(name), "float", f"{name}均值", f"Mean {name}",
                       f"mean of raster {name} over the parcel's valid cells"),
                Column(col.raster_max(name), "float", f"{name}最大值", f"Max {name}",
                       f"largest value of raster {name} over the parcel")]
        out += [Column(col.raster_share_gt(name, t), "float", f"{name}大于{t:g}比例",
                       f"Share of {name} above {t:g}",
                       f"share of the parcel's valid cells of raster {name} above {t:g}",
                       unit="fraction") for t in spec.shares]
    return out


def raster_columns(rasters: Mapping[str, RasterLayer]) -> list[str]:
    """Names of :func:`raster_declared`."""
    return [c.name for c in raster_declared(rasters)]


def zonal(parcels: gpd.GeoSeries, grid: Grid, thresholds: Sequence[float] = (),
          cells: CellIndex | None = None) -> pd.DataFrame:
    """Mean, largest value and shares above ``thresholds`` of ``grid`` per parcel.

    Parameters
    ----------
    parcels
        Parcel polygons in the grid's CRS.
    grid
        The raster; NaN cells are left out of every statistic.
    thresholds
        Each gives a column ``gt_<t>``: the share of the parcel's valid cells above ``t``.
    cells
        A :class:`~zoning.overlay.CellIndex` of ``parcels`` on ``grid``, reused when given.

    Returns
    -------
    pandas.DataFrame
        Columns ``mean``, ``max`` and ``gt_<t>`` indexed like ``parcels``; missing where the
        parcel has no valid cell.

    Examples
    --------
    >>> import shapely
    >>> from affine import Affine
    >>> from pyproj import CRS
    >>> grid = Grid(np.array([[0.1, 0.5], [0.7, np.nan]]), Affine(10, 0, 0, 0, -10, 20),
    ...             CRS(4548))
    >>> out = zonal(gpd.GeoSeries([shapely.box(0, 0, 20, 20)]), grid, [0.4])
    >>> [round(v, 6) for v in out.iloc[0]]
    [0.433333, 0.7, 0.666667]
    """
    cells = cells or CellIndex(parcels, grid)
    values = grid.values
    valid = cells.share(~np.isnan(values))
    out = {"mean": cells.mean(values, skip_nan=True), "max": cells.maximum(values)}
    with np.errstate(invalid="ignore"):
        for t in thresholds:
            above = cells.share(np.nan_to_num(values, nan=-np.inf) > t)
            out[f"gt_{t}"] = np.where(valid > 0, above / np.where(valid > 0, valid, 1), np.nan)
    return pd.DataFrame(out, index=parcels.index)


def _named(stats: pd.DataFrame, mean: str, maximum: str, shares: Sequence[str]) -> pd.DataFrame:
    return stats.set_axis([mean, maximum, *shares], axis=1)


def _warn_missing(name: str, stats: pd.DataFrame) -> None:
    missing = int(stats.iloc[:, 0].isna().sum())
    if missing:
        logger.warning("raster %s: %d of %d parcels have no value (outside the raster or on "
                       "nodata cells); their %s columns are missing", name, missing, len(stats),
                       name)


def stage(rasters: Mapping[str, RasterLayer]) -> Stage:
    """The raster-statistics stage of a project with these ``rasters`` (name → spec)."""
    specs = dict(rasters)

    def declares(rules: RuleSet) -> list[Column]:
        return raster_declared(specs)

    def run(parcels: gpd.GeoDataFrame, rules: RuleSet, layers: LayerSet) -> pd.DataFrame:
        geoms = parcels.geometry
        slope = layers.grids.get(SLOPE)
        if slope is None:
            parts = [pd.DataFrame(np.nan, index=parcels.index, columns=list(col.SLOPE_COLUMNS))]
        else:
            found = zonal(geoms, slope, col.SLOPE_SHARE_THRESHOLDS_DEG)
            _warn_missing(SLOPE, found)
            parts = [_named(found, col.SLOPE_MEAN_DEG, col.SLOPE_MAX_DEG, col.SLOPE_SHARES)]
        for name, spec in specs.items():
            found = zonal(geoms, layers.grids[name], spec.shares)
            _warn_missing(name, found)
            parts.append(_named(found, col.raster_mean(name), col.raster_max(name),
                                [col.raster_share_gt(name, t) for t in spec.shares]))
        return pd.concat(parts, axis=1)

    return Stage(name=NAME, run=run, declares=declares, uses_grids=tuple(specs),
                 optional_grids=(SLOPE,))


STAGE = stage({})
"""The stage of a project without rasters of its own (the slope columns only)."""


def clashes(rasters: Mapping[str, RasterLayer], engine_columns: Collection[str]) -> list[Problem]:
    """Problems for project rasters whose columns another stage makes too.

    Examples
    --------
    >>> clashes({"slope": RasterLayer(path="s.tif", shares=[15])}, ["slope_share_gt_15"])[0].where
    'rasters.slope'
    """
    problems = []
    taken = set(engine_columns)
    for name in rasters:
        mine = raster_columns({name: rasters[name]})[len(col.SLOPE_COLUMNS):]
        same = [c for c in mine if c in taken or c in col.SLOPE_COLUMNS]
        if same:
            problems.append(Problem(
                f"rasters.{name}", f"the raster {name!r} would make the parcel column(s) "
                f"{same}, which the engine makes already; rename the raster in project.yaml "
                "(its columns are <name>_mean, <name>_max, <name>_share_gt_<t>)"))
    return problems
