"""The plan report: one self-contained HTML file summarising a run, in Chinese and English.

Every number is read from the run (parcel columns, layers, tables and the manifest); the
report computes sums and counts, no analysis. Charts are PNG images drawn by matplotlib
and embedded as base64 data URIs, the style sheet is inline and there is no script, so
the file opens offline. Sections whose inputs the run lacks (ESV and carbon columns, say)
say so instead of failing.
"""

from __future__ import annotations

import base64
import html
import itertools
import logging
import math
import os
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from zoning import assess, decision, valuation, zones
from zoning import columns as col
from zoning.corridors.maplayers import LEVEL_ENTRIES, NODE_ENTRIES
from zoning.engine import RunResult
from zoning.mineplan import (
    BOND_FACTOR,
    BOND_YUAN,
    COST_YUAN,
    EARTHWORK,
    PONDED_HA,
    WORST_RISK,
    cost_column,
    damage_column,
    mode_column,
)
from zoning.mineplan import TABLE as MINES_TABLE
from zoning.modes import fired
from zoning.outputs._charts import bar_chart
from zoning.outputs._labels import (
    COLUMN_TERMS,
    MINE_TERMS,
    OVERLAP_TERMS,
    labels,
    named,
    names_of,
)
from zoning.outputs._legend import (
    NO_DATA_ENTRY,
    LegendEntry,
    bilingual,
    category_key,
    resolve_legend,
)
from zoning.reduction.citytype import STRATEGY_TABLE
from zoning.reduction.stage import LAYER as REDUCTION_LAYER
from zoning.reduction.stage import fired_triggers, target_use_table
from zoning.rules.models import (
    Category,
    CostsRules,
    DamageRules,
    ModesRules,
    ReductionRules,
    SuitabilityRules,
    ZonesRules,
    band_column,
)
from zoning.rules.ruleset import RuleSet
from zoning.subsidence.stage import PONDING
from zoning.topology import GAPS_LAYER, OVERLAPS_LAYER
from zoning.topology import TABLE as TOPOLOGY_TABLE

logger = logging.getLogger(__name__)

SYNTHETIC_NOTICE_ZH = "本报告基于合成数据，所示地区、地块与矿井均非真实。"
SYNTHETIC_NOTICE_EN = ("SYNTHETIC DATA: this report is of a made-up region; no real place, "
                       "parcel or mine is shown.")

SECTIONS: dict[str, tuple[str, str]] = {
    "overview": ("概况", "Overview"),
    "zones": ("规划分区", "Planning zones"),
    "modes": ("修复模式与价值实现模式", "Restoration and value-realization modes"),
    "suitability": ("适宜性评价", "Restoration suitability"),
    "subsidence": ("沉陷与损毁", "Subsidence and damage"),
    "network": ("生态安全格局", "Ecological security pattern"),
    "reduction": ("用地减量", "Land reduction"),
    "mines": ("一矿一策", "Per-mine plans"),
    "sensitivity": ("权重敏感性", "Sensitivity of the suitability weights"),
    "ecosystem": ("生态系统服务价值与碳储量", "Ecosystem service value and carbon"),
    "assessment": ("社会-生态系统脆弱性与恢复力", "Social-ecological vulnerability and resilience"),
    "topology": ("拓扑检查", "Topology QC"),
    "provenance": ("数据来源与可复现性", "Provenance"),
}
"""Section ids and their Chinese and English headings, in report order."""

ESV_COLUMNS = ("esv_before_yuan", "esv_after_yuan")
CARBON_COLUMNS = ("carbon_before_t", "carbon_after_t")
ZONE_STATISTICS = "zone_statistics"
YUAN_PER_WAN = 1e4
"""Yuan per 万元 (10,000 yuan), the unit money is reported in."""
M2_PER_HA = 1e4
M_PER_KM = 1e3
LARGE = 1e3
"""Floats at least this large are shown without decimals."""
MEDIUM = 10.0
"""Floats at least this large (and below LARGE) are shown with one decimal, smaller ones
with four significant digits."""
LINK_COLUMNS = {"core_a": "源地 Source A", "core_b": "源地 Source B",
                "euclidean": "直线距离 Euclidean (m)", "lcd": "最小累积阻力 Least cost",
                "path_length": "路径长度 Path length (m)", "gravity": "引力 Gravity",
                "corridor_level": "等级 Level"}
"""Columns of the links table shown, with their headings."""
HA = "area_ha"

CSS = """
body{font-family:"Noto Sans CJK SC","Source Han Sans SC","Microsoft YaHei","PingFang SC",
sans-serif;margin:2em auto;max-width:64em;padding:0 1em;color:#212121;line-height:1.45}
h1{font-size:1.6em}h2{border-bottom:2px solid #1b5e20;padding-bottom:.2em;margin-top:2em}
h3{font-size:1.05em;margin-top:1.4em}
table{border-collapse:collapse;margin:.6em 0;font-size:.9em}
th,td{border:1px solid #bdbdbd;padding:.2em .5em;text-align:left}
td.n{text-align:right;font-variant-numeric:tabular-nums}
thead th{background:#e8f5e9}tfoot td{font-weight:bold;background:#fafafa}
.notice{background:#fff3e0;border:2px solid #e65100;padding:.6em 1em;font-weight:bold}
.note{color:#616161;font-style:italic}.swatch{display:inline-block;width:.9em;height:.9em;
border:1px solid #757575;vertical-align:middle;margin-right:.3em}
code{font-size:.85em;word-break:break-all}img{max-width:100%}
"""

Formatter = Callable[[Any], str]


def _missing(value: Any) -> bool:
    return pd.api.types.is_scalar(value) and bool(pd.isna(value))


def ha(value: Any) -> str:
    """Hectares with one decimal.

    Examples
    --------
    >>> ha(12.345), ha(float("nan"))
    ('12.3', '—')
    """
    return "—" if _missing(value) else f"{float(value):.1f}"


def percent(value: Any) -> str:
    """A fraction as a percentage with one decimal (``0.1234`` → ``12.3 %``)."""
    return "—" if _missing(value) else f"{100 * float(value):.1f} %"


def number(value: Any) -> str:
    """An integer with thousands separators; a float with 0, 1 or 4 significant decimals by size."""
    if _missing(value):
        return "—"
    if isinstance(value, bool):
        return "是 yes" if value else "否 no"
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer()
                                  and abs(value) < 1e15):
        return f"{int(value):,}"
    if isinstance(value, float):
        if abs(value) >= LARGE:
            return f"{value:,.0f}"
        return f"{value:.1f}" if abs(value) >= MEDIUM else f"{value:.4g}"
    return str(value)


def _auto(name: str) -> Formatter:
    """Formatter by column name: ``*_ha`` one decimal, ``*_share`` percent, else numbers."""
    if name.endswith("_ha"):
        return ha
    if name.endswith("_share"):
        return percent
    return number


def _esc(value: Any) -> str:
    return html.escape(str(value))


def table(frame: pd.DataFrame, headers: Mapping[str, str] | None = None, *,
          formats: Mapping[str, Formatter] | None = None, table_id: str = "",
          footer: Mapping[str, str] | None = None) -> str:
    """An HTML table of ``frame``: numbers right-aligned and formatted by column.

    Parameters
    ----------
    frame
        The rows; its index is ignored.
    headers
        Header text per column (the column name when absent).
    formats
        Formatter per column; others by :func:`_auto` (numbers) or as text.
    table_id
        ``id`` attribute, for links and tests.
    footer
        Text per column of a total row (in ``<tfoot>``).
    """
    headers = headers or {}
    formats = formats or {}
    columns = list(frame.columns)
    attr = f' id="{_esc(table_id)}"' if table_id else ""
    parts = [f"<table{attr}><thead><tr>"]
    parts += [f"<th>{_esc(headers.get(c, c))}</th>" for c in columns]
    parts.append("</tr></thead><tbody>")
    numeric = {c: pd.api.types.is_numeric_dtype(frame[c]) for c in columns}
    for row in frame.itertuples(index=False):
        parts.append("<tr>")
        for name, value in zip(columns, row, strict=True):
            fmt = formats.get(name) or (_auto(name) if numeric[name] else None)
            text = fmt(value) if fmt else ("—" if _missing(value) else str(value))
            klass = ' class="n"' if numeric[name] else ""
            parts.append(f"<td{klass}>{_esc(text)}</td>")
        parts.append("</tr>")
    parts.append("</tbody>")
    if footer:
        parts.append("<tfoot><tr>")
        parts += [f'<td class="n">{_esc(footer.get(c, ""))}</td>' for c in columns]
        parts.append("</tr></tfoot>")
    parts.append("</table>")
    return "".join(parts)


def key_value_table(rows: Sequence[tuple[str, str, str]], table_id: str = "") -> str:
    """A two-column table of ``(key, label, text)`` rows; ``data-key`` holds the key."""
    attr = f' id="{_esc(table_id)}"' if table_id else ""
    body = "".join(f'<tr data-key="{_esc(k)}"><th>{_esc(label)}</th><td class="n">'
                   f"{_esc(text)}</td></tr>" for k, label, text in rows)
    return f"<table{attr}><tbody>{body}</tbody></table>"


def _note(zh: str, en: str) -> str:
    return f'<p class="note">{_esc(zh)} {_esc(en)}</p>'


def _chart(uri: str, alt: str) -> str:
    return f'<p><img src="{uri}" alt="{_esc(alt)}"></p>'


def _h3(zh: str, en: str) -> str:
    return f"<h3>{_esc(zh)} {_esc(en)}</h3>"


def _entries(categories: Mapping[str, Category]) -> list[LegendEntry]:
    return [LegendEntry(k, c.label.zh, c.label.en, c.color) for k, c in categories.items()]


def area_by(parcels: pd.DataFrame, column: str, legend: Sequence[LegendEntry]) -> pd.DataFrame:
    """Parcels and area per value of ``column``, in legend order, with labels and colours.

    Values missing from ``legend`` follow it, labelled with the value; empty values come
    last as "no data".
    """
    keys = parcels[column].map(category_key)
    entries, has_empty = resolve_legend(keys, legend, what=f"report: {column}")
    if has_empty:
        entries.append(NO_DATA_ENTRY)
    grouped = parcels[HA].groupby(keys.fillna(NO_DATA_ENTRY.key)).agg(["size", "sum"])
    total = float(parcels[HA].sum())
    out = pd.DataFrame({
        "key": [e.key for e in entries],
        "label_zh": [e.label_zh for e in entries],
        "label_en": [e.label_en for e in entries],
        "parcels": [int(grouped.at[e.key, "size"]) for e in entries],
        HA: [float(grouped.at[e.key, "sum"]) for e in entries],
        "color": [e.color for e in entries],
    })
    out["share"] = out[HA] / total if total > 0 else math.nan
    return out


AREA_HEADERS = {"key": "代码 Code", "label_zh": "名称", "label_en": "Name",
                "parcels": "地块数 Parcels", HA: "面积 Area (ha)", "share": "占比 Share"}


def _area_section(parcels: pd.DataFrame, column: str, legend: Sequence[LegendEntry],
                  table_id: str, *, chart: bool = True) -> str:
    frame = area_by(parcels, column, legend)
    shown = frame.drop(columns="color")
    footer = {"key": "合计 Total", "parcels": f"{int(frame['parcels'].sum()):,}",
              HA: ha(frame[HA].sum()), "share": percent(1.0 if len(frame) else math.nan)}
    out = table(shown, AREA_HEADERS, formats={"share": percent}, table_id=table_id,
                footer=footer)
    if chart and not frame.empty:
        labels = [f"{z} {e}" if e and e != z else z
                  for z, e in zip(frame["label_zh"], frame["label_en"], strict=True)]
        uri = bar_chart(labels, frame[HA].tolist(), colors=frame["color"].tolist(),
                        xlabel="面积 Area (ha)")
        out += _chart(uri, f"area by {column}")
    return out


def _overview(result: RunResult, manifest: Mapping[str, Any]) -> str:
    project = result.prepared.project
    parcels = result.parcels
    crs = manifest.get("crs", {})
    rows = [("title", "标题 Title", project.title),
            ("parcels", "地块数 Parcels", f"{len(parcels):,}"),
            (HA, "总面积 Total area (ha)", ha(parcels[HA].sum())),
            ("zones", "分区数 Zones", f"{parcels[col.ZONE].nunique():,}"),
            ("crs", "坐标系 CRS", f"{crs.get('name', '—')} (EPSG:{crs.get('epsg', '—')})"),
            ("started", "运行时间 Run started (UTC)", str(manifest.get("started_utc", "—")))]
    summary = result.tables.get("reduction_summary")
    if summary is not None and not summary.empty:
        rows.append(("city_type", "城市类型 City type",
                     _city_label(result, summary["city_type"].iloc[0])))
    topology = result.tables.get(TOPOLOGY_TABLE)
    if topology is not None:
        found = topology.set_index("item")
        if found.at["overlaps", "count"] > 0:
            rows.append(("overlaps", "地块重叠（已接受）Overlapping parcels (accepted)",
                         f"{found.at['overlaps', 'count']:,} pairs; "
                         f"{found.at['double_counted', HA]:,.2f} ha counted twice in the "
                         "totals (see 拓扑检查 Topology QC)"))
    return key_value_table(rows, "overview")


def _zones(result: RunResult) -> str:
    rules = result.prepared.rules.get("zones", ZonesRules)
    out = _area_section(result.parcels, col.ZONE, _entries(rules.zones), "zone-area")
    statistics = result.tables.get(ZONE_STATISTICS)
    out += _h3("分区统计", "Zone statistics")
    if statistics is None or statistics.empty:
        out += _note("本次运行未生成分区统计表。", "This run has no zone statistics table.")
    else:
        out += table(statistics, table_id="zone-statistics")
    return out + _units(result.parcels)


def _units(parcels: pd.DataFrame) -> str:
    """Planning units per zone: how many, and the spread of their areas."""
    if col.PLANNING_UNIT not in parcels.columns or parcels[col.PLANNING_UNIT].isna().all():
        return ""
    units = parcels.groupby(col.PLANNING_UNIT).agg(
        zone=(col.ZONE, "first"), area=(col.AREA_HA, "sum"))
    summary = units.groupby("zone", sort=False)["area"].agg(
        units="size", area_ha="sum", smallest_ha="min", median_ha="median", largest_ha="max")
    headers = {"zone": "分区 Zone", "units": "单元数 Units", "area_ha": "面积 Area (ha)",
               "smallest_ha": "最小 Smallest (ha)", "median_ha": "中位 Median (ha)",
               "largest_ha": "最大 Largest (ha)"}
    return (_h3("规划单元", "Planning units")
            + _note("每个连片分区按目标面积划分为紧凑的规划单元（rules/zones.yaml 的 "
                    "planning_units）。", "Each contiguous zone piece is cut into compact "
                    "planning units of about the target area (planning_units in "
                    "rules/zones.yaml); the layer planning_units holds them.")
            + table(summary.reset_index(), headers, table_id="planning-units"))


_FIRED_HEADERS = {"table": "规则表 Table", "output": "输出 Output", "rule": "规则 Rule",
                  "parcels": "地块数 Parcels", HA: "面积 Area (ha)", "source": "依据 Source"}
"""Headers of the tables of rules that decided."""


def _modes(result: RunResult) -> str:
    modes = result.prepared.rules.get("modes", ModesRules)
    return (_h3("修复模式", "Restoration modes")
            + _area_section(result.parcels, col.RESTORATION_MODE,
                            _entries(modes.restoration_modes), "restoration-mode-area")
            + _h3("价值实现模式", "Value-realization modes")
            + _area_section(result.parcels, col.VALUE_MODE, _entries(modes.value_modes),
                            "value-mode-area")
            + _rights(result.parcels, modes)
            + _h3("规则及其依据", "Rules that decided, with their sources")
            + _fired_table(fired(result.parcels, result.prepared.rules), "mode-rule-sources")
            + _rule_sources(result))


def _rule_sources(result: RunResult) -> str:
    """Reduction triggers and target uses, zones and land class after: rules that decided."""
    rules, parcels = result.prepared.rules, result.parcels
    tables = [zones.table(rules), valuation.table(rules)]
    frames = [decision.fired(parcels, tables)]
    if col.REDUCE_TRIGGERS in parcels.columns:
        reduction = rules.get("reduction", ReductionRules)
        frames[:0] = [fired_triggers(parcels, rules),
                      decision.fired(parcels, [target_use_table(reduction)])]
    frame = pd.concat([f for f in frames if not f.empty], ignore_index=True)
    return (_h3("其他规则表及其依据", "Reduction, zoning and land-use-after rules that decided")
            + _note("减量的触发条件（一个地块可满足多个）、退出用地的去向、分区和修复后地类。"
                    "经最小图斑合并改区的地块不计入分区规则。",
                    "Reduction triggers (a parcel may meet several), what retired land becomes, "
                    "the zone and the land class after restoration. Parcels whose zone the "
                    "minimum mapping unit changed are not counted under a zones rule.")
            + _fired_table(frame, "rule-sources"))


def _fired_table(frame: pd.DataFrame, table_id: str) -> str:
    """Rules that decided, each output column named by its label in the data dictionary."""
    return table(frame.assign(output=named(frame["output"], COLUMN_TERMS)), _FIRED_HEADERS,
                 table_id=table_id)


def _rights(parcels: pd.DataFrame, modes: ModesRules) -> str:
    """Area of the rights the restoration creates, per kind, with the total (none excluded)."""
    kinds = [(k, c) for k, c in modes.rights_kinds.items() if k != col.NO_RIGHTS]
    area = parcels.groupby(col.RIGHTS_KIND)[col.RIGHTS_AREA_HA].agg(["size", "sum"])
    frame = pd.DataFrame({
        "key": [k for k, _ in kinds], "label_zh": [c.label.zh for _, c in kinds],
        "label_en": [c.label.en for _, c in kinds],
        "parcels": [int(area.at[k, "size"]) if k in area.index else 0 for k, _ in kinds],
        col.RIGHTS_AREA_HA: [float(area.at[k, "sum"]) if k in area.index else 0.0
                             for k, _ in kinds]})
    footer = {"key": "合计 Total", "parcels": f"{int(frame['parcels'].sum()):,}",
              col.RIGHTS_AREA_HA: ha(frame[col.RIGHTS_AREA_HA].sum())}
    return (_h3("新增权益", "Rights created")
            + _note("增减挂钩节余指标、占补平衡补充耕地指标与碳汇权益的面积（rules/modes.yaml 的 "
                    "rights_rules）。", "Area of linked quota, new-cropland credit and carbon-sink "
                    "rights the restoration creates (rights_rules in rules/modes.yaml).")
            + table(frame, {**AREA_HEADERS, col.RIGHTS_AREA_HA: "权益面积 Rights area (ha)"},
                    table_id="rights-area", footer=footer))


def _suitability(result: RunResult) -> str:
    rules = result.prepared.rules.get("suitability", SuitabilityRules)
    parcels = result.parcels
    uses = [LegendEntry(k, u.label.zh, u.label.en, u.color) for k, u in rules.uses.items()]
    classes = [LegendEntry(c, c, "", "#9e9e9e") for c in col.SUIT_CLASSES]
    out = _h3("最适宜用途", "Best use") + _area_section(parcels, col.BEST_USE, uses,
                                                   "best-use-area")
    out += _h3("最适宜用途的适宜等级", "Class of the best use") + _area_section(
        parcels, col.BEST_USE_CLASS, classes, "best-use-class-area", chart=False)
    matrix = []
    for use in uses:
        column = col.suit_class(use.key)
        if column not in parcels.columns:
            continue
        by_class = parcels.groupby(parcels[column])[HA].sum()
        matrix.append({"use": f"{use.label_zh} {use.label_en}",
                       **{f"{c}_ha": float(by_class.get(c, 0.0)) for c in col.SUIT_CLASSES}})
    out += _h3("各用途适宜等级面积", "Area by suitability class of each use (ha)")
    headers = {"use": "用途 Use", **{f"{c}_ha": c for c in col.SUIT_CLASSES}}
    out += table(pd.DataFrame(matrix), headers, table_id="suitability-classes")
    weights = result.tables.get("suitability_weights")
    if weights is not None and not weights.empty:
        out += _h3("因子权重", "Factor weights")
        out += table(weights, formats={"cr": number, "lambda_max": number},
                     table_id="suitability-weights")
    return out


def _depth_bands(parcels: pd.DataFrame, bands_m: Sequence[float]) -> pd.DataFrame:
    bounds = [0.0, *bands_m, math.inf]
    rows = []
    for low, high in itertools.pairwise(bounds):
        column = band_column(low, high)
        if column not in parcels.columns:
            continue
        label = f"≥ {low:g} m" if math.isinf(high) else f"{low:g}–{high:g} m"
        rows.append({"band": label,
                     HA: float((parcels[column].fillna(0) * parcels[HA]).sum())})
    return pd.DataFrame(rows)


def _subsidence(result: RunResult) -> str:
    rules = result.prepared.rules.get("damage", DamageRules)
    parcels = result.parcels
    out = _h3("按下沉深度分带面积", "Area by subsidence depth band")
    bands = _depth_bands(parcels, rules.depth_bands_m)
    if bands.empty:
        out += _note("无沉陷分带数据。", "No subsidence depth bands.")
    else:
        out += table(bands, {"band": "下沉深度 Depth", HA: "面积 Area (ha)"},
                     table_id="depth-bands")
        out += _chart(bar_chart(bands["band"].tolist(), bands[HA].tolist(),
                                xlabel="面积 Area (ha)"), "area by depth band")
    out += _h3("土地损毁程度", "Land damage grade")
    out += _area_section(parcels, col.DAMAGE_GRADE, _entries(rules.grades), "damage-area")
    out += _h3("建筑损坏等级", "Building damage grade")
    if parcels[col.BUILDING_GRADE].notna().any():
        grades = [LegendEntry(k, g.label.zh, g.label.en, g.color)
                  for k, g in rules.buildings.grades.items()]
        construction = parcels[parcels[col.IS_CONSTRUCTION].fillna(False).astype(bool)]
        out += _area_section(construction, col.BUILDING_GRADE, grades, "building-area",
                             chart=False)
    else:
        out += _note("无变形数据，未评定建筑损坏等级（沉陷以多边形给出时如此）。",
                     "No building grades: the subsidence form gives no deformation.")
    ponded = float((parcels[col.PONDED_SHARE].fillna(0) * parcels[HA]).sum())
    seasonal = float((parcels[col.SEASONAL_SHARE].fillna(0) * parcels[HA]).sum())
    rows = [("ponded_ha", "积水面积 Ponded area (ha, W ≥ g)", ha(ponded)),
            ("seasonal_ha", "季节性积水面积 Seasonally wet area (ha)", ha(seasonal))]
    layer = result.layers.get(PONDING)
    if layer is not None and not layer.empty:
        rows.append(("ponding_layer_ha", "积水图层面积 Ponding layer area (ha)",
                     ha(layer.geometry.area.sum() / M2_PER_HA)))
    out += _h3("积水", "Ponding") + key_value_table(rows, "ponding")
    return out


def _layer(result: RunResult, name: str) -> gpd.GeoDataFrame | None:
    frame = result.layers.get(name)
    return None if frame is None or frame.empty else frame


def _count_by(frame: pd.DataFrame, column: str, legend: Sequence[LegendEntry],
              measures: Mapping[str, pd.Series] | None = None) -> pd.DataFrame:
    """Features per value of ``column`` in legend order, and the sum of each measure."""
    keys = frame[column].map(category_key)
    entries, has_empty = resolve_legend(keys, legend, what=f"report: {column}")
    if has_empty:
        entries.append(NO_DATA_ENTRY)
    keys = keys.fillna(NO_DATA_ENTRY.key)
    out = pd.DataFrame({"label": [e.bilingual for e in entries],
                        "count": [int((keys == e.key).sum()) for e in entries]})
    for name, measure in (measures or {}).items():
        out[name] = [float(measure[keys == e.key].sum()) for e in entries]
    return out


def _network(result: RunResult) -> str:
    sources = _layer(result, "sources")
    if sources is None:
        return _note("本次运行未识别生态源地。", "This run found no ecological sources.")
    rows = [("sources", "源地数量 Sources", f"{len(sources):,}"),
            ("sources_ha", "源地面积 Source area (ha)", ha(sources.geometry.area.sum()
                                                        / M2_PER_HA))]
    parcels = result.parcels
    rows.append(("in_corridor_ha", "位于廊道内的地块面积 Parcel area in corridors (ha)",
                 ha(parcels.loc[parcels[col.IN_CORRIDOR].fillna(False).astype(bool), HA]
                    .sum())))
    out = key_value_table(rows, "network")
    paths = _layer(result, "corridors")
    out += _h3("廊道（按等级）", "Corridors by level")
    if paths is None:
        out += _note("无廊道。", "No corridors.")
    else:
        by_level = _count_by(paths, col.CORRIDOR_LEVEL, LEVEL_ENTRIES,
                             {"length_km": paths.geometry.length / M_PER_KM})
        areas = _layer(result, "corridor_areas")
        if areas is not None:
            area = _count_by(areas, col.CORRIDOR_LEVEL, LEVEL_ENTRIES,
                             {HA: areas.geometry.area / M2_PER_HA})
            by_level = by_level.merge(area[["label", HA]], on="label", how="left")
        out += table(by_level, {"label": "等级 Level", "count": "数量 Links",
                                "length_km": "长度 Length (km)",
                                HA: "廊道范围面积 Corridor area (ha)"},
                     formats={"length_km": lambda v: f"{v:.2f}"}, table_id="corridor-levels")
    nodes = _layer(result, "nodes")
    out += _h3("生态节点", "Nodes")
    if nodes is None:
        out += _note("无生态节点。", "No nodes.")
    else:
        counts = _count_by(nodes, col.NODE_TYPE, NODE_ENTRIES)
        out += table(counts, {"label": "类型 Type", "count": "数量 Count"}, table_id="nodes")
    links = result.tables.get("corridor_links")
    if links is not None and not links.empty:
        out += _h3("源地间连接", "Links between sources")
        shown = links[[c for c in LINK_COLUMNS if c in links.columns]]
        out += table(shown, LINK_COLUMNS, table_id="corridor-links")
    ranked = result.tables.get("corridor_sources")
    if ranked is not None and not ranked.empty:
        out += _h3("源地重要性", "Sources by importance (dPC)")
        out += table(ranked, table_id="corridor-sources")
    return out


SUMMARY_ROWS = (("city_type", "城市类型 City type", str),
                ("target_ha", "减量目标 Target (ha)", ha),
                ("reached_ha", "实际减量 Reached (ha)", ha),
                ("overshoot_ha", "超出目标 Overshoot (m²)", lambda v: f"{v * M2_PER_HA:.0f}"),
                ("eligible_ha", "可减量用地 Eligible land (ha)", ha),
                ("triggered_ha", "刚性触发 Triggered (ha)", ha),
                ("parcels", "减量地块数 Parcels retired", number),
                ("fragments", "减量片区数 Fragments", number),
                ("total_score", "总得分 Total score", number),
                ("city_triggers", "城市类型触发 City-type triggers (parcels)", str),
                ("city_target_rules", "城市类型用途规则 City-type target uses (parcels)", str),
                ("method", "求解方法 Method", str),
                ("optimal", "是否最优 Optimal", lambda v: number(bool(v))),
                ("status", "求解状态 Solver status", str))
"""Rows of the reduction summary shown, with their labels and formats."""


def _city_label(result: RunResult, city_type: str) -> str:
    """The label of ``city_type`` in the reduction rules (the code when it has none)."""
    presets = result.prepared.rules.get("reduction", ReductionRules).city_types
    names: dict[str, str] = {k: bilingual(p.label.zh, p.label.en) for k, p in presets.items()}
    return names.get(city_type, city_type)


WEIGHT_HEADERS = {"indicator": "指标 Indicator", "weight": "权重 Weight",
                  "multiplier": "城市类型调整 City-type multiplier", "method": "方法 Method",
                  "left_out": "未使用 Left out"}
"""Headings of the reduction indicator weights (``reduction_weights``)."""


def _reduction(result: RunResult) -> str:
    summary = result.tables.get("reduction_summary")
    if summary is None or summary.empty:
        return _note("本次运行未进行用地减量。", "This run has no land reduction.")
    first = summary.iloc[0].copy()
    first["city_type"] = _city_label(result, first["city_type"])
    out = key_value_table([(key, label, fmt(first[key])) for key, label, fmt in SUMMARY_ROWS
                           if key in summary.columns], "reduction-summary")
    release = result.tables.get("reduction_release")
    out += _h3("按村镇释放的建设用地指标", "Released quota by village and town")
    if release is None or release.empty:
        out += _note("无释放指标表。", "No release table.")
    else:
        out += table(release, {"by": "汇总字段 By", "group": "单位 Unit",
                               "parcels": "地块数 Parcels", HA: "释放面积 Released (ha)",
                               "population": "搬迁人口 People"}, table_id="reduction-release")
    uses = _entries(result.prepared.rules.get("reduction", ReductionRules).target_uses)
    out += _h3("减量后用途", "Use after retirement")
    retired = _layer(result, REDUCTION_LAYER)
    if retired is None:
        out += _note("无减量地块。", "No parcel retired.")
    else:
        out += _area_section(retired, col.REDUCE_TARGET_USE, uses, "reduction-target-use")
    weights = result.tables.get("reduction_weights")
    if weights is not None and not weights.empty:
        out += _h3("指标权重", "Indicator weights") + table(
            weights.assign(indicator=named(weights["indicator"], _indicator_labels(result))),
            WEIGHT_HEADERS, formats={"multiplier": number}, table_id="reduction-weights")
    return out + _city_strategy(result)


def _indicator_labels(result: RunResult) -> dict[str, str]:
    reduction = result.prepared.rules.get("reduction", ReductionRules)
    return {i.id: bilingual(i.label.zh, i.label.en) for i in reduction.score.indicators}


CITY_HEADERS = {"city_type": "城市类型 City type", "applied": "采用 Applied",
                "target_share": "减量比例 Target share", "target_ha": "减量目标 Target (ha)",
                "weight_multipliers": "权重调整 Weight multipliers",
                "value_preferences": "优先价值实现模式 Value modes favoured",
                "description": "说明 Description", "source": "依据 Source"}
"""Columns of the city-type strategy table (``city_strategy``) shown, with their headings."""


def _city_strategy(result: RunResult) -> str:
    """The city type applied and what each type would set (quota, weights, value modes)."""
    strategy = result.tables.get(STRATEGY_TABLE)
    if strategy is None or strategy.empty:
        return ""
    rules = result.prepared.rules
    reduction = rules.get("reduction", ReductionRules)
    values = labels(rules.get("modes", ModesRules).value_modes)
    indicators = _indicator_labels(result)
    presets = [reduction.city_types[k] for k in strategy["city_type"]]
    shown = strategy.assign(
        city_type=[bilingual(p.label.zh, p.label.en) for p in presets],
        weight_multipliers=[names_of([f"{indicators.get(k, k)} ×{v:g}"
                                      for k, v in p.weight_multipliers.items()], {})
                            for p in presets],
        value_preferences=[names_of(p.value_preferences, values) for p in presets])
    applied = strategy[strategy["applied"]].iloc[0]
    preset = reduction.city_types[applied["city_type"]]
    favoured = names_of(preset.value_preferences, values)
    weights = shown.loc[strategy["applied"], "weight_multipliers"].iloc[0]
    return (_h3("城市类型策略", "City-type strategy")
            + _note(f"采用{applied['label_zh']}城市策略：减量目标 {ha(applied['target_ha'])} ha，"
                    f"权重调整 {weights}，优先价值实现模式 {favoured}。",
                    f"{applied['label_en']} city applied: target {ha(applied['target_ha'])} "
                    f"ha, weights {weights}, value modes favoured {favoured}.")
            + table(shown[list(CITY_HEADERS)], CITY_HEADERS,
                    formats={"applied": _yes_no, "target_share": percent},
                    table_id="city-strategy"))


MINE_HEADERS = {col.MINE_ID: "矿井 Mine", col.MINE_STAGE: "阶段 Stage",
                col.MINE_TYPE: "类型 Type", col.AREA_HA: "面积 Area (ha)",
                PONDED_HA: "积水 Ponded (ha)", col.EARTH_VOLUME_M3: "土方 Earth (m³)",
                col.STRATEGY: "策略 Strategy", col.MONITORING: "监测 Monitoring",
                WORST_RISK: "最高风险 Worst risk", BOND_FACTOR: "保证金系数 Bond factor",
                COST_YUAN: "修复费用 Cost (万元)", BOND_YUAN: "保证金 Bond (万元)"}
"""Columns of the per-mine table shown in the report (all are in ``mines.csv``)."""
EARTHWORK_LABEL = "土方工程 (Earthwork)"
ITEM = "item"
TOTAL = "total"


def _wan(value: Any) -> str:
    return "—" if _missing(value) else f"{float(value) / YUAN_PER_WAN:,.1f}"


def _mine_codes_named(plans: pd.DataFrame, rules: RuleSet) -> pd.DataFrame:
    """The per-mine table with stage, type, strategy, monitoring and risk by their labels."""
    modes = rules.get("modes", ModesRules)
    names = {col.MINE_STAGE: MINE_TERMS, col.MINE_TYPE: MINE_TERMS,
             col.STRATEGY: labels(modes.strategies), col.MONITORING: labels(modes.monitoring),
             WORST_RISK: labels(modes.safety_levels)}
    return plans.assign(**{c: named(plans[c], n) for c, n in names.items()})


def _by_mine(plans: pd.DataFrame, rows: Mapping[str, str], item: str,
             fmt: Formatter, table_id: str) -> str:
    """A transposed per-mine table that fits the page whatever the number of items.

    One row per column of ``plans`` named in ``rows`` (shown by its label), one column per
    mine and a total column; the footer totals each column.
    """
    values = plans.set_index(col.MINE_ID)[list(rows)].astype(float).T
    mines = [str(m) for m in values.columns]
    values.columns = mines
    frame = values.assign(**{TOTAL: values.sum(axis=1)})
    frame.insert(0, ITEM, [rows[c] for c in values.index])
    footer = {ITEM: "合计 Total", **{c: fmt(frame[c].sum()) for c in [*mines, TOTAL]}}
    return table(frame, {ITEM: item, TOTAL: "合计 Total"},
                 formats={c: fmt for c in [*mines, TOTAL]}, table_id=table_id, footer=footer)


def _mines(result: RunResult) -> str:
    plans = result.tables.get(MINES_TABLE)
    if plans is None or plans.empty:
        return _note("本次运行无矿井图层或矿区内无地块。",
                     "This run has no mines layer, or no parcel lies in a mine.")
    rules = result.prepared.rules
    modes = rules.get("modes", ModesRules)
    grades = {damage_column(k): v for k, v in
              labels(rules.get("damage", DamageRules).grades).items()}
    used = {mode_column(k): v for k, v in labels(modes.restoration_modes).items()
            if plans[mode_column(k)].sum() > 0}
    measures = labels(modes.measures)
    costs = {cost_column(m): measures.get(m, m) for m in rules.get("costs", CostsRules).measures}
    costs[cost_column(EARTHWORK)] = EARTHWORK_LABEL
    shown = _mine_codes_named(plans, rules)[list(MINE_HEADERS)]
    return (_note("每个矿井的损毁、修复模式、土方平衡、费用估算与按安全风险分级的保证金"
                  "（明细见 mines.csv）。",
                  "Damage, restoration modes, earth balance, estimated cost and the bond "
                  "graded by safety risk of each mine (details in mines.csv).")
            + table(shown, MINE_HEADERS, formats={COST_YUAN: _wan, BOND_YUAN: _wan},
                    table_id="mines")
            + _h3("按损毁程度的面积（公顷）", "Area by damage grade (ha)")
            + _by_mine(plans, grades, "损毁程度 Damage grade", ha, "mines-damage")
            + _h3("按修复模式的面积（公顷）", "Area by restoration mode (ha)")
            + _by_mine(plans, used, "修复模式 Restoration mode", ha, "mines-modes")
            + _h3("按措施的费用估算（万元）", "Estimated cost by measure (10k yuan)")
            + _by_mine(plans, costs, "措施 Measure", _wan, "mines-cost"))


def _sensitivity(result: RunResult) -> str:
    sensitivity = result.tables.get("suitability_sensitivity")
    if sensitivity is None or sensitivity.empty:
        return _note("本次运行无敏感性分析。", "This run has no sensitivity table.")
    worst = sensitivity.sort_values("best_use_changed_share", ascending=False).iloc[0]
    lead = (f"<p>权重按 ±步长调整并重新归一化后，等级或最适宜用途改变的地块比例。"
            f"Each weight moved up (+) or down (−) by the step and renormalised: the share "
            f"of parcels whose class of that use, or whose best use, changes. Most "
            f"sensitive: {_esc(worst['use'])} / {_esc(worst['factor'])} "
            f"({_esc(percent(worst['best_use_changed_share']))} of best uses).</p>")
    headers = {"use": "用途 Use", "factor": "因子 Factor", "direction": "方向 Direction",
               "weight": "权重 Weight", "class_changed_share": "等级改变 Class changed",
               "best_use_changed_share": "最适宜用途改变 Best use changed"}
    return lead + table(sensitivity, headers, table_id="sensitivity")


def _ecosystem(result: RunResult) -> str:
    parcels = result.parcels
    rows = []
    if all(c in parcels.columns for c in ESV_COLUMNS):
        before, after = (float(parcels[c].sum()) / YUAN_PER_WAN for c in ESV_COLUMNS)
        rows.append({"item": "生态系统服务价值 ESV (万元 10k yuan)", "before": before,
                     "after": after, "change": after - before})
    if all(c in parcels.columns for c in CARBON_COLUMNS):
        before, after = (float(parcels[c].sum()) for c in CARBON_COLUMNS)
        rows.append({"item": "碳储量 Carbon stock (t)", "before": before, "after": after,
                     "change": after - before})
    if not rows:
        return _note("本次运行未计算生态系统服务价值与碳储量（缺少 esv_*/carbon_* 列）。",
                     "This run computed no ecosystem service value or carbon "
                     "(no esv_* / carbon_* columns).")
    amount: Formatter = lambda v: f"{v:,.1f}"  # noqa: E731
    return table(pd.DataFrame(rows), {"item": "项目 Item", "before": "修复前 Before",
                                      "after": "修复后 After", "change": "变化 Change"},
                 formats={"before": amount, "after": amount, "change": amount},
                 table_id="ecosystem")


def _assessment(result: RunResult) -> str:
    found = result.prepared.assessment
    spec = result.prepared.project.assessment
    if found is None or spec is None:
        return _note("本项目未进行社会-生态系统评价（project.yaml 中无 assessment）。",
                     "This project has no social-ecological assessment (no assessment in "
                     "project.yaml).")
    notice = assess.ILLUSTRATIVE_NOTICE if spec.illustrative else None
    out = f'<p class="notice">{_esc(notice)}</p>' if notice else ""
    zh, en = found.weighting()
    out += _note(f"集对分析（最优/最劣集），{zh}；详见 assessment/ 文件夹。",
                 "Set pair analysis against the best and worst value of each indicator, "
                 f"{en}; all tables in the assessment/ folder.")
    out += "<ul>" + "".join(f"<li>{_esc(line)}</li>" for line in assess.orientation_lines(found))
    out += "</ul>"
    png = assess.chart_png(found, notice)
    out += _chart("data:image/png;base64," + base64.b64encode(png).decode("ascii"),
                  "vulnerability, resilience and their difference over time")
    return out + _h3("脆弱性与恢复力之差", "Vulnerability − resilience") + table(
        _assessment_wide(found), table_id="assessment-difference")


def _assessment_wide(found: assess.Assessment) -> pd.DataFrame:
    """One row per year (or unit): V, R and V − R of each target, years as text."""
    wide = found.wide()
    names = {f"{t}_{key}": f"{t} {short}" for t in found.difference.columns
             for key, short in (("vulnerability_degree", "V"), ("resilience_degree", "R"),
                                ("difference", "V − R"))}
    out = wide[list(names)].rename(columns=names)
    out.index = out.index.astype(str)
    return out.reset_index()


TOPOLOGY_ITEMS = {
    "parcels": "地块面积之和 Sum of parcel areas",
    "union": "地块覆盖面积 Area covered (union)",
    "double_counted": "重复计算面积 Counted twice (sum − union)",
    "overlaps": "超限重叠 Overlapping pairs above tolerance",
    "duplicates": "其中重复图斑 of which duplicate geometries",
    "contained": "其中包含图斑 of which one parcel inside another",
    "overlap_slivers": "限差内重叠碎片 Sliver overlaps (counted)",
    "gaps": "超限缝隙 Gaps above tolerance",
    "gap_slivers": "限差内缝隙 Sliver gaps (counted)",
}
"""Rows of the topology summary (``qc_topology``), with their labels."""
TOPOLOGY_ROWS = 10
"""How many of the largest overlaps and gaps the report lists."""


def _yes_no(value: Any) -> str:
    return number(bool(value))


def _topology(result: RunResult) -> str:
    summary = result.tables.get(TOPOLOGY_TABLE)
    if summary is None:
        return _note("本次运行未做拓扑检查。", "This run has no topology check.")
    shown = summary.assign(item=summary["item"].map(TOPOLOGY_ITEMS).fillna(summary["item"]))
    out = table(shown, {"item": "项目 Item", "count": "数量 Count", HA: "面积 Area (ha)"},
                formats={HA: lambda v: f"{v:,.4f}"}, table_id="topology")
    qc = result.prepared.project.qc
    out += _note(f"地块两两重叠不超过 {qc.overlap_tolerance_ha:g} 公顷、缝隙不超过 "
                 f"{qc.gap_tolerance_ha:g} 公顷者视为数字化碎片，只计数。",
                 f"Overlaps of a pair up to {qc.overlap_tolerance_ha:g} ha and gaps up to "
                 f"{qc.gap_tolerance_ha:g} ha are digitising slivers, only counted "
                 "(qc in project.yaml); result.gpkg holds them as layers qc_overlaps and "
                 "qc_gaps.")
    overlaps = _layer(result, OVERLAPS_LAYER)
    if overlaps is not None:
        largest = overlaps.drop(columns="geometry").head(TOPOLOGY_ROWS)
        out += _h3("最大重叠", "Largest overlaps") + table(
            largest.assign(**{col.QC_KIND: named(largest[col.QC_KIND], OVERLAP_TERMS)}),
            {col.QC_PARCEL_A: "地块 A Parcel A", col.QC_PARCEL_B: "地块 B Parcel B",
             col.QC_OVERLAP_HA: "重叠面积 Overlap (ha)", col.QC_KIND: "类型 Kind",
             col.QC_SIGNIFICANT: "超限 Above tolerance"},
            formats={col.QC_OVERLAP_HA: lambda v: f"{v:,.4f}", col.QC_SIGNIFICANT: _yes_no},
            table_id="topology-overlaps")
    gaps = _layer(result, GAPS_LAYER)
    if gaps is not None:
        out += _h3("最大缝隙", "Largest gaps") + table(
            gaps.drop(columns="geometry").head(TOPOLOGY_ROWS),
            {col.QC_GAP_ID: "编号 Gap", HA: "面积 Area (ha)", col.QC_X: "X", col.QC_Y: "Y",
             col.QC_BORDERING: "相邻地块 Bordering parcels",
             col.QC_SIGNIFICANT: "超限 Above tolerance"},
            formats={HA: lambda v: f"{v:,.4f}", col.QC_X: lambda v: f"{v:.1f}",
                     col.QC_Y: lambda v: f"{v:.1f}", col.QC_SIGNIFICANT: _yes_no},
            table_id="topology-gaps")
    return out


def _files(entries: Mapping[str, Mapping[str, Any]], what: str, table_id: str) -> str:
    frame = pd.DataFrame([{what: name, "path": e.get("path", ""), "bytes": e.get("bytes"),
                           "sha256": e.get("sha256", "")} for name, e in entries.items()])
    if frame.empty:
        return _note("无。", "None.")
    return table(frame, {"role": "角色 Role", col.QC_KIND: "类型 Kind", "path": "路径 Path",
                         "bytes": "字节 Bytes", "sha256": "SHA-256"},
                 table_id=table_id)


def _provenance(manifest: Mapping[str, Any]) -> str:
    project = manifest.get("project", {})
    crs = manifest.get("crs", {})
    rows = [("project_file", "项目文件 Project file", str(project.get("file", {}).get("path",
                                                                                   "—"))),
            ("project_sha256", "项目文件 SHA-256", str(project.get("file", {}).get("sha256",
                                                                                 "—"))),
            ("started", "开始 Started (UTC)", str(manifest.get("started_utc", "—"))),
            ("finished", "结束 Finished (UTC)", str(manifest.get("finished_utc", "—"))),
            ("arguments", "命令 Arguments", " ".join(map(str, manifest.get("arguments", [])))),
            ("crs", "坐标系 CRS", f"{crs.get('name', '—')} (EPSG:{crs.get('epsg', '—')})"),
            ("groundwater", "地下水埋深 Groundwater (m)", number(manifest.get("groundwater_m")))]
    out = key_value_table(rows, "provenance")
    out += _h3("输入数据", "Inputs") + _files(manifest.get("inputs", {}), "role", "inputs")
    out += _h3("规则文件", "Rule files") + _files(manifest.get("rules", {}), "kind", "rules")
    notes = manifest.get("notes") or []
    if notes:
        out += _h3("说明", "Notes") + "<ul>" + "".join(f"<li>{_esc(n)}</li>" for n in notes)
        out += "</ul>"
    versions = manifest.get("versions", {})
    out += _h3("软件版本", "Versions") + table(
        pd.DataFrame({"package": list(versions), "version": list(versions.values())}),
        {"package": "软件包 Package", "version": "版本 Version"}, table_id="versions")
    timings = manifest.get("timings_s", {})
    out += _h3("各阶段耗时", "Timings") + table(
        pd.DataFrame({"step": list(timings), "seconds": [float(v) for v in timings.values()]}),
        {"step": "阶段 Step", "seconds": "秒 Seconds"},
        formats={"seconds": lambda v: f"{v:.2f}"}, table_id="timings")
    return out


def render_report(result: RunResult, manifest: Mapping[str, Any]) -> str:
    """The report of ``result`` as one HTML document (see :func:`write_report`)."""
    project = result.prepared.project
    bodies = {
        "overview": _overview(result, manifest),
        "zones": _zones(result),
        "modes": _modes(result),
        "suitability": _suitability(result),
        "subsidence": _subsidence(result),
        "network": _network(result),
        "reduction": _reduction(result),
        "mines": _mines(result),
        "sensitivity": _sensitivity(result),
        "ecosystem": _ecosystem(result),
        "assessment": _assessment(result),
        "topology": _topology(result),
        "provenance": _provenance(manifest),
    }
    notice = (f'<p class="notice" id="synthetic-notice">{_esc(SYNTHETIC_NOTICE_ZH)}<br>'
              f"{_esc(SYNTHETIC_NOTICE_EN)}</p>" if project.synthetic else "")
    contents = "".join(f'<li><a href="#{k}">{_esc(zh)} {_esc(en)}</a></li>'
                       for k, (zh, en) in SECTIONS.items())
    sections = "".join(f'<section id="{k}"><h2>{_esc(zh)} {_esc(en)}</h2>{bodies[k]}</section>'
                       for k, (zh, en) in SECTIONS.items())
    title = _esc(project.title)
    return (f'<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{title}</title><style>{CSS}</style></head><body>"
            f"<h1>{title}<br><small>生态修复规划报告 Ecological restoration plan report"
            f"</small></h1>{notice}<nav><ol>{contents}</ol></nav>{sections}</body></html>\n")


def write_report(path: Path, result: RunResult, manifest: Mapping[str, Any]) -> Path:
    """Write the plan report of a run: one self-contained HTML file.

    The file is written to a temporary file beside ``path`` and moved into place, so it
    appears whole or not at all.

    Parameters
    ----------
    path
        Where to write (``report.html``).
    result
        The run: parcels with every column, layers and tables. Sections whose inputs are
        missing (no reduction, no ESV or carbon columns, no zone statistics) carry a note.
    manifest
        The run manifest (as written to ``manifest.json``): inputs and rule files with
        SHA-256, CRS, versions and timings, shown in the provenance section.

    Returns
    -------
    pathlib.Path
        ``path``.

    """
    text = render_report(result, manifest)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}-", suffix=".tmp",
                                         dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    logger.info("report written to %s (%d kB)", path, len(text.encode()) // 1024)
    return path
