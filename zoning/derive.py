"""Derive stage: land-use classes, areas, distances, gangue cover, mines, planning layers.

The planning layers are the ecological protection red line, the geological hazard prone
areas and the urban development boundary.

Examples
--------
>>> from zoning.derive import STAGE
>>> STAGE.name
'derive'
"""

from __future__ import annotations

import logging

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from zoning import columns as col
from zoning.declare import Column, fixed
from zoning.errors import Problem, ZoningError
from zoning.layers import LayerSet
from zoning.layers.roads import main_roads
from zoning.mines import check_mines, mine_columns
from zoning.overlay import area_share
from zoning.project import MineFields
from zoning.rules.models import LandUseRules
from zoning.rules.ruleset import RuleSet
from zoning.stage import Stage
from zoning.travel import travel_time_to_nearest

logger = logging.getLogger(__name__)


DECLARED: tuple[Column, ...] = (
    Column(col.LANDUSE_NAME_ZH, "text", "地类名称", "Land-use name (zh)",
           "Chinese name of the code"),
    Column(col.LANDUSE_NAME_EN, "text", "地类名称（英文）", "Land-use name",
           "English name of the code"),
    Column(col.LANDUSE_L1, "text", "一级地类", "First-level class", "first-level class code"),
    Column(col.LAND_CLASS, "category", "现状归并地类", "Land class before",
           "canonical land class before restoration (rules/landuse.yaml)",
           categories="landuse.land_classes"),
    Column(col.IS_CONSTRUCTION, "boolean", "是否建设用地", "Construction land",
           "construction land (建设用地) by the land-use mapping"),
    Column(col.AREA_HA, "float", "面积", "Area", "parcel area in the working CRS"),
    Column(col.DIST_ROAD_M, "float", "距主要道路距离", "Distance to main road",
           "distance to the nearest main road"),
    Column(col.DIST_TOWN_M, "float", "距镇区距离", "Distance to town",
           "distance to the nearest town centre"),
    Column(col.TRAVEL_MIN_TOWN, "float", "到镇区通行时间", "Travel time to town",
           "travel time to the nearest town over the road network; missing without roads and "
           "towns"),
    Column(col.GANGUE_SHARE, "float", "矸石压占比例", "Gangue share", "share under gangue piles"),
    Column(col.MINE_ID, "text", "所在矿井", "Mine", "mine covering most of the parcel"),
    Column(col.MINE_STAGE, "text", "矿井阶段", "Mine stage", "new, producing or closed"),
    Column(col.MINE_TYPE, "text", "开采方式", "Mine type", "underground or open_pit"),
    Column(col.REDLINE_SHARE, "float", "生态保护红线占比", "Red line share",
           "share inside the ecological protection red line; missing without the layer"),
    Column(col.GEOHAZARD_SHARE, "float", "地质灾害易发区占比", "Geohazard share",
           "share in geological hazard prone areas; missing without the layer"),
    Column(col.DIST_BOUNDARY_M, "float", "距城镇开发边界距离", "Distance to urban boundary",
           "distance to the urban development boundary (0 touching or inside); missing "
           "without it"),
    Column(col.INSIDE_BOUNDARY, "boolean", "位于城镇开发边界内", "Inside urban boundary",
           "at least half of the parcel inside the urban development boundary"),
)
"""The columns the derive stage adds, in order."""



def landuse_table(rules: LandUseRules) -> pd.DataFrame:
    """The land-use mapping as a table indexed by code."""
    construction = set(rules.construction_classes)
    return pd.DataFrame(
        {
            col.LANDUSE_NAME_ZH: [c.name_zh for c in rules.codes],
            col.LANDUSE_NAME_EN: [c.name_en for c in rules.codes],
            col.LANDUSE_L1: [c.l1 for c in rules.codes],
            col.LAND_CLASS: [c.land_class for c in rules.codes],
            col.IS_CONSTRUCTION: [c.land_class in construction for c in rules.codes],
        },
        index=pd.Index([c.code for c in rules.codes], name=col.LANDUSE_CODE),
    )


def check(parcels: gpd.GeoDataFrame, rules: RuleSet, layers: LayerSet) -> list[Problem]:
    """Every land-use code must be in the mapping; the mines layer must carry its fields."""
    problems = []
    mines = layers.vectors.get("mines")
    if mines is not None and layers.mines is not None:
        problems += check_mines(mines, layers.mines.fields,
                                str(layers.sources.get("mines", "layers.mines")))
    known = set(landuse_table(rules.get("landuse", LandUseRules)).index)
    codes = parcels[col.LANDUSE_CODE]
    unknown = codes[~codes.isin(known)].value_counts()
    if unknown.empty:
        return problems
    listed = ", ".join(f"{code!r} ({n} parcels)" for code, n in unknown.head(10).items())
    return [*problems, Problem(
        f"{rules.path('landuse')}",
        f"{len(unknown)} land-use code(s) of the parcels are not in the mapping: {listed}; "
        "add them to a copy of the landuse rule file and name it in project.yaml",
    )]


def _nearest_distance(geoms: gpd.GeoSeries, targets: gpd.GeoDataFrame | None) -> np.ndarray:
    if targets is None or targets.empty:
        return np.full(len(geoms), np.nan)
    tree = shapely.STRtree(targets.geometry.values)
    (src, _), dist = tree.query_nearest(geoms.values, return_distance=True, all_matches=False)
    out = np.full(len(geoms), np.nan)
    out[src] = dist
    return out


def planning_columns(geoms: gpd.GeoSeries, redline: gpd.GeoDataFrame | None,
                     geohazard: gpd.GeoDataFrame | None,
                     boundary: gpd.GeoDataFrame | None) -> pd.DataFrame:
    """Per-parcel shares of the red line and hazard areas, and the urban development boundary.

    Parameters
    ----------
    geoms
        Parcel polygons (projected CRS, metres).
    redline, geohazard, boundary
        Polygons of the ecological protection red line, the geological hazard prone areas and
        the urban development boundary, in the parcels' CRS; None when the project lacks the
        layer. An absent layer gives missing values, not 0: the parcel's status is unknown.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``geoms``: ``redline_share`` and ``geohazard_share`` (fractions, NaN when
        absent), ``dist_boundary_m`` (m, 0 touching or inside; NaN when absent) and
        ``inside_boundary`` (nullable boolean: share inside at least
        :data:`zoning.columns.INSIDE_BOUNDARY_MIN_SHARE`; missing when absent).

    Examples
    --------
    >>> from shapely import box
    >>> parcels = gpd.GeoSeries([box(0, 0, 2, 1), box(10, 0, 11, 1)])
    >>> zone = gpd.GeoDataFrame(geometry=[box(1, 0, 3, 1)])
    >>> out = planning_columns(parcels, zone, None, zone)
    >>> out["redline_share"].tolist(), out["dist_boundary_m"].tolist()
    ([0.5, 0.0], [0.0, 7.0])
    >>> out["geohazard_share"].isna().all(), out["inside_boundary"].tolist()
    (np.True_, [True, False])
    """
    def share(layer: gpd.GeoDataFrame | None) -> pd.Series:
        if layer is None:
            return pd.Series(np.nan, index=geoms.index)
        return area_share(geoms, layer.geometry)

    out = pd.DataFrame({col.REDLINE_SHARE: share(redline),
                        col.GEOHAZARD_SHARE: share(geohazard)}, index=geoms.index)
    out[col.DIST_BOUNDARY_M] = _nearest_distance(geoms, boundary)
    inside = pd.Series(pd.NA, index=geoms.index, dtype="boolean")
    if boundary is not None:
        inside[:] = share(boundary).to_numpy() >= col.INSIDE_BOUNDARY_MIN_SHARE
    out[col.INSIDE_BOUNDARY] = inside
    return out


def run(parcels: gpd.GeoDataFrame, rules: RuleSet, layers: LayerSet) -> pd.DataFrame:
    """Derive the per-parcel columns listed by :func:`columns`."""
    problems = check(parcels, rules, layers)
    if problems:
        raise ZoningError(str(problems[0]))
    geoms = parcels.geometry
    out = landuse_table(rules.get("landuse", LandUseRules)).reindex(
        parcels[col.LANDUSE_CODE]).set_axis(parcels.index)
    out[col.AREA_HA] = geoms.area.to_numpy() / 10_000
    roads = layers.vectors.get("roads")
    out[col.DIST_ROAD_M] = _nearest_distance(geoms, None if roads is None else main_roads(roads))
    out[col.DIST_TOWN_M] = _nearest_distance(geoms, layers.vectors.get("towns"))
    towns = layers.vectors.get("towns")
    out[col.TRAVEL_MIN_TOWN] = (
        travel_time_to_nearest(layers.road_graph, geoms, towns.geometry).to_numpy()
        if layers.road_graph is not None and towns is not None else np.nan)
    gangue = layers.vectors.get("gangue")
    out[col.GANGUE_SHARE] = area_share(geoms, gangue.geometry) if gangue is not None else 0.0
    fields = layers.mines.fields if layers.mines is not None else MineFields()
    out = out.join(mine_columns(geoms, layers.vectors.get("mines"), fields))
    vectors = layers.vectors
    out = out.join(planning_columns(geoms, vectors.get("redline"), vectors.get("geohazard"),
                                    vectors.get("boundary")))
    return out[STAGE.columns(rules)]


STAGE = Stage(name="derive", run=run, declares=fixed(DECLARED), check=check)
