"""Interactive web map of a zoning plan (a single self-contained HTML file, Leaflet via folium).

The map shows the dissolved zones, the parcels with a popup per parcel, optional extra
categorical layers, a layer control, a bilingual legend, the title and an optional
notice (for example that the data are synthetic). It renders columns only.

Size: geometries are reprojected to EPSG:4326, coordinates rounded to
:data:`COORDINATE_DECIMALS` decimals (about 0.1 m) and only the properties the map
needs are kept. Parcel popups are stored as one array of pre-escaped strings per
feature and turned into a table in the browser when a parcel is clicked.

No basemap is loaded by default so that the map works offline; pass
``basemap="OpenStreetMap"`` for a tiled background. Leaflet itself is still linked
from a CDN by folium.
"""

from __future__ import annotations

import html
import json
import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import shapely
from folium.template import Template

from zoning.errors import LayerError, did_you_mean
from zoning.outputs._legend import (
    NO_DATA_COLOR,
    NO_DATA_ENTRY,
    LegendEntry,
    category_key,
    resolve_legend,
)

logger = logging.getLogger(__name__)

__all__ = ["COORDINATE_DECIMALS", "LegendEntry", "geojson_text", "write_webmap"]

COORDINATE_DECIMALS = 6
"""Decimals kept in longitude and latitude (1e-6 degree is about 0.1 m)."""

ZONES_LAYER = "Zones"
PARCELS_LAYER = "Parcels"
POPUP_PROPERTY = "popup"
"""Parcel property holding the pre-escaped popup values, in ``popup_columns`` order."""

_ZONES_STYLE = {"color": "#333333", "weight": 0.8, "opacity": 0.9, "fillOpacity": 0.6}
_PARCELS_STYLE = {"color": "#555555", "weight": 0.4, "opacity": 0.8, "fillOpacity": 0.15}
_EXTRA_STYLE = {"color": "#444444", "weight": 0.4, "opacity": 0.8, "fillOpacity": 0.55}
_BASEMAPS = {"openstreetmap": "OpenStreetMap"}


# --------------------------------------------------------------------------------------
# GeoJSON
# --------------------------------------------------------------------------------------


def _require_columns(gdf: gpd.GeoDataFrame, columns: Sequence[str], what: str) -> None:
    missing = [c for c in columns if c not in gdf.columns]
    if missing:
        hints = "".join(did_you_mean(c, map(str, gdf.columns)) for c in missing)
        raise LayerError(f"{what}: missing column(s) {', '.join(map(repr, missing))}{hints}")


def _to_wgs84(gdf: gpd.GeoDataFrame, what: str) -> gpd.GeoDataFrame:
    """Drop empty geometries, reproject to EPSG:4326 and round the coordinates."""
    if gdf.crs is None:
        raise LayerError(f"{what}: the layer has no CRS; cannot place it on the web map")
    geoms = gdf.geometry
    keep = geoms.notna().to_numpy() & ~geoms.is_empty.to_numpy()
    if not keep.all():
        logger.warning("%s: %d empty geometries left out of the web map", what, int((~keep).sum()))
    out = gdf.loc[keep].to_crs(4326)
    rounded = shapely.transform(
        shapely.force_2d(out.geometry.to_numpy()),
        lambda xy: np.round(xy, COORDINATE_DECIMALS),
    )
    return out.set_geometry(gpd.GeoSeries(rounded, index=out.index, crs=4326))


def _feature_collection(
    geometries: Sequence[shapely.Geometry], properties: Sequence[Mapping[str, Any]]
) -> dict[str, Any]:
    features = [
        {"type": "Feature", "properties": dict(props), "geometry": shapely.geometry.mapping(geom)}
        for geom, props in zip(geometries, properties, strict=True)
    ]
    return {"type": "FeatureCollection", "features": features}


def _script_json(obj: object) -> str:
    """Serialise ``obj`` compactly as JSON that is safe inside an HTML ``<script>``."""
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return (
        text.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def geojson_text(obj: Mapping[str, Any]) -> str:
    """Return compact GeoJSON/JSON text as embedded in the web map.

    No spaces, UTF-8 text kept as is (not ``\\uXXXX``), and ``<``/``>`` escaped so that
    the text cannot close the surrounding ``<script>`` element.

    Examples
    --------
    >>> geojson_text({"type": "Point", "coordinates": [117.4, 34.4]})
    '{"type":"Point","coordinates":[117.4,34.4]}'
    >>> geojson_text({"name": "</script>"})
    '{"name":"\\\\u003c/script\\\\u003e"}'
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


# --------------------------------------------------------------------------------------
# folium elements
# --------------------------------------------------------------------------------------


class _CategoricalGeoJson(folium.map.Layer):
    """A GeoJSON overlay coloured by a category property, with optional popup and tooltip.

    The data and the configuration are embedded as compact JSON; the style, popup and
    tooltip functions are shared JavaScript so that per-feature cost is only the data.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = (function () {
            var cfg = {{ this.config_json }};
            return L.geoJson({{ this.data_json }}, {
                style: function (feature) {
                    var k = feature.properties[cfg.key];
                    var c = (k === null || k === undefined || !cfg.colors.hasOwnProperty(k))
                        ? cfg.fallback : cfg.colors[k];
                    return Object.assign({fillColor: c, fill: true}, cfg.style);
                },
                onEachFeature: function (feature, layer) {
                    var k = feature.properties[cfg.key];
                    if (cfg.fields.length) {
                        layer.bindPopup(function () {
                            var v = feature.properties[cfg.popup] || [];
                            var rows = cfg.fields.map(function (name, i) {
                                return "<tr><th>" + name + "</th><td>" + (v[i] || "") + "</td></tr>";
                            });
                            return '<table class="zoning-popup">' + rows.join("") + "</table>";
                        }, {maxWidth: 460});
                    }
                    if (cfg.tooltips && cfg.tooltips.hasOwnProperty(k)) {
                        layer.bindTooltip(cfg.tooltips[k], {sticky: true});
                    }
                }
            });
        })();
        {% endmacro %}
        """
    )

    def __init__(
        self,
        name: str,
        data: Mapping[str, Any],
        *,
        key: str,
        legend: Sequence[LegendEntry],
        style: Mapping[str, Any],
        popup_fields: Sequence[str] = (),
        tooltips: bool = True,
        show: bool = True,
        bounds: list[list[float]] | None = None,
    ) -> None:
        super().__init__(name=name, overlay=True, control=True, show=show)
        self._name = "CategoricalGeoJson"
        self.data_json = _script_json(data)
        config = {
            "key": key,
            "colors": {e.key: e.color for e in legend},
            "fallback": NO_DATA_COLOR,
            "style": dict(style),
            "popup": POPUP_PROPERTY,
            "fields": [html.escape(f, quote=True) for f in popup_fields],
            "tooltips": (
                {e.key: html.escape(e.bilingual, quote=True) for e in legend} if tooltips else None
            ),
        }
        self.config_json = _script_json(config)
        self.bounds = bounds

    def _get_self_bounds(self) -> list[list[float]] | None:
        return self.bounds


_PANEL_CSS = """
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
    position: absolute; bottom: 24px; right: 10px; z-index: 1000;
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
.zoning-legend .zoning-en { color: #555; margin-left: 4px; }
table.zoning-popup { border-collapse: collapse; font-size: 12px; }
table.zoning-popup th {
    text-align: left; color: #555; font-weight: normal; padding: 1px 8px 1px 0;
    vertical-align: top; white-space: nowrap;
}
table.zoning-popup td { padding: 1px 0; vertical-align: top; }
</style>
"""


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
        self.markup = markup
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
    for heading, entries, is_open in sections:
        parts.append(f"<details{' open' if is_open else ''}><summary>{html.escape(heading)}</summary>")
        for e in entries:
            en = (
                f'<span class="zoning-en">{html.escape(e.label_en)}</span>'
                if e.label_en and e.label_en != e.label_zh
                else ""
            )
            parts.append(
                '<div class="zoning-legend-row">'
                f'<span class="zoning-swatch" style="background:{e.color}"></span>'
                f"<span>{html.escape(e.label_zh)}</span>{en}</div>"
            )
        parts.append("</details>")
    parts.append("</div>")
    return "".join(parts)


# --------------------------------------------------------------------------------------
# public API
# --------------------------------------------------------------------------------------


def _categorical_layer(
    name: str,
    gdf: gpd.GeoDataFrame,
    column: str,
    legend: Sequence[LegendEntry],
    *,
    style: Mapping[str, Any],
    show: bool,
) -> tuple[_CategoricalGeoJson, list[LegendEntry]]:
    _require_columns(gdf, [column], f"layer {name!r}")
    wgs = _to_wgs84(gdf, f"layer {name!r}")
    keys = _keys(wgs, column)
    entries, has_empty = resolve_legend(keys, legend, what=f"layer {name!r}")
    data = _feature_collection(wgs.geometry.to_numpy(), [{column: k} for k in keys])
    layer = _CategoricalGeoJson(
        name,
        data,
        key=column,
        legend=entries,
        style=style,
        show=show,
        bounds=_latlon_bounds(wgs),
    )
    return layer, entries + ([NO_DATA_ENTRY] if has_empty else [])


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
    basemap: str | None = None,
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
        Parcel columns shown, in this order, as a table in the parcel popup. Values are
        HTML-escaped.
    title
        Title shown on the map and as the page title.
    notice
        Optional prominent notice under the title, e.g. that the data are synthetic.
    extra_layers
        Further categorical layers, ``name -> (gdf, column, legend)``. They are listed in
        the layer control and the legend, and hidden when the map opens.
    basemap
        None (default) for no tiles, so the map works offline, or a tile provider name
        known to folium such as ``'OpenStreetMap'``.

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    zoning.errors.LayerError
        If a layer has no CRS or lacks a named column.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> zones = gpd.GeoDataFrame(
    ...     {"zone": ["ecological_protection"]}, geometry=[box(536000, 3807000, 537000, 3808000)],
    ...     crs=4548)
    >>> parcels = zones.assign(parcel_id=["P1"])
    >>> legend = [LegendEntry("ecological_protection", "生态保护区", "Ecological protection",
    ...                       "#1b5e20")]
    >>> import tempfile
    >>> out = Path(tempfile.mkdtemp()) / "map.html"
    >>> write_webmap(out, parcels, zones, zone_column="zone", legend=legend,
    ...              popup_columns=["parcel_id", "zone"], title="示例 Example") == out
    True
    """
    path = Path(path)
    popup_columns = list(popup_columns)
    _require_columns(zones, [zone_column], "zones")
    _require_columns(parcels, [zone_column, *popup_columns], "parcels")

    fmap = folium.Map(
        location=(0.0, 0.0),
        zoom_start=2,
        tiles=None,
        prefer_canvas=True,
        control_scale=True,
    )
    if basemap is not None:
        folium.TileLayer(_BASEMAPS.get(basemap.lower(), basemap), name=basemap).add_to(fmap)

    zones_layer, zone_entries = _categorical_layer(
        ZONES_LAYER, zones, zone_column, legend, style=_ZONES_STYLE, show=True
    )

    wgs = _to_wgs84(parcels, "parcels")
    keys = _keys(wgs, zone_column)
    popups = [
        [_display_value(v) for v in row]
        for row in wgs[popup_columns].itertuples(index=False, name=None)
    ]
    parcel_data = _feature_collection(
        wgs.geometry.to_numpy(),
        [{zone_column: k, POPUP_PROPERTY: p} for k, p in zip(keys, popups, strict=True)],
    )
    parcel_entries, _ = resolve_legend(keys, legend, what="parcels")
    parcels_layer = _CategoricalGeoJson(
        PARCELS_LAYER,
        parcel_data,
        key=zone_column,
        legend=[*zone_entries, *parcel_entries],
        style=_PARCELS_STYLE,
        popup_fields=popup_columns,
        tooltips=False,
        bounds=_latlon_bounds(wgs),
    )
    zones_layer.add_to(fmap)
    parcels_layer.add_to(fmap)

    sections: list[tuple[str, Sequence[LegendEntry], bool]] = [("分区 Zones", zone_entries, True)]
    bounds = [b for b in (zones_layer.bounds, parcels_layer.bounds) if b is not None]
    for name, (gdf, column, layer_legend) in (extra_layers or {}).items():
        layer, entries = _categorical_layer(
            name, gdf, column, layer_legend, style=_EXTRA_STYLE, show=False
        )
        layer.add_to(fmap)
        sections.append((name, entries, False))

    folium.LayerControl(collapsed=False).add_to(fmap)
    _HtmlPanel(_title_html(title, notice), css=_PANEL_CSS).add_to(fmap)
    _HtmlPanel(_legend_html(sections)).add_to(fmap)
    fmap.get_root().header.add_child(
        folium.Element(f"<title>{html.escape(title)}</title>"), name="zoning_title"
    )
    if bounds:
        south = min(b[0][0] for b in bounds)
        west = min(b[0][1] for b in bounds)
        north = max(b[1][0] for b in bounds)
        east = max(b[1][1] for b in bounds)
        fmap.fit_bounds([[south, west], [north, east]])
    else:
        logger.warning("web map %s: no geometries to show", path)

    text = fmap.get_root().render()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    logger.info(
        "web map written: %s (%d parcels, %d zone features, %.1f MB)",
        path,
        len(wgs),
        len(zones),
        path.stat().st_size / 1e6,
    )
    return path
