"""Page parts of the web map: inlined Leaflet, page scripts and styles, language switch, basemaps.

Leaflet's release files are vendored in ``zoning/outputs/vendor/leaflet`` (from the
official npm package ``leaflet``, BSD 2-Clause, with its LICENSE; the folder's README
names the version and each file's checksum) and read with :mod:`importlib.resources`.
The Leaflet version is read from the script's own banner, so the HTML comment always
names what is embedded, and the comment repeats Leaflet's licence.

Only what the engine's map uses is kept: the source-map reference is dropped (the map
file ships none) and so is the stylesheet rule pointing at the marker icon (the engine
draws nodes as discs, never markers). The layer-control icons are inlined as ``data:``
URIs, so nothing is fetched from beside the HTML either.
"""

from __future__ import annotations

import base64
import functools
import html
import re
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

import folium
from folium.template import Template

from zoning.outputs._encoding import DECODE_JS

VENDOR = "vendor/leaflet"
"""Folder of the vendored Leaflet files, inside the package ``zoning.outputs``."""
_HOME = "zoning.outputs"
_WHERE = f"{_HOME.replace('.', '/')}/{VENDOR}"
SOURCE = "the npm package leaflet"
"""Where the vendored files come from (their folder's README gives version and checksums)."""
LICENCE = "BSD-2-Clause"
"""Leaflet's licence (the vendored LICENSE file is its text)."""

_VERSION_RE = re.compile(r"Leaflet (\d+\.\d+\.\d+)")
_SOURCE_MAP_RE = re.compile(r"\n?//# sourceMappingURL=\S+\s*$")
_MARKER_RULE_RE = re.compile(r"\.leaflet-default-icon-path\s*\{[^}]*\}")
_IMAGE_URL_RE = re.compile(r"url\(images/([\w.-]+\.png)\)")

OPENSTREETMAP = "openstreetmap"
TIANDITU = "tianditu"
TIANDITU_URL = (
    "https://t{{s}}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
    "&LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={{z}}&TILEROW={{y}}"
    "&TILECOL={{x}}&tk={key}"
)
"""Tianditu (天地图) WMTS tiles in Web Mercator; ``{layer}`` is e.g. ``vec`` or ``cva``."""
TIANDITU_LAYERS = {
    "vector": ("vec", "cva", "矢量", "vector"),
    "image": ("img", "cia", "影像", "image"),
}
"""Tianditu map kinds: base layer, its annotation layer, and the kind's name in zh / en."""
_TIANDITU_KEY_RE = re.compile(r"^[0-9A-Za-z]+$")
_TIANDITU_ATTRIBUTION = "&copy; 天地图 Tianditu (国家地理信息公共服务平台)"
_TIANDITU_MAX_ZOOM = 18

Basemap = str | Mapping[str, str] | None
"""``None`` (no tiles), ``'OpenStreetMap'``, or ``{provider: tianditu, key: ..., kind: ...}``."""


@dataclass(frozen=True)
class LeafletAssets:
    """Leaflet's script and stylesheet, ready to inline, and its licence.

    Attributes
    ----------
    version
        Leaflet version, e.g. ``'1.9.4'``.
    licence
        Leaflet's LICENSE file: copyright notices, conditions and disclaimer.
    script
        ``leaflet.js`` without its source-map reference.
    stylesheet
        ``leaflet.css`` with the marker-icon rule dropped and its images inlined.
    """

    version: str
    licence: str
    script: str
    stylesheet: str

    def html(self) -> str:
        """``<style>`` and ``<script>`` after a comment giving version, source and licence text."""
        comment = (
            f"<!-- Leaflet {self.version} (https://leafletjs.com), {LICENCE} licence, "
            f"inlined from {SOURCE} {self.version}. Leaflet's licence:\n\n"
            + "\n".join(self.licence.strip().splitlines()) + "\n-->"
        )
        return (
            f"{comment}\n<style>\n{self.stylesheet}\n</style>\n"
            f"<script>\n{self.script}\n</script>\n"
        )


def _vendored(name: str) -> bytes:
    return resources.files(_HOME).joinpath(*f"{VENDOR}/{name}".split("/")).read_bytes()


def _inline_image(match: re.Match[str]) -> str:
    data = base64.b64encode(_vendored(f"images/{match.group(1)}")).decode("ascii")
    return f"url(data:image/png;base64,{data})"


@functools.cache
def leaflet_assets() -> LeafletAssets:
    """Read the vendored Leaflet files (once per process).

    Returns
    -------
    LeafletAssets
        The script and stylesheet to inline, and the licence.

    Raises
    ------
    RuntimeError
        If a vendored file is missing or not as expected.
    """
    try:
        licence = _vendored("LICENSE").decode("utf-8")
        script = _vendored("leaflet.js").decode("utf-8")
        stylesheet = _IMAGE_URL_RE.sub(_inline_image, _MARKER_RULE_RE.sub(
            "", _vendored("leaflet.css").decode("utf-8")))
    except FileNotFoundError as exc:
        raise RuntimeError(
            f"the web map needs Leaflet's files in {_WHERE}, which is part of the zoning "
            f"package; reinstall zoning (its README there says what belongs in it): {exc}"
        ) from exc
    found = _VERSION_RE.search(script[:500])
    if found is None:
        raise RuntimeError(f"{_WHERE}/leaflet.js has no 'Leaflet x.y.z' banner")
    if "</script" in script.lower():
        raise RuntimeError(f"{_WHERE}/leaflet.js cannot be inlined (contains '</script')")
    if "--" in licence or "Copyright" not in licence:
        raise RuntimeError(f"{_WHERE}/LICENSE is not Leaflet's licence, or contains '--', "
                           "which cannot stand in an HTML comment")
    return LeafletAssets(version=found.group(1), licence=licence,
                         script=_SOURCE_MAP_RE.sub("", script), stylesheet=stylesheet)


JINJA_OPENING_RE = re.compile(r"\{(?=[{%#])")
"""A "{" that would open a Jinja tag: folium renders each element's output again as a
template, so page text must contain none."""


def jinja_safe_html(text: str) -> str:
    """HTML with each "{" that would open a Jinja tag written as the entity ``&#123;``."""
    return JINJA_OPENING_RE.sub("&#123;", text)


JS_HELPERS = """
var zoningLang = "zh";
function zoningSetLanguage(lang) {
    zoningLang = lang;
    document.querySelectorAll(".zoning-i18n").forEach(function (el) {
        el.textContent = el.getAttribute("data-" + lang);
    });
    document.querySelectorAll(".zoning-lang button").forEach(function (b) {
        b.classList.toggle("zoning-lang-active", b.getAttribute("data-lang") === lang);
    });
    document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
}
function zoningCategoricalLayer(data, cfg, lazy) {
    function keyOf(feature) { return feature.properties[cfg.key]; }
    var options = {
        style: function (feature) {
            var k = keyOf(feature);
            var c = (k === null || k === undefined || !cfg.colors.hasOwnProperty(k))
                ? cfg.fallback : cfg.colors[k];
            var base = cfg.outline ? {color: c, fill: false} : {fillColor: c, fill: true};
            return Object.assign(base, cfg.style);
        },
        onEachFeature: function (feature, layer) {
            var k = keyOf(feature);
            if (cfg.popup) {
                layer.bindPopup(function () {
                    // the popup columns and this feature's row in them
                    var v = feature.properties[cfg.popup.property];
                    var rows = cfg.popup.fields[zoningLang].map(function (name, i) {
                        var x = v ? zoningCode(v.columns[i], v.row) : null;
                        if (typeof x === "number" && cfg.popup.values[i]) {
                            x = cfg.popup.values[i][x];
                        }
                        return '<tr><th title="' + cfg.popup.columns[i] + '">' + name +
                            "</th><td>" + (x || "") + "</td></tr>";
                    });
                    return '<table class="zoning-popup">' + rows.join("") + "</table>";
                }, {maxWidth: 460});
            }
            if (cfg.tooltips && cfg.tooltips.zh.hasOwnProperty(k)) {
                layer.bindTooltip(function () { return cfg.tooltips[zoningLang][k]; },
                                  {sticky: true});
            }
        }
    };
    var layer = L.geoJson(null, options);
    function load() {
        var src = data();
        if (src.tiles) {
            zoningTiles(layer, src, options, cfg);
        } else {
            layer.addData(src);
        }
    }
    if (lazy) {
        layer.once("add", load);
    } else {
        load();
    }
    return layer;
}
function zoningTiles(layer, src, options, cfg) {
    // a large layer: build and show only the tiles in view, once they are few enough
    var groups = [], shown = [];
    function update() {
        var map = layer._map;
        if (!map) { return; }
        var view = map.getBounds(), inView = [], n = 0;
        src.tiles.forEach(function (t, k) {
            if (view.intersects([[t[2], t[3]], [t[4], t[5]]])) {
                inView.push(k);
                n += t[1] - t[0];
            }
        });
        var want = n <= cfg.maxDrawn ? inView : [];
        zoningZoomHint(map, L.stamp(layer), cfg.names, n > cfg.maxDrawn);
        var keep = {};
        want.forEach(function (k) { keep[k] = true; });
        shown.forEach(function (k) { if (!keep[k]) { layer.removeLayer(groups[k]); } });
        want.forEach(function (k) {
            if (!groups[k]) {
                var t = src.tiles[k], features = [];
                for (var i = t[0]; i < t[1]; i++) { features.push(src.feature(i)); }
                groups[k] = L.geoJson(features, options);
            }
            if (!layer.hasLayer(groups[k])) { layer.addLayer(groups[k]); }
        });
        shown = want;
    }
    function added() { layer._map.on("moveend", update); update(); }
    layer.on("add", added);
    layer.on("remove", function () {
        layer._map.off("moveend", update);
        zoningZoomHint(layer._map, L.stamp(layer), cfg.names, false);
    });
    if (layer._map) { added(); }
}
var zoningHint = {control: null, names: {}};
function zoningZoomHint(map, id, names, on) {
    // "zoom in to show: ..." for the large layers waiting for a closer view
    var h = zoningHint;
    if (on) { h.names[id] = names; } else { delete h.names[id]; }
    var ids = Object.keys(h.names);
    if (!h.control) {
        h.control = L.control({position: "bottomright"});
        h.control.onAdd = function () { return L.DomUtil.create("div", "zoning-zoom-hint"); };
    }
    if (!ids.length) {
        if (h.control._map) { h.control.remove(); }
        return;
    }
    if (!h.control._map) { h.control.addTo(map); }
    function span(zh, en) {
        return '<span class="zoning-i18n" data-zh="' + zh + '" data-en="' + en + '"></span>';
    }
    var el = h.control.getContainer();
    el.innerHTML = span("放大后显示：", "Zoom in to show: ") + ids.map(function (i) {
        return span(h.names[i].zh, h.names[i].en);
    }).join(span("、", ", "));
    el.querySelectorAll(".zoning-i18n").forEach(function (e) {
        e.textContent = e.getAttribute("data-" + zoningLang);
    });
}
var zoningParsed = {};
function zoningData(id) {
    // a layer's data, parsed from its JSON block on first use
    if (!zoningParsed.hasOwnProperty(id)) {
        zoningParsed[id] = JSON.parse(document.getElementById(id).textContent);
    }
    return zoningParsed[id];
}
function zoningUnpack(packed, key, codes) {
    var own = codes === undefined;
    codes = own ? packed : codes;
    function feature(i, g) {
        var p = {}, code = zoningCode(codes.keys, i);
        p[key] = code === null ? null : codes.categories[code];
        if (own && packed.popup) { p.popup = {columns: packed.popup, row: i}; }
        return {type: "Feature", properties: p, geometry: g};
    }
    if (packed.tiles) {
        // decoded when its tile is first shown
        return {tiles: packed.tiles, feature: function (i) {
            return feature(i, zoningDecodeGeometry(
                packed.type, packed.coordinates[i], packed.scale));
        }};
    }
    if (!packed.geometries) {
        packed.geometries = packed.coordinates.map(function (c) {
            return zoningDecodeGeometry(packed.type, c, packed.scale);
        });
    }
    return {
        type: "FeatureCollection",
        features: packed.geometries.map(function (g, i) { return feature(i, g); })
    };
}
""" + DECODE_JS
"""Browser functions of the categorical layers and the language switch."""

PANEL_CSS = """
<style>
.leaflet-container { background: #f4f4f2; }
.zoning-title {
    position: absolute; top: 10px; left: 50%; transform: translateX(-50%);
    z-index: 1000; background: rgba(255, 255, 255, 0.92); padding: 6px 14px;
    border-radius: 4px; box-shadow: 0 1px 4px rgba(0, 0, 0, 0.35);
    font: 16px/1.35 "Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei",
          "PingFang SC", sans-serif;
    text-align: center; max-width: 60%;
}
.zoning-title .zoning-title-text { font-weight: bold; }
.zoning-notice {
    margin-top: 4px; padding: 3px 8px; border: 2px solid #c62828; border-radius: 3px;
    background: #fff3cd; color: #b71c1c; font-weight: bold; font-size: 14px;
}
.zoning-legend {
    position: absolute; bottom: 44px; left: 10px; z-index: 1000;
    background: rgba(255, 255, 255, 0.94); padding: 6px 10px; border-radius: 4px;
    box-shadow: 0 1px 4px rgba(0, 0, 0, 0.35); max-height: 60%; overflow-y: auto;
    font: 12px/1.4 "Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei",
          "PingFang SC", sans-serif;
}
.zoning-legend summary { font-weight: bold; cursor: pointer; margin: 2px 0; }
.zoning-legend .zoning-legend-row { display: flex; align-items: center; margin: 2px 0; }
.zoning-legend .zoning-swatch {
    display: inline-block; width: 16px; height: 12px; margin-right: 6px;
    border: 1px solid #555; flex: none;
}
.zoning-lang button {
    display: block; width: 34px; height: 26px; border: none; background: #fff;
    font: 12px/26px sans-serif; cursor: pointer; padding: 0;
}
.zoning-lang button + button { border-top: 1px solid #ccc; }
.zoning-lang button.zoning-lang-active { background: #1b5e20; color: #fff; font-weight: bold; }
table.zoning-popup { border-collapse: collapse; font-size: 12px; }
table.zoning-popup th {
    text-align: left; color: #555; font-weight: normal; padding: 1px 8px 1px 0;
    vertical-align: top; white-space: nowrap;
}
table.zoning-popup td { padding: 1px 0; vertical-align: top; }
.zoning-zoom-hint {
    background: rgba(255, 255, 255, 0.92); padding: 3px 8px; border-radius: 4px;
    box-shadow: 0 1px 4px rgba(0, 0, 0, 0.35); font: 12px/1.4 "Noto Sans CJK SC",
    "Source Han Sans SC", "Microsoft YaHei", "PingFang SC", sans-serif;
}
</style>
"""
"""Styles of the title, notice, legend, language control and popups."""


def i18n_span(zh: str, en: str) -> str:
    """HTML text shown in Chinese, switched to English by the page's language control."""
    return jinja_safe_html(
        f'<span class="zoning-i18n" data-zh="{html.escape(zh, quote=True)}" '
        f'data-en="{html.escape(en, quote=True)}">{html.escape(zh)}</span>'
    )


class OfflineMap(folium.Map):
    """A folium map that links no script or stylesheet: Leaflet is inlined instead.

    folium links Leaflet, jQuery, Bootstrap and Font Awesome from CDNs; the web map uses
    Leaflet alone, inlined by :class:`InlineLeaflet`.
    """

    default_js: list[tuple[str, str]] = []  # noqa: RUF012 (folium's class attribute)
    default_css: list[tuple[str, str]] = []  # noqa: RUF012


class InlineLeaflet(folium.Element):
    """Leaflet's stylesheet and script, inlined in the page header (never read as Jinja)."""

    def __init__(self) -> None:
        super().__init__("{{ this.assets }}")
        self.assets = leaflet_assets().html()


_LANGUAGE_JS = """
L.Control.ZoningLanguage = L.Control.extend({
    onAdd: function () {
        var div = L.DomUtil.create("div", "zoning-lang leaflet-bar");
        [["zh", "中文"], ["en", "EN"]].forEach(function (pair) {
            var b = L.DomUtil.create("button", "", div);
            b.type = "button";
            b.textContent = pair[1];
            b.setAttribute("data-lang", pair[0]);
            b.title = pair[0] === "zh" ? "中文标注" : "English labels";
            L.DomEvent.on(b, "click", function (e) {
                L.DomEvent.stop(e);
                this._map.closePopup();
                zoningSetLanguage(pair[0]);
            }, this);
        }, this);
        L.DomEvent.disableClickPropagation(div);
        return div;
    }
});
"""


class LanguageControl(folium.MacroElement):
    """Buttons switching legend, layer names, tooltips and popup headings between zh and en.

    Needs ``zoningSetLanguage`` from the web map's helper script.
    """

    _template = Template(
        "{% macro script(this, kwargs) %}"
        + _LANGUAGE_JS
        + """
        new L.Control.ZoningLanguage({position: "topleft"}).addTo({{ this._parent.get_name() }});
        zoningSetLanguage("zh");
        {% endmacro %}"""
    )

    def __init__(self) -> None:
        super().__init__()
        self._name = "ZoningLanguage"


def tile_layers(basemap: Basemap) -> list[folium.TileLayer]:
    """Tile layers of a basemap option: none for None.

    Parameters
    ----------
    basemap
        None, ``'OpenStreetMap'``, or a mapping with ``provider`` (``openstreetmap`` or
        ``tianditu``), and for Tianditu ``key`` and optionally ``kind`` (``vector``,
        the default, or ``image``).

    Returns
    -------
    list of folium.TileLayer
        The base layer, and for Tianditu its annotation layer.

    Raises
    ------
    ValueError
        For an unknown provider or kind, or a missing or malformed Tianditu key.
    """
    if basemap is None:
        return []
    spec = {"provider": basemap} if isinstance(basemap, str) else dict(basemap)
    provider = str(spec.get("provider", "")).lower()
    if provider == OPENSTREETMAP:
        return [folium.TileLayer("OpenStreetMap", name=i18n_span("开放街道地图", "OpenStreetMap"))]
    if provider != TIANDITU:
        raise ValueError(
            f"unknown basemap {basemap!r}: use None (offline), 'OpenStreetMap' or "
            "{provider: tianditu, key: ...}"
        )
    key = str(spec.get("key", ""))
    kind = str(spec.get("kind", "vector")).lower()
    if not _TIANDITU_KEY_RE.match(key):
        raise ValueError(
            "basemap tianditu needs the user's key (letters and digits): "
            "{provider: tianditu, key: ...}"
        )
    if kind not in TIANDITU_LAYERS:
        raise ValueError(
            f"basemap tianditu: kind must be one of {sorted(TIANDITU_LAYERS)}, got {kind!r}"
        )
    base, notes, zh, en = TIANDITU_LAYERS[kind]
    options: dict[str, Any] = {"attr": _TIANDITU_ATTRIBUTION, "subdomains": "01234567",
               "max_zoom": _TIANDITU_MAX_ZOOM}
    return [
        folium.TileLayer(TIANDITU_URL.format(layer=base, key=key),
                         name=i18n_span(f"天地图{zh}", f"Tianditu {en}"), **options),
        folium.TileLayer(TIANDITU_URL.format(layer=notes, key=key), overlay=True,
                         name=i18n_span(f"天地图{zh}注记", f"Tianditu {en} labels"), **options),
    ]
