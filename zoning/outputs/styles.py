"""QGIS styles stored in the GeoPackage, so each layer opens styled.

QGIS reads a ``layer_styles`` table in a GeoPackage (the table its "Save style to
database" writes) and applies the row with ``useAsDefault`` set when a layer is opened.
Each row holds a QML document; here a categorized renderer per layer (zones, modes,
corridor levels, node types, target uses, with the rule files' colours and bilingual
labels), a graduated one for the subsidence contours and a single symbol for ponding and
sources. The table is registered in ``gpkg_contents`` as an attributes table, as QGIS
does. Writing again replaces this module's rows and keeps styles saved by a user.

Examples
--------
>>> import xml.etree.ElementTree as ET
>>> from zoning.outputs import LegendEntry
>>> style = Style("zone", (LegendEntry("a", "甲", "A", "#1b5e20"),))
>>> root = ET.fromstring(style.qml("fill"))
>>> root.find("renderer-v2").get("type"), root.find(".//category").get("value")
('categorizedSymbol', 'a')
"""

from __future__ import annotations

import itertools
import logging
import sqlite3
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import matplotlib
import pandas as pd

from zoning import columns as col
from zoning.corridors.maplayers import LEVEL_ENTRIES, NODE_ENTRIES, SOURCE_ENTRY
from zoning.outputs._legend import NO_DATA_ENTRY, LegendEntry, category_key, resolve_legend
from zoning.reduction.stage import LAYER as REDUCTION_LAYER
from zoning.rules.models import Category, ModesRules, ReductionRules, ZonesRules
from zoning.rules.ruleset import RuleSet
from zoning.subsidence.stage import CONTOURS, PONDING
from zoning.topology import GAPS_LAYER, OVERLAPS_LAYER
from zoning.units import LAYER as UNITS_LAYER

logger = logging.getLogger(__name__)

TABLE = "layer_styles"
"""The table QGIS reads styles from."""
OWNER = "zoning"
"""``owner`` of the rows this module writes; rows of other owners are left alone."""
QGIS_VERSION = "3.28.0-Firenze"
"""Version written in the QML header (any QGIS 3 reads it)."""
OUTLINE_COLOR = "#616161"
"""Outline of filled symbols."""
OUTLINE_WIDTH_MM = 0.1
LINE_WIDTH_MM = 0.8
MARKER_SIZE_MM = 3.0
DEPTH_COLUMN = "depth_m"
"""Depth column of the subsidence contours."""
PONDING_ENTRY = LegendEntry("ponded", "积水区", "Ponded (below the water table)", "#0d47a1")
OVERLAP_ENTRIES = (LegendEntry("duplicate", "重复图斑", "Duplicate geometry", "#b71c1c"),
                   LegendEntry("contained", "包含图斑", "Parcel inside another", "#e65100"),
                   LegendEntry("partial", "部分重叠", "Partial overlap", "#fbc02d"))
"""Styles of the topology QC layer ``qc_overlaps`` by kind of overlap."""
GAP_ENTRY = LegendEntry("gap", "缝隙", "Gap between parcels", "#d500f9")
DEPTH_RAMP = "Blues"
"""Matplotlib colour map of the subsidence contours, as on the web map."""
DEPTH_RAMP_START = 0.25
"""Position on the ramp of the shallowest contour (the deepest is at 1)."""

CREATE_SQL = f"""
CREATE TABLE IF NOT EXISTS "{TABLE}" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "f_table_catalog" TEXT(256),
    "f_table_schema" TEXT(256),
    "f_table_name" TEXT(256),
    "f_geometry_column" TEXT(256),
    "styleName" TEXT(30),
    "styleQML" TEXT,
    "styleSLD" TEXT,
    "useAsDefault" BOOLEAN,
    "description" TEXT,
    "owner" TEXT(30),
    "ui" TEXT(30),
    "update_time" DATETIME DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
)"""

_SYMBOL_KINDS = {"POINT": "marker", "MULTIPOINT": "marker", "LINESTRING": "line",
                 "MULTILINESTRING": "line", "POLYGON": "fill", "MULTIPOLYGON": "fill"}


@dataclass(frozen=True)
class Style:
    """One style of a layer: categories of a column, or graduated ranges of it.

    Attributes
    ----------
    column
        The attribute the renderer reads (empty for a single symbol).
    entries
        Categories in drawing order; for a graduated style one entry per range.
    ranges
        ``(lower, upper)`` per entry for a graduated style; empty for a categorized one.
    name
        ``styleName`` of the row.
    default
        Whether QGIS applies it when the layer is opened.
    """

    column: str
    entries: tuple[LegendEntry, ...]
    ranges: tuple[tuple[float, float], ...] = ()
    name: str = "zoning"
    default: bool = True

    def qml(self, kind: str) -> str:
        """The QML document of this style for symbols of ``kind`` (fill, line, marker)."""
        root = ET.Element("qgis", version=QGIS_VERSION, styleCategories="Symbology")
        if not self.column:
            renderer = ET.SubElement(root, "renderer-v2", type="singleSymbol",
                                     symbollevels="0", forceraster="0", enableorderby="0")
        elif self.ranges:
            renderer = ET.SubElement(root, "renderer-v2", type="graduatedSymbol",
                                     attr=self.column, graduatedMethod="GraduatedColor",
                                     symbollevels="0", forceraster="0", enableorderby="0")
            ranges = ET.SubElement(renderer, "ranges")
            for i, (entry, (low, high)) in enumerate(zip(self.entries, self.ranges,
                                                         strict=True)):
                ET.SubElement(ranges, "range", symbol=str(i), lower=f"{low:.6f}",
                              upper=f"{high:.6f}", label=entry.bilingual, render="true")
        else:
            renderer = ET.SubElement(root, "renderer-v2", type="categorizedSymbol",
                                     attr=self.column, symbollevels="0", forceraster="0",
                                     enableorderby="0")
            categories = ET.SubElement(renderer, "categories")
            for i, entry in enumerate(self.entries):
                ET.SubElement(categories, "category", symbol=str(i), value=entry.key,
                              label=entry.bilingual, render="true")
        symbols = ET.SubElement(renderer, "symbols")
        for i, entry in enumerate(self.entries):
            _symbol(symbols, str(i), kind, entry.color)
        ET.indent(root)
        return "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n" + ET.tostring(
            root, encoding="unicode")


def rgba(color: str) -> str:
    """``'#RRGGBB'`` as QGIS writes colours: ``'r,g,b,255'``.

    Examples
    --------
    >>> rgba("#1b5e20")
    '27,94,32,255'
    """
    r, g, b = (int(color[i:i + 2], 16) for i in (1, 3, 5))
    return f"{r},{g},{b},255"


def _symbol(parent: ET.Element, name: str, kind: str, color: str) -> None:
    symbol = ET.SubElement(parent, "symbol", name=name, type=kind, alpha="1",
                           clip_to_extent="1", force_rhr="0")
    if kind == "fill":
        props = {"color": rgba(color), "style": "solid", "outline_color": rgba(OUTLINE_COLOR),
                 "outline_style": "solid", "outline_width": str(OUTLINE_WIDTH_MM),
                 "outline_width_unit": "MM"}
        layer_class = "SimpleFill"
    elif kind == "line":
        props = {"line_color": rgba(color), "line_style": "solid",
                 "line_width": str(LINE_WIDTH_MM), "line_width_unit": "MM",
                 "capstyle": "round", "joinstyle": "round"}
        layer_class = "SimpleLine"
    else:
        props = {"color": rgba(color), "name": "circle", "size": str(MARKER_SIZE_MM),
                 "size_unit": "MM", "outline_color": rgba(OUTLINE_COLOR),
                 "outline_width": str(OUTLINE_WIDTH_MM)}
        layer_class = "SimpleMarker"
    layer = ET.SubElement(symbol, "layer", attrib={"class": layer_class, "enabled": "1",
                                                  "locked": "0", "pass": "0"})
    # QGIS 3.26 and later read the Option map, earlier versions the prop elements
    options = ET.SubElement(layer, "Option", type="Map")
    for key, value in props.items():
        ET.SubElement(options, "Option", name=key, type="QString", value=value)
    for key, value in props.items():
        ET.SubElement(layer, "prop", k=key, v=value)


def _entries(categories: Mapping[str, Category]) -> list[LegendEntry]:
    return [LegendEntry(k, c.label.zh, c.label.en, c.color) for k, c in categories.items()]


def categorized(frame: gpd.GeoDataFrame, column: str, legend: Sequence[LegendEntry], *,
                name: str = "zoning", default: bool = True) -> Style:
    """A categorized style with one category per value of ``column`` present in ``frame``.

    Values missing from ``legend`` get grey categories; empty values a "no data" category
    (QGIS draws features matching no category with the empty-value one).
    """
    keys = [category_key(v) for v in frame[column]]
    entries, has_empty = resolve_legend(keys, legend, what=f"style of {column}")
    if has_empty:
        entries.append(NO_DATA_ENTRY)
    return Style(column, tuple(entries), name=name, default=default)


def graduated_depth(contours: gpd.GeoDataFrame) -> Style:
    """Subsidence contours by depth: one colour per contour level, deeper darker.

    QGIS gives a value the first range that holds it, bounds included, so the ranges
    meet halfway between neighbouring levels and each level falls in its own range.
    """
    levels = sorted({float(v) for v in contours[DEPTH_COLUMN]})
    ramp = matplotlib.colormaps[DEPTH_RAMP]
    middles = [(a + b) / 2 for a, b in itertools.pairwise(levels)]
    lows = [levels[0], *middles]
    highs = [*middles, levels[-1] + 1.0]
    entries = []
    for i, level in enumerate(levels):
        shade = matplotlib.colors.to_hex(
            ramp(DEPTH_RAMP_START + (1 - DEPTH_RAMP_START) * i / max(len(levels) - 1, 1)))
        entries.append(LegendEntry(f"{level:g}", f"下沉 ≥ {level:g} m",
                                   f"Subsidence ≥ {level:g} m", shade))
    return Style(DEPTH_COLUMN, tuple(entries), tuple(zip(lows, highs, strict=True)))


def run_styles(rules: RuleSet, layers: Mapping[str, gpd.GeoDataFrame]
               ) -> dict[str, list[Style]]:
    """The styles of a run's layers (as written to the GeoPackage), by layer name.

    ``layers`` holds ``parcels`` and the stage layers; layers that are absent or empty
    get no style. Parcels get zones as the default style and restoration and value
    modes as further styles to pick in QGIS.
    """
    zones = _entries(rules.get("zones", ZonesRules).zones)
    modes = rules.get("modes", ModesRules)
    uses = _entries(rules.get("reduction", ReductionRules).target_uses)
    out: dict[str, list[Style]] = {}

    def present(name: str, column: str) -> gpd.GeoDataFrame | None:
        frame = layers.get(name)
        if frame is None or frame.empty:
            return None
        if column and column not in frame.columns and column != frame.index.name:
            logger.warning("layer %s has no column %s; not styled", name, column)
            return None
        return frame

    if (parcels := present("parcels", col.ZONE)) is not None:
        out["parcels"] = [
            categorized(parcels, col.ZONE, zones),
            categorized(parcels, col.RESTORATION_MODE, _entries(modes.restoration_modes),
                        name="restoration_mode", default=False),
            categorized(parcels, col.VALUE_MODE, _entries(modes.value_modes),
                        name="value_mode", default=False),
        ]
    for name in ("zones", UNITS_LAYER):
        if (frame := present(name, col.ZONE)) is not None:
            out[name] = [categorized(frame, col.ZONE, zones)]
    if (frame := present(CONTOURS, DEPTH_COLUMN)) is not None:
        out[CONTOURS] = [graduated_depth(frame)]
    if present(PONDING, "") is not None:
        out[PONDING] = [Style("", (PONDING_ENTRY,))]
    if present("sources", "") is not None:
        out["sources"] = [Style("", (SOURCE_ENTRY,))]
    for name in ("corridors", "corridor_areas"):
        if (frame := present(name, col.CORRIDOR_LEVEL)) is not None:
            out[name] = [categorized(frame, col.CORRIDOR_LEVEL, LEVEL_ENTRIES)]
    if (frame := present("nodes", col.NODE_TYPE)) is not None:
        out["nodes"] = [categorized(frame, col.NODE_TYPE, NODE_ENTRIES)]
    if (frame := present(REDUCTION_LAYER, col.REDUCE_TARGET_USE)) is not None:
        out[REDUCTION_LAYER] = [categorized(frame, col.REDUCE_TARGET_USE, uses)]
    out.update(qc_styles(layers))
    return out


def qc_styles(layers: Mapping[str, gpd.GeoDataFrame]) -> dict[str, list[Style]]:
    """The styles of the topology QC layers ``qc_overlaps`` (by kind) and ``qc_gaps``.

    Written by a run and by ``zoning qc``; absent or empty layers get no style.
    """
    out: dict[str, list[Style]] = {}
    overlaps = layers.get(OVERLAPS_LAYER)
    if overlaps is not None and not overlaps.empty:
        out[OVERLAPS_LAYER] = [categorized(overlaps, col.QC_KIND, OVERLAP_ENTRIES)]
    gaps = layers.get(GAPS_LAYER)
    if gaps is not None and not gaps.empty:
        out[GAPS_LAYER] = [Style("", (GAP_ENTRY,))]
    return out


def write_styles(path: Path, styles: Mapping[str, Sequence[Style]]) -> Path:
    """Store ``styles`` in the ``layer_styles`` table of the GeoPackage at ``path``.

    Only layers in the GeoPackage are styled; the symbol type follows the layer's
    geometry type in ``gpkg_geometry_columns``. Rows written earlier by this module are
    replaced, so writing twice leaves one row per style; rows of other owners stay, but
    lose ``useAsDefault`` on a layer given a default here (QGIS applies one default).

    Parameters
    ----------
    path
        An existing GeoPackage, its layers already written.
    styles
        Styles by layer name, as :func:`run_styles` gives them.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    with closing(sqlite3.connect(path)) as db, db:
        geometry = {name: (column, kind) for name, column, kind in db.execute(
            "SELECT table_name, column_name, geometry_type_name FROM gpkg_geometry_columns")}
        db.execute(CREATE_SQL)
        db.execute(
            "INSERT INTO gpkg_contents (table_name, data_type, identifier, description) "
            "SELECT ?, 'attributes', ?, 'QGIS layer styles' WHERE NOT EXISTS "
            "(SELECT 1 FROM gpkg_contents WHERE table_name = ?)", (TABLE, TABLE, TABLE))
        db.execute(f'DELETE FROM "{TABLE}" WHERE owner = ?', (OWNER,))
        rows = []
        for layer, layer_styles in styles.items():
            if layer not in geometry:
                logger.info("layer %s is not in %s; not styled", layer, path.name)
                continue
            column, kind = geometry[layer]
            symbol_kind = _SYMBOL_KINDS.get(kind.upper(), "fill")
            if any(s.default for s in layer_styles):
                db.execute(f'UPDATE "{TABLE}" SET useAsDefault = 0 WHERE f_table_name = ?',
                           (layer,))
            rows += [("", "", layer, column, style.name, style.qml(symbol_kind), "",
                      int(style.default), _description(style), OWNER, "")
                     for style in layer_styles]
        db.executemany(
            f'INSERT INTO "{TABLE}" (f_table_catalog, f_table_schema, f_table_name, '
            "f_geometry_column, styleName, styleQML, styleSLD, useAsDefault, description, "
            "owner, ui) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    logger.info("%d QGIS styles written to %s", len(rows), path.name)
    return path


def _description(style: Style) -> str:
    what = "graduated" if style.ranges else "categorized" if style.column else "single symbol"
    return f"{what} by {style.column}" if style.column else what


def styled_layers(path: Path) -> pd.DataFrame:
    """The rows of ``layer_styles`` in the GeoPackage at ``path`` (empty without one)."""
    with closing(sqlite3.connect(path)) as db:
        found = db.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (TABLE,)).fetchone()
        if found is None:
            return pd.DataFrame()
        return pd.read_sql_query(f'SELECT * FROM "{TABLE}"', db)
