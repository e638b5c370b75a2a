"""Bad-input catalogue: real input forms, encodings and CRS sanity (issue 14).

Every case builds its input in ``tmp_path``, names its outcome class and checks that the
inputs are byte-identical afterwards.
"""

from __future__ import annotations

import bz2
import logging
import shutil
import sqlite3
from pathlib import Path

import geopandas as gpd
import numpy as np
import osmium
import pandas as pd
import pytest
import rasterio
import shapely
import yaml
from _bad import inputs_unchanged, outcome
from affine import Affine
from conftest import boxes, shared
from pyproj import CRS, Geod

from zoning import columns as col
from zoning.engine import prepare, run_stages
from zoning.errors import ValidationFailed
from zoning.layers import load_layers
from zoning.layers.roads import read_osm_graph
from zoning.project import load_project

LANDUSE_NAMES = ["水田", "旱地", "农村宅基地"]
"""The land-use names (GB/T 21010) of the three parcels of :func:`conftest.boxes`."""


def _write_project(folder: Path, layers: dict, **top: object) -> Path:
    """A project file in ``folder`` with the parcels of :func:`_parcels` and ``layers``."""
    spec = {"schema_version": 1, "name": "bad", "title": "bad input", "crs": "auto",
            "layers": {"parcels": {"path": "parcels.gpkg",
                                   "fields": {"id": "BSM", "landuse": "DLBM"}}, **layers},
            **top}
    path = folder / "project.yaml"
    path.write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    return path


def _parcels(folder: Path, crs: str = "EPSG:4548", geoms: list | None = None) -> Path:
    geoms = geoms if geoms is not None else boxes()
    codes = ["0101", "0103", "0702", "0101"][:len(geoms)]
    frame = gpd.GeoDataFrame({"BSM": list("abcd")[:len(geoms)], "DLBM": codes,
                              "DLMC": [*LANDUSE_NAMES, "水田"][:len(geoms)]},
                             geometry=geoms, crs=crs)
    frame.to_file(folder / "parcels.gpkg", layer="parcels")
    return folder / "parcels.gpkg"


def _problems(project: Path) -> str:
    with pytest.raises(ValidationFailed) as info:
        load_layers(load_project(project))
    return str(info.value)


# --- encodings ------------------------------------------------------------------------------

def _gbk_shapefile(folder: Path) -> Path:
    """The parcels as a GBK shapefile without .cpg (as exported by Chinese GIS software)."""
    frame = gpd.GeoDataFrame({"BSM": ["a", "b", "c"], "DLBM": ["0101", "0103", "0702"],
                              "地类名称": LANDUSE_NAMES}, geometry=boxes(), crs="EPSG:4548")
    frame.to_file(folder / "parcels.shp", encoding="GBK", engine="pyogrio")
    (folder / "parcels.cpg").unlink()
    raw = (folder / "parcels.dbf").read_bytes()
    assert "水田".encode("gbk") in raw and "水田".encode() not in raw
    return folder / "parcels.shp"


@outcome("correct")
def test_gbk_shapefile_without_cpg_runs(tmp_path, caplog):
    _gbk_shapefile(tmp_path)
    project = _write_project(tmp_path, {"parcels": {
        "path": "parcels.shp", "fields": {"id": "BSM", "landuse": "DLBM"}}},
        groundwater={"depth_m": 2.5})
    with inputs_unchanged(tmp_path), caplog.at_level(logging.INFO):
        result = run_stages(prepare(project), progress=False)
    assert result.parcels["地类名称"].tolist() == LANDUSE_NAMES
    assert result.parcels[col.LANDUSE_NAME_ZH].tolist() == LANDUSE_NAMES
    notes = [r.getMessage() for r in caplog.records if "GB18030" in r.getMessage()]
    assert len(notes) == 1 and "parcels.shp" in notes[0] and "no .cpg" in notes[0]


@outcome("correct")
def test_declared_encoding_is_used(tmp_path, caplog):
    _gbk_shapefile(tmp_path)
    project = _write_project(tmp_path, {"parcels": {
        "path": "parcels.shp", "encoding": "GBK", "fields": {"id": "BSM", "landuse": "DLBM"}}})
    with inputs_unchanged(tmp_path), caplog.at_level(logging.INFO):
        layers = load_layers(load_project(project))
    assert layers.parcels["地类名称"].tolist() == LANDUSE_NAMES
    assert any("read as GBK (the project's encoding)" in r.getMessage() for r in caplog.records)


@outcome("problem")
def test_unknown_declared_encoding_is_a_problem(tmp_path):
    _gbk_shapefile(tmp_path)
    project = _write_project(tmp_path, {"parcels": {
        "path": "parcels.shp", "encoding": "GBX", "fields": {"id": "BSM", "landuse": "DLBM"}}})
    with inputs_unchanged(tmp_path):
        text = _problems(project)
    assert "layers.parcels.encoding" in text and "parcels.shp" in text and "'GBX'" in text


def _gpkg_with_gbk_value(folder: Path) -> Path:
    """Parcels in a GeoPackage whose first name is GBK bytes (invalid UTF-8), written by SQL."""
    path = _parcels(folder)
    with sqlite3.connect(path) as con:
        for name in ("ST_IsEmpty", "ST_MinX", "ST_MinY", "ST_MaxX", "ST_MaxY"):
            con.create_function(name, 1, lambda _: 0)  # the GeoPackage's R-tree triggers
        con.execute("UPDATE parcels SET DLMC = CAST(? AS TEXT) WHERE BSM = 'a'",
                    ("水田".encode("gbk"),))
    with sqlite3.connect(path) as con:
        assert con.execute("SELECT hex(DLMC) FROM parcels WHERE BSM = 'a'").fetchone() == (
            "水田".encode("gbk").hex().upper(),)
    return path


@outcome("correct")
def test_invalid_utf8_in_a_geopackage_is_decoded(tmp_path, caplog):
    _gpkg_with_gbk_value(tmp_path)
    project = _write_project(tmp_path, {})
    with inputs_unchanged(tmp_path), caplog.at_level(logging.INFO):
        layers = load_layers(load_project(project))
    assert layers.parcels["DLMC"].tolist() == LANDUSE_NAMES
    notes = [r.getMessage() for r in caplog.records if "not valid UTF-8" in r.getMessage()]
    assert len(notes) == 1 and "1 text value(s)" in notes[0] and "parcels.gpkg" in notes[0]


# --- points from tables ---------------------------------------------------------------------

def _lonlat(x: float, y: float) -> tuple[float, float]:
    lon, lat = gpd.GeoSeries([shapely.Point(x, y)], crs="EPSG:4548").to_crs(4326).iloc[0].coords[0]
    return lon, lat


def _insar_table(n: int = 6) -> pd.DataFrame:
    """A grid of points over the parcels subsided 1 m (InSAR's sign: -1), lon and lat."""
    xs, ys = np.meshgrid(np.linspace(535_950, 536_350, n), np.linspace(3_806_950, 3_807_150, 3))
    lonlat = [_lonlat(x, y) for x, y in zip(xs.ravel(), ys.ravel(), strict=True)]
    return pd.DataFrame({"lon": [p[0] for p in lonlat], "lat": [p[1] for p in lonlat],
                         "vel": -1.0})


def _points_project(folder: Path, table: str, **sub: object) -> Path:
    _parcels(folder)
    spec = {"form": "points", "path": table, "depth_field": "vel",
            "interpolation": {"resolution_m": 10, "buffer_m": 20}, **sub}
    return _write_project(folder, {"subsidence": spec}, groundwater={"depth_m": 2.5})


@outcome("correct")
@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_insar_points_from_a_table_run(tmp_path, suffix):
    table = _insar_table()
    path = tmp_path / f"insar{suffix}"
    if suffix == ".csv":
        table.to_csv(path, index=False)
    else:
        table.to_excel(path, index=False)
    project = _points_project(tmp_path, path.name, crs="EPSG:4326",
                              fields={"x": "lon", "y": "lat"})
    with inputs_unchanged(tmp_path):
        result = run_stages(prepare(project), progress=False)
    assert result.parcels[col.SUBS_MAX_M].round(6).tolist() == [1.0, 1.0, 1.0]


@outcome("correct")
def test_gbk_csv_with_chinese_columns(tmp_path, caplog):
    table = _insar_table().rename(columns={"lon": "经度", "lat": "纬度", "vel": "沉降"})
    (tmp_path / "insar.csv").write_bytes(table.to_csv(index=False).encode("gbk"))
    project = _points_project(tmp_path, "insar.csv", crs="EPSG:4326", depth_field="沉降")
    with inputs_unchanged(tmp_path), caplog.at_level(logging.INFO):
        layers = load_layers(load_project(project))
    assert len(layers.vectors["subsidence_points"]) == len(table)
    assert any("insar.csv" in r.getMessage() and "GB18030" in r.getMessage()
               for r in caplog.records)


@outcome("problem")
def test_table_without_crs_is_a_problem(tmp_path):
    _insar_table().to_csv(tmp_path / "insar.csv", index=False)
    project = _points_project(tmp_path, "insar.csv")
    with inputs_unchanged(tmp_path):
        text = _problems(project)
    assert "layers.subsidence" in text and "insar.csv" in text
    assert "has no CRS of its own" in text and "crs: EPSG:4326" in text


@outcome("problem")
def test_table_with_bad_coordinates_lists_rows(tmp_path):
    table = _insar_table().astype({"lon": object})
    table.loc[2, "lon"] = "117.2E"
    table.loc[4, "lon"] = None
    table.to_csv(tmp_path / "insar.csv", index=False)
    project = _points_project(tmp_path, "insar.csv", crs="EPSG:4326", fields={"y": "lati"})
    with inputs_unchanged(tmp_path):
        text = _problems(project)
    assert "column 'lon': 2 of 18 value(s) are missing or not numbers" in text
    assert "row 4: '117.2E'" in text and "row 6: nan" in text
    assert "no column 'lati' (fields.y) (did you mean 'lat'?)" in text


@outcome("problem")
def test_projected_coordinates_under_a_geographic_crs(tmp_path):
    table = pd.DataFrame({"x": [536_050.0, 536_150.0], "y": [3_807_050.0, 3_807_050.0],
                          "vel": [1.0, 2.0]})
    table.to_csv(tmp_path / "insar.csv", index=False)
    project = _points_project(tmp_path, "insar.csv", crs="EPSG:4326")
    with inputs_unchanged(tmp_path):
        text = _problems(project)
    assert "column 'x': 2 value(s) beyond ±180°" in text and "crs:" in text


# --- panels and mines fields ----------------------------------------------------------------

def _panels(folder: Path) -> None:
    panel = shapely.box(535_900, 3_806_800, 536_100, 3_807_300)
    gpd.GeoDataFrame({"HOUDU": [3.0], "MAISHEN": [400.0], "QINGJIAO": [5.0],
                      "QINGXIANG": [90.0], "JIESHU": [2010]},
                     geometry=[panel], crs="EPSG:4548").to_file(folder / "panels.gpkg")


@outcome("correct")
def test_panel_fields_are_mapped(tmp_path):
    _parcels(tmp_path)
    _panels(tmp_path)
    mapping = {"thickness_m": "HOUDU", "depth_m": "MAISHEN", "dip_deg": "QINGJIAO",
               "dip_dir_deg": "QINGXIANG", "end_year": "JIESHU"}
    project = _write_project(tmp_path, {"panels": {"path": "panels.gpkg", "fields": mapping},
                                        "subsidence": {"form": "panels"}},
                             groundwater={"depth_m": 2.5})
    with inputs_unchanged(tmp_path):
        prepared = prepare(project)
    panels = prepared.layers.vectors["panels"]
    assert panels[list(mapping)].iloc[0].tolist() == [3.0, 400.0, 5.0, 90.0, 2010]


@outcome("problem")
def test_panel_field_mapped_to_a_missing_field(tmp_path):
    _parcels(tmp_path)
    _panels(tmp_path)
    project = _write_project(tmp_path, {"panels": {"path": "panels.gpkg",
                                                   "fields": {"thickness_m": "HOUDUU"}}})
    with inputs_unchanged(tmp_path):
        text = _problems(project)
    assert "layers.panels.fields.thickness_m" in text
    assert "no field 'HOUDUU' (did you mean 'HOUDU'?) (mapped to thickness_m)" in text


@outcome("problem")
def test_unmapped_panel_fields_point_to_the_mapping(tmp_path):
    _parcels(tmp_path)
    _panels(tmp_path)
    project = _write_project(tmp_path, {"panels": {"path": "panels.gpkg"},
                                        "subsidence": {"form": "panels"}},
                             groundwater={"depth_m": 2.5})
    with inputs_unchanged(tmp_path), pytest.raises(ValidationFailed) as info:
        prepare(project)
    assert "panel field(s) missing" in str(info.value)
    assert "layers.panels.fields: {thickness_m: HOUDU}" in str(info.value)


# --- rasters --------------------------------------------------------------------------------

def _tif(path: Path, values: np.ndarray, transform: Affine, crs: str) -> None:
    with rasterio.open(path, "w", driver="GTiff", width=values.shape[1],
                       height=values.shape[0], count=1, dtype="float32", crs=crs,
                       transform=transform) as dst:
        dst.write(values.astype("float32"), 1)


def _raster_project(folder: Path, values: np.ndarray, transform: Affine, crs: str) -> Path:
    _parcels(folder)
    _tif(folder / "subsidence.tif", values, transform, crs)
    return _write_project(folder, {"subsidence": {"form": "raster", "path": "subsidence.tif"}},
                          groundwater={"depth_m": 2.5})


@outcome("problem")
def test_raster_with_a_wrong_crs(tmp_path):
    # metre coordinates labelled as longitudes and latitudes
    project = _raster_project(tmp_path, np.ones((5, 5)),
                              Affine(100, 0, 535_900, 0, -100, 3_807_500), "EPSG:4326")
    with inputs_unchanged(tmp_path):
        text = _problems(project)
    assert "layers.subsidence" in text and "subsidence.tif" in text
    assert "cannot be longitudes and latitudes" in text


@outcome("problem")
def test_one_cell_raster(tmp_path):
    project = _raster_project(tmp_path, np.array([[1.5]]),
                              Affine(1000, 0, 535_900, 0, -1000, 3_808_000), "EPSG:4548")
    with inputs_unchanged(tmp_path):
        text = _problems(project)
    assert "the raster has 1×1 cell(s)" in text and "at least 2×2 cells" in text


@outcome("problem")
def test_raster_beside_the_parcels(tmp_path):
    project = _raster_project(tmp_path, np.ones((5, 5)),
                              Affine(100, 0, 600_000, 0, -100, 3_807_500), "EPSG:4548")
    with inputs_unchanged(tmp_path):
        text = _problems(project)
    assert "subsidence.tif does not overlap the parcels" in text


# --- CRS sanity -----------------------------------------------------------------------------

_SOUTH_AFRICA = (19.8, -33.9)
"""A site in UTM zone 34S (Western Cape)."""


def _utm_parcels(folder: Path, epsg: int) -> list:
    """100 m squares at :data:`_SOUTH_AFRICA`, written in EPSG ``epsg``; their geometries."""
    x, y = gpd.GeoSeries([shapely.Point(_SOUTH_AFRICA)], crs=4326).to_crs(32734).iloc[0].coords[0]
    squares = gpd.GeoSeries(boxes(x0=x, y0=y), crs=32734)
    _parcels(folder, f"EPSG:{epsg}", list(squares.to_crs(epsg).values))
    return list(squares.values)


@outcome("problem")
def test_forced_crs_far_from_the_data(tmp_path):
    _utm_parcels(tmp_path, 32734)
    project = _write_project(tmp_path, {}, crs="EPSG:4548")
    with inputs_unchanged(tmp_path):
        text = _problems(project)
    assert "EPSG:4548 covers 115.5–118.5° E" in text
    assert "the data lie at 19.8–19.8° E, 33.9–33.9° S" in text
    assert "use crs: auto or EPSG:32734" in text


@outcome("warning")
def test_wrong_utm_zone_is_reprojected_by_auto(tmp_path, caplog):
    truth = _utm_parcels(tmp_path, 32733)  # zone 33S for a zone-34 site
    project = _write_project(tmp_path, {})
    with inputs_unchanged(tmp_path), caplog.at_level(logging.INFO):
        layers = load_layers(load_project(project))
    assert layers.crs.to_epsg() == 32734
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("outside the area of use of its own CRS" in w and "12.0–18.0° E" in w
               for w in warnings)
    assert any("working CRS WGS 84 / UTM zone 34S (EPSG:32734) chosen" in w for w in warnings)
    geod = Geod(ellps="WGS84")
    lonlat = gpd.GeoSeries(truth, crs=32734).to_crs(4326)
    geodesic = np.array([abs(geod.geometry_area_perimeter(g)[0]) for g in lonlat])
    assert np.allclose(layers.parcels.area.to_numpy(), geodesic, rtol=1e-3)
    in_33s = gpd.GeoSeries(truth, crs=32734).to_crs(32733).area.to_numpy()
    assert (in_33s / geodesic).min() > 1.004  # what keeping zone 33S would have measured


@outcome("warning")
def test_forced_crs_partly_outside_its_area(tmp_path, caplog):
    # a 60 km strip from 117.9 E into the next zone: its centre still in CM 117E (EPSG:4548)
    x0, y0 = gpd.GeoSeries([shapely.Point(117.9, 34.3)], crs=4326).to_crs(4548).iloc[0].coords[0]
    _parcels(tmp_path, geoms=boxes(x0=x0, y0=y0, size=20_000.0))
    project = _write_project(tmp_path, {}, crs="EPSG:4548")
    with inputs_unchanged(tmp_path), caplog.at_level(logging.WARNING):
        load_layers(load_project(project))
    assert sum("part of the parcels lie outside the area of use of EPSG:4548" in r.getMessage()
               for r in caplog.records) == 1


# --- roads ----------------------------------------------------------------------------------

def _survey_roads(folder: Path) -> None:
    """A county road 300 m north of the parcels and a village road 50 m north of them,
    running 4 km east to a town at its end."""
    lines = [shapely.LineString([(536_000, 3_807_400), (536_300, 3_807_400)]),
             shapely.LineString([(536_050, 3_807_150), (540_050, 3_807_150)])]
    # a first layer the roads are not in: `layer: survey` must be honoured
    gpd.GeoDataFrame({"TYPE": ["县道"]}, geometry=[shapely.LineString(
        [(536_000, 3_807_110), (536_300, 3_807_110)])], crs="EPSG:4548").to_file(
        folder / "roads.gpkg", layer="planned")
    gpd.GeoDataFrame({"TYPE": ["县道", "村道"]}, geometry=lines, crs="EPSG:4548").to_file(
        folder / "roads.gpkg", layer="survey")
    gpd.GeoDataFrame({"name": ["镇"]}, geometry=[shapely.Point(540_050, 3_807_150)],
                     crs="EPSG:4548").to_file(folder / "towns.gpkg")


def _parcels_to_the_town(folder: Path) -> None:
    """The three parcels and a fourth by the town, so that every layer overlaps the parcels."""
    _parcels(folder, geoms=[*boxes(), shapely.box(540_000, 3_807_300, 540_100, 3_807_400)])


@outcome("correct")
def test_surveyed_road_classes_and_speeds(tmp_path):
    _parcels_to_the_town(tmp_path)
    _survey_roads(tmp_path)
    roads = {"path": "roads.gpkg", "layer": "survey", "fields": {"class": "TYPE"},
             "speeds": {"县道": 60, "村道": 30}, "main": ["县道"]}
    project = _write_project(tmp_path, {"roads": roads, "towns": {"path": "towns.gpkg"}},
                             groundwater={"depth_m": 2.5})
    with inputs_unchanged(tmp_path):
        result = run_stages(prepare(project), progress=False)
    assert result.parcels[col.DIST_ROAD_M].iloc[:3].tolist() == [300.0, 300.0, 300.0]
    origin = shapely.point_on_surface(boxes()[0])
    walk_min = origin.distance(shapely.Point(536_050, 3_807_150)) / (5 / 3.6) / 60
    drive_min = 4000 / (30 / 3.6) / 60
    assert result.parcels[col.TRAVEL_MIN_TOWN].iloc[0] == pytest.approx(walk_min + drive_min)


@outcome("problem")
def test_road_class_without_speed(tmp_path):
    _parcels_to_the_town(tmp_path)
    _survey_roads(tmp_path)
    roads = {"path": "roads.gpkg", "layer": "survey", "fields": {"class": "TYPE"},
             "speeds": {"县道": 60}}
    project = _write_project(tmp_path, {"roads": roads})
    with inputs_unchanged(tmp_path):
        text = _problems(project)
    assert "layers.roads.speeds" in text and "1 road class(es) have no speed: '村道' (1 lines)" \
        in text


@outcome("warning")
def test_road_class_without_speed_falls_back(tmp_path, caplog):
    _parcels_to_the_town(tmp_path)
    _survey_roads(tmp_path)
    project = _write_project(tmp_path, {"roads": {"path": "roads.gpkg", "layer": "survey",
                                                  "fields": {"class": "TYPE"}}})
    with inputs_unchanged(tmp_path), caplog.at_level(logging.WARNING):
        load_layers(load_project(project))
    found = [r.getMessage() for r in caplog.records if "have no speed" in r.getMessage()]
    assert len(found) == 1 and "2 road class(es)" in found[0] and "20 km/h" in found[0]


@outcome("problem")
def test_road_class_field_missing(tmp_path):
    _parcels_to_the_town(tmp_path)
    _survey_roads(tmp_path)
    project = _write_project(tmp_path, {"roads": {"path": "roads.gpkg", "layer": "survey",
                                                  "fields": {"class": "TYP"}}})
    with inputs_unchanged(tmp_path):
        text = _problems(project)
    assert "roads.gpkg has no field 'TYP' (did you mean 'TYPE'?)" in text


def _clipped_pbf(folder: Path) -> tuple[Path, tuple[float, float, float, float]]:
    """West Oakland's OSM extract cut to the middle of its extent, as a real extract is.

    Nodes outside the box are left out while the ways keep referencing them ("simple"
    clipping), so ways crossing the edge reference missing nodes.
    """
    xml = folder / "west-oakland.osm"
    with bz2.open(shared("osm", "West-Oakland.osm.bz2")) as src, xml.open("wb") as dst:
        shutil.copyfileobj(src, dst)
    west, south, east, north = -122.3100, 37.8070, -122.2950, 37.8150
    pbf = folder / "clipped.osm.pbf"
    with osmium.SimpleWriter(str(pbf)) as writer:
        for node in osmium.FileProcessor(str(xml), osmium.osm.NODE):
            if west <= node.location.lon <= east and south <= node.location.lat <= north:
                writer.add_node(node)
        for way in osmium.FileProcessor(str(xml), osmium.osm.WAY):
            writer.add_way(way)
    xml.unlink()
    return pbf, (west, south, east, north)


@outcome("warning")
def test_clipped_pbf_extract_gives_roads(tmp_path, caplog):
    pbf, (west, south, east, north) = _clipped_pbf(tmp_path)
    with inputs_unchanged(tmp_path), caplog.at_level(logging.WARNING):
        graph = read_osm_graph(pbf)
    found = [r.getMessage() for r in caplog.records if "missing from the extract" in r.getMessage()]
    assert len(found) == 1 and "clipped.osm.pbf" in found[0]
    assert graph.number_of_edges() > 20
    xs = np.array([d["x"] for _, d in graph.nodes(data=True)])
    ys = np.array([d["y"] for _, d in graph.nodes(data=True)])
    assert (xs >= west).all() and (xs <= east).all() and (ys >= south).all() and (ys <= north).all()


@outcome("correct")
def test_clipped_pbf_in_a_project(tmp_path, caplog):
    _clipped_pbf(tmp_path)
    centre = shapely.Point(-122.3025, 37.8110)
    utm = gpd.GeoSeries([centre], crs=4326).to_crs(32610).iloc[0]
    squares = gpd.GeoSeries(boxes(x0=utm.x, y0=utm.y), crs=32610).to_crs(4326)
    _parcels(tmp_path, "EPSG:4326", list(squares.values))
    town = gpd.GeoSeries([shapely.Point(utm.x + 250, utm.y + 50)], crs=32610).to_crs(4326)
    gpd.GeoDataFrame({"name": ["t"]}, geometry=town.values).to_file(tmp_path / "towns.gpkg")
    project = _write_project(tmp_path, {"roads": {"path": "clipped.osm.pbf"},
                                        "towns": {"path": "towns.gpkg"}},
                             groundwater={"depth_m": 2.5})
    with inputs_unchanged(tmp_path), caplog.at_level(logging.WARNING):
        layers = load_layers(load_project(project))
    assert sum("missing from the extract" in r.getMessage() for r in caplog.records) == 1
    assert layers.crs.to_epsg() == 32610
    assert layers.road_graph is not None and layers.road_graph.number_of_edges() > 20
    assert len(layers.vectors["roads"]) > 20


@outcome("problem")
def test_layer_given_for_an_osm_extract(tmp_path):
    pbf, _ = _clipped_pbf(tmp_path)
    _parcels(tmp_path)
    project = _write_project(tmp_path, {"roads": {"path": pbf.name, "layer": "lines"}})
    with inputs_unchanged(tmp_path):
        text = _problems(project)
    assert "layers.roads.layer" in text and "is an OSM PBF extract, read whole" in text


# --- real data ------------------------------------------------------------------------------

@outcome("correct")
@pytest.mark.parametrize("name", ["subset_huainan.geojson",
                                  "subset_xuzhou_zaozhuang_huaibei.geojson"])
def test_gem_mine_boundaries_measure_geodesic_areas(tmp_path, name):
    mines = gpd.read_file(shared("gem", name))
    assert CRS.from_user_input(mines.crs).to_epsg() == 4326
    mines = mines[mines.geometry.geom_type.isin(["Polygon", "MultiPolygon"])]
    mines = mines[mines.geometry.bounds["minx"] >= 115.5]  # in the zone of CM 117E
    parcels = gpd.GeoDataFrame({"BSM": [f"m{i}" for i in range(len(mines))], "DLBM": "0602"},
                               geometry=mines.geometry.values, crs=4326)
    parcels.to_file(tmp_path / "parcels.gpkg", layer="parcels")
    project = _write_project(tmp_path, {})
    with inputs_unchanged(tmp_path):
        layers = load_layers(load_project(project))
    assert layers.crs.to_epsg() == 4548
    geod = Geod(ellps="GRS80")
    geodesic = np.array([abs(geod.geometry_area_perimeter(g)[0]) for g in parcels.geometry])
    measured = layers.parcels.loc[parcels["BSM"], "geometry"].area.to_numpy()
    assert len(measured) >= 5
    assert np.abs(measured / geodesic - 1).max() < 1e-3


@outcome("correct")
def test_towns_from_a_csv_table(tmp_path):
    _parcels(tmp_path)
    lon, lat = _lonlat(536_150, 3_807_040)
    (tmp_path / "towns.csv").write_text(f"name,经度,纬度\n镇,{lon},{lat}\n", encoding="utf-8")
    project = _write_project(tmp_path, {"towns": {"path": "towns.csv", "crs": "EPSG:4326"}})
    with inputs_unchanged(tmp_path):
        layers = load_layers(load_project(project))
    town = layers.vectors["towns"].geometry.iloc[0]
    assert town.distance(shapely.Point(536_150, 3_807_040)) < 0.01
    assert layers.vectors["towns"]["name"].tolist() == ["镇"]


@outcome("warning")
def test_layer_in_a_far_zone_is_reprojected_with_a_warning(tmp_path, caplog):
    _parcels(tmp_path)
    town = gpd.GeoSeries([shapely.Point(536_150, 3_807_050)], crs=4548).to_crs(4549)
    gpd.GeoDataFrame({"name": ["镇"]}, geometry=town.values).to_file(tmp_path / "towns.gpkg")
    project = _write_project(tmp_path, {"towns": {"path": "towns.gpkg"}})
    with inputs_unchanged(tmp_path), caplog.at_level(logging.WARNING):
        layers = load_layers(load_project(project))
    found = [r.getMessage() for r in caplog.records if "its own CRS" in r.getMessage()]
    assert len(found) == 1 and found[0].startswith("towns:")
    assert "EPSG:4549 covers 118.5–121.5° E" in found[0]
    assert layers.vectors["towns"].geometry.iloc[0].distance(
        shapely.Point(536_150, 3_807_050)) < 0.01


@outcome("problem")
def test_broken_pbf_is_named_as_pbf(tmp_path):
    _parcels(tmp_path)
    pbf, _ = _clipped_pbf(tmp_path)
    broken = tmp_path / "broken.osm.pbf"
    broken.write_bytes(pbf.read_bytes()[:200])
    project = _write_project(tmp_path, {"roads": {"path": broken.name}})
    with inputs_unchanged(tmp_path):
        text = _problems(project)
    assert "broken.osm.pbf: osmium cannot read this OSM PBF file" in text
    assert "XML file" not in text
