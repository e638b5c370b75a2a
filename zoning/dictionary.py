"""The data dictionary of the parcel list: one stable column schema for valuation tools.

``parcels.csv``, ``parcels.parquet`` and ``parcels.xlsx`` hold exactly the columns of
:data:`PARCEL_LIST`, in its order (the Parquet file adds the geometry). Every entry gives the
column's name, unit, type, Chinese and English headers and meaning; ``parcels.xlsx`` takes its
headers from here and ``docs/parcels_dictionary.md`` is generated from it
(``python -m zoning.dictionary docs/parcels_dictionary.md``). The full parcel table, with every
column of every stage, is the ``parcels`` layer of ``result.gpkg``.

Examples
--------
>>> names()[:3]
['parcel_id', 'landuse_code', 'landuse_name_zh']
>>> headers("en")["esv_after_yuan"]
'ESV after (yuan/yr)'
"""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from zoning import columns as col

logger = logging.getLogger(__name__)

Language = Literal["zh", "en"]
LANGUAGES: tuple[Language, ...] = ("zh", "en")

X = "x"
"""Column: easting of a point inside the parcel, in the working CRS (m)."""
Y = "y"
"""Column: northing of a point inside the parcel, in the working CRS (m)."""

TEXT, FLOAT, BOOL = "text", "float", "boolean"


@dataclass(frozen=True)
class Entry:
    """One column of the parcel list."""

    name: str
    unit: str
    dtype: str
    zh: str
    en: str
    meaning: str

    def header(self, language: Language) -> str:
        """The header in ``language``, with the unit in brackets when there is one."""
        label = self.zh if language == "zh" else self.en
        return f"{label} ({self.unit})" if self.unit else label


def _e(name: str, dtype: str, zh: str, en: str, meaning: str) -> Entry:
    return Entry(name, col.UNITS.get(name, ""), dtype, zh, en, meaning)


PARCEL_LIST: tuple[Entry, ...] = (
    # identity and land use before
    _e(col.PARCEL_ID, TEXT, "图斑编号", "Parcel ID", "id from the parcel layer"),
    _e(col.PARENT_ID, TEXT, "原图斑编号", "Parent parcel ID",
       "id of the parcel a piece was split from (split: option); its own id when not split"),
    _e(col.SPLIT, BOOL, "是否分割", "Split",
       "piece of a parcel split by subsidence band or ponding (id <parent id>-<k>)"),
    _e(col.LANDUSE_CODE, TEXT, "地类编码", "Land-use code",
       "land-use code of the parcel layer (GB/T 21010-2017 by default)"),
    _e(col.LANDUSE_NAME_ZH, TEXT, "地类名称", "Land-use name (zh)", "Chinese name of the code"),
    _e(col.LANDUSE_NAME_EN, TEXT, "地类名称（英文）", "Land-use name",
       "English name of the code"),
    _e(col.LANDUSE_L1, TEXT, "一级地类", "First-level class", "first-level class code"),
    _e(col.LAND_CLASS, TEXT, "现状归并地类", "Land class before",
       "canonical land class before restoration (rules/landuse.yaml)"),
    _e(col.IS_CONSTRUCTION, BOOL, "是否建设用地", "Construction land",
       "construction land (建设用地) by the land-use mapping"),
    _e(col.AREA_HA, FLOAT, "面积", "Area", "parcel area in the working CRS"),
    # location
    Entry(X, "m", FLOAT, "横坐标", "X", "easting of a point inside the parcel, working CRS"),
    Entry(Y, "m", FLOAT, "纵坐标", "Y", "northing of a point inside the parcel, working CRS"),
    _e(col.DIST_ROAD_M, FLOAT, "距主要道路距离", "Distance to main road",
       "distance to the nearest main road"),
    _e(col.DIST_TOWN_M, FLOAT, "距镇区距离", "Distance to town",
       "distance to the nearest town centre"),
    _e(col.TRAVEL_MIN_TOWN, FLOAT, "到镇区通行时间", "Travel time to town",
       "travel time to the nearest town over the road network; missing without roads and towns"),
    _e(col.DIST_BOUNDARY_M, FLOAT, "距城镇开发边界距离", "Distance to urban boundary",
       "distance to the urban development boundary (0 touching or inside); missing without it"),
    _e(col.INSIDE_BOUNDARY, BOOL, "位于城镇开发边界内", "Inside urban boundary",
       "at least half of the parcel inside the urban development boundary"),
    _e(col.REDLINE_SHARE, FLOAT, "生态保护红线占比", "Red line share",
       "share inside the ecological protection red line; missing without the layer"),
    _e(col.GEOHAZARD_SHARE, FLOAT, "地质灾害易发区占比", "Geohazard share",
       "share in geological hazard prone areas; missing without the layer"),
    _e(col.GANGUE_SHARE, FLOAT, "矸石压占比例", "Gangue share", "share under gangue piles"),
    _e(col.MINE_ID, TEXT, "所在矿井", "Mine", "mine covering most of the parcel"),
    _e(col.MINE_STAGE, TEXT, "矿井阶段", "Mine stage", "new, producing or closed"),
    _e(col.MINE_TYPE, TEXT, "开采方式", "Mine type", "underground or open_pit"),
    # terrain (a project `dem` raster; missing without one)
    _e(col.SLOPE_MEAN_DEG, FLOAT, "平均坡度", "Mean slope",
       "mean slope over the parcel's cells, from the dem; missing without one"),
    _e(col.SLOPE_MAX_DEG, FLOAT, "最大坡度", "Max slope", "steepest cell of the parcel"),
    _e(col.SLOPE_SHARES[0], FLOAT, "坡度大于15°比例", "Share steeper than 15°",
       "share of the parcel's cells steeper than 15 degrees"),
    _e(col.SLOPE_SHARES[1], FLOAT, "坡度大于25°比例", "Share steeper than 25°",
       "share of the parcel's cells steeper than 25 degrees"),
    # subsidence and damage
    _e(col.SUBS_MAX_M, FLOAT, "最大下沉", "Max subsidence", "largest subsidence over the parcel"),
    _e(col.SUBS_MEAN_M, FLOAT, "平均下沉", "Mean subsidence", "area-weighted mean subsidence"),
    _e(col.GW_AFTER_M, FLOAT, "沉陷后潜水埋深", "Water table after",
       "water-table depth below the lowest ground after subsidence; negative: ponded"),
    _e(col.PONDED_SHARE, FLOAT, "积水比例", "Ponded share",
       "share fallen to or below the water table"),
    _e(col.POND_DEPTH_M, FLOAT, "最大积水深度", "Ponding depth", "deepest water over the parcel"),
    _e(col.TILT_MAX_MM_M, FLOAT, "最大倾斜", "Max tilt", "largest tilt; missing when unknown"),
    _e(col.CURV_MAX_PER_KM, FLOAT, "最大曲率", "Max curvature",
       "largest absolute principal curvature; missing when unknown"),
    _e(col.STRAIN_MAX_MM_M, FLOAT, "最大水平变形", "Max strain",
       "largest absolute horizontal strain; missing when unknown"),
    _e(col.STABLE, BOOL, "地表稳沉", "Stable ground", "ground considered stable"),
    _e(col.DAMAGE_GRADE, TEXT, "损毁程度", "Damage grade",
       "land damage grade: none, light, moderate, severe"),
    _e(col.DAMAGE_FACTOR, TEXT, "损毁主导因子", "Damage factor",
       "the factor that decided the damage grade"),
    _e(col.BUILDING_GRADE, TEXT, "建筑物损坏等级", "Building grade",
       "building damage grade I-IV of construction land; missing without deformation values"),
    # ecological security pattern
    _e(col.IS_SOURCE, BOOL, "生态源地", "Ecological source", "part of an ecological source"),
    _e(col.IN_CORRIDOR, BOOL, "位于生态廊道", "In corridor", "lies in an ecological corridor"),
    _e(col.CORRIDOR_LEVEL, TEXT, "廊道等级", "Corridor level",
       "important or general; missing outside corridors"),
    _e(col.NODE_TYPE, TEXT, "生态节点", "Ecological node",
       "barrier, pinch_point or stepping_stone; missing otherwise"),
    # suitability
    _e(col.BEST_USE, TEXT, "最适宜用途", "Best use", "the most suitable use"),
    _e(col.BEST_USE_CLASS, TEXT, "最适宜等级", "Best use class", "its class S1, S2, S3 or N"),
    # reduction
    _e(col.REDUCE_CANDIDATE, BOOL, "减量候选", "Reduction candidate",
       "eligible construction land not locked out"),
    _e(col.REDUCE_SCORE, FLOAT, "减量得分", "Reduction score",
       "0-1, 1 the strongest case for retiring; missing off candidates"),
    _e(col.REDUCE_SELECTED, BOOL, "纳入减量", "Retired", "retired within the reduction quota"),
    _e(col.REDUCE_TARGET_USE, TEXT, "减量后用途", "Use after retirement",
       "target use of retired land; missing when not retired"),
    # modes
    _e(col.SAFETY_RISK, TEXT, "安全风险", "Safety risk", "high, medium or low"),
    _e(col.MARKET_ACCESS, TEXT, "市场条件", "Market access", "good, fair or poor"),
    _e(col.RESTORATION_MODE, TEXT, "修复模式", "Restoration mode", "restoration mode"),
    _e(col.MEASURES, TEXT, "修复措施", "Measures", "measures of the restoration mode"),
    _e(col.VALUE_MODE, TEXT, "价值实现模式", "Value mode", "value-realization mode"),
    _e(col.RIGHTS_KIND, TEXT, "新增权益类型", "Rights kind",
       "right the restoration creates: linked_quota (增减挂钩), balance_credit (占补平衡), "
       "carbon_sink or none"),
    _e(col.RIGHTS_AREA_HA, FLOAT, "新增权益面积", "Rights area",
       "area of that right on the parcel; 0 with none"),
    _e(col.STRATEGY, TEXT, "修复策略", "Strategy",
       "restoration strategy from the mine's stage and type"),
    _e(col.MONITORING, TEXT, "监测要求", "Monitoring", "monitoring requirement"),
    # zone
    _e(col.ZONE, TEXT, "规划分区", "Zone", "planning zone"),
    _e(col.ZONE_NAME_ZH, TEXT, "分区名称", "Zone name (zh)", "Chinese name of the zone"),
    _e(col.ZONE_NAME_EN, TEXT, "分区名称（英文）", "Zone name", "English name of the zone"),
    _e(col.PLANNING_UNIT, TEXT, "规划单元", "Planning unit",
       "planning unit `<zone>-NNN`: compact contiguous parcels of one zone; empty when the "
       "zones rules have no planning_units block"),
    # land use after, ESV and carbon
    _e(col.LAND_CLASS_AFTER, TEXT, "修复后归并地类", "Land class after",
       "canonical land class after restoration (rules/esv.yaml after_rules)"),
    _e(col.LAND_CLASS_AFTER_NAME_ZH, TEXT, "修复后地类名称", "Land class after (zh)",
       "Chinese name of the land class after"),
    _e(col.LAND_CLASS_AFTER_NAME_EN, TEXT, "修复后地类名称（英文）", "Land class after name",
       "English name of the land class after"),
    _e(col.LAND_CLASS_AFTER_RULE, TEXT, "修复后地类规则", "Land class after rule",
       "the after_rules rule that gave it"),
    _e(col.ESV_BEFORE_YUAN, FLOAT, "修复前生态系统服务价值", "ESV before",
       "ecosystem service value before: area × Σ equivalents × equivalent value"),
    _e(col.ESV_AFTER_YUAN, FLOAT, "修复后生态系统服务价值", "ESV after",
       "ecosystem service value of the land class after restoration"),
    _e(col.CARBON_BEFORE_T, FLOAT, "修复前碳储量", "Carbon before",
       "carbon in the four InVEST pools before restoration"),
    _e(col.CARBON_AFTER_T, FLOAT, "修复后碳储量", "Carbon after",
       "carbon in the four InVEST pools after restoration"),
)
"""The columns of the parcel list, in order."""


def names() -> list[str]:
    """Column names of the parcel list, in order."""
    return [e.name for e in PARCEL_LIST]


def headers(language: Language) -> dict[str, str]:
    """Column name → header in ``language`` (``zh`` or ``en``), with units."""
    if language not in LANGUAGES:
        raise ValueError(f"headers must be one of {LANGUAGES}, got {language!r}")
    return {e.name: e.header(language) for e in PARCEL_LIST}


def markdown() -> str:
    """The data dictionary as a Markdown document (``docs/parcels_dictionary.md``)."""
    lines = [
        "# Parcel list data dictionary",
        "",
        "Columns of `parcels.csv`, `parcels.parquet` and `parcels.xlsx`, in order (generated "
        "from `zoning/dictionary.py`; do not edit by hand). `parcels.parquet` adds `geometry` "
        "(GeoParquet, in the working CRS of the run, as `x` and `y`); `parcels.xlsx` uses the "
        "zh or en header. Missing values are empty cells.",
        "",
        "| name | unit | type | zh | en | meaning |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    lines += [f"| `{e.name}` | {e.unit} | {e.dtype} | {e.zh} | {e.en} | {e.meaning} |"
              for e in PARCEL_LIST]
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    """Write the Markdown dictionary to the file given (whole: a temporary file, then moved)."""
    target = Path(argv[0])
    temp = target.with_name(f".{target.name}.tmp")
    temp.write_text(markdown(), encoding="utf-8")
    temp.replace(target)
    logger.info("wrote %s", target)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
