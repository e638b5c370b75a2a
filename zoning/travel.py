"""Travel time over the road graph from every origin to its nearest centre (town, market).

One Dijkstra search serves every origin: the graph is reversed (so a search *from* the
centres gives the directed time *to* them, one-way streets respected) and a virtual
source is joined to each centre's nearest node by that centre's access leg, so the
search finds, at every node, the least time to any centre including the last leg.
Origins and centres reach the network at their nearest node, off the network at
``access_speed_kmh`` in a straight line.

Examples
--------
>>> import geopandas as gpd, shapely
>>> from zoning.layers.roads import drive_graph
>>> from zoning._resources import demo_project
>>> g = drive_graph(demo_project().parent / "roads.gpkg")
>>> centre = gpd.GeoSeries([shapely.Point(536_000, 3_807_000)], crs=g.graph["crs"])
>>> minutes = travel_time_to_nearest(g, centre, centre)
>>> bool(minutes.iloc[0] == 2 * access_minutes(g, centre).iloc[0])
True
"""

from __future__ import annotations

import logging
from collections.abc import Hashable, Sequence

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS
from scipy import sparse
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

from zoning import columns as col
from zoning.errors import LayerError

logger = logging.getLogger(__name__)

ACCESS_SPEED_KMH = 5.0
"""Speed (km/h) between a point and its nearest graph node: walking pace (engine default)."""
WEIGHT = "travel_time"
"""Edge attribute with the time to drive the edge, seconds (set by ``drive_graph``)."""


def travel_time_to_nearest(
    graph: nx.MultiDiGraph,
    origins: gpd.GeoSeries,
    centres: gpd.GeoSeries,
    *,
    access_speed_kmh: float = ACCESS_SPEED_KMH,
    name: str = col.TRAVEL_MIN_TOWN,
) -> pd.Series:
    """Minutes from each origin to the nearest centre in travel time over the road graph.

    The time is: the straight line from the origin to its nearest node at
    ``access_speed_kmh``, plus the least driving time from that node to a centre's nearest
    node (edge ``travel_time``, directed: one-way streets are respected), plus the straight
    line from that node to the centre at ``access_speed_kmh``. An origin at a centre that
    lies on a node gets exactly 0.

    Parameters
    ----------
    graph
        Road graph in a projected CRS (``graph.graph["crs"]``, metres) with a
        ``travel_time`` (s) on every edge, as built by
        :func:`zoning.layers.roads.drive_graph`.
    origins, centres
        Points, or any geometries (their representative point is used); reprojected to the
        graph's CRS when needed. Neither is modified.
    access_speed_kmh
        Speed off the network.
    name
        Name of the result.

    Returns
    -------
    pandas.Series
        Minutes, indexed like ``origins``; NaN where the origin is missing or its node
        cannot reach any centre (the count is logged).

    Raises
    ------
    LayerError
        If the graph is not projected or lacks travel times, or no centre has a geometry.

    Examples
    --------
    >>> import geopandas as gpd, networkx as nx, shapely
    >>> g = nx.MultiDiGraph(crs="EPSG:4548")
    >>> g.add_nodes_from([(0, {"x": 0.0, "y": 0.0}), (1, {"x": 1000.0, "y": 0.0})])
    >>> g.add_edges_from([(0, 1, {"travel_time": 60.0}), (1, 0, {"travel_time": 60.0})])
    [0, 0]
    >>> points = lambda *xy: gpd.GeoSeries([shapely.Point(p) for p in xy], crs="EPSG:4548")
    >>> travel_time_to_nearest(g, points((1000, 0), (1000, 50)), points((0, 0))).round(2).tolist()
    [1.0, 1.6]
    """
    if not access_speed_kmh > 0:
        raise ValueError(f"access_speed_kmh must be positive; got {access_speed_kmh}")
    crs = _graph_crs(graph)
    nodes, xy = _node_table(graph)
    tree = cKDTree(xy)
    speed = access_speed_kmh / 3.6  # m/s
    centre_xy = _coordinates(centres, crs, "centres")
    centre_xy = centre_xy[np.isfinite(centre_xy).all(axis=1)]
    if centre_xy.size == 0:
        raise LayerError("travel time: no centre has a geometry; give at least one centre")
    centre_leg, centre_node = tree.query(centre_xy)
    at_node = _seconds_from_centres(graph, nodes, centre_node, centre_leg / speed)
    origin_xy = _coordinates(origins, crs, "origins")
    known = np.isfinite(origin_xy).all(axis=1)
    seconds = np.full(len(origins), np.nan)
    if known.any():
        origin_leg, origin_node = tree.query(origin_xy[known])
        seconds[known] = at_node[origin_node] + origin_leg / speed
    seconds[~np.isfinite(seconds)] = np.nan
    unreachable = int((known & np.isnan(seconds)).sum())
    if unreachable:
        logger.warning("%d of %d origins cannot reach any centre over the road network "
                       "(their nearest node is on a piece without one); %s is NaN there",
                       unreachable, int(known.sum()), name)
    return pd.Series(seconds / 60.0, index=origins.index, name=name)


def access_minutes(graph: nx.MultiDiGraph, points: gpd.GeoSeries, *,
                   access_speed_kmh: float = ACCESS_SPEED_KMH) -> pd.Series:
    """Minutes from each point to its nearest graph node at ``access_speed_kmh``.

    Examples
    --------
    >>> import geopandas as gpd, networkx as nx, shapely
    >>> g = nx.MultiDiGraph(crs="EPSG:4548")
    >>> g.add_node(0, x=0.0, y=0.0)
    >>> access_minutes(g, gpd.GeoSeries([shapely.Point(0, 250)], crs="EPSG:4548")).tolist()
    [3.0]
    """
    _, xy = _node_table(graph)
    coords = _coordinates(points, _graph_crs(graph), "points")
    known = np.isfinite(coords).all(axis=1)
    metres = np.full(len(points), np.nan)
    if known.any():
        metres[known] = cKDTree(xy).query(coords[known])[0]
    return pd.Series(metres / (access_speed_kmh / 3.6) / 60.0, index=points.index)


def _graph_crs(graph: nx.MultiDiGraph) -> CRS:
    """The graph's CRS, which must be projected (metres)."""
    if graph.graph.get("crs") is None:
        raise LayerError("travel time: the road graph has no CRS (graph.graph['crs'])")
    crs = CRS.from_user_input(graph.graph["crs"])
    if not crs.is_projected:
        raise LayerError(f"travel time: the road graph is in {crs.name}, not projected; build "
                         "it with drive_graph(..., crs=the working CRS) or osmnx.project_graph")
    return crs


def _node_table(graph: nx.MultiDiGraph) -> tuple[list[Hashable], np.ndarray]:
    """Node ids and their ``(x, y)`` coordinates, in the graph's node order."""
    if graph.number_of_nodes() == 0:
        raise LayerError("travel time: the road graph has no node")
    nodes = list(graph.nodes)
    xy = np.array([(data["x"], data["y"]) for _, data in graph.nodes(data=True)], dtype=float)
    return nodes, xy


def _coordinates(geoms: gpd.GeoSeries, crs: CRS, what: str) -> np.ndarray:
    """``(n, 2)`` coordinates of each geometry's point in ``crs``; NaN where missing."""
    if geoms.crs is None:
        raise LayerError(f"travel time: the {what} have no CRS; set one (GeoSeries.set_crs)")
    if CRS.from_user_input(geoms.crs) != crs:
        geoms = geoms.to_crs(crs)
    values = np.asarray(geoms.values, dtype=object)
    missing = shapely.is_missing(values) | shapely.is_empty(values)
    out = np.full((len(values), 2), np.nan)
    out[~missing] = shapely.get_coordinates(shapely.point_on_surface(values[~missing]))
    return out


def _seconds_from_centres(graph: nx.MultiDiGraph, nodes: Sequence[Hashable],
                          centre_node: np.ndarray, centre_leg_s: np.ndarray) -> np.ndarray:
    """Least seconds from every node to a centre, one Dijkstra from a virtual source."""
    index = {node: i for i, node in enumerate(nodes)}
    edges = list(graph.edges(data=WEIGHT))
    weights = np.array([w if w is not None else np.nan for _, _, w in edges], dtype=float)
    if np.isnan(weights).any() or (weights < 0).any():
        raise LayerError(f"travel time: {int(np.isnan(weights).sum() + (weights < 0).sum())} "
                         f"road edge(s) lack a non-negative {WEIGHT!r} (seconds); build the "
                         "graph with zoning.layers.roads.drive_graph")
    source = len(nodes)  # the virtual source, joined to every centre's node
    # Reversed edges (v -> u): the search from the centres runs against the traffic.
    rows = np.concatenate([[index[v] for _, v, _ in edges], np.full(centre_node.size, source)])
    cols = np.concatenate([[index[u] for u, _, _ in edges], centre_node])
    times = np.concatenate([weights, centre_leg_s])
    matrix = _least_per_pair(rows.astype(np.int64), cols.astype(np.int64), times, source + 1)
    seconds: np.ndarray = dijkstra(matrix, directed=True, indices=source)
    return seconds[:source]


def _least_per_pair(rows: np.ndarray, cols: np.ndarray, weights: np.ndarray,
                    size: int) -> sparse.csr_array:
    """Sparse matrix keeping the least weight of parallel edges (sparse would add them)."""
    order = np.lexsort((weights, cols, rows))
    rows, cols, weights = rows[order], cols[order], weights[order]
    first = np.ones(rows.size, dtype=bool)
    first[1:] = (rows[1:] != rows[:-1]) | (cols[1:] != cols[:-1])
    return sparse.csr_array((weights[first], (rows[first], cols[first])), shape=(size, size))
