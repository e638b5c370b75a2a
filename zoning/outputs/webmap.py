"""Interactive web map of a zoning plan: one HTML file that needs no network, Leaflet via folium.

The map shows the dissolved zones, the parcels with a popup per parcel, optional extra
categorical layers, a layer control, a legend, the title, an optional notice (for
example that the data are synthetic) and a 中文 / EN switch for the legend, layer
names, tooltips and popup headings. It renders columns only.

Offline: Leaflet's script and stylesheet are inlined from the vendored copy (see
:mod:`zoning.outputs._assets`); nothing is linked. No basemap by default; OpenStreetMap
or Tianditu (天地图, with the user's key) tiles are optional and need the network.

Size: geometries are reprojected to EPSG:4326, coordinates rounded to
:data:`COORDINATE_DECIMALS` decimals (about 0.1 m), vertices that move an outline by
less than that dropped, and each ring stored as an encoded-polyline string
(:mod:`zoning.outputs._encoding`); category values are indexes into the distinct values,
one or two characters per feature in one string per layer. Parcel popups are stored
column by column, pre-escaped (values that repeat, such as reasons, are stored once and
referenced by a character code), and become a table in the browser when a parcel is
clicked. Extra layers with the parcels' own rows and geometries reuse the parcel
geometry, and hidden layers are built in the browser only when first shown.

Load time: a layer of more than :data:`MAX_DRAWN_FEATURES` features is stored in tiles
of about :data:`TILE_FEATURES` nearby features (see :func:`tile_order`). Its features
are decoded and built only for the tiles in view, and only once these hold at most
:data:`MAX_DRAWN_FEATURES` features; until then a note asks to zoom in (放大后显示). The
zones and the smaller layers draw at once. Layer data sit in JSON blocks, parsed when
a layer is first built, so hidden layers cost little at load.

Measured with ``benchmarks/bench_webmap.py`` (headless Chromium, median of runs; before
these measures in brackets): the demo's 7,524 parcels with 21 layers give 1.2 MB
(1.5 MB) and draw whole in 0.9 s (1.0 s); 108,591 synthetic parcels give 13.9 MB
(18.3 MB) and open with the zones drawn in 0.9 s (4.6 s); their parcels appear three
zoom levels in (about 8,500 built in 0.6 s), each tile built once when first seen.
"""

from __future__ import annotations

import html
import json
import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import Figure
from folium.template import Template

from zoning.errors import LayerError, did_you_mean
from zoning.outputs._assets import (
    JINJA_OPENING_RE,
    JS_HELPERS,
    PANEL_CSS,
    Basemap,
    InlineLeaflet,
    LanguageControl,
    OfflineMap,
    i18n_span,
    jinja_safe_html,
    tile_layers,
)
from zoning.outputs._encoding import encode_codes, encode_geometries
from zoning.outputs._legend import (
    NO_DATA_COLOR,
    NO_DATA_ENTRY,
    LegendEntry,
    category_key,
    resolve_legend,
)

logger = logging.getLogger(__name__)

__all__ = ["COORDINATE_DECIMALS", "MAX_DRAWN_FEATURES", "LegendEntry", "geojson_text",
           "tile_order", "write_webmap"]

COORDINATE_DECIMALS = 6
"""Decimals kept in longitude and latitude (1e-6 degree is about 0.1 m)."""

ZONES_LAYER = "Zones 分区"
PARCELS_LAYER = "Parcels 地块"
POPUP_PROPERTY = "popup"
"""Parcel property holding the pre-escaped popup values, in ``popup_columns`` order."""

_ZONES_STYLE = {"color": "#333333", "weight": 0.8, "opacity": 0.9, "fillOpacity": 0.6}
_PARCELS_STYLE = {"color": "#555555", "weight": 0.4, "opacity": 0.8, "fillOpacity": 0.15}
_EXTRA_STYLE = {"color": "#444444", "weight": 0.4, "opacity": 0.8, "fillOpacity": 0.55}
_OUTLINE_STYLE = {"weight": 2.0, "opacity": 0.95}
"""Outline layers: the category colours the line, nothing is filled."""
_CJK_RE = re.compile("[\u3400-\u9fff\uf900-\ufaff]")
MAX_DRAWN_FEATURES = 20_000
"""A layer with more features is cut into tiles, and draws only the tiles in view when
they hold at most this many features (else it waits for the user to zoom in)."""
TILE_FEATURES = 400
"""Features per tile (about) of such a layer."""
SIZE_WARNING_MB = 15.0
"""Above this size of the HTML a warning is logged."""


# --------------------------------------------------------------------------------------
# GeoJSON
# --------------------------------------------------------------------------------------


def _require_columns(gdf: gpd.GeoDataFrame, columns: Sequence[str], what: str) -> None:
    missing = [c for c in columns if c not in gdf.columns]
    if missing:
        hints = "".join(did_you_mean(c, map(str, gdf.columns)) for c in missing)
        raise LayerError(f"{what}: missing column(s) {', '.join(map(repr, missing))}{hints}")


def _visible_mask(gdf: gpd.GeoDataFrame) -> np.ndarray:
    """Rows with a non-empty geometry."""
    geoms = gdf.geometry.to_numpy()
    return np.asarray(~shapely.is_missing(geoms) & ~shapely.is_empty(geoms), dtype=bool)


def _to_wgs84(gdf: gpd.GeoDataFrame, what: str, simplify_m: float = 0.0) -> gpd.GeoDataFrame:
    """Drop empty geometries, optionally simplify, reproject to EPSG:4326, round and thin.

    Thinning keeps the vertices that move the outline by more than the display
    precision (:data:`COORDINATE_DECIMALS`).
    """
    if gdf.crs is None:
        raise LayerError(f"{what}: the layer has no CRS; cannot place it on the web map")
    keep = _visible_mask(gdf)
    if not keep.all():
        logger.warning("%s: %d empty geometries left out of the web map", what, int((~keep).sum()))
    out = gdf.loc[keep]
    if simplify_m > 0:
        if out.crs.is_projected:
            out = out.set_geometry(out.geometry.simplify(simplify_m, preserve_topology=True))
        else:
            logger.warning("%s: not simplified, the CRS is not projected", what)
    out = out.to_crs(4326)
    rounded = shapely.transform(
        shapely.force_2d(out.geometry.to_numpy()),
        lambda xy: np.round(xy, COORDINATE_DECIMALS),
    )
    # drop the vertices that are within the display precision of the line through their
    # neighbours (repeated points, points on a straight edge): shared edges may then
    # differ by at most 10**-COORDINATE_DECIMALS degree (0.1 m), far below a pixel
    rounded = shapely.simplify(rounded, 10.0**-COORDINATE_DECIMALS, preserve_topology=True)
    return out.set_geometry(gpd.GeoSeries(rounded, index=out.index, crs=4326))


def _same_geometry(a: gpd.GeoDataFrame, b: gpd.GeoDataFrame) -> bool:
    """Tell whether ``a`` and ``b`` have the same rows with exactly the same geometries."""
    if len(a) != len(b) or a.crs != b.crs or not a.index.equals(b.index):
        return False
    ga, gb = a.geometry.to_numpy(), b.geometry.to_numpy()
    if ga is gb:
        return True
    missing_a, missing_b = shapely.is_missing(ga), shapely.is_missing(gb)
    if not np.array_equal(missing_a, missing_b):
        return False
    both = ~missing_a
    return bool(np.all(shapely.equals_exact(ga[both], gb[both], tolerance=0.0)))


def _category_codes(keys: Sequence[str | None]) -> dict[str, Any]:
    """Category keys as indexes into the list of distinct keys (None stays None).

    The indexes are one string of a character each (see
    :func:`zoning.outputs._encoding.encode_codes`) unless there are too many categories.
    """
    categories = list(dict.fromkeys(k for k in keys if k is not None))
    index = {k: i for i, k in enumerate(categories)}
    return {"categories": categories,
            "keys": encode_codes([None if k is None else index[k] for k in keys])}


def tile_order(
    geometries: np.ndarray, max_features: int, tile_features: int
) -> tuple[np.ndarray, list[list[float]]] | None:
    """Group the features of a large layer into tiles for drawing only what is in view.

    Features are binned by the centre of their bounds on a regular grid of about
    ``tile_features`` features per cell. Returns the feature order (tiles are then runs
    of consecutive features) and per tile ``[start, end, south, west, north, east]``
    (features ``start`` to ``end - 1``, and the bounds of their geometries), or None if
    the layer has at most ``max_features`` features (it is then drawn whole).

    Examples
    --------
    >>> cells = [shapely.box(x, 0, x + 1, 1) for x in (3, 0, 2, 1)]
    >>> order, tiles = tile_order(np.array(cells), max_features=2, tile_features=2)
    >>> order.tolist(), tiles
    ([1, 3, 0, 2], [[0, 2, 0.0, 0.0, 1.0, 2.0], [2, 4, 0.0, 2.0, 1.0, 4.0]])

    """
    n = len(geometries)
    if n <= max_features:
        return None
    bounds = shapely.bounds(geometries)
    cx = (bounds[:, 0] + bounds[:, 2]) / 2
    cy = (bounds[:, 1] + bounds[:, 3]) / 2
    width = max(float(cx.max() - cx.min()), 1e-12)
    height = max(float(cy.max() - cy.min()), 1e-12)
    cells = max(1, n // tile_features)
    nx = int(np.clip(round(np.sqrt(cells * width / height)), 1, cells))
    ny = max(1, round(cells / nx))
    ix = np.minimum(((cx - cx.min()) / width * nx).astype(np.int64), nx - 1)
    iy = np.minimum(((cy - cy.min()) / height * ny).astype(np.int64), ny - 1)
    cell = iy * nx + ix
    order = np.argsort(cell, kind="stable")
    ordered = cell[order]
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    ends = np.r_[starts[1:], n]
    b = bounds[order]
    west, south = np.minimum.reduceat(b[:, 0], starts), np.minimum.reduceat(b[:, 1], starts)
    east, north = np.maximum.reduceat(b[:, 2], starts), np.maximum.reduceat(b[:, 3], starts)
    scale = 10.0**COORDINATE_DECIMALS  # bounds rounded outwards

    def down(v: np.ndarray) -> list[float]:
        return [round(float(x), COORDINATE_DECIMALS) for x in np.floor(v * scale) / scale]

    def up(v: np.ndarray) -> list[float]:
        return [round(float(x), COORDINATE_DECIMALS) for x in np.ceil(v * scale) / scale]

    tiles = [
        [int(a), int(z), s_, w, n_, e]
        for a, z, s_, w, n_, e in zip(starts, ends, down(south), down(west), up(north), up(east),
                                      strict=True)
    ]
    return order, tiles


def _reordered(column: Any, order: np.ndarray) -> Any:
    """A popup column (a code string or a list) in the order ``order``."""
    def chars(text: str, width: int) -> str:
        table = np.frombuffer(text.encode("ascii"), dtype=np.uint8).reshape(-1, width)
        return table[order].tobytes().decode("ascii")

    if isinstance(column, str):
        return chars(column, 1)
    if isinstance(column, dict):
        return {"w": column["w"], "s": chars(column["s"], column["w"])}
    return [column[i] for i in order]


def _packed_layer(
    wgs: gpd.GeoDataFrame, keys: Sequence[str | None], popups: Sequence[Any] | None = None
) -> tuple[dict[str, Any], np.ndarray | None]:
    """A layer's features as the browser's ``zoningUnpack`` reads them, and their order.

    A layer of more than :data:`MAX_DRAWN_FEATURES` features is stored tile by tile (see
    :func:`tile_order`); the order (None if unchanged) maps stored features to rows.
    """
    geoms = wgs.geometry.to_numpy()
    tiled = tile_order(geoms, MAX_DRAWN_FEATURES, TILE_FEATURES)
    order = None
    if tiled is not None:
        order, tiles = tiled
        geoms = geoms[order]
        keys = [keys[i] for i in order]
        popups = None if popups is None else [_reordered(c, order) for c in popups]
    kind, coordinates = encode_geometries(geoms, COORDINATE_DECIMALS)
    packed = {"type": kind, "scale": 10**COORDINATE_DECIMALS, "coordinates": coordinates,
              **_category_codes(keys)}
    if popups is not None:
        packed[POPUP_PROPERTY] = list(popups)
    if tiled is not None:
        packed["tiles"] = tiles
    return packed, order


def _script_json(obj: object) -> str:
    """Serialise ``obj`` compactly as JSON that is safe inside an HTML ``<script>``."""
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    # folium renders each element's output again as a Jinja template: no "{{", "{%" or "{#"
    # (in JSON such a "{" can only be inside a string, where \u007b means the same)
    text = JINJA_OPENING_RE.sub(lambda _: "\\u007b", text)
    return (
        text.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def geojson_text(obj: Mapping[str, Any]) -> str:
    r"""Return compact GeoJSON/JSON text as embedded in the web map.

    No spaces, UTF-8 text kept as is (not ``\\uXXXX``), and ``<``/``>`` escaped so that
    the text cannot close the surrounding ``<script>`` element.

    Examples
    --------
    >>> geojson_text({"type": "Point", "coordinates": [117.4, 34.4]})
    '{"type":"Point","coordinates":[117.4,34.4]}'
    >>> geojson_text({"name": "</script>"})
    '{"name":"\\u003c/script\\u003e"}'

    """
    return _script_json(obj)


def _display_value(value: object) -> str:
    """Format a popup value as HTML-escaped text."""
    if category_key(value) is None:
        return ""
    if isinstance(value, bool | np.bool_):
        text = "是 yes" if value else "否 no"
    elif isinstance(value, float | np.floating):
        text = f"{float(value):.6g}"
    else:
        text = str(value)
    return html.escape(text, quote=True)


def _latlon_bounds(gdf: gpd.GeoDataFrame) -> list[list[float]] | None:
    """Return ``[[south, west], [north, east]]`` of a EPSG:4326 layer, or None if empty."""
    if gdf.empty:
        return None
    west, south, east, north = (float(v) for v in gdf.total_bounds)
    return [[south, west], [north, east]]


def _keys(gdf: gpd.GeoDataFrame, column: str) -> list[str | None]:
    return [category_key(v) for v in gdf[column].tolist()]


def bilingual_name(name: str) -> tuple[str, str]:
    """Split a layer name written ``'English 中文'`` into its Chinese and English parts.

    The Chinese part starts at the first CJK character. A name without one, or with
    nothing before it, is used as it is in both languages.

    Examples
    --------
    >>> bilingual_name("Restoration modes 修复模式")
    ('修复模式', 'Restoration modes')
    >>> bilingual_name("分区 Zones")
    ('分区 Zones', '分区 Zones')

    """
    found = _CJK_RE.search(name)
    english = name[: found.start()].strip() if found else ""
    if found is None or not english:
        return name, name
    return name[found.start() :].strip(), english


# --------------------------------------------------------------------------------------
# folium elements
# --------------------------------------------------------------------------------------




class _Helpers(folium.MacroElement):
    """Shared JavaScript used by the categorical layers (added once, before them)."""

    _template = Template("{% macro script(this, kwargs) %}" + JS_HELPERS + "{% endmacro %}")

    def __init__(self) -> None:
        super().__init__()
        self._name = "ZoningHelpers"


class _CategoricalGeoJson(folium.map.Layer):
    """A GeoJSON overlay coloured by a category property, with optional popup and tooltip.

    The data are embedded as compact JSON in a ``<script type="application/json">``
    element with the id ``<name>_data``, which the browser parses (``JSON.parse``, much
    faster than a script) only when the layer is first built: encoded-polyline geometry
    (see :mod:`zoning.outputs._encoding`), category keys as indexes into the distinct keys,
    and popup rows. A layer whose features have the same geometry as an earlier layer
    embeds only its category values and borrows the decoded geometry of that layer in
    the browser. Style, popup and tooltip functions are shared
    JavaScript, so the per-feature cost is only the data.
    """

    _template = Template(
        """
        {% macro html(this, kwargs) %}
        {%- if not this.shared_with -%}
        <script type="application/json" id="{{ this.get_name() }}_data">
        {{- this.data_json -}}
        </script>
        {%- endif %}
        {% endmacro %}
        {% macro script(this, kwargs) %}
        {%- if this.shared_with %}
        var {{ this.get_name() }} = zoningCategoricalLayer(function () {
            return zoningUnpack(
                zoningData("{{ this.shared_with }}_data"), {{ this.key_json }},
                {{ this.keys_json }});
        }, {{ this.config_json }}, {{ this.lazy_json }});
        {%- else %}
        var {{ this.get_name() }} = zoningCategoricalLayer(function () {
            return zoningUnpack(zoningData("{{ this.get_name() }}_data"), {{ this.key_json }});
        }, {{ this.config_json }}, {{ this.lazy_json }});
        {%- endif %}
        {% endmacro %}
        """
    )

    def __init__(
        self,
        name: str,
        *,
        key: str,
        legend: Sequence[LegendEntry],
        style: Mapping[str, Any],
        data: Mapping[str, Any] | None = None,
        shared_with: _CategoricalGeoJson | None = None,
        keys: Sequence[str | None] = (),
        popup: Mapping[str, Any] | None = None,
        tooltips: bool = True,
        show: bool = True,
        bounds: list[list[float]] | None = None,
        outline: bool = False,
    ) -> None:
        # Leaflet's layer control inserts names as HTML
        super().__init__(name=i18n_span(*bilingual_name(name)), overlay=True, control=True,
                         show=show)
        self._name = "CategoricalGeoJson"
        if (data is None) == (shared_with is None):
            raise ValueError("give either data or shared_with")
        self.data_json = _script_json(data) if data is not None else ""
        self.shared_with = shared_with.get_name() if shared_with is not None else ""
        self.keys_json = _script_json(_category_codes(keys))
        self.key_json = _script_json(key)
        self.lazy_json = _script_json(not show)
        zh_name, en_name = bilingual_name(name)
        config = {
            "key": key,
            "names": {"zh": html.escape(zh_name, quote=True),
                      "en": html.escape(en_name, quote=True)},
            "maxDrawn": MAX_DRAWN_FEATURES,
            "colors": {e.key: e.color for e in legend},
            "fallback": NO_DATA_COLOR,
            "style": dict(style),
            "outline": outline,
            "popup": dict(popup) if popup else None,
            "tooltips": (
                {
                    "zh": {e.key: html.escape(e.label_zh, quote=True) for e in legend},
                    "en": {e.key: html.escape(e.label_en or e.label_zh, quote=True)
                           for e in legend},
                }
                if tooltips
                else None
            ),
        }
        self.config_json = _script_json(config)
        self.bounds = bounds

    def _get_self_bounds(self) -> list[list[float | None]]:
        if self.bounds is None:
            return [[None, None], [None, None]]
        return [[v for v in corner] for corner in self.bounds]




class _HtmlPanel(folium.MacroElement):
    """Fixed HTML (title box or legend) placed over the map."""

    _template = Template(
        """
        {% macro header(this, kwargs) %}{{ this.css }}{% endmacro %}
        {% macro html(this, kwargs) %}{{ this.markup }}{% endmacro %}
        """
    )

    def __init__(self, markup: str, css: str = "") -> None:
        super().__init__()
        self._name = "HtmlPanel"
        self.markup = jinja_safe_html(markup)
        self.css = css


def _title_html(title: str, notice: str | None) -> str:
    parts = [
        '<div class="zoning-title">',
        f'<div class="zoning-title-text">{html.escape(title)}</div>',
    ]
    if notice:
        parts.append(f'<div class="zoning-notice">{html.escape(notice)}</div>')
    parts.append("</div>")
    return "".join(parts)


def _legend_html(sections: Sequence[tuple[str, Sequence[LegendEntry], bool]]) -> str:
    parts = ['<div class="zoning-legend">']
    for name, entries, is_open in sections:
        opened = " open" if is_open else ""
        parts.append(f"<details{opened}><summary>{i18n_span(*bilingual_name(name))}</summary>")
        for e in entries:
            parts.append(
                '<div class="zoning-legend-row">'
                f'<span class="zoning-swatch" style="background:{e.color}"></span>'
                f"{i18n_span(e.label_zh, e.label_en or e.label_zh)}</div>"
            )
        parts.append("</details>")
    parts.append("</div>")
    return "".join(parts)


# --------------------------------------------------------------------------------------
# public API
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OutlineLayer:
    """An optional web-map layer drawn as outlines coloured by category, with a popup.

    Attributes
    ----------
    frame
        The features, in any CRS with a definition.
    column
        Their category (the key of ``legend``): it colours the outline.
    legend
        The categories.
    popup_columns
        Columns shown, in this order, in a feature's popup.
    labels
        Popup column headings, ``column -> (Chinese, English)``; other columns are headed
        by their name.
    """

    frame: gpd.GeoDataFrame
    column: str
    legend: Sequence[LegendEntry]
    popup_columns: Sequence[str] = ()
    labels: Mapping[str, tuple[str, str]] = field(default_factory=dict)


def _categorical_layer(
    name: str,
    gdf: gpd.GeoDataFrame,
    column: str,
    legend: Sequence[LegendEntry],
    *,
    style: Mapping[str, Any],
    show: bool,
    simplify_m: float,
    outline: OutlineLayer | None = None,
) -> tuple[_CategoricalGeoJson, list[LegendEntry]]:
    popup_columns = list(outline.popup_columns) if outline is not None else []
    _require_columns(gdf, [column, *popup_columns], f"layer {name!r}")
    wgs = _to_wgs84(gdf, f"layer {name!r}", simplify_m)
    keys = _keys(wgs, column)
    entries, has_empty = resolve_legend(keys, legend, what=f"layer {name!r}")
    popup, popups = (_popup_encoding(wgs, popup_columns, outline.labels)
                     if outline is not None and popup_columns else (None, None))
    data, _ = _packed_layer(wgs, keys, popups)
    layer = _CategoricalGeoJson(
        name,
        key=column,
        legend=entries,
        style=style,
        data=data,
        popup=popup,
        show=show,
        bounds=_latlon_bounds(wgs),
        outline=outline is not None,
    )
    return layer, entries + ([NO_DATA_ENTRY] if has_empty else [])


def _popup_encoding(
    frame: pd.DataFrame, columns: Sequence[str], labels: Mapping[str, tuple[str, str]]
) -> tuple[dict[str, Any], list[Any]]:
    """Encode popup values column by column: repeated values stored once per column.

    Returns the popup configuration for the browser and one entry per column: the values
    of all rows as indexes into the column's distinct values (a string of a character
    per row, see :func:`zoning.outputs._encoding.encode_codes`) for columns whose values
    repeat (reasons, modes, land-use names), or the pre-escaped texts themselves for
    mostly unique columns (identifiers, measurements). The column headings are
    ``labels[column]`` (Chinese, English), else the column name.
    """
    n = len(frame)
    lookups: list[list[str] | None] = []
    encoded_columns: list[Any] = []
    for column in columns:
        # each distinct value formatted once
        rows, uniques = pd.factorize(frame[column], use_na_sentinel=False)
        unique_texts = [_display_value(v) for v in pd.Series(uniques, dtype=object).tolist()]
        distinct = list(dict.fromkeys(unique_texts))
        if n and len(distinct) <= n // 2:
            index = {t: i for i, t in enumerate(distinct)}
            remap = np.array([index[t] for t in unique_texts], dtype=np.int64)
            lookups.append(distinct)
            encoded_columns.append(encode_codes(remap[rows].tolist()))
        else:
            lookups.append(None)
            encoded_columns.append([unique_texts[r] for r in rows])
    config = {
        "property": POPUP_PROPERTY,
        "columns": [html.escape(c, quote=True) for c in columns],
        "fields": {
            lang: [html.escape(labels.get(c, (c, c))[i], quote=True) for c in columns]
            for i, lang in enumerate(("zh", "en"))
        },
        "values": lookups,
    }
    return config, encoded_columns


def write_webmap(
    path: Path,
    parcels: gpd.GeoDataFrame,
    zones: gpd.GeoDataFrame,
    *,
    zone_column: str,
    legend: Sequence[LegendEntry],
    popup_columns: Sequence[str],
    title: str,
    notice: str | None = None,
    extra_layers: Mapping[str, tuple[gpd.GeoDataFrame, str, Sequence[LegendEntry]]] | None = None,
    basemap: Basemap = None,
    simplify_m: float = 0.0,
    column_labels: Mapping[str, tuple[str, str]] | None = None,
    outline_layers: Mapping[str, OutlineLayer] | None = None,
) -> Path:
    """Write the zoning plan as an interactive HTML map.

    Parameters
    ----------
    path
        HTML file to write (its folder is created if needed).
    parcels
        Parcels with ``zone_column`` and ``popup_columns``, in any CRS with a definition
        (normally the projected working CRS); reprojected to EPSG:4326 here.
    zones
        Dissolved zone polygons with ``zone_column``.
    zone_column
        Column holding the zone key in both layers.
    legend
        Zone legend; its keys are the values of ``zone_column``. Only the zones that occur
        are listed; values missing from it are drawn grey and listed with their key.
    popup_columns
        Parcel columns shown, in this order, as a table in the parcel popup (column
        heading and value; hovering a heading shows the column name, as in
        ``parcels.csv``). Values are HTML-escaped.
    title
        Title shown on the map and as the page title.
    notice
        Optional prominent notice under the title, e.g. that the data are synthetic.
    extra_layers
        Further categorical layers, ``name -> (gdf, column, legend)``, listed in the layer
        control and the legend and hidden when the map opens (their features are built in
        the browser when first shown). A name ``'English 中文'`` shows its Chinese part in
        Chinese and its English part in English (see :func:`bilingual_name`). A layer with
        exactly the parcels' rows and geometries (e.g. ``parcels`` itself with another
        column) reuses the parcel geometry instead of embedding it again.
    basemap
        None (default): no tiles, the map needs no network at all. ``'OpenStreetMap'``
        (or ``{'provider': 'openstreetmap'}``), or Tianditu (天地图) tiles with the user's
        key, ``{'provider': 'tianditu', 'key': KEY, 'kind': 'vector' | 'image'}`` (vector
        by default), with its annotation layer; the key is written into the page, as the
        browser must send it with every tile request.
    simplify_m
        Optional simplification tolerance in metres applied before reprojection (0, the
        default, keeps every vertex). Neighbouring polygons are simplified independently,
        so a tolerance above a few decimetres can open visible slivers.
    column_labels
        Popup column headings, ``column -> (Chinese, English)``; other columns are headed
        by their name.
    outline_layers
        Further layers drawn as coloured outlines with a popup (:class:`OutlineLayer`),
        listed after ``extra_layers`` and, like them, hidden when the map opens.

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    zoning.errors.LayerError
        If a layer has no CRS or lacks a named column.
    ValueError
        If ``basemap`` is not understood or lacks a Tianditu key.

    Examples
    --------
    >>> import geopandas as gpd, tempfile
    >>> from shapely.geometry import box
    >>> zones = gpd.GeoDataFrame(
    ...     {"zone": ["ecological_protection"]}, geometry=[box(536000, 3807000, 537000, 3808000)],
    ...     crs=4548)
    >>> parcels = zones.assign(parcel_id=["P1"])
    >>> legend = [LegendEntry("ecological_protection", "生态保护区", "Ecological protection",
    ...                       "#1b5e20")]
    >>> out = Path(tempfile.mkdtemp()) / "map.html"
    >>> write_webmap(out, parcels, zones, zone_column="zone", legend=legend,
    ...              popup_columns=["parcel_id", "zone"], title="示例 Example") == out
    True

    """
    path = Path(path)
    popup_columns = list(popup_columns)
    _require_columns(zones, [zone_column], "zones")
    _require_columns(parcels, [zone_column, *popup_columns], "parcels")

    tiles_layers = tile_layers(basemap)
    fmap = OfflineMap(
        location=(0.0, 0.0),
        zoom_start=2,
        tiles=None,
        prefer_canvas=True,
        control_scale=True,
    )
    page = fmap.get_root()
    assert isinstance(page, Figure)  # a folium map's root is always its figure
    page.header.add_child(InlineLeaflet(), name="leaflet", index=0)
    for tiles in tiles_layers:
        tiles.add_to(fmap)
    _Helpers().add_to(fmap)

    zones_layer, zone_entries = _categorical_layer(
        ZONES_LAYER,
        zones,
        zone_column,
        legend,
        style=_ZONES_STYLE,
        show=True,
        simplify_m=simplify_m,
    )
    zones_layer.add_to(fmap)

    wgs = _to_wgs84(parcels, "parcels", simplify_m)
    keys = _keys(wgs, zone_column)
    popup_config, popups = _popup_encoding(wgs, popup_columns, column_labels or {})
    parcel_data, parcel_order = _packed_layer(wgs, keys, popups)
    parcel_entries, _ = resolve_legend(keys, legend, what="parcels")
    parcels_layer = _CategoricalGeoJson(
        PARCELS_LAYER,
        key=zone_column,
        legend=[*zone_entries, *parcel_entries],
        style=_PARCELS_STYLE,
        data=parcel_data,
        popup=popup_config if popup_columns else None,
        tooltips=False,
        bounds=_latlon_bounds(wgs),
    )
    parcels_layer.add_to(fmap)

    sections: list[tuple[str, Sequence[LegendEntry], bool]] = [(ZONES_LAYER, zone_entries, True)]
    parcel_mask = _visible_mask(parcels)
    for name, (gdf, column, layer_legend) in (extra_layers or {}).items():
        if _same_geometry(gdf, parcels):
            _require_columns(gdf, [column], f"layer {name!r}")
            extra_keys = [category_key(v) for v in gdf.loc[parcel_mask, column].tolist()]
            entries, has_empty = resolve_legend(extra_keys, layer_legend, what=f"layer {name!r}")
            if parcel_order is not None:
                extra_keys = [extra_keys[i] for i in parcel_order]
            layer = _CategoricalGeoJson(
                name,
                key=column,
                legend=entries,
                style=_EXTRA_STYLE,
                shared_with=parcels_layer,
                keys=extra_keys,
                show=False,
                bounds=parcels_layer.bounds,
            )
            logger.debug("layer %r reuses the parcel geometry", name)
            entries = entries + ([NO_DATA_ENTRY] if has_empty else [])
        else:
            layer, entries = _categorical_layer(
                name,
                gdf,
                column,
                layer_legend,
                style=_EXTRA_STYLE,
                show=False,
                simplify_m=simplify_m,
            )
        layer.add_to(fmap)
        sections.append((name, entries, False))
    for name, spec in (outline_layers or {}).items():
        layer, entries = _categorical_layer(name, spec.frame, spec.column, spec.legend,
                                            style=_OUTLINE_STYLE, show=False,
                                            simplify_m=simplify_m, outline=spec)
        layer.add_to(fmap)
        sections.append((name, entries, False))

    folium.LayerControl(collapsed=False).add_to(fmap)
    page_title = f"<title>{jinja_safe_html(html.escape(title))}</title>\n"
    _HtmlPanel(_title_html(title, notice), css=page_title + PANEL_CSS).add_to(fmap)
    _HtmlPanel(_legend_html(sections)).add_to(fmap)
    LanguageControl().add_to(fmap)
    bounds = [b for b in (zones_layer.bounds, parcels_layer.bounds) if b is not None]
    if bounds:
        south = min(b[0][0] for b in bounds)
        west = min(b[0][1] for b in bounds)
        north = max(b[1][0] for b in bounds)
        east = max(b[1][1] for b in bounds)
        # before the layers' scripts: the view is set once, so features are projected once
        fmap.add_child(folium.FitBounds([[south, west], [north, east]]), index=0)
    else:
        logger.warning("web map %s: no geometries to show", path)

    text = fmap.get_root().render()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    size_mb = path.stat().st_size / 1e6
    logger.info(
        "web map written: %s (%d parcels, %d zone features, %.1f MB)",
        path,
        len(wgs),
        len(zones),
        size_mb,
    )
    if size_mb > SIZE_WARNING_MB:
        logger.warning(
            "web map %s is %.1f MB; browsers may be slow (try simplify_m=0.2)", path, size_mb
        )
    return path
