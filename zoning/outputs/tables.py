"""Parcel lists for valuation tools and spreadsheets, and other tables, each written whole.

The parcel list has the columns of :data:`zoning.dictionary.PARCEL_LIST`, in order, one row
per parcel: ``parcels.csv`` (UTF-8 with BOM), ``parcels.parquet`` (GeoParquet with the
geometry, in the working CRS of the run, like ``x`` and ``y``) and ``parcels.xlsx`` (headers
in Chinese or English, and a second sheet with the data dictionary). Every file is written to
a temporary name beside its destination and moved into place, so none is ever half written.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from zoning import dictionary
from zoning.dictionary import PARCEL_LIST, Language
from zoning.errors import ZoningError

COORDINATE_DECIMALS = 2
"""Decimals of ``x`` and ``y`` (centimetres in a projected CRS)."""
PARCEL_SHEET = {"zh": "图斑清单", "en": "parcels"}
DICTIONARY_SHEET = {"zh": "数据字典", "en": "dictionary"}
DICTIONARY_FIELDS = ("name", "unit", "dtype", "zh", "en", "meaning")


def _whole(path: Path, write: Callable[[Path], object]) -> Path:
    """Call ``write`` on a temporary file beside ``path``, then move it onto ``path``."""
    temp = path.with_name(f".{path.name}.tmp")
    try:
        write(temp)
        temp.replace(path)
    finally:
        temp.unlink(missing_ok=True)
    return path


def parcel_list(parcels: gpd.GeoDataFrame) -> pd.DataFrame:
    """The parcel list: the dictionary's columns in order, without geometry.

    ``x`` and ``y`` are a point inside each parcel, in the CRS of ``parcels``.

    Raises
    ------
    ZoningError
        If ``parcels`` lacks a column of the dictionary (a stage did not run).
    """
    table = pd.DataFrame(parcels.drop(columns=parcels.geometry.name)).reset_index()
    points = shapely.point_on_surface(parcels.geometry.values)
    table[dictionary.X] = shapely.get_x(points).round(COORDINATE_DECIMALS)
    table[dictionary.Y] = shapely.get_y(points).round(COORDINATE_DECIMALS)
    missing = [n for n in dictionary.names() if n not in table.columns]
    if missing:
        raise ZoningError(f"the parcel table lacks the parcel-list columns {missing}")
    return table[dictionary.names()]


def write_table(path: Path, table: pd.DataFrame) -> Path:
    """Write a table as CSV, UTF-8 with BOM so Excel shows Chinese correctly."""
    return _whole(path, lambda temp: table.to_csv(temp, index=False, encoding="utf-8-sig",
                                                  float_format="%.6g"))


def write_csv(path: Path, parcels: gpd.GeoDataFrame) -> Path:
    """Write ``parcels.csv``: the parcel list, see :func:`parcel_list`."""
    return write_table(path, parcel_list(parcels))


def write_parquet(path: Path, parcels: gpd.GeoDataFrame) -> Path:
    """Write ``parcels.parquet``: the parcel list with its geometry, in the CRS of ``parcels``."""
    frame = gpd.GeoDataFrame(parcel_list(parcels), geometry=parcels.geometry.to_numpy(),
                             crs=parcels.crs)
    return _whole(path, lambda temp: frame.to_parquet(temp, index=False))


def write_xlsx(path: Path, parcels: gpd.GeoDataFrame, headers: Language = "zh") -> Path:
    """Write ``parcels.xlsx``: the parcel list with ``zh`` or ``en`` headers, and the dictionary.

    The first sheet holds the parcels, headed by :func:`zoning.dictionary.headers` (bold,
    frozen); the second the data dictionary (column name, unit, type, zh, en, meaning).
    Missing values are empty cells. Written row by row with openpyxl's write-only workbook,
    which streams the rows instead of building every cell as an object first.
    """
    table = parcel_list(parcels).rename(columns=dictionary.headers(headers))
    entries = pd.DataFrame([[getattr(e, f) for f in DICTIONARY_FIELDS] for e in PARCEL_LIST],
                           columns=list(DICTIONARY_FIELDS))

    def write(temp: Path) -> None:
        book = Workbook(write_only=True)
        for name, frame in ((PARCEL_SHEET[headers], table), (DICTIONARY_SHEET[headers], entries)):
            _append_sheet(book, name, frame)
        book.save(temp)

    return _whole(path, write)


def _append_sheet(book: Workbook, name: str, frame: pd.DataFrame) -> None:
    """One sheet of a write-only workbook: a bold, frozen header row, then the rows."""
    sheet = book.create_sheet(name)
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    header = []
    for text in frame.columns:
        cell = WriteOnlyCell(sheet, value=str(text))
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    values = frame.astype(object).where(frame.notna(), None)
    for row in values.itertuples(index=False, name=None):
        sheet.append(row)
