"""The data dictionary of the parcel list: one stable column schema for valuation tools.

``parcels.csv``, ``parcels.parquet`` and ``parcels.xlsx`` hold exactly the columns of
:data:`PARCEL_LIST`, in its order (the Parquet file adds the geometry). Every entry gives the
column's name, unit, type, Chinese and English headers and meaning, as the stage that makes the
column declares them (:mod:`zoning.declare`; this module keeps the order, :data:`ORDER`, and
the few columns no stage makes); ``parcels.xlsx`` takes its headers from here and
``docs/parcels_dictionary.md`` is generated from it
(``python -m zoning.dictionary docs/parcels_dictionary.md``). The full parcel table, with every
column of every stage, is the ``parcels`` layer of ``result.gpkg``.

Examples
--------
>>> names()[:3]
['parcel_id', 'parent_id', 'split']
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
from zoning import damage, derive, modes, rasterstats, split, units, valuation, zones
from zoning.corridors import stage as corridors
from zoning.declare import Column
from zoning.reduction import stage as reduction
from zoning.subsidence import stage as subsidence
from zoning.suitability import stage as suitability

logger = logging.getLogger(__name__)

Language = Literal["zh", "en"]
LANGUAGES: tuple[Language, ...] = ("zh", "en")

X = "x"
"""Column: easting of a point inside the parcel, in the working CRS (m)."""
Y = "y"
"""Column: northing of a point inside the parcel, in the working CRS (m)."""


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


_OWN: tuple[Column, ...] = (
    Column(col.PARCEL_ID, "text", "图斑编号", "Parcel ID", "id from the parcel layer"),
    Column(col.LANDUSE_CODE, "text", "地类编码", "Land-use code",
           "land-use code of the parcel layer (GB/T 21010-2017 by default)"),
    Column(X, "float", "横坐标", "X", "easting of a point inside the parcel, working CRS",
           unit="m"),
    Column(Y, "float", "纵坐标", "Y", "northing of a point inside the parcel, working CRS",
           unit="m"),
)
"""Columns of the parcel list no stage makes: the parcel layer's id and code, the point."""

ORDER: tuple[str, ...] = (
    # identity and land use before
    col.PARCEL_ID, col.PARENT_ID, col.SPLIT, col.LANDUSE_CODE, col.LANDUSE_NAME_ZH,
    col.LANDUSE_NAME_EN, col.LANDUSE_L1, col.LAND_CLASS, col.IS_CONSTRUCTION, col.AREA_HA,
    # location
    X, Y, col.DIST_ROAD_M, col.DIST_TOWN_M, col.TRAVEL_MIN_TOWN, col.DIST_BOUNDARY_M,
    col.INSIDE_BOUNDARY, col.REDLINE_SHARE, col.GEOHAZARD_SHARE, col.GANGUE_SHARE, col.MINE_ID,
    col.MINE_STAGE, col.MINE_TYPE,
    # terrain (a project `dem` raster; missing without one)
    *col.SLOPE_COLUMNS,
    # subsidence and damage
    col.SUBS_MAX_M, col.SUBS_MEAN_M, col.GW_AFTER_M, col.PONDED_SHARE, col.POND_DEPTH_M,
    col.TILT_MAX_MM_M, col.CURV_MAX_PER_KM, col.STRAIN_MAX_MM_M, col.STABLE, col.DAMAGE_GRADE,
    col.DAMAGE_FACTOR, col.BUILDING_GRADE,
    # ecological security pattern
    col.IS_SOURCE, col.IN_CORRIDOR, col.CORRIDOR_LEVEL, col.NODE_TYPE,
    # suitability
    col.BEST_USE, col.BEST_USE_CLASS,
    # reduction
    col.REDUCE_CANDIDATE, col.REDUCE_SCORE, col.REDUCE_SELECTED, col.REDUCE_TARGET_USE,
    # modes
    col.SAFETY_RISK, col.MARKET_ACCESS, col.RESTORATION_MODE, col.MEASURES, col.VALUE_MODE,
    col.RIGHTS_KIND, col.RIGHTS_AREA_HA, col.STRATEGY, col.MONITORING,
    # zone
    col.ZONE, col.ZONE_NAME_ZH, col.ZONE_NAME_EN, col.PLANNING_UNIT,
    # land use after, ESV and carbon
    col.LAND_CLASS_AFTER, col.LAND_CLASS_AFTER_NAME_ZH, col.LAND_CLASS_AFTER_NAME_EN,
    col.LAND_CLASS_AFTER_RULE, col.ESV_BEFORE_YUAN, col.ESV_AFTER_YUAN, col.CARBON_BEFORE_T,
    col.CARBON_AFTER_T,
)
"""The names of the parcel list's columns, in order."""


def declared() -> dict[str, Column]:
    """Every column declared by a stage (those not depending on the rules), and our own, by name.

    One label per concept: the parcel list, the map's popups and the report take their
    headers from here.

    Examples
    --------
    >>> declared()["area_ha"].en, declared()["area_ha"].unit
    ('Area', 'ha')
    """
    found = (*_OWN, *split.DECLARED, *derive.DECLARED, *rasterstats.SLOPE_DECLARED,
             *subsidence.DECLARED, *damage.DECLARED, *corridors.DECLARED, *suitability.BEST,
             *reduction.DECLARED, *modes.DECLARED, *zones.DECLARED, *units.DECLARED,
             *valuation.DECLARED)
    return {c.name: c for c in found}


def _entry(column: Column) -> Entry:
    return Entry(column.name, column.unit, column.storage, column.zh, column.en, column.meaning)


PARCEL_LIST: tuple[Entry, ...] = tuple(_entry(declared()[name]) for name in ORDER)
"""The columns of the parcel list, in order, as the stages that make them declare them."""


def names() -> list[str]:
    """Column names of the parcel list, in order."""
    return [e.name for e in PARCEL_LIST]


def header(name: str, language: Language) -> str:
    """The header of any declared column (:func:`declared`) in ``language``, with its unit."""
    return _entry(declared()[name]).header(language)


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
