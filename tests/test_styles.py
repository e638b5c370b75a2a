"""QGIS styles in the GeoPackage: one default style per layer, the rule files' colours."""

from __future__ import annotations

import sqlite3
import xml.etree.ElementTree as ET
from contextlib import closing
from pathlib import Path

import geopandas as gpd
import pyogrio
import pytest
import yaml

from zoning import columns as col
from zoning.outputs.gpkg import write_geopackage
from zoning.outputs.styles import run_styles, styled_layers, write_styles

STYLED = {"parcels", "zones", "subsidence_contours", "ponding", "sources", "corridors",
          "corridor_areas", "nodes", "reduction", "planning_units", "qc_gaps"}
SYMBOL_TYPE = {"corridors": "line", "nodes": "marker", "zones": "fill", "parcels": "fill"}


def _rule_colours(result, kind: str, key: str) -> dict[str, str]:
    """Colours of a rule file's categories, read from the file the run used."""
    path = result.prepared.rules.path(kind)
    content = yaml.safe_load(path.read_text(encoding="utf-8"))
    return {k: v["color"].lower() for k, v in content[key].items()}


def _hex(rgba: str) -> str:
    r, g, b = (int(x) for x in rgba.split(",")[:3])
    return f"#{r:02x}{g:02x}{b:02x}"


def _categories(qml: str) -> dict[str, str]:
    """Category value → fill, line or marker colour of its symbol, as hex."""
    root = ET.fromstring(qml)
    symbols = {s.get("name"): s for s in root.iter("symbol")}
    out = {}
    for category in root.iter("category"):
        layer = symbols[category.get("symbol")].find("layer")
        props = {p.get("k"): p.get("v") for p in layer.iter("prop")}
        out[category.get("value")] = _hex(props.get("color") or props["line_color"])
    return out


@pytest.fixture(scope="module")
def layers(demo_result):
    return {"parcels": demo_result.parcels, **demo_result.layers}


@pytest.fixture(scope="module")
def gpkg(demo_result, layers, tmp_path_factory) -> Path:
    path = write_geopackage(tmp_path_factory.mktemp("styles") / "result.gpkg", layers)
    styles = run_styles(demo_result.prepared.rules, layers)
    write_styles(path, styles)
    return write_styles(path, styles)  # twice: rows are replaced, not added


@pytest.fixture(scope="module")
def rows(gpkg):
    return styled_layers(gpkg)


def _default(rows, layer: str) -> str:
    return rows[(rows.f_table_name == layer) & (rows.useAsDefault == 1)].styleQML.iloc[0]


def test_one_default_style_per_layer_and_no_duplicates(rows):
    defaults = rows[rows.useAsDefault == 1]
    assert sorted(defaults.f_table_name) == sorted(STYLED)
    assert not rows.duplicated(["f_table_name", "styleName"]).any()
    assert len(rows[rows.f_table_name == "parcels"]) == 3  # zone, restoration, value mode
    assert set(rows.f_geometry_column) == {"geom"}


def test_qml_parses_and_names_its_renderer(rows):
    renderers = {}
    for layer, qml in zip(rows.f_table_name, rows.styleQML, strict=True):
        root = ET.fromstring(qml)
        assert root.tag == "qgis"
        renderers.setdefault(layer, set()).add(root.find("renderer-v2").get("type"))
        for symbol_layer in root.iter("layer"):
            options = {o.get("name"): o.get("value")
                       for o in symbol_layer.findall("Option/Option")}
            props = {p.get("k"): p.get("v") for p in symbol_layer.findall("prop")}
            assert options == props and props, layer
    assert renderers["subsidence_contours"] == {"graduatedSymbol"}
    assert renderers["ponding"] == {"singleSymbol"}
    assert renderers["nodes"] == {"categorizedSymbol"}


@pytest.mark.parametrize("layer", ["zones", "parcels"])
def test_zone_categories_have_the_rule_colours(rows, demo_result, layer):
    colours = _rule_colours(demo_result, "zones", "zones")
    found = _categories(_default(rows, layer))
    assert set(found) == set(demo_result.parcels[col.ZONE].dropna())
    assert found == {zone: colours[zone] for zone in found}
    assert ET.fromstring(_default(rows, layer)).find("renderer-v2").get("attr") == col.ZONE


def test_zone_labels_are_bilingual(rows):
    labels = [c.get("label") for c in ET.fromstring(_default(rows, "zones")).iter("category")]
    assert "生态保护区 (Ecological protection)" in labels


def test_restoration_mode_style_has_the_modes_colours(rows, demo_result):
    qml = rows[(rows.f_table_name == "parcels")
               & (rows.styleName == "restoration_mode")].styleQML.iloc[0]
    found = _categories(qml)
    colours = _rule_colours(demo_result, "modes", "restoration_modes")
    assert set(found) == set(demo_result.parcels[col.RESTORATION_MODE].dropna())
    assert found == {mode: colours[mode] for mode in found}


def test_reduction_categories_have_the_target_use_colours(rows, demo_result):
    found = _categories(_default(rows, "reduction"))
    colours = _rule_colours(demo_result, "reduction", "target_uses")
    assert set(found) == set(demo_result.layers["reduction"][col.REDUCE_TARGET_USE])
    assert found == {use: colours[use] for use in found}


def test_network_layers_by_level_and_type(rows, demo_result):
    assert _categories(_default(rows, "corridors")) == {"important": "#c62828",
                                                        "general": "#ef6c00"}
    nodes = _categories(_default(rows, "nodes"))
    assert set(nodes) == set(demo_result.layers["nodes"][col.NODE_TYPE])
    for layer, kind in SYMBOL_TYPE.items():
        types = {s.get("type") for s in ET.fromstring(_default(rows, layer)).iter("symbol")}
        assert types == {kind}, layer


def test_each_contour_level_falls_in_its_own_range(rows, demo_result):
    root = ET.fromstring(_default(rows, "subsidence_contours"))
    ranges = [(float(r.get("lower")), float(r.get("upper")), r.get("symbol"))
              for r in root.iter("range")]
    levels = sorted(demo_result.layers["subsidence_contours"]["depth_m"])
    assert len(ranges) == len(levels)
    colours = set()
    for i, level in enumerate(levels):
        first = next(k for k, (low, high, _) in enumerate(ranges) if low <= level <= high)
        assert first == i
        symbol = next(s for s in root.iter("symbol") if s.get("name") == ranges[i][2])
        colours.add(symbol.find("layer/prop[@k='color']").get("v"))
    assert len(colours) == len(levels)


def test_table_is_registered_and_the_geopackage_still_reads(gpkg):
    with closing(sqlite3.connect(gpkg)) as db:
        kind = db.execute("SELECT data_type FROM gpkg_contents WHERE table_name = "
                          "'layer_styles'").fetchall()
    assert kind == [("attributes",)]
    assert "layer_styles" in set(pyogrio.list_layers(gpkg)[:, 0])
    assert len(gpd.read_file(gpkg, layer="zones")) > 0


def test_styles_of_other_owners_are_kept(demo_result, layers, tmp_path):
    small = {name: layers[name] for name in ("zones", "nodes")}
    path = write_geopackage(tmp_path / "r.gpkg", small)
    styles = run_styles(demo_result.prepared.rules, small)
    write_styles(path, styles)
    with closing(sqlite3.connect(path)) as db, db:
        db.execute("INSERT INTO layer_styles (f_table_name, styleName, styleQML, useAsDefault, "
                   "owner) VALUES ('zones', 'mine', '<qgis/>', 1, 'planner')")
    write_styles(path, styles)
    found = styled_layers(path)
    assert sorted(found.f_table_name) == ["nodes", "zones", "zones"]
    mine = found[found.styleName == "mine"]
    assert mine.owner.tolist() == ["planner"] and mine.useAsDefault.tolist() == [0]
    assert found[(found.f_table_name == "zones") & (found.useAsDefault == 1)].owner.tolist() \
        == ["zoning"]


def test_layers_not_in_the_geopackage_are_skipped(demo_result, layers, tmp_path):
    path = write_geopackage(tmp_path / "r.gpkg", {"zones": layers["zones"]})
    write_styles(path, run_styles(demo_result.prepared.rules, layers))
    assert styled_layers(path).f_table_name.tolist() == ["zones"]
