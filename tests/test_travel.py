"""Drivable road graphs (OSM XML/PBF, vector lines, online settings) and travel times."""

from __future__ import annotations

import doctest
import itertools
import logging
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import osmium
import osmnx as ox
import pandas as pd
import pytest
import shapely
import yaml
from pyproj import CRS

from tests.conftest import shared
from zoning import columns as col
from zoning import travel
from zoning._resources import demo_project
from zoning.errors import LayerError, ValidationFailed
from zoning.layers import roads
from zoning.layers.load import load_layers
from zoning.layers.roads import (
    DEFAULT_SPEEDS_KMH,
    UNKNOWN_HIGHWAY,
    drive_graph,
    is_drivable,
    read_osm_graph,
    vector_graph,
)
from zoning.project import load_project
from zoning.travel import access_minutes, travel_time_to_nearest

CRS_M = "EPSG:4548"
X0, Y0 = 500_000.0, 3_800_000.0
DEMO = demo_project().parent


def pts(*xy: tuple[float, float] | None, crs: str = CRS_M) -> gpd.GeoSeries:
    """Points at offsets from (X0, Y0); None gives a missing geometry."""
    return gpd.GeoSeries([None if p is None else shapely.Point(X0 + p[0], Y0 + p[1])
                          for p in xy], crs=crs)


def line(*xy: tuple[float, float]) -> shapely.LineString:
    return shapely.LineString([(X0 + x, Y0 + y) for x, y in xy])


def edge_frame(graph: nx.MultiDiGraph) -> pd.DataFrame:
    return pd.DataFrame([d for _, _, d in graph.edges(data=True)])


@pytest.fixture(scope="module")
def demo_graph() -> nx.MultiDiGraph:
    return drive_graph(DEMO / "roads.osm", crs=CRS_M)


@pytest.fixture(scope="module")
def towns() -> gpd.GeoSeries:
    return gpd.read_file(DEMO / "towns.gpkg").geometry


# --- hand-built line network ------------------------------------------------------------
# A(0,0) -primary, no speed: 60 km/h- B(1000,0) -speed 30 km/h- C(3000,0) -residential- D(3000,-500)
# A farm track crosses B-C at x=2000 from y=-200 to y=200 (no shared vertex: noding must
# split it). An island of two parts far east. Minutes: A-B 1.0, B-C 4.0 (crossing at 2.0
# from B), C-D 1.2, half the track 200 m at 15 km/h 0.8.

@pytest.fixture
def hand_gpkg(tmp_path: Path) -> Path:
    frame = gpd.GeoDataFrame(
        {"highway": ["primary", "unclassified", "residential", "track", "primary"],
         "speed_kmh": [np.nan, 30.0, np.nan, np.nan, np.nan]},
        geometry=[line((0, 0), (1000, 0)), line((1000, 0), (3000, 0)),
                  line((3000, 0), (3000, -500)), line((2000, -200), (2000, 200)),
                  shapely.MultiLineString([line((10_000, 0), (10_500, 0)),
                                           line((10_500, 0), (11_000, 0))])],
        crs=CRS_M,
    )
    path = tmp_path / "roads.gpkg"
    frame.to_file(path, layer="roads")
    return path


def test_hand_network_gives_hand_computed_minutes(hand_gpkg):
    graph = drive_graph(hand_gpkg, speed_field="speed_kmh")
    assert graph.number_of_nodes() == 10  # A, B, C, D, track ends, crossing, island 3
    assert graph.number_of_edges() == 16  # 8 pieces, both ways
    origins = pts((0, 0), (1000, 0), (3000, -500), (2000, 200), (3060, -500), (10_500, 0),
                  None)
    origins.index = list("abcdefg")
    minutes = travel_time_to_nearest(graph, origins, pts((0, 0)))
    walk = 60 / (travel.ACCESS_SPEED_KMH * 1000 / 60)  # 60 m at walking pace, minutes
    expected = [0.0, 1.0, 6.2, 3.8, 6.2 + walk, np.nan, np.nan]
    np.testing.assert_allclose(minutes.to_numpy(), expected, rtol=1e-9, atol=1e-9)
    assert minutes.name == col.TRAVEL_MIN_TOWN and list(minutes.index) == list("abcdefg")


def test_access_legs_at_both_ends_use_the_access_speed(hand_gpkg):
    graph = drive_graph(hand_gpkg, speed_field="speed_kmh")
    # centre 100 m west of A, origin 100 m north of B, at 6 km/h: 1 minute each leg
    minutes = travel_time_to_nearest(graph, pts((1000, 100)), pts((-100, 0)),
                                     access_speed_kmh=6.0)
    assert minutes.iloc[0] == pytest.approx(1.0 + 1.0 + 1.0)


def test_speed_field_and_highway_defaults_set_the_edge_speeds(hand_gpkg):
    edges = edge_frame(drive_graph(hand_gpkg, speed_field="speed_kmh"))
    speeds = edges.groupby("highway")["speed_kph"].unique().map(list).to_dict()
    assert speeds == {"primary": [DEFAULT_SPEEDS_KMH["primary"]], "unclassified": [30.0],
                      "residential": [DEFAULT_SPEEDS_KMH["residential"]],
                      "track": [DEFAULT_SPEEDS_KMH["track"]]}
    np.testing.assert_allclose(edges["travel_time"], edges["length"] / edges["speed_kph"] * 3.6)


def test_lines_without_a_highway_field_get_the_unknown_type(hand_gpkg):
    lines = gpd.read_file(hand_gpkg)[["geometry"]]
    graph = drive_graph(hand_gpkg, highway_field="no_such_field")
    assert set(edge_frame(graph)["highway"]) == {UNKNOWN_HIGHWAY}
    assert set(edge_frame(graph)["speed_kph"]) == {DEFAULT_SPEEDS_KMH[UNKNOWN_HIGHWAY]}
    before = lines.copy()
    vector_graph(lines)
    assert lines.equals(before)


def test_a_missing_speed_field_is_named(hand_gpkg):
    with pytest.raises(LayerError, match=r"roads.gpkg: no speed field 'speed_kmhh' \(did you mean "
                                         r"'speed_kmh'\?\)"):
        drive_graph(hand_gpkg, speed_field="speed_kmhh")


def test_disconnected_origins_are_nan_and_counted(hand_gpkg, caplog):
    graph = drive_graph(hand_gpkg)
    with caplog.at_level(logging.WARNING, logger="zoning.travel"):
        minutes = travel_time_to_nearest(graph, pts((10_100, 0), (10_900, 5), (500, 0)),
                                         pts((0, 0)))
    assert minutes.isna().tolist() == [True, True, False]
    assert "2 of 3 origins cannot reach any centre" in caplog.text


def test_one_way_streets_are_travelled_from_origin_to_centre():
    graph = nx.MultiDiGraph(crs=CRS_M)
    graph.add_nodes_from([(0, {"x": X0, "y": Y0}), (1, {"x": X0 + 1000, "y": Y0})])
    graph.add_edge(0, 1, travel_time=60.0)  # one way, from 0 to 1
    to_1 = travel_time_to_nearest(graph, pts((0, 0)), pts((1000, 0)))
    to_0 = travel_time_to_nearest(graph, pts((1000, 0)), pts((0, 0)))
    assert to_1.iloc[0] == 1.0 and np.isnan(to_0.iloc[0])


def test_parallel_edges_take_the_fastest():
    graph = nx.MultiDiGraph(crs=CRS_M)
    graph.add_nodes_from([(0, {"x": X0, "y": Y0}), (1, {"x": X0 + 1000, "y": Y0})])
    graph.add_edges_from([(1, 0, {"travel_time": 600.0}), (1, 0, {"travel_time": 90.0})])
    assert travel_time_to_nearest(graph, pts((1000, 0)), pts((0, 0))).iloc[0] == 1.5


# --- OSM files ------------------------------------------------------------------------------

@pytest.mark.realdata
def test_osmnx_reads_west_oakland_and_keeps_drivable_ways():
    path = shared("osm", "West-Oakland.osm.bz2")
    every_way = edge_frame(read_osm_graph(path))["highway"].map(str)
    assert {"footway", "cycleway"} <= set(every_way)
    graph = drive_graph(path)
    crs = CRS.from_user_input(graph.graph["crs"])
    assert crs.is_projected and crs.to_epsg() == 32610  # UTM 10N, Oakland
    edges = edge_frame(graph)
    assert edges["highway"].map(lambda h: is_drivable({"highway": h}) if isinstance(h, str)
                                else all(is_drivable({"highway": v}) for v in h)).all()
    assert (edges["length"] > 0).all() and (edges["travel_time"] > 0).all()
    np.testing.assert_allclose(edges["travel_time"], edges["length"] / edges["speed_kph"] * 3.6)
    nodes = np.array([(d["x"], d["y"]) for _, d in graph.nodes(data=True)])
    minutes = travel_time_to_nearest(graph, gpd.GeoSeries(gpd.points_from_xy(*nodes.T),
                                                          crs=crs), gpd.GeoSeries(
        [shapely.Point(nodes[0])], crs=crs))
    assert minutes.iloc[0] == 0.0 and (minutes.dropna() >= 0).all()
    assert minutes.notna().mean() > 0.5


def test_demo_osm_graph_is_projected_with_tracks_and_default_speeds(demo_graph):
    assert CRS.from_user_input(demo_graph.graph["crs"]) == CRS.from_user_input(CRS_M)
    edges = edge_frame(demo_graph)
    plain = edges[edges["highway"].map(lambda h: isinstance(h, str))]
    assert "track" in set(plain["highway"])
    assert "maxspeed" not in edges.columns  # the demo has none: every speed is a default
    np.testing.assert_array_equal(plain["speed_kph"], plain["highway"].map(DEFAULT_SPEEDS_KMH))
    xmin, ymin, xmax, ymax = gpd.read_file(DEMO / "roads.gpkg").total_bounds
    xy = np.array([(d["x"], d["y"]) for _, d in demo_graph.nodes(data=True)])
    assert (xy.min(axis=0) >= [xmin - 1, ymin - 1]).all()
    assert (xy.max(axis=0) <= [xmax + 1, ymax + 1]).all()


def test_demo_osm_and_gpkg_roads_give_the_same_travel_times(demo_graph, towns):
    """The demo ships one network twice (OSM XML and GeoPackage): both graphs agree."""
    from_gpkg = drive_graph(DEMO / "roads.gpkg")
    rng = np.random.default_rng(3)
    xmin, ymin, xmax, ymax = gpd.read_file(DEMO / "parcels.gpkg").total_bounds
    origins = gpd.GeoSeries(gpd.points_from_xy(rng.uniform(xmin, xmax, 500),
                                               rng.uniform(ymin, ymax, 500)), crs=CRS_M)
    osm = travel_time_to_nearest(demo_graph, origins, towns)
    gpkg = travel_time_to_nearest(from_gpkg, origins, towns)
    assert osm.notna().all() and gpkg.notna().all()
    assert (osm - gpkg).abs().median() < 0.05
    assert np.corrcoef(osm, gpkg)[0, 1] > 0.99


def test_pbf_gives_the_same_graph_as_xml(tmp_path, demo_graph):
    pbf = tmp_path / "roads.osm.pbf"
    with osmium.SimpleWriter(str(pbf)) as writer:
        for obj in osmium.FileProcessor(str(DEMO / "roads.osm")):
            writer.add(obj)
    graph = drive_graph(pbf, crs=CRS_M)
    assert graph.number_of_nodes() == demo_graph.number_of_nodes()
    assert graph.number_of_edges() == demo_graph.number_of_edges()
    assert edge_frame(graph)["travel_time"].sum() == pytest.approx(
        edge_frame(demo_graph)["travel_time"].sum())


def test_a_broken_pbf_says_how_to_convert(tmp_path):
    bad = tmp_path / "roads.osm.pbf"
    bad.write_bytes(b"not a pbf")
    with pytest.raises(LayerError, match=r"roads.osm.pbf: osmium cannot read .*osmium cat"):
        drive_graph(bad)


def test_a_file_without_drivable_ways_is_an_error(tmp_path):
    osm = tmp_path / "paths.osm"
    osm.write_text(
        "<?xml version='1.0' encoding='UTF-8'?><osm version='0.6'>"
        "<node id='1' lat='34.30' lon='117.30'/><node id='2' lat='34.31' lon='117.30'/>"
        "<way id='1'><nd ref='1'/><nd ref='2'/><tag k='highway' v='footway'/></way></osm>",
        encoding="utf-8")
    with pytest.raises(LayerError, match=r"paths.osm: no drivable road .*'footway'"):
        drive_graph(osm)


# --- travel-time properties on the demo --------------------------------------------------

def _node_points(graph: nx.MultiDiGraph, nodes: list) -> gpd.GeoSeries:
    return gpd.GeoSeries([shapely.Point(graph.nodes[n]["x"], graph.nodes[n]["y"])
                          for n in nodes], crs=graph.graph["crs"])


def test_time_falls_along_the_shortest_path_to_the_centre(demo_graph):
    nodes = list(demo_graph.nodes)
    centre = nodes[0]
    at_nodes = travel_time_to_nearest(demo_graph, _node_points(demo_graph, nodes),
                                      _node_points(demo_graph, [centre]))
    assert at_nodes.iloc[0] == 0.0 and (at_nodes.dropna() >= 0).all()
    far = nodes[int(np.nanargmax(at_nodes.to_numpy()))]
    path = nx.shortest_path(demo_graph, far, centre, weight="travel_time")
    along = travel_time_to_nearest(demo_graph, _node_points(demo_graph, path),
                                   _node_points(demo_graph, [centre])).to_numpy()
    assert len(path) > 10
    assert (np.diff(along) < 0).all() and along[-1] == 0.0
    legs = [min(d["travel_time"] for d in demo_graph[u][v].values())
            for u, v in itertools.pairwise(path)]
    np.testing.assert_allclose(along[:-1], np.cumsum(legs[::-1])[::-1] / 60, rtol=1e-9)


def test_one_search_equals_the_least_of_one_search_per_centre(demo_graph, towns):
    rng = np.random.default_rng(7)
    xmin, ymin, xmax, ymax = towns.total_bounds
    origins = gpd.GeoSeries(gpd.points_from_xy(rng.uniform(xmin, xmax, 300),
                                               rng.uniform(ymin, ymax, 300)), crs=CRS_M)
    centres = towns.iloc[:5]
    nodes = list(demo_graph.nodes)
    xy = np.array([(demo_graph.nodes[n]["x"], demo_graph.nodes[n]["y"]) for n in nodes])

    def snap(points: gpd.GeoSeries) -> tuple[np.ndarray, np.ndarray]:
        x, y = points.x.to_numpy()[:, None], points.y.to_numpy()[:, None]
        d = np.hypot(x - xy[:, 0], y - xy[:, 1])
        return d.argmin(axis=1), d.min(axis=1)

    speed = travel.ACCESS_SPEED_KMH / 3.6
    o_node, o_leg = snap(origins)
    c_node, c_leg = snap(centres)
    backwards = demo_graph.reverse(copy=False)
    per_centre = []
    for node, leg in zip(c_node, c_leg, strict=True):
        seconds = nx.single_source_dijkstra_path_length(backwards, nodes[node],
                                                        weight="travel_time")
        per_centre.append([seconds.get(nodes[o], np.inf) + leg / speed for o in o_node])
    expected = (np.min(per_centre, axis=0) + o_leg / speed) / 60
    got = travel_time_to_nearest(demo_graph, origins, centres)
    np.testing.assert_allclose(got.to_numpy(), expected, rtol=1e-9)
    np.testing.assert_allclose(access_minutes(demo_graph, origins), o_leg / speed / 60)


def test_inputs_are_not_modified_and_polygons_use_a_point_inside(demo_graph, towns):
    squares = towns.buffer(30.0, cap_style="square")
    before_squares, before_edges = squares.copy(), demo_graph.number_of_edges()
    minutes = travel_time_to_nearest(demo_graph, squares, towns)
    assert squares.geom_equals(before_squares).all()
    assert demo_graph.number_of_edges() == before_edges
    np.testing.assert_allclose(minutes, travel_time_to_nearest(demo_graph, towns, towns))


def test_origins_in_another_crs_are_reprojected(demo_graph, towns):
    in_degrees = towns.to_crs("EPSG:4326")
    np.testing.assert_allclose(travel_time_to_nearest(demo_graph, in_degrees, towns),
                               travel_time_to_nearest(demo_graph, towns, towns), atol=1e-6)


def test_graph_errors_name_the_fix(hand_gpkg):
    lonlat = ox.project_graph(drive_graph(hand_gpkg), to_crs="EPSG:4326")
    with pytest.raises(LayerError, match="not projected; build it with drive_graph"):
        travel_time_to_nearest(lonlat, pts((0, 0)), pts((0, 0)))
    bare = nx.MultiDiGraph(crs=CRS_M)
    bare.add_nodes_from([(0, {"x": X0, "y": Y0}), (1, {"x": X0 + 1, "y": Y0})])
    bare.add_edge(0, 1)
    with pytest.raises(LayerError, match=r"1 road edge.* lack a non-negative 'travel_time'"):
        travel_time_to_nearest(bare, pts((0, 0)), pts((0, 0)))
    with pytest.raises(LayerError, match="no centre has a geometry"):
        travel_time_to_nearest(drive_graph(hand_gpkg), pts((0, 0)), pts(None))


# --- project file -----------------------------------------------------------------------

def _project(tmp_path: Path, roads: dict) -> Path:
    spec = {"schema_version": 1, "name": "r", "title": "roads", "crs": "auto",
            "layers": {"parcels": {"path": "parcels.gpkg",
                                   "fields": {"id": "BSM", "landuse": "DLBM"}},
                       "roads": roads}}
    path = tmp_path / "project.yaml"
    path.write_text(yaml.safe_dump(spec), encoding="utf-8")
    return path


@pytest.mark.parametrize("roads_spec", [
    {"place": "Peixian, Xuzhou, Jiangsu, China"},
    {"place": "沛县", "cache_dir": "osm-cache"},
    {"bbox": [117.3, 34.3, 117.5, 34.5]},
    {"path": "roads.gpkg", "layer": "roads"},
])
def test_roads_sources_validate(tmp_path, roads_spec):
    roads_layer = load_project(_project(tmp_path, roads_spec)).layers.roads
    assert roads_layer is not None
    assert roads_layer.model_dump(exclude_none=True) == {
        k: tuple(v) if k == "bbox" else v for k, v in roads_spec.items()}


@pytest.mark.parametrize(("roads_spec", "message"), [
    ({}, "give exactly one of 'path'.*none is given"),
    ({"path": "roads.osm", "place": "Peixian"}, "exactly one of .*given: path, place"),
    ({"place": "Peixian", "layer": "roads"}, "'layer' names a layer of the 'path' file"),
    ({"path": "roads.osm", "cache_dir": "c"}, "'cache_dir' is the download cache"),
    ({"bbox": [34.3, 117.3, 34.5, 117.5]}, r"latitudes in degrees.*\[west, south, east, north\]"),
    ({"bbox": [117.5, 34.3, 117.3, 34.5]}, "need -180 <= west < east <= 180"),
    ({"bbox": [117.3, 34.3, 117.5]}, "bbox"),
    ({"place": ""}, "place"),
])
def test_bad_roads_entries_say_what_is_wrong(tmp_path, roads_spec, message):
    with pytest.raises(ValidationFailed, match=message):
        load_project(_project(tmp_path, roads_spec))


def test_local_roads_never_go_online(monkeypatch, demo_graph):
    def offline(*args, **kwargs):
        raise AssertionError("a local roads file must not go online")

    monkeypatch.setattr(ox, "graph_from_place", offline)
    monkeypatch.setattr(ox, "graph_from_bbox", offline)
    project = load_project(DEMO / "project.yaml")
    assert project.layers.roads is not None and project.layers.roads.path == "roads.osm"
    layers = load_layers(project)
    assert len(layers.vectors["roads"]) == len(osm_lines := roads.osm_road_lines(
        read_osm_graph(DEMO / "roads.osm")))
    assert set(osm_lines["highway"]) == set(gpd.read_file(DEMO / "roads.gpkg")["highway"])
    assert drive_graph(DEMO / "roads.gpkg").number_of_edges() > 0


def test_download_needs_exactly_one_request():
    with pytest.raises(LayerError, match="exactly one of place or bbox"):
        roads.download_graph()
    with pytest.raises(LayerError, match=r"exactly one of path, place or bbox; given: "
                                         r"\['path', 'place'\]"):
        drive_graph(DEMO / "roads.osm", place="Peixian")


@pytest.mark.parametrize("module", [roads, travel])
def test_docstring_examples_run(module):
    outcome = doctest.testmod(module)
    assert outcome.failed == 0 and outcome.attempted > 0


_ROAD_SUMMARY = """
import hashlib, logging
from zoning._resources import demo_project
from zoning.layers import load_layers
from zoning.project import load_project
logging.disable(logging.WARNING)
roads = load_layers(load_project(demo_project())).vectors["roads"]
text = "|".join(f"{c}:{w}" for c, w in zip(roads["highway"], roads.geometry.to_wkb()))
print(hashlib.sha256(text.encode()).hexdigest())
"""


@pytest.mark.slow
def test_road_classes_do_not_depend_on_the_hash_seed(tmp_path: Path):
    # osmnx merges the highway tags of simplified ways into a list whose order follows
    # Python's string hashing; the class of a merged edge must not (it decides main roads,
    # speeds and travel times), so two processes with other hash seeds agree
    import os
    import subprocess
    import sys

    def digest(seed: str) -> str:
        env = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run([sys.executable, "-c", _ROAD_SUMMARY], env=env, cwd=tmp_path,
                              capture_output=True, text=True, check=True, timeout=300)
        return done.stdout.strip()

    assert digest("1") == digest("2") == digest("3")


def test_a_merged_edge_takes_its_fastest_class():
    from zoning.layers.roads import principal_class

    assert principal_class(["residential", "primary", "track"]) == "primary"
    assert principal_class(["track", "residential"]) == "residential"
    assert principal_class(["县道", "乡道"], {"县道": 40, "乡道": 30}) == "县道"
    assert principal_class(["b", "a"], {}) == "a"  # unknown classes: by name
