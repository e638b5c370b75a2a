"""Corridor stage: the ecological security pattern of the run, per parcel and as layers.

Adds ``is_source``, ``in_corridor``, ``corridor_level`` and ``node_type`` to the parcels;
writes the layers ``sources``, ``corridors`` (least-cost paths), ``corridor_areas`` (the
truncated corridors by level) and ``nodes``; the rasters ``resistance``, ``cost_distance``,
``corridor``, ``current_density`` and ``barrier_improvement``; and the tables
``corridor_links`` and ``corridor_sources``.
"""

from __future__ import annotations

import logging
import sys

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from rasterio.features import shapes

from zoning import columns as col
from zoning.corridors import resistance
from zoning.corridors.network import LEVEL_CODES, Network, build_network
from zoning.corridors.resistance import KIND, Surface, resistance_surface
from zoning.corridors.sources import Patches, choose_sources, where_site
from zoning.declare import Column, Product, fixed
from zoning.errors import Problem
from zoning.layers import LayerSet
from zoning.layers.grid import Grid
from zoning.rules.models import CorridorRules
from zoning.rules.ruleset import ExpressionSite, RuleSet
from zoning.stage import Stage, StageOutput

logger = logging.getLogger(__name__)

LINKS_TABLE = "corridor_links"
SOURCES_TABLE = "corridor_sources"


DECLARED: tuple[Column, ...] = (
    Column(col.IS_SOURCE, "boolean", "生态源地", "Ecological source",
           "part of an ecological source"),
    Column(col.IN_CORRIDOR, "boolean", "位于生态廊道", "In corridor",
           "lies in an ecological corridor"),
    Column(col.CORRIDOR_LEVEL, "text", "廊道等级", "Corridor level",
           "important or general; missing outside corridors"),
    Column(col.NODE_TYPE, "text", "生态节点", "Ecological node",
           "barrier, pinch_point or stepping_stone; missing otherwise"),
)
"""The four network columns."""
COLUMNS = [c.name for c in DECLARED]
PRODUCTS: tuple[Product, ...] = (
    Product("resistance", "grid", "生态阻力面", "Resistance surface"),
    Product("cost_distance", "grid", "累积成本距离", "Cost distance"),
    Product("corridor", "grid", "廊道", "Corridor"),
    Product("current_density", "grid", "电流密度", "Current density"),
    Product("barrier_improvement", "grid", "障碍改善", "Barrier improvement"),
    Product("sources", "layer", "生态源地", "Ecological sources"),
    Product("corridors", "layer", "生态廊道", "Ecological corridors"),
    Product("corridor_areas", "layer", "廊道范围", "Corridor areas"),
    Product("nodes", "layer", "生态节点", "Ecological nodes"),
    Product(LINKS_TABLE, "table", "廊道连接", "Corridor links"),
    Product(SOURCES_TABLE, "table", "生态源地表", "Ecological sources table"),
)
"""What the stage makes besides the columns (the network rasters and layers need two
sources)."""



def makes(rules: RuleSet) -> list[Product]:
    """The rasters, layers and tables of the ecological network."""
    return list(PRODUCTS)


def sites(rules: RuleSet) -> list[ExpressionSite]:
    """Resistance values, the barrier condition and the habitat condition."""
    model = rules.get(KIND, CorridorRules)
    return [*resistance.sites(model), where_site(model.sources.where)]


def check(parcels: gpd.GeoDataFrame, rules: RuleSet, layers: LayerSet) -> list[Problem]:
    """Rasters and layers the resistance factors name must be in the project."""
    return resistance.check(rules, layers)


def _parcel_columns(parcels: gpd.GeoDataFrame, surface: Surface, patches: Patches,
                    network: Network, model: CorridorRules) -> pd.DataFrame:
    cells = surface.cells
    share = model.min_corridor_share
    inside = cells.share(network.level > 0) >= share
    important = cells.share(network.level == LEVEL_CODES[col.CORRIDOR_LEVELS[0]]) >= share
    level = np.full(len(parcels), None, dtype=object)
    level[inside] = col.CORRIDOR_LEVELS[1]
    level[important] = col.CORRIDOR_LEVELS[0]
    owner = cells.paint(np.arange(len(parcels)))
    node = np.full(len(parcels), None, dtype=object)
    for kind in reversed(col.NODE_TYPES):  # the first type is written last and wins
        found = network.nodes[network.nodes[col.NODE_TYPE] == kind]
        at = owner[found["row"].to_numpy(), found["col"].to_numpy()]
        node[at[np.isfinite(at)].astype(int)] = kind
    return pd.DataFrame({col.IS_SOURCE: patches.is_source.to_numpy(),
                         col.IN_CORRIDOR: inside, col.CORRIDOR_LEVEL: level,
                         col.NODE_TYPE: node}, index=parcels.index)


def _path_lines(network: Network, surface: Surface) -> gpd.GeoDataFrame:
    lines = network.linkage.path_lines(surface.grid.transform)
    keys = zip(network.links["core_a"], network.links["core_b"], strict=True)
    return gpd.GeoDataFrame(network.links.drop(columns=["dropped", "drop_reason"]),
                            geometry=[lines[k] for k in keys], crs=surface.grid.crs)


def _level_areas(network: Network, surface: Surface) -> gpd.GeoDataFrame:
    codes = {v: k for k, v in LEVEL_CODES.items()}
    pieces = [(shapely.geometry.shape(g), codes[int(v)]) for g, v in
              shapes(network.level, mask=network.level > 0, transform=surface.grid.transform)]
    frame = gpd.GeoDataFrame({col.CORRIDOR_LEVEL: [p[1] for p in pieces]},
                             geometry=[p[0] for p in pieces], crs=surface.grid.crs)
    areas = frame.dissolve(col.CORRIDOR_LEVEL).reset_index()
    areas["area_ha"] = areas.area / 10_000.0
    return areas


def _without_network(parcels: gpd.GeoDataFrame, surface: Surface, patches: Patches,
                     where: str) -> StageOutput:
    logger.warning("corridors: %d source(s) found (%r, large enough); corridors need two: "
                   "no network this run (lower sources.min_area_ha or widen sources.where)",
                   len(patches.frame), where)
    out = pd.DataFrame({col.IS_SOURCE: patches.is_source.to_numpy(), col.IN_CORRIDOR: False,
                        col.CORRIDOR_LEVEL: None, col.NODE_TYPE: None}, index=parcels.index)
    return StageOutput(out[COLUMNS], grids={"resistance": surface.grid},
                       layers={"sources": patches.frame.reset_index()})


def run(parcels: gpd.GeoDataFrame, rules: RuleSet, layers: LayerSet) -> StageOutput:
    """Resistance, sources, corridors and nodes; the four parcel columns."""
    model = rules.get(KIND, CorridorRules)
    surface = resistance_surface(parcels, rules, layers)
    patches = choose_sources(parcels, rules, surface)
    if len(patches.frame) < 2:
        return _without_network(parcels, surface, patches, model.sources.where)
    network = build_network(surface, patches, model, progress=sys.stderr.isatty())
    like = surface.grid
    grids = {name: Grid(values, like.transform, like.crs) for name, values in (
        ("resistance", like.values), ("cost_distance", network.cost_distance),
        ("corridor", network.corridor), ("current_density", network.current),
        ("barrier_improvement", network.improvement))}
    sources = patches.frame.reset_index()
    vectors = {"sources": sources, "corridors": _path_lines(network, surface),
               "corridor_areas": _level_areas(network, surface), "nodes": network.nodes}
    tables = {LINKS_TABLE: network.links.drop(columns=["dropped"], errors="ignore"),
              SOURCES_TABLE: pd.DataFrame(sources.drop(columns="geometry"))}
    out = _parcel_columns(parcels, surface, patches, network, model)
    return StageOutput(out[COLUMNS], grids=grids, layers=vectors, tables=tables)


STAGE = Stage(name="corridors", run=run, declares=fixed(DECLARED), sites=sites, check=check,
              makes=makes)
