"""Road networks: OSM XML or PBF files, road lines from any vector file, or OSM online.

This module is where the engine meets OpenStreetMap, and the only one that goes online
(:func:`download_graph`, used for a project's ``roads: {place: ...}`` or ``{bbox: ...}``).
Local files work offline.

Drivable graphs (:func:`drive_graph`) are osmnx ``MultiDiGraph`` objects projected to the
working CRS, every edge carrying ``length`` (m), ``speed_kph`` and ``travel_time`` (s).
"Drivable" follows osmnx's ``network_type="drive"`` filter with one deliberate change:
farm tracks (``highway=track``, 机耕路) are kept, because in China's rural mining areas
they are how vehicles reach most fields.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import osmium
import osmnx as ox
import pandas as pd
import shapely
from pyproj import CRS

from zoning.errors import LayerError, did_you_mean
from zoning.layers.read import read_vector_file

logger = logging.getLogger(__name__)

OSM_SUFFIXES = (".osm", ".xml", ".osm.bz2", ".xml.bz2")
PBF_SUFFIXES = (".pbf",)
MAIN_ROADS = frozenset(
    {"motorway", "trunk", "primary", "secondary", "tertiary", "motorway_link", "trunk_link",
     "primary_link", "secondary_link", "tertiary_link"}
)
"""OSM ``highway`` values that count as main roads (for market access)."""

DEFAULT_SPEEDS_KMH: Mapping[str, float] = {
    "motorway": 100.0, "motorway_link": 60.0,
    "trunk": 80.0, "trunk_link": 50.0,
    "primary": 60.0, "primary_link": 40.0,
    "secondary": 50.0, "secondary_link": 40.0,
    "tertiary": 40.0, "tertiary_link": 30.0,
    "unclassified": 30.0, "road": 30.0,
    "residential": 25.0, "service": 15.0, "track": 15.0, "living_street": 10.0,
}
"""Speed (km/h) of an edge by OSM ``highway`` type when it has no ``maxspeed``.

Engine defaults, not measured speeds. They take the low end of the design speeds of
China's *Technical Standard of Highway Engineering* (JTG B01-2014: expressway 80-120,
class I 60-100, class II 60-80, class III 30-40, class IV 20-30 km/h), for mixed rural
traffic, with the usual OSM-China mapping: motorway = expressway (高速), trunk = national
road (国道), primary = provincial (省道), secondary = county (县道), tertiary = township
(乡道), unclassified = village road (村道), track = farm track (机耕路). ``road`` is OSM's
"unknown type", also used for vector lines without a ``highway`` field.
"""
FALLBACK_SPEED_KMH = 20.0
"""Speed (km/h) of highway types missing from :data:`DEFAULT_SPEEDS_KMH` and without
any ``maxspeed`` in the graph (engine default)."""
UNKNOWN_HIGHWAY = "road"
"""``highway`` value given to vector road lines that have no highway field."""
MAIN_FLAG = "main"
"""Boolean column of a road-line layer: the line is a main road (:func:`flag_main_roads`)."""

NOT_DRIVABLE = frozenset(
    {"abandoned", "bridleway", "bus_guideway", "construction", "corridor", "cycleway",
     "elevator", "escalator", "footway", "no", "path", "pedestrian", "planned", "platform",
     "proposed", "raceway", "razed", "rest_area", "service", "services", "steps"}
)
"""``highway`` values that are not drivable: osmnx's ``drive`` list without ``track``."""
NO_CAR_SERVICE = frozenset(
    {"alley", "driveway", "emergency_access", "parking", "parking_aisle", "private"})
"""``service`` values of ways that cars do not drive through (as osmnx's ``drive``)."""
DRIVE_FILTER = (
    '["highway"]["area"!~"yes"]["access"!~"private"]'
    f'["highway"!~"{"|".join(sorted(NOT_DRIVABLE))}"]'
    '["motor_vehicle"!~"no"]["motorcar"!~"no"]'
    f'["service"!~"{"|".join(sorted(NO_CAR_SERVICE))}"]'
)
"""Overpass filter of drivable ways, the same rule as :func:`is_drivable`."""
_ACCESS_TAGS = ("motor_vehicle", "motorcar")
"""Way tags osmnx drops by default that the drivable rule reads."""

DEFAULT_CACHE_DIR = Path("~/.cache/zoning/osmnx")
"""Where osmnx caches OpenStreetMap responses unless the project names a ``cache_dir``."""
NODE_TOLERANCE = 1e-3
"""Line ends closer than this (CRS units, metres) are one node of a vector road graph."""


def is_osm_file(path: Path) -> bool:
    """True if ``path`` names an OSM XML (optionally bz2-compressed) or PBF file."""
    return path.name.lower().endswith(OSM_SUFFIXES + PBF_SUFFIXES)


def read_osm_graph(path: Path) -> nx.MultiDiGraph:
    """Read every highway way of an OSM XML or PBF file into an osmnx graph (offline).

    Extracts clipped at their edges (ways referencing nodes outside the file) are read:
    see :func:`_osm_roads_xml`.

    Raises
    ------
    LayerError
        If osmium or osmnx cannot read the file.
    """
    with _osm_roads_xml(path) as xml:
        return _graph_from_xml(xml, path, simplify=True)


def osm_format(path: Path) -> str:
    """``OSM PBF`` or ``OSM XML``, for messages.

    Examples
    --------
    >>> osm_format(Path("jiawang.osm.pbf")), osm_format(Path("a.osm.bz2"))
    ('OSM PBF', 'OSM XML')
    """
    return "OSM PBF" if path.name.lower().endswith(PBF_SUFFIXES) else "OSM XML"


def osm_road_lines(graph: nx.MultiDiGraph) -> gpd.GeoDataFrame:
    """Road lines of an osmnx graph with a plain-text ``highway`` column, in its CRS."""
    edges = ox.graph_to_gdfs(graph, nodes=False)
    highway = edges["highway"].map(principal_class)
    lines = gpd.GeoDataFrame({"highway": highway.astype(str)}, geometry=edges.geometry.values,
                             crs=edges.crs)
    return lines.reset_index(drop=True)


def flag_main_roads(lines: gpd.GeoDataFrame, main: Sequence[str] | None = None,
                    ) -> gpd.GeoDataFrame:
    """A copy of ``lines`` with :data:`MAIN_FLAG`: its ``highway`` class is in ``main``.

    ``main`` defaults to :data:`MAIN_ROADS` (OSM classes); lines without a ``highway``
    field are all main.
    """
    classes = set(MAIN_ROADS if main is None else main)
    flagged = lines.copy()
    flagged[MAIN_FLAG] = (lines["highway"].isin(classes) if "highway" in lines.columns
                          else True)
    return flagged


def main_roads(lines: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Main roads of a road-line layer (:data:`MAIN_FLAG`, else the ``highway`` class).

    All lines when it has neither field, or when none of them is a main road (logged).
    """
    if MAIN_FLAG not in lines.columns:
        if "highway" not in lines.columns:
            return lines
        lines = flag_main_roads(lines)
    selected = lines[lines[MAIN_FLAG].astype(bool)]
    if selected.empty:
        logger.warning("no main road among the %d road line(s) (classes %s); using every "
                       "road line: name the main classes with roads.main", len(lines),
                       sorted({str(v) for v in lines.get("highway", pd.Series()).unique()}))
        return lines
    return selected


def unknown_classes(lines: gpd.GeoDataFrame,
                    speeds: Mapping[str, float] | None = None) -> pd.Series:
    """Counts of the drivable ``highway`` classes with no speed (defaults and ``speeds``).

    Examples
    --------
    >>> lines = gpd.GeoDataFrame({"highway": ["县道", "县道", "primary", "footway"]})
    >>> unknown_classes(lines).to_dict(), unknown_classes(lines, {"县道": 40}).to_dict()
    ({'县道': 2}, {})
    """
    known = set(DEFAULT_SPEEDS_KMH) | set(speeds or {}) | NOT_DRIVABLE
    classes = lines["highway"].astype(str)
    return classes[~classes.isin(known)].value_counts()


def is_drivable(tags: Mapping[str, Any]) -> bool:
    """True when a way with these OSM tags is drivable (see the module's note on tracks).

    Examples
    --------
    >>> is_drivable({"highway": "track"}), is_drivable({"highway": "footway"})
    (True, False)
    """
    return (
        tags.get("highway") is not None
        and tags.get("highway") not in NOT_DRIVABLE
        and tags.get("area") != "yes"
        and tags.get("access") != "private"
        and all(tags.get(key) != "no" for key in _ACCESS_TAGS)
        and tags.get("service") not in NO_CAR_SERVICE
    )


def drive_graph(
    path: Path | str | None = None,
    *,
    place: str | None = None,
    bbox: tuple[float, float, float, float] | None = None,
    crs: CRS | str | None = None,
    layer: str | None = None,
    highway_field: str = "highway",
    speed_field: str | None = None,
    speeds: Mapping[str, float] | None = None,
    encoding: str | None = None,
    cache_dir: Path | str | None = None,
) -> nx.MultiDiGraph:
    """The drivable road graph from exactly one of a file, a place name or a bounding box.

    Parameters
    ----------
    path
        An OSM XML file (``.osm``, ``.xml``, optionally ``.bz2``), an OSM PBF file, or any
        vector file of road lines (GeoPackage, Shapefile, ...). Read offline.
    place
        A place name osmnx can geocode (``"Peixian, Xuzhou, China"``); goes online.
    bbox
        ``(west, south, east, north)`` in EPSG:4326; goes online.
    crs
        Working CRS the graph is projected to; None: the file's CRS for vector files,
        the local UTM zone for OSM data.
    layer, highway_field, speed_field, encoding
        Vector files only: the layer, the field with the road class (OSM highway types by
        default; optional), a field with speeds in km/h (optional; missing values fall back
        to the class) and the text encoding (None: detected, see
        :func:`zoning.layers.read.read_vector_file`).
    speeds
        Speed (km/h) by class, over :data:`DEFAULT_SPEEDS_KMH`; classes in neither get
        :data:`FALLBACK_SPEED_KMH`.
    cache_dir
        Online only: osmnx's cache folder (default :data:`DEFAULT_CACHE_DIR`).

    Returns
    -------
    networkx.MultiDiGraph
        Every edge has ``length`` (m), ``speed_kph`` and ``travel_time`` (s); nodes have
        ``x`` and ``y``; ``graph.graph["crs"]`` is the CRS.

    Raises
    ------
    LayerError
        If the source cannot be read or downloaded, or has no drivable road.

    Examples
    --------
    >>> from zoning._resources import demo_project
    >>> g = drive_graph(demo_project().parent / "roads.osm", crs="EPSG:4548")
    >>> sorted({"length", "travel_time"} - set(next(iter(g.edges(data=True)))[2]))
    []
    """
    given = [name for name, value in (("path", path), ("place", place), ("bbox", bbox))
             if value is not None]
    if len(given) != 1:
        raise LayerError(f"roads: give exactly one of path, place or bbox; given: {given}")
    if path is not None:
        where = str(path)
        graph = _local_graph(Path(path), crs, layer, highway_field, speed_field, encoding)
    else:
        where = describe_request(place, bbox)
        graph = ox.project_graph(download_graph(place=place, bbox=bbox, cache_dir=cache_dir),
                                 to_crs=crs)
    return _with_travel_times(graph, where, speeds)


def download_graph(
    *,
    place: str | None = None,
    bbox: tuple[float, float, float, float] | None = None,
    cache_dir: Path | str | None = None,
) -> nx.MultiDiGraph:
    """Download the drivable network of a place or an EPSG:4326 bounding box (online).

    Responses are cached in ``cache_dir`` (default :data:`DEFAULT_CACHE_DIR`), so a second
    run with the same request reads the cache. The graph is simplified, not projected.

    Raises
    ------
    LayerError
        If the request fails (no network, unknown place, nothing drivable there).
    """
    if (place is None) == (bbox is None):
        raise LayerError("roads: download needs exactly one of place or bbox")
    folder = Path(cache_dir if cache_dir is not None else DEFAULT_CACHE_DIR).expanduser()
    what = describe_request(place, bbox)
    logger.info("downloading the drivable road network of %s (cache %s)", what, folder)
    try:
        with _osmnx_settings(cache_folder=folder, use_cache=True):
            if bbox is not None:
                return ox.graph_from_bbox(bbox, network_type="drive", retain_all=True,
                                          custom_filter=DRIVE_FILTER)
            return ox.graph_from_place(str(place), network_type="drive", retain_all=True,
                                       custom_filter=DRIVE_FILTER)
    except Exception as exc:  # requests, geocoder and osmnx errors alike
        raise LayerError(
            f"roads: cannot download the road network of {what} from OpenStreetMap "
            f"({type(exc).__name__}: {exc}). Check the network connection and the place "
            "name, or work offline: download an extract (.osm, .osm.bz2 or .osm.pbf) and "
            "give it as roads: {path: ...}"
        ) from exc


def describe_request(place: str | None, bbox: Sequence[float] | None) -> str:
    """A download request in words, for messages.

    Examples
    --------
    >>> describe_request(None, (117.3, 34.3, 117.5, 34.5))
    'bbox [117.3, 34.3, 117.5, 34.5]'
    """
    return f"place {place!r}" if place is not None else f"bbox {list(bbox or ())}"


def vector_graph(lines: gpd.GeoDataFrame, *, highway_field: str = "highway",
                 speed_field: str | None = None) -> nx.MultiDiGraph:
    """Node road lines at their ends and crossings into a two-way graph (no speeds yet).

    Lines are split wherever they meet or cross (a bridge over a road becomes a junction:
    vector files carry no layer information); every piece is an edge both ways. Each
    piece keeps the ``highway_field`` value of its line (:data:`UNKNOWN_HIGHWAY` when the
    layer has no such field) and, with ``speed_field`` (km/h), that speed as ``maxspeed``
    for :func:`osmnx.add_edge_speeds`.

    Parameters
    ----------
    lines
        Road lines in a projected CRS (metres); not modified.
    highway_field
        Field with OSM-style highway types, if the layer has it.
    speed_field
        Field with speeds in km/h; missing or non-positive values fall back to the type.

    Raises
    ------
    LayerError
        If the CRS is not projected, ``speed_field`` is not a field, or there is no line.

    Examples
    --------
    >>> import shapely
    >>> roads = gpd.GeoDataFrame(geometry=[shapely.LineString([(0, 0), (2, 0)]),
    ...                                    shapely.LineString([(1, -1), (1, 1)])],
    ...                          crs="EPSG:4548")
    >>> g = vector_graph(roads)
    >>> g.number_of_nodes(), g.number_of_edges()  # 4 ends + 1 crossing; 4 pieces both ways
    (5, 8)
    """
    if lines.crs is None or not CRS.from_user_input(lines.crs).is_projected:
        raise LayerError(f"road lines need a projected CRS in metres; found {lines.crs}")
    geoms = lines.geometry.values
    parts = shapely.get_parts(geoms[np.isin(shapely.get_type_id(geoms), _LINE_TYPES)])
    parts = parts[shapely.length(parts) > 0]
    if parts.size == 0:
        raise LayerError("the road layer has no line with a length")
    pieces = shapely.get_parts(shapely.node(shapely.multilinestrings(parts)))
    middles = shapely.line_interpolate_point(pieces, 0.5, normalized=True)
    found = shapely.STRtree(geoms).query_nearest(middles, all_matches=False)
    source = found[1][np.argsort(found[0])]
    ends = shapely.get_coordinates(
        np.concatenate([shapely.get_point(pieces, 0), shapely.get_point(pieces, -1)]))
    _, first, node = np.unique(np.round(ends / NODE_TOLERANCE), axis=0, return_index=True,
                               return_inverse=True)
    node = node.ravel()
    attrs = _piece_attributes(lines, source, highway_field, speed_field)
    attrs["length"] = shapely.length(pieces)
    graph = nx.MultiDiGraph(crs=lines.crs)
    graph.add_nodes_from((i, {"x": x, "y": y}) for i, (x, y) in enumerate(ends[first]))
    n = pieces.size
    records = attrs.to_dict("records")
    graph.add_edges_from(
        (int(node[i]), int(node[n + i]), {**records[i], "geometry": pieces[i]}) for i in range(n))
    graph.add_edges_from(
        (int(node[n + i]), int(node[i]), {**records[i], "geometry": shapely.reverse(pieces[i])})
        for i in range(n))
    return graph


@contextmanager
def _osmnx_settings(**values: Any) -> Iterator[None]:
    """Set osmnx settings for the duration of a block, then restore them."""
    saved = {name: getattr(ox.settings, name) for name in values}
    try:
        for name, value in values.items():
            setattr(ox.settings, name, value)
        yield
    finally:
        for name, value in saved.items():
            setattr(ox.settings, name, value)


def _graph_from_xml(xml: Path, path: Path, *, simplify: bool) -> nx.MultiDiGraph:
    """Every way of an OSM XML file (``path`` names it in errors), with the access tags."""
    tags = [*ox.settings.useful_tags_way, *_ACCESS_TAGS]
    try:
        with _osmnx_settings(useful_tags_way=tags):
            return ox.graph_from_xml(xml, simplify=simplify, retain_all=True)
    except Exception as exc:  # osmnx raises several types for bad files
        raise LayerError(f"{path}: osmnx cannot read this {osm_format(path)} file ({exc})"
                         ) from exc


@contextmanager
def _osm_roads_xml(path: Path, level: int = logging.WARNING) -> Iterator[Path]:
    """The ways with a ``highway`` tag of an OSM file and their nodes, as temporary OSM XML.

    An extract cut out of a larger file ("simple" clipping, the usual case) keeps the ways
    crossing its edge with references to nodes it does not hold, which osmnx refuses
    ("Some edges missing nodes"). Such ways are cut where their nodes are missing: each run
    of at least two nodes present is kept as a way of its own, the rest dropped; the counts
    are logged at ``level`` (a project reads its extract twice, for the road lines and for
    the drivable graph, and warns once).
    """
    with tempfile.TemporaryDirectory(prefix="zoning-osm-") as folder:
        xml = Path(folder) / "roads.osm"
        try:
            clipped = _write_roads_xml(path, xml)
        except Exception as exc:  # osmium raises RuntimeError and friends
            raise LayerError(
                f"{path}: osmium cannot read this {osm_format(path)} file ({exc}); check the "
                f"file, or convert it (`osmium cat {path.name} -o roads.osm`) and give that"
            ) from exc
        if clipped.ways:
            logger.log(
                level, "%s: %d road way(s) reference %d node(s) missing from the extract "
                "(clipped at its edge); they are cut there into %d piece(s), and %d way(s) left "
                "with fewer than two nodes are dropped", path, clipped.ways, clipped.missing,
                clipped.pieces, clipped.dropped)
        yield xml


@dataclass
class _Clipped:
    """Counts of :func:`_write_roads_xml`.

    Ways with missing nodes, the missing node references, pieces kept and ways dropped.
    """

    ways: int = 0
    missing: int = 0
    pieces: int = 0
    dropped: int = 0


def _write_roads_xml(path: Path, xml: Path) -> _Clipped:
    """Write the highway ways of ``path`` and their nodes to ``xml``, cut at missing nodes."""
    wanted: set[int] = set()
    for way in _highway_ways(path):
        wanted.update(node.ref for node in way.nodes)
    present: set[int] = set()
    clipped = _Clipped()
    next_id = -1  # ids of the pieces after the first of a cut way (negative: not in OSM)
    with osmium.SimpleWriter(str(xml)) as writer:
        nodes = osmium.FileProcessor(str(path), osmium.osm.NODE)
        for node in nodes.with_filter(osmium.filter.IdFilter(wanted)):
            if isinstance(node, osmium.osm.Node) and node.location.valid():
                present.add(node.id)
                writer.add_node(node)
        for way in _highway_ways(path):
            refs = [node.ref for node in way.nodes]
            runs = _runs(refs, present)
            if len(runs) == 1 and len(runs[0]) == len(refs):
                writer.add_way(way)
                continue
            clipped.ways += 1
            clipped.missing += sum(ref not in present for ref in refs)
            clipped.dropped += not runs
            clipped.pieces += len(runs)
            for i, run in enumerate(runs):
                piece_id = way.id
                if i > 0:
                    piece_id, next_id = next_id, next_id - 1
                writer.add_way(way.replace(nodes=run, id=piece_id))
    return clipped


def _highway_ways(path: Path) -> Iterator[osmium.osm.Way]:
    """The ways of an OSM file with a ``highway`` tag."""
    ways = osmium.FileProcessor(str(path), osmium.osm.WAY)
    for way in ways.with_filter(osmium.filter.KeyFilter("highway")):
        if isinstance(way, osmium.osm.Way):
            yield way


def _runs(refs: list[int], present: set[int]) -> list[list[int]]:
    """Runs of consecutive ``refs`` in ``present`` with at least two nodes.

    Examples
    --------
    >>> _runs([1, 2, 9, 3, 4, 5, 9, 6], {1, 2, 3, 4, 5, 6})
    [[1, 2], [3, 4, 5]]
    """
    runs: list[list[int]] = [[]]
    for ref in refs:
        if ref in present:
            runs[-1].append(ref)
        elif runs[-1]:
            runs.append([])
    return [run for run in runs if len(run) >= 2]


def _drive_graph_from_osm(path: Path) -> nx.MultiDiGraph:
    """Drivable ways of an OSM XML or PBF file, simplified, in EPSG:4326."""
    with _osm_roads_xml(path, logging.INFO) as xml:  # read_osm_graph warns
        graph = _graph_from_xml(xml, path, simplify=False)
    found = sorted({str(d.get("highway")) for _, _, d in graph.edges(data=True)})
    graph.remove_edges_from([(u, v, k) for u, v, k, d in graph.edges(keys=True, data=True)
                             if not is_drivable(d)])
    graph.remove_nodes_from(list(nx.isolates(graph)))
    if graph.number_of_edges() == 0:
        raise LayerError(f"{path}: no drivable road in this file (highway types found: "
                         f"{found}); drivable are highway ways not in {sorted(NOT_DRIVABLE)}")
    return ox.simplify_graph(graph)


def _read_lines(path: Path, layer: str | None, crs: CRS | str | None,
                encoding: str | None) -> gpd.GeoDataFrame:
    """Road lines of a vector file, in ``crs`` when given."""
    try:
        lines, note = read_vector_file(path, layer, encoding)
    except Exception as exc:  # pyogrio raises DataSourceError and friends
        raise LayerError(f"{path}: cannot read road lines ({exc})") from exc
    if note is not None:
        logger.info("roads: %s", note)
    if lines.crs is None:
        raise LayerError(f"{path} has no CRS; assign one (`ogr2ogr -a_srs EPSG:4548 out.gpkg "
                         f"{path.name}`) or export it again with its projection")
    return lines if crs is None else lines.to_crs(crs)


def _local_graph(path: Path, crs: CRS | str | None, layer: str | None, highway_field: str,
                 speed_field: str | None, encoding: str | None) -> nx.MultiDiGraph:
    """Drivable graph of a local OSM or vector file, projected (no speeds yet)."""
    if not path.exists():
        raise LayerError(f"roads: file not found: {path}")
    if is_osm_file(path):
        return ox.project_graph(_drive_graph_from_osm(path), to_crs=crs)
    try:
        return vector_graph(_read_lines(path, layer, crs, encoding), highway_field=highway_field,
                            speed_field=speed_field)
    except LayerError as exc:
        raise LayerError(f"{path}: {exc}") from None


def _piece_attributes(lines: gpd.GeoDataFrame, source: np.ndarray, highway_field: str,
                      speed_field: str | None) -> pd.DataFrame:
    """``highway`` and (with a speed field) ``maxspeed`` of each piece from its line."""
    if highway_field in lines.columns:
        highway = lines[highway_field].astype("string").fillna(UNKNOWN_HIGHWAY).to_numpy()[source]
    else:
        highway = np.full(source.size, UNKNOWN_HIGHWAY, dtype=object)
    attrs = pd.DataFrame({"highway": highway})
    if speed_field is None:
        return attrs
    if speed_field not in lines.columns:
        fields = [c for c in lines.columns if c != lines.geometry.name]
        raise LayerError(f"no speed field {speed_field!r}{did_you_mean(speed_field, fields)}; "
                         f"fields: {fields}")
    speed = pd.to_numeric(lines[speed_field], errors="coerce").to_numpy(dtype=float)[source]
    given = np.isfinite(speed) & (speed > 0)
    attrs["maxspeed"] = [f"{s:g}" if ok else None for s, ok in zip(speed, given, strict=True)]
    return attrs


def _with_travel_times(graph: nx.MultiDiGraph, where: str,
                       speeds: Mapping[str, float] | None) -> nx.MultiDiGraph:
    """Add ``speed_kph`` (maxspeed, else ``speeds``, else the defaults) and ``travel_time``."""
    if graph.number_of_edges() == 0:
        raise LayerError(f"{where}: no drivable road")
    table = {**DEFAULT_SPEEDS_KMH, **(speeds or {})}
    for _, _, data in graph.edges(data=True):
        data["highway"] = principal_class(data.get("highway"), table)
    graph = ox.add_edge_speeds(graph, hwy_speeds=table, fallback=FALLBACK_SPEED_KMH)
    return ox.add_edge_travel_times(graph)


def principal_class(value: object, speeds: Mapping[str, float] = DEFAULT_SPEEDS_KMH) -> object:
    """The class of an edge whose ``highway`` is a list (ways merged by simplification).

    The fastest class in ``speeds`` wins (then the name): a merged edge is as main a road
    as its most important part. The order of osmnx's merged list is not stable from one
    process to the next, so taking its first item made main roads and travel times vary
    between runs of the same project.

    Examples
    --------
    >>> principal_class(["residential", "primary"]), principal_class("track")
    ('primary', 'track')
    """
    if not isinstance(value, list):
        return value
    return min(value, key=lambda c: (-speeds.get(str(c), FALLBACK_SPEED_KMH), str(c)))


_LINE_TYPES = (1, 5)
"""Shapely type ids of LineString and MultiLineString."""
