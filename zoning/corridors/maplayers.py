"""The ecological network's layers for the web map: sources, corridors by level, nodes."""

from __future__ import annotations

from collections.abc import Mapping

import geopandas as gpd

from zoning import columns as col
from zoning.outputs import LegendEntry

NODE_RADIUS_M = 45.0
"""Nodes are drawn as discs of this radius (map units), so the map needs no marker icons."""
PATH_HALF_WIDTH_M = 15.0
"""Least-cost paths are drawn as bands this wide on each side, filled with their level's colour."""

SOURCE_ENTRY = LegendEntry("source", "生态源地", "Ecological source", "#1b5e20")
LEVEL_ENTRIES = [LegendEntry("important", "重要廊道", "Important corridor", "#c62828"),
                 LegendEntry("general", "一般廊道", "General corridor", "#ef6c00")]
NODE_ENTRIES = [LegendEntry("barrier", "障碍点", "Barrier", "#212121"),
                LegendEntry("pinch_point", "夹点", "Pinch point", "#6a1b9a"),
                LegendEntry("stepping_stone", "踏脚石", "Stepping stone", "#00838f")]

MapLayer = tuple[gpd.GeoDataFrame, str, list[LegendEntry]]


def network_map_layers(layers: Mapping[str, gpd.GeoDataFrame]) -> dict[str, MapLayer]:
    """Web-map layers (``name -> (frame, column, legend)``) of the corridor stage's output."""
    out: dict[str, MapLayer] = {}
    sources = layers.get("sources")
    if sources is not None and not sources.empty:
        out["Sources 生态源地"] = (sources.assign(kind=SOURCE_ENTRY.key), "kind", [SOURCE_ENTRY])
    areas = layers.get("corridor_areas")
    if areas is not None and not areas.empty:
        out["Corridor areas 廊道范围"] = (areas, col.CORRIDOR_LEVEL, LEVEL_ENTRIES)
    paths = layers.get("corridors")
    if paths is not None and not paths.empty:
        bands = paths.assign(geometry=paths.geometry.buffer(PATH_HALF_WIDTH_M, quad_segs=2))
        out["Corridors 生态廊道"] = (bands, col.CORRIDOR_LEVEL, LEVEL_ENTRIES)
    nodes = layers.get("nodes")
    if nodes is not None and not nodes.empty:
        discs = nodes.assign(geometry=nodes.geometry.buffer(NODE_RADIUS_M, quad_segs=4))
        out["Nodes 生态节点"] = (discs, col.NODE_TYPE, NODE_ENTRIES)
    return out
