"""Road networks: OSM XML through osmnx, or road lines from any vector file.

This module is where the engine meets OpenStreetMap. Local files work offline.
"""

from __future__ import annotations

import logging
from pathlib import Path

import geopandas as gpd
import networkx as nx
import osmnx as ox

from zoning.errors import LayerError

logger = logging.getLogger(__name__)

OSM_SUFFIXES = (".osm", ".xml", ".osm.bz2", ".xml.bz2")
MAIN_ROADS = frozenset(
    {"motorway", "trunk", "primary", "secondary", "tertiary", "motorway_link", "trunk_link",
     "primary_link", "secondary_link", "tertiary_link"}
)
"""OSM ``highway`` values that count as main roads (for market access)."""


def is_osm_file(path: Path) -> bool:
    """True if ``path`` names an OSM XML file (optionally bz2-compressed)."""
    return path.name.lower().endswith(OSM_SUFFIXES)


def read_osm_graph(path: Path) -> nx.MultiDiGraph:
    """Read an OSM XML file into an osmnx graph (offline).

    Raises
    ------
    LayerError
        If osmnx cannot read the file.
    """
    try:
        return ox.graph_from_xml(path, simplify=True, retain_all=True)
    except Exception as exc:  # osmnx raises several types for bad files
        raise LayerError(f"{path}: osmnx cannot read this OSM XML file ({exc})") from exc


def osm_road_lines(graph: nx.MultiDiGraph) -> gpd.GeoDataFrame:
    """Road lines of an osmnx graph with a plain-text ``highway`` column, in EPSG:4326."""
    edges = ox.graph_to_gdfs(graph, nodes=False)
    highway = edges["highway"].map(lambda v: v[0] if isinstance(v, list) else v)
    lines = gpd.GeoDataFrame({"highway": highway.astype(str)}, geometry=edges.geometry.values,
                             crs=edges.crs)
    return lines.reset_index(drop=True)


def main_roads(lines: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Main roads of a road-line layer; all lines when it has no ``highway`` field."""
    if "highway" not in lines.columns:
        return lines
    selected = lines[lines["highway"].isin(MAIN_ROADS)]
    if selected.empty:
        logger.warning("no main roads (highway in %s) found; using every road line",
                       sorted(MAIN_ROADS))
        return lines
    return selected
