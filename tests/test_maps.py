"""Tests of the web map and the static map writers (zoning.outputs.webmap / staticmap)."""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
import warnings
import zlib
from pathlib import Path

import geopandas as gpd
import matplotlib as mpl
import matplotlib.image as mpimg
import numpy as np
import pytest
import shapely
from fontTools.ttLib import TTFont
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from shapely.geometry import box

from zoning.errors import LayerError
from zoning.outputs import LegendEntry, webmap
from zoning.outputs._encoding import (
    CODE_ALPHABET,
    DECODE_JS,
    decode_codes,
    decode_line,
    encode_codes,
    encode_geometries,
)
from zoning.outputs._legend import NO_DATA_COLOR, UNLISTED_COLOR
from zoning.outputs.fonts import (
    PDF_FONT_FAMILY,
    PDF_FONT_POSTSCRIPT,
    cjk_font_family,
    font_rc,
    mplfonts_font_path,
)
from zoning.outputs.staticmap import (
    DEFAULT_FIGSIZE,
    nice_scale_length,
    scale_bar_segments,
    write_static_map,
)
from zoning.outputs.webmap import COORDINATE_DECIMALS, tile_order, write_webmap

LEGEND = [
    LegendEntry("ecological_protection", "生态保护区", "Ecological protection", "#1b5e20"),
    LegendEntry("farmland_consolidation", "农田综合整治区", "Farmland consolidation", "#fff176"),
    LegendEntry(
        "mine_reconstruction", "矿山生态重建区", "Mine ecological reconstruction", "#795548"
    ),
    LegendEntry("urban_restoration", "城镇更新修复区", "Urban restoration", "#e53935"),
]
"""The last entry does not occur in the test data."""
DAMAGE_LEGEND = [
    LegendEntry("light", "轻度损毁", "Light", "#fff59d"),
    LegendEntry("severe", "重度损毁", "Severe", "#d84315"),
]
POPUP_COLUMNS = ["parcel_id", "landuse_name_zh", "zone", "restoration_mode", "mode_reason"]
NOTICE = "SYNTHETIC DATA — 合成数据，非真实地区"
X0, Y0, SIDE = 536_000.0, 3_807_000.0, 500.0


@pytest.fixture
def parcels() -> gpd.GeoDataFrame:
    """Six 500 m squares in CGCS2000 / 3-degree GK CM 117E, near 117.4 E, 34.4 N."""
    cells = [(i, j) for j in range(2) for i in range(3)]
    zones = [
        "ecological_protection",
        "ecological_protection",
        "farmland_consolidation",
        "farmland_consolidation",
        "mine_reconstruction",
        "mine_reconstruction",
    ]
    return gpd.GeoDataFrame(
        {
            "parcel_id": [f"P{k:04d}" for k in range(len(cells))],
            "landuse_name_zh": ["乔木林地", "坑塘水面", "旱地", "水浇地", "采矿用地", "采矿用地"],
            "zone": zones,
            "restoration_mode": ["protect", "protect", "levelling", "levelling", "slope", "slope"],
            "mode_reason": ["intact", "intact", "subsided 0.8 m", "<b>x</b>", "gangue", "gangue"],
            "damage": ["light", "light", "severe", "light", "severe", None],
            "area_ha": [25.0] * len(cells),
        },
        geometry=[
            box(X0 + i * SIDE, Y0 + j * SIDE, X0 + (i + 1) * SIDE, Y0 + (j + 1) * SIDE)
            for i, j in cells
        ],
        crs="EPSG:4548",
    )


@pytest.fixture
def zones(parcels: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    return parcels[["zone", "geometry"]].dissolve("zone", as_index=False)


def _write_html(tmp_path: Path, parcels: gpd.GeoDataFrame, zones: gpd.GeoDataFrame, **kw) -> str:
    path = write_webmap(
        tmp_path / "map.html",
        parcels,
        zones,
        zone_column="zone",
        legend=LEGEND,
        popup_columns=POPUP_COLUMNS,
        title="示范矿区生态修复分区 Zoning plan",
        notice=NOTICE,
        **kw,
    )
    assert path == tmp_path / "map.html"
    return path.read_text(encoding="utf-8")


def _embedded_layers(text: str) -> dict[str, dict]:
    """Layer variable -> packed layer data embedded as a JSON block ``<layer>_data``."""
    found = re.findall(r'<script type="application/json" id="(\w+)_data">(.*?)</script>', text)
    return {name: json.loads(data) for name, data in found}


def _rings(coordinates: object) -> list[str]:
    if isinstance(coordinates, str):
        return [coordinates]
    return [r for item in coordinates for r in _rings(item)]


# --- web map -------------------------------------------------------------------------------


def test_webmap_has_layers_legend_title_and_popups(tmp_path, parcels, zones):
    text = _write_html(
        tmp_path,
        parcels,
        zones,
        extra_layers={"Damage 损毁程度": (parcels, "damage", DAMAGE_LEGEND)},
    )
    for en in ("Zones", "Parcels", "Damage"):  # layer control names (JSON text)
        assert f'data-en=\\"{en}\\"' in text, en
    for zh, en in (("分区", "Zones"), ("损毁程度", "Damage")):  # legend headings
        assert f'data-zh="{zh}" data-en="{en}"' in text
    for entry in LEGEND[:3]:
        assert f'data-zh="{entry.label_zh}" data-en="{entry.label_en}"' in text  # legend
    assert "城镇更新修复区" not in text  # listed in the legend but absent from the data
    assert "轻度损毁" in text and "Severe" in text
    assert "无数据" in text  # the empty damage value
    assert "示范矿区生态修复分区 Zoning plan" in text
    assert NOTICE in text
    # popup values and column names
    assert "P0003" in text and "乔木林地" in text and "subsided 0.8 m" in text
    assert "landuse_name_zh" in text
    # offline: Leaflet inlined, nothing linked
    assert "<!-- Leaflet 1.9.4 (https://leafletjs.com), BSD-2-Clause licence" in text
    assert not re.findall(r"<(?:script|link)[^>]*(?:src|href)=", text)
    assert "url(images/" not in text  # layer icons inlined, marker-icon rule dropped
    assert ".leaflet-default-icon-path {" not in text
    assert "jquery" not in text.lower() and "bootstrap" not in text.lower()
    # HTML in values is escaped, never raw
    assert "<b>x</b>" not in text
    assert "&lt;b&gt;x&lt;/b&gt;" in text
    # no basemap by default: the map works offline
    assert "tile.openstreetmap.org" not in text


def test_webmap_geometry_is_lonlat_rounded_and_lean(tmp_path, parcels, zones):
    text = _write_html(tmp_path, parcels, zones)
    layers = list(_embedded_layers(text).values())
    assert len(layers) == 2  # zones, parcels
    zones_data, parcels_data = layers
    assert len(zones_data["coordinates"]) == 3
    assert len(parcels_data["coordinates"]) == 6
    assert set(zones_data["categories"]) == {
        "ecological_protection",
        "farmland_consolidation",
        "mine_reconstruction",
    }
    assert isinstance(parcels_data["keys"], str)  # a character per parcel
    assert [parcels_data["categories"][k] for k in decode_codes(parcels_data["keys"])] == list(
        parcels["zone"])
    expected = parcels.to_crs(4326).geometry
    for ring, geom in zip(_rings(parcels_data["coordinates"]), expected, strict=True):
        xy = np.array(decode_line(ring, COORDINATE_DECIMALS))
        assert np.allclose(xy, np.round(xy, 6), rtol=0, atol=1e-12)
        assert np.allclose(xy, shapely.get_coordinates(geom.exterior), rtol=0, atol=6e-7)
    for data in layers:
        xy = np.array([c for r in _rings(data["coordinates"]) for c in decode_line(r, 6)])
        assert np.all(np.abs(xy[:, 0] - 117.4) < 0.1), "longitude"
        assert np.all(np.abs(xy[:, 1] - 34.4) < 0.1), "latitude"
    # only what the map needs: zone keys, plus the popup values for parcels
    assert set(zones_data) == {"type", "scale", "coordinates", "categories", "keys"}
    assert set(parcels_data) == {"type", "scale", "coordinates", "categories", "keys", "popup"}
    assert "area_ha" not in text


@pytest.mark.parametrize(
    "geometry",
    [
        shapely.Point(117.412345, 34.4),
        shapely.MultiPoint([(117.4, 34.4), (-117.5, -34.5)]),
        shapely.LineString([(117.4, 34.4), (117.400001, 34.41), (117.39, 34.39)]),
        shapely.MultiLineString([[(0, 0), (1, 1)], [(179.999999, -89.999999), (-180, 90)]]),
        shapely.box(117.4, 34.4, 117.5, 34.5).difference(shapely.box(117.42, 34.42, 117.43, 34.43)),
        shapely.MultiPolygon([shapely.box(0, 0, 1, 1), shapely.box(2, 2, 3, 3)]),
    ],
)
def test_encoded_geometry_round_trips(geometry):
    kind, (coordinates,) = encode_geometries([geometry], COORDINATE_DECIMALS)
    assert kind == geometry.geom_type
    xy = np.array([c for r in _rings(coordinates) for c in decode_line(r, COORDINATE_DECIMALS)])
    assert np.allclose(xy, shapely.get_coordinates(geometry), rtol=0, atol=1e-9)


def test_jinja_tags_in_values_are_harmless(tmp_path, parcels, zones):
    odd = parcels.assign(mode_reason="{{ 1 + 1 }} {% if %} {# x #}")
    text = write_webmap(
        tmp_path / "map.html", odd, zones, zone_column="zone", legend=LEGEND,
        popup_columns=POPUP_COLUMNS, title="{{ title }}",
        extra_layers={"{{ layer }} 图层": (odd, "damage", DAMAGE_LEGEND)},
    ).read_text(encoding="utf-8")
    assert "{{ 1 + 1 }}" not in text and "\\u007b{ 1 + 1 }}" in text
    assert "<title>&#123;{ title }}</title>" in text
    assert "&#123;{ layer }}" in text


def test_webmap_extra_layers_share_parcel_geometry(tmp_path, parcels, zones):
    own = parcels.iloc[:3][["damage", "geometry"]]
    text = _write_html(
        tmp_path,
        parcels,
        zones,
        extra_layers={
            "Damage": (parcels, "damage", DAMAGE_LEGEND),
            "Damage subset": (own, "damage", DAMAGE_LEGEND),
        },
    )
    assert text.count("return zoningUnpack(\n") == 1  # the damage layer, on parcel geometry
    assert len(_embedded_layers(text)) == 3  # zones, parcels, the subset


def test_webmap_basemap_optional(tmp_path, parcels, zones):
    text = _write_html(tmp_path, parcels, zones, basemap="OpenStreetMap")
    assert "tile.openstreetmap.org" in text
    assert "tianditu" not in text


@pytest.mark.parametrize(
    ("kind", "layers"), [("vector", ("vec", "cva")), ("image", ("img", "cia"))]
)
def test_webmap_tianditu_basemap_with_key(tmp_path, parcels, zones, kind, layers):
    key = "0123456789abcdef0123456789abcdef"
    text = _write_html(
        tmp_path, parcels, zones, basemap={"provider": "tianditu", "key": key, "kind": kind}
    )
    for layer in layers:
        assert f"tianditu.gov.cn/{layer}_w/wmts?" in text
        assert f"LAYER={layer}\\u0026" in text  # & as JSON writes it in the script
    assert text.count(f"tk={key}") == 2
    assert "tile.openstreetmap.org" not in text


@pytest.mark.parametrize(
    ("basemap", "message"),
    [
        ({"provider": "tianditu"}, "key"),
        ({"provider": "tianditu", "key": "abc&x=1"}, "key"),
        ({"provider": "tianditu", "key": "abc", "kind": "terrain"}, "kind"),
        ("Stamen Toner", "unknown basemap"),
    ],
)
def test_webmap_rejects_bad_basemaps(tmp_path, parcels, zones, basemap, message):
    with pytest.raises(ValueError, match=message):
        _write_html(tmp_path, parcels, zones, basemap=basemap)


def test_webmap_reports_missing_columns(tmp_path, parcels, zones):
    with pytest.raises(LayerError, match="restoration_mod"):
        write_webmap(
            tmp_path / "map.html",
            parcels,
            zones,
            zone_column="zone",
            legend=LEGEND,
            popup_columns=["parcel_id", "restoration_mod"],
            title="t",
        )


_NODE_HARNESS = r"""
const html = require('fs').readFileSync(process.argv[1], 'utf8');
const any = new Proxy(function () {}, {get: () => any, apply: () => any, construct: () => any});
const layers = [];
const blocks = {};
const JSON_BLOCK = /<script type="application\/json" id="(\w+)">([\s\S]*?)<\/script>/g;
for (const m of html.matchAll(JSON_BLOCK)) {
    blocks[m[1]] = m[2];
}
global.document = new Proxy({}, {get: (t, p) => p !== 'getElementById' ? any
    : (id => ({textContent: blocks[id]}))});
global.L = new Proxy({}, {get: (t, p) => p !== 'geoJson' ? any : function (data, opts) {
    const obj = {out: [], handlers: [], lazy: false,
        addData(d) {
            for (const f of d.features) {
                const layer = {bindPopup(fn) { this.popup = fn; },
                               bindTooltip(fn) { this.tooltip = fn; }};
                opts.onEachFeature(f, layer);
                this.out.push({style: opts.style(f), layer: layer});
            }
        },
        once(event, fn) { this.lazy = true; this.handlers.push(fn); },
        addTo() { return obj; }};
    layers.push(obj);
    return obj;
}});
for (const m of html.matchAll(/<script>([\s\S]*?)<\/script>/g)) {
    if (!m[1].includes('Leaflet 1.')) { require('vm').runInThisContext(m[1]); }
}
const result = {};
for (const lang of ['zh', 'en']) {
    zoningLang = lang;
    result[lang] = layers.map(l => {
        l.handlers.splice(0).forEach(fn => fn());
        return {lazy: l.lazy, features: l.out.map(o => ({style: o.style,
            popup: o.layer.popup ? o.layer.popup() : null,
            tooltip: o.layer.tooltip ? o.layer.tooltip() : null}))};
    });
}
console.log(JSON.stringify(result));
"""


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_webmap_script_runs_and_builds_escaped_popups(tmp_path, parcels, zones):
    _write_html(
        tmp_path, parcels, zones, extra_layers={"Damage 损毁": (parcels, "damage", DAMAGE_LEGEND)},
        column_labels={"parcel_id": ("地块编号", "Parcel")},
    )
    result = subprocess.run(
        ["node", "-e", _NODE_HARNESS, str(tmp_path / "map.html")],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    out = json.loads(result.stdout)
    zones_out, parcels_out, damage_out = out["zh"]
    assert [layer["lazy"] for layer in out["zh"]] == [False, False, True]  # hidden: built on show
    zones_out, parcels_out, damage_out = (layer["features"] for layer in out["zh"])
    colors = {e.key: e.color for e in LEGEND}
    assert zones_out[0]["style"]["fillColor"] == colors["ecological_protection"]
    assert zones_out[0]["tooltip"] == "生态保护区"
    assert [p["style"]["fillColor"] for p in parcels_out] == [colors[z] for z in parcels["zone"]]
    popup = parcels_out[3]["popup"]
    assert '<th title="parcel_id">地块编号</th><td>P0003</td>' in popup
    assert "<td>&lt;b&gt;x&lt;/b&gt;</td>" in popup
    # no label: headed by the column name
    assert '<th title="landuse_name_zh">landuse_name_zh</th><td>水浇地</td>' in popup
    assert len(damage_out) == len(parcels)
    assert damage_out[2]["style"]["fillColor"] == "#d84315"
    zones_en, parcels_en, _ = (layer["features"] for layer in out["en"])
    assert zones_en[0]["tooltip"] == "Ecological protection"
    assert '<th title="parcel_id">Parcel</th><td>P0003</td>' in parcels_en[3]["popup"]


@pytest.mark.parametrize(
    "codes",
    [[], [0, 1, None, 2], [None, None], list(range(88)), [0, 88, None, 7743],
     [7744, 3, None, 88**3 - 1], [88**3, 1], [-1, 2]],
)
def test_codes_round_trip(codes):
    encoded = encode_codes(codes)
    assert decode_codes(encoded) == codes
    if all(c is None or 0 <= c < len(CODE_ALPHABET) for c in codes):
        assert isinstance(encoded, str) and len(encoded) == len(codes)
    text = json.dumps(encoded)
    assert not re.search(r"[<>\\]|\{[{%#]", text.replace('{"w"', "")), text


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_codes_decode_in_javascript():
    """``zoningCode`` (the browser's reader) agrees with :func:`decode_codes`."""
    cases = [[0, 1, None, 2, 87], [0, 88, None, 7743], [7744, None, 88**3 - 1], [500, None, 3]]
    script = DECODE_JS + (
        "const cases = " + json.dumps([encode_codes(c) for c in cases]) + ";\n"
        "console.log(JSON.stringify(cases.map((c, k) => "
        f"{json.dumps([len(c) for c in cases])}[k] === 0 ? [] : "
        f"Array.from({{length: {json.dumps([len(c) for c in cases])}[k]}}, "
        "(_, i) => zoningCode(c, i)))));"
    )
    out = subprocess.run(["node", "-e", script], capture_output=True, text=True, check=True,
                         timeout=60)
    assert json.loads(out.stdout) == cases


def test_tile_order_groups_features_into_tiles_that_cover_them():
    rng = np.random.default_rng(3)
    x, y = rng.uniform(117.0, 117.5, 1000), rng.uniform(34.0, 34.2, 1000)
    geoms = shapely.buffer(shapely.points(x, y), 0.001)
    assert tile_order(geoms, max_features=1000, tile_features=50) is None
    order, tiles = tile_order(geoms, max_features=999, tile_features=50)
    assert sorted(order.tolist()) == list(range(1000))
    assert [t[0] for t in tiles] == [0, *(t[1] for t in tiles[:-1])]
    assert tiles[-1][1] == 1000
    assert 10 <= len(tiles) <= 30
    bounds = shapely.bounds(geoms[order])
    for start, end, south, west, north, east in tiles:
        b = bounds[start:end]
        assert west <= b[:, 0].min() and south <= b[:, 1].min()
        assert east >= b[:, 2].max() and north >= b[:, 3].max()


def _tiled_grid(n_x: int, n_y: int, side: float) -> gpd.GeoDataFrame:
    cells = [(i, j) for j in range(n_y) for i in range(n_x)]
    keys = [e.key for e in LEGEND[:3]]
    return gpd.GeoDataFrame(
        {
            "parcel_id": [f"P{k:05d}" for k in range(len(cells))],
            "landuse_name_zh": ["旱地", "水浇地"] * (len(cells) // 2),
            "zone": [keys[i * 3 // n_x] for i, _ in cells],
            "restoration_mode": ["protect", "levelling", "slope"] * (len(cells) // 3),
            "mode_reason": [f"reason {k % 200}" for k in range(len(cells))],
            "damage": ["light", "severe", None] * (len(cells) // 3),
        },
        geometry=[box(X0 + i * side, Y0 + j * side, X0 + (i + 1) * side, Y0 + (j + 1) * side)
                  for i, j in cells],
        crs="EPSG:4548",
    )


def test_large_layers_are_stored_by_tile_with_rows_kept_together(tmp_path, monkeypatch):
    monkeypatch.setattr(webmap, "MAX_DRAWN_FEATURES", 20)
    monkeypatch.setattr(webmap, "TILE_FEATURES", 10)
    grid = _tiled_grid(12, 6, 100.0)
    grid_zones = grid[["zone", "geometry"]].dissolve("zone", as_index=False)
    text = _write_html(tmp_path, grid, grid_zones,
                       extra_layers={"Damage 损毁": (grid, "damage", DAMAGE_LEGEND)})
    zones_data, parcels_data = _embedded_layers(text).values()
    assert "tiles" not in zones_data
    tiles = parcels_data["tiles"]
    assert tiles[0][0] == 0 and tiles[-1][1] == len(grid) and len(tiles) >= 4
    # feature i: its geometry, zone, popup values and damage belong to one parcel
    centres = np.array([np.mean(decode_line(r[0], 6), axis=0)
                        for r in parcels_data["coordinates"]])
    middle = shapely.get_coordinates(grid.centroid.to_crs(4326))
    nearest = [int(np.argmin(np.hypot(*(middle - c).T))) for c in centres]
    assert sorted(nearest) == list(range(len(grid)))
    zone_of = [parcels_data["categories"][k] for k in decode_codes(parcels_data["keys"])]
    assert zone_of == list(grid["zone"].iloc[nearest])
    ids = parcels_data["popup"][POPUP_COLUMNS.index("parcel_id")]
    assert ids == list(grid["parcel_id"].iloc[nearest])
    shared = re.search(r'zoningUnpack\(\n\s*zoningData\("\w+_data"\), "damage",\s*(\{.*?\})\);',
                       text)
    damage = json.loads(shared.group(1))
    damage_of = [None if k is None else damage["categories"][k]
                 for k in decode_codes(damage["keys"])]
    assert damage_of == [v if isinstance(v, str) else None for v in grid["damage"].iloc[nearest]]
    assert '"maxDrawn":20' in text


_CHROMIUM = Path("/usr/bin/chromium")
_CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--proxy-server=127.0.0.1:9", "--host-resolver-rules=MAP * ~NOTFOUND"]
_DRAWN = """() => {
    const map = Object.values(window).find(v => v instanceof L.Map);
    const counts = Object.entries(window).filter(([k, v]) => v instanceof L.GeoJSON &&
            k.startsWith("categorical_geo_json_")).map(([k, v]) => {
        let n = 0;
        v.eachLayer(function leaf(l) { if (l.eachLayer) { l.eachLayer(leaf); } else { n++; } });
        return n;
    });
    return {zoom: map.getZoom(), counts: counts};
}"""
_ZOOM_IN = """() => {
    const map = Object.values(window).find(v => v instanceof L.Map);
    return new Promise(r => { map.once("moveend", () => r()); map.setZoom(map.getZoom() + 3); });
}"""


@pytest.mark.slow
def test_large_layers_draw_tiles_in_view_in_chromium(tmp_path, monkeypatch):
    """A layer of more than MAX_DRAWN_FEATURES features waits for a closer view (with a
    hint), then draws the tiles in view, with popups; the language switch reaches the hint."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("playwright is not installed")
    if not _CHROMIUM.exists():
        pytest.skip(f"{_CHROMIUM} is not installed")
    monkeypatch.setattr(webmap, "MAX_DRAWN_FEATURES", 600)
    monkeypatch.setattr(webmap, "TILE_FEATURES", 20)
    grid = _tiled_grid(40, 30, 100.0)
    grid_zones = grid[["zone", "geometry"]].dissolve("zone", as_index=False)
    _write_html(tmp_path, grid, grid_zones,
                extra_layers={"Damage 损毁": (grid, "damage", DAMAGE_LEGEND)},
                column_labels={"parcel_id": ("地块编号", "Parcel")})
    errors: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(_CHROMIUM), headless=True,
                                    args=_CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1000, "height": 700})
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto((tmp_path / "map.html").as_uri(), wait_until="load")
            start = page.evaluate(_DRAWN)
            assert start["counts"] == [3, 0, 0], start  # zones only; damage hidden
            hint = page.locator(".zoning-zoom-hint")
            assert hint.inner_text() == "放大后显示：地块"
            page.evaluate(_ZOOM_IN)
            closer = page.evaluate(_DRAWN)
            assert 0 < closer["counts"][1] <= 600, closer
            assert hint.count() == 0
            page.mouse.click(500, 350)
            assert "地块编号" in page.locator(".leaflet-popup-content").inner_text()
            page.locator(".leaflet-control-layers-overlays").get_by_text(
                "损毁", exact=True).click()
            assert page.evaluate(_DRAWN)["counts"][2] == closer["counts"][1]
            page.get_by_role("button", name="EN").click()
            page.evaluate("""z => new Promise(r => {
                const map = Object.values(window).find(v => v instanceof L.Map);
                map.once("moveend", () => r());
                map.setZoom(z);
            })""", start["zoom"])
            assert hint.inner_text() in ("Zoom in to show: Parcels, Damage",
                                         "Zoom in to show: Damage, Parcels")
        finally:
            browser.close()
    assert not errors, errors


# --- static map ----------------------------------------------------------------------------


def _rgb(hex_color: str) -> tuple[int, int, int]:
    return (int(hex_color[1:3], 16), int(hex_color[3:5], 16), int(hex_color[5:7], 16))


def _colours(png: Path) -> set[tuple[int, int, int]]:
    """Distinct RGB colours of a PNG."""
    rgb = np.round(mpimg.imread(png)[..., :3] * 255).astype(int).reshape(-1, 3)
    return {(int(r), int(g), int(b)) for r, g, b in np.unique(rgb, axis=0)}


def test_static_png_size_and_zone_colours(tmp_path, zones):
    dpi = 50
    path = write_static_map(
        tmp_path / "zones.png",
        zones,
        zone_column="zone",
        legend=LEGEND,
        title="示范矿区生态修复分区图",
        notice=NOTICE,
        dpi=dpi,
    )
    image = mpimg.imread(path)
    height, width = image.shape[:2]
    assert (width, height) == (round(DEFAULT_FIGSIZE[0] * dpi), round(DEFAULT_FIGSIZE[1] * dpi))
    pixels = _colours(path)
    for entry in LEGEND[:3]:
        assert _rgb(entry.color) in pixels, entry.key
    assert _rgb(LEGEND[3].color) not in pixels  # absent zone: not drawn, not in the legend


def test_static_pdf_and_suffix_check(tmp_path, zones):
    path = write_static_map(
        tmp_path / "zones.pdf", zones, zone_column="zone", legend=LEGEND, title="分区图", dpi=72
    )
    assert path.read_bytes().startswith(b"%PDF")
    with pytest.raises(ValueError, match=r"\.png or \.pdf"):
        write_static_map(
            tmp_path / "zones.jpg", zones, zone_column="zone", legend=LEGEND, title="分区图"
        )


def _glyph_warnings(caught: list[warnings.WarningMessage]) -> list[str]:
    return [str(w.message) for w in caught if "missing from font" in str(w.message)]


def _draw_text(text: str) -> None:
    fig = Figure(figsize=(4, 1), dpi=50)
    FigureCanvasAgg(fig)
    fig.text(0.05, 0.5, text, fontsize=12)
    fig.canvas.draw()


def test_cjk_font_is_the_mplfonts_noto_font_and_renders_chinese():
    path = mplfonts_font_path()
    assert path is not None and path.name == "NotoSansCJKsc-Regular.otf"
    assert path.parent.parent.name == "mplfonts"
    assert cjk_font_family() == "Noto Sans CJK SC"
    sample = "生态修复分区图例 北 矿山 湿地 — 合成数据，非真实地区"
    # the check itself works: without the CJK font matplotlib warns about missing glyphs
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with mpl.rc_context({"font.family": "DejaVu Sans"}):
            _draw_text(sample)
    assert _glyph_warnings(caught)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with mpl.rc_context(font_rc()):
            _draw_text(sample)
    assert not _glyph_warnings(caught)


def test_static_map_has_no_missing_glyphs(tmp_path, zones):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        write_static_map(
            tmp_path / "zones.png",
            zones,
            zone_column="zone",
            legend=LEGEND,
            title="示范矿区生态修复分区图",
            notice=NOTICE,
            dpi=40,
        )
    assert not _glyph_warnings(caught)


@pytest.mark.parametrize(
    ("extent_m", "expected_m"),
    [
        (10_000, 2_000),
        (8_000, 2_000),
        (7_999, 1_000),
        (25_000, 5_000),
        (40_000, 10_000),
        (3_900, 500),
        (1_000, 200),
        (300, 50),
    ],
)
def test_nice_scale_length(extent_m, expected_m):
    assert nice_scale_length(extent_m) == pytest.approx(expected_m)


def test_scale_bar_helpers_reject_bad_extent_and_split_segments():
    with pytest.raises(ValueError):
        nice_scale_length(0)
    with pytest.raises(ValueError):
        nice_scale_length(float("nan"))
    assert scale_bar_segments(2_000) == 4
    assert scale_bar_segments(5_000) == 5
    assert scale_bar_segments(100) == 4


def test_legend_entry_checks_colour():
    with pytest.raises(ValueError, match="RRGGBB"):
        LegendEntry("a", "甲", "A", "green")


def test_maps_show_empty_and_unlisted_zones_in_grey(tmp_path, parcels):
    odd = parcels.assign(zone=[None, "ecological_protection", "not_a_zone", "x", "x", "x"])
    odd_zones = odd[["zone", "geometry"]]
    text = write_webmap(
        tmp_path / "map.html",
        odd,
        odd_zones,
        zone_column="zone",
        legend=LEGEND,
        popup_columns=["parcel_id"],
        title="<script>alert(1)</script>",
    ).read_text(encoding="utf-8")
    assert "<script>alert(1)</script>" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "无数据" in text and "not_a_zone (not in legend)" in text
    png = write_static_map(
        tmp_path / "odd.png", odd_zones, zone_column="zone", legend=LEGEND, title="t", dpi=40
    )
    pixels = {
        tuple(p) for p in np.round(mpimg.imread(png)[..., :3] * 255).astype(int).reshape(-1, 3)
    }
    assert _rgb(NO_DATA_COLOR) in pixels
    assert _rgb(UNLISTED_COLOR) in pixels


def test_static_map_accepts_degrees(tmp_path, zones):
    path = write_static_map(
        tmp_path / "zones.png",
        zones.to_crs(4326),
        zone_column="zone",
        legend=LEGEND,
        title="经纬度输入",
        dpi=40,
    )
    pixels = {
        tuple(p) for p in np.round(mpimg.imread(path)[..., :3] * 255).astype(int).reshape(-1, 3)
    }
    assert _rgb(LEGEND[0].color) in pixels


@pytest.mark.slow
def test_webmap_size_for_7000_parcels(tmp_path):
    """7,000 tessellated parcels of 41 vertices, 3 extra layers: under 3 MB (1.7 MB measured;
    about 10 MB as plain GeoJSON)."""
    n_x, n_y, side = 100, 70, 110.0
    cells = [
        box(X0 + i * side, Y0 + j * side, X0 + (i + 1) * side, Y0 + (j + 1) * side)
        for j in range(n_y)
        for i in range(n_x)
    ]
    cells = list(shapely.segmentize(np.array(cells), 11.0))  # 41 vertices, shared edges
    keys = [e.key for e in LEGEND]
    n = len(cells)
    big = gpd.GeoDataFrame(
        {
            "parcel_id": [f"P{k:05d}" for k in range(n)],
            "landuse_name_zh": ["旱地", "水浇地", "采矿用地", "坑塘水面"] * (n // 4),
            "zone": [keys[(k // 7 + k // 700) % 3] for k in range(n)],
            "restoration_mode": ["levelling_reclamation", "wetland_lake"] * (n // 2),
            "mode_reason": [f"沉陷深度 {k % 300 / 100:.2f} m，潜水位埋深较浅" for k in range(n)],
            "damage": ["light", "severe"] * (n // 2),
        },
        geometry=cells,
        crs="EPSG:4548",
    )
    big_zones = big[["zone", "geometry"]].dissolve("zone", as_index=False)
    path = write_webmap(
        tmp_path / "map.html",
        big,
        big_zones,
        zone_column="zone",
        legend=LEGEND,
        popup_columns=POPUP_COLUMNS,
        title="t",
        notice=NOTICE,
        extra_layers={
            name: (big, "damage", DAMAGE_LEGEND) for name in ("Damage", "Damage 2", "Damage 3")
        },
    )
    size_mb = path.stat().st_size / 1e6
    assert size_mb < 3, size_mb


def test_project_basemap_reaches_the_map(tiny_project, tmp_path):
    import yaml

    from zoning.engine import prepare
    from zoning.errors import ValidationFailed
    from zoning.runner import run

    project = yaml.safe_load(tiny_project.read_text(encoding="utf-8"))
    project["basemap"] = {"provider": "tianditu"}
    tiny_project.write_text(yaml.safe_dump(project), encoding="utf-8")
    with pytest.raises(ValidationFailed, match="天地图"):
        prepare(tiny_project)
    project["basemap"] = {"provider": "openstreetmap"}
    tiny_project.write_text(yaml.safe_dump(project), encoding="utf-8")
    folder = run(tiny_project, tmp_path / "out", progress=False)
    assert "tile.openstreetmap.org" in (folder / "map.html").read_text(encoding="utf-8")


def _pdf_streams(data: bytes, key: bytes) -> list[bytes]:
    """The decoded streams a PDF's ``/<key> N 0 R`` entries point at."""
    streams = []
    for ref in re.findall(rb"/" + key + rb"\s+(\d+)\s+0\s+R", data):
        head = re.search(rb"\n" + ref + rb" 0 obj\s*<<(.*?)>>\s*stream\r?\n", data, re.S)
        assert head is not None
        length = int(re.search(rb"/Length\s+(\d+)", head.group(1)).group(1))
        raw = data[head.end():head.end() + length]
        streams.append(zlib.decompress(raw) if b"FlateDecode" in head.group(1) else raw)
    return streams


def _pdf_fonts(data: bytes) -> list[TTFont]:
    """The TrueType fonts embedded in a PDF (``/FontFile2`` streams)."""
    return [TTFont(io.BytesIO(raw)) for raw in _pdf_streams(data, b"FontFile2")]


def _to_unicode(data: bytes) -> set[str]:
    """Characters the PDF's ToUnicode maps give (what a viewer copies or searches)."""
    chars = set()
    for raw in _pdf_streams(data, b"ToUnicode"):
        for line in raw.splitlines():
            codes = [bytes.fromhex(c.decode()).decode("utf-16-be")
                     for c in re.findall(rb"<([0-9A-Fa-f]+)>", line)]
            if b"[" in line:  # bfrange with one target per code
                chars.update(codes[2:])
            elif len(codes) == 3:  # bfrange from a first target on
                first, last = ord(codes[0]), ord(codes[1])
                chars.update(chr(ord(codes[2]) + k) for k in range(last - first + 1))
            elif len(codes) == 2 and b"begincodespacerange" not in line:  # bfchar
                chars.add(codes[1])
    return chars


def test_static_pdf_embeds_a_truetype_chinese_font_with_searchable_text(tmp_path, zones):
    title = "示范矿区生态修复分区图"
    path = write_static_map(tmp_path / "zones.pdf", zones, zone_column="zone", legend=LEGEND,
                            title=title, notice=NOTICE, dpi=72)
    data = path.read_bytes()
    assert data.startswith(b"%PDF")
    # Type 42: a TrueType (glyf) subset of Noto Sans CJK SC, not Type 3 pictures of glyphs
    assert b"/Type3" not in data and b"/CIDFontType2" in data
    assert f"+{PDF_FONT_POSTSCRIPT}".encode() in data
    fonts = _pdf_fonts(data)
    assert fonts and all("glyf" in f and "CFF " not in f for f in fonts)
    assert all(f["maxp"].numGlyphs < 500 for f in fonts)  # a subset, not the 16 MB font
    # the title, the notice and the legend are text a viewer can search and copy
    chars = _to_unicode(data)
    for text in (title, "合成数据", "生态保护区", "图例"):
        assert set(text) <= chars, text
    # the font stays registered only while the PDF is written
    assert PDF_FONT_FAMILY not in {e.name for e in mpl.font_manager.fontManager.ttflist}


@pytest.mark.slow
def test_a_run_writes_the_printable_map_as_png_and_pdf(tiny_project, tmp_path):
    from zoning.runner import run

    out = run(tiny_project, tmp_path / "out", progress=False)
    assert (out / "zoning.png").read_bytes().startswith(b"\x89PNG")
    pdf = (out / "zoning.pdf").read_bytes()
    assert pdf.startswith(b"%PDF") and f"+{PDF_FONT_POSTSCRIPT}".encode() in pdf
    assert set("tiny test") - {" "} <= _to_unicode(pdf)  # the project's title, as text


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_qc_overlaps_and_gaps_are_outlined_with_popups(tmp_path, parcels, zones):
    from zoning.outputs.qcmap import LAYER_NAME, qc_map_layer

    overlaps = gpd.GeoDataFrame(
        {"parcel_a": ["P0000"], "parcel_b": ["P0001"], "overlap_ha": [0.123456],
         "kind": ["partial"], "significant": [True]},
        geometry=[box(X0 + 490, Y0, X0 + 510, Y0 + 500)], crs="EPSG:4548")
    gaps = gpd.GeoDataFrame(
        {"gap_id": [1, 2], "area_ha": [0.5, 0.02], "x": [0.0, 0.0], "y": [0.0, 0.0],
         "bordering": ["P0001, P0004", "P0002"], "significant": [True, False]},
        geometry=[box(X0, Y0, X0 + 50, Y0 + 100), box(X0 + 100, Y0, X0 + 120, Y0 + 10)],
        crs="EPSG:4548")
    outline = qc_map_layer({"qc_overlaps": overlaps, "qc_gaps": gaps})
    assert list(outline) == [LAYER_NAME]
    assert qc_map_layer({"qc_overlaps": overlaps.iloc[:0]}) == {}
    _write_html(tmp_path, parcels, zones, outline_layers=outline)
    result = subprocess.run(["node", "-e", _NODE_HARNESS, str(tmp_path / "map.html")],
                            capture_output=True, text=True, check=True, timeout=60)
    qc = json.loads(result.stdout)["en"][-1]
    assert qc["lazy"]
    assert [f["style"]["color"] for f in qc["features"]] == ["#d32f2f", "#fb8c00", "#fb8c00"]
    assert {f["style"]["fill"] for f in qc["features"]} == {False}
    assert qc["features"][0]["tooltip"] == "Overlap between parcels"
    popup = qc["features"][0]["popup"]
    assert '<th title="qc_parcels">Parcels</th><td>P0000 / P0001</td>' in popup
    assert '<th title="area_ha">Area (ha)</th><td>0.1235</td>' in popup
    assert "<td>gap 1: P0001, P0004</td>" in qc["features"][1]["popup"]
    assert '<th title="kind">Kind</th><td>partial</td>' in popup
