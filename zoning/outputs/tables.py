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
import numpy as np
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
PARCEL_FLOAT_FORMAT = "%.6g"
"""Numbers of ``parcels.csv`` (6 significant digits), as documented for it."""
DECIMALS_BY_SUFFIX = {"_yuan": 0, "_ha": 4, "_m3": 1}
"""Decimals of the other tables' columns by the unit their name ends in."""
SIGNIFICANT_DIGITS = 6
"""Significant digits of the other tables' floats without a unit of their own."""


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


def _csv(path: Path, table: pd.DataFrame, float_format: str | None = None) -> Path:
    """Write ``table`` as CSV, UTF-8 with BOM so Excel shows Chinese correctly."""
    return _whole(path, lambda temp: table.to_csv(temp, index=False, encoding="utf-8-sig",
                                                  float_format=float_format))


def write_table(path: Path, table: pd.DataFrame) -> Path:
    """Write a table (mines, reduction, weights, ...) as CSV with plain decimals.

    Numbers are written as planners read them in Excel, never in exponent notation
    (:func:`plain_numbers`).
    """
    return _csv(path, plain_numbers(table))


def plain_numbers(table: pd.DataFrame) -> pd.DataFrame:
    """``table`` with its float columns as text in plain decimals.

    Columns ending in a unit of :data:`DECIMALS_BY_SUFFIX` get its decimals (yuan to the
    whole yuan, hectares to 4 decimals, cubic metres to 1); other floats keep
    :data:`SIGNIFICANT_DIGITS` significant digits. Missing values are empty.

    Examples
    --------
    >>> table = pd.DataFrame({"cost_yuan": [1.03552e8], "area_ha": [1059.08881698],
    ...                       "earth_volume_m3": [363892.857], "bond_factor": [1.5e-7]})
    >>> plain_numbers(table).iloc[0].tolist()
    ['103552000', '1059.0888', '363892.9', '0.00000015']
    """
    out = table.copy()
    for name in table.columns:
        column = table[name]
        if not pd.api.types.is_float_dtype(column):
            continue
        decimals = next((d for suffix, d in DECIMALS_BY_SUFFIX.items()
                         if str(name).endswith(suffix)), None)
        out[name] = [None if pd.isna(v) else (
            f"{v:.{decimals}f}" if decimals is not None else np.format_float_positional(
                v, precision=SIGNIFICANT_DIGITS, unique=True, fractional=False, trim="-"))
            for v in column.to_numpy(dtype=float)]
    return out


def write_csv(path: Path, parcels: gpd.GeoDataFrame) -> Path:
    """Write ``parcels.csv``: the parcel list, see :func:`parcel_list`.

    Numbers have 6 significant digits (``%.6g``), but ``x`` and ``y`` keep their
    :data:`COORDINATE_DECIMALS` decimals (a northing of 3,807,050.12 m would else lose 10 m).
    """
    table = parcel_list(parcels)
    for name in (dictionary.X, dictionary.Y):
        table[name] = [f"{v:.{COORDINATE_DECIMALS}f}" for v in table[name].to_numpy(float)]
    return _csv(path, table, PARCEL_FLOAT_FORMAT)


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
