"""Point layers from tables: CSV or Excel files with coordinate columns (InSAR exports, surveys).

A table has no CRS of its own, so the project names it (``crs:``); the coordinate columns are
named by ``fields: {x: ..., y: ...}`` or found among the usual names (x/y, lon/lat,
longitude/latitude, 经度/纬度). CSV text is read as UTF-8, else GB18030 (Excel in China saves
CSV as GBK).
"""

from __future__ import annotations

import io
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import CRS

from zoning.errors import LayerError, did_you_mean
from zoning.layers.read import decode_text

TABLE_SUFFIXES = (".csv", ".txt", ".xlsx", ".xls")
"""Files read as tables of points rather than through OGR."""
COORDINATE_NAMES = {
    "x": ("x", "lon", "lng", "long", "longitude", "easting", "经度", "东坐标"),
    "y": ("y", "lat", "latitude", "northing", "纬度", "北坐标"),
}
"""Column names taken for the coordinates when ``fields`` does not name them (any case)."""


def is_table(path: Path) -> bool:
    """True for a CSV or Excel file (read by :func:`read_point_table`)."""
    return path.suffix.lower() in TABLE_SUFFIXES


def read_point_table(path: Path, *, x: str | None, y: str | None, crs: str | None,
                     sheet: str | None = None,
                     encoding: str | None = None) -> tuple[gpd.GeoDataFrame, str | None]:
    r"""Points from the coordinate columns of a CSV or Excel table.

    Parameters
    ----------
    path
        ``.csv`` / ``.txt`` (comma separated) or ``.xlsx`` / ``.xls``.
    x, y
        Coordinate columns; None: found by :data:`COORDINATE_NAMES`.
    crs
        CRS of the coordinates (``EPSG:4326`` for longitude and latitude); required.
    sheet
        Excel sheet name; None: the first.
    encoding
        Encoding of a CSV file; None: UTF-8, else GB18030.

    Returns
    -------
    tuple
        The points with every other column kept, and a note when the CSV was not UTF-8.

    Raises
    ------
    LayerError
        Naming every problem found: no CRS, a column missing (with the columns there),
        coordinates that are missing or not numbers (with example rows), longitudes or
        latitudes out of range for a geographic CRS.

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / "p.csv").write_text("lon,lat,vel\n117.2,34.3,12\n", encoding="utf-8")
    >>> frame, note = read_point_table(folder / "p.csv", x=None, y=None, crs="EPSG:4326")
    >>> frame.geometry.iloc[0].wkt, frame["vel"].tolist(), note
    ('POINT (117.2 34.3)', [12], None)
    """
    table, note = _read_table(path, sheet, encoding)
    errors: list[str] = []
    parsed = _parsed_crs(crs, errors)
    names = [str(c) for c in table.columns]
    columns = {axis: given if given is not None else _guess(axis, names)
               for axis, given in (("x", x), ("y", y))}
    values: dict[str, np.ndarray] = {}
    for axis, name in columns.items():
        if name is None:
            errors.append(f"no {axis} column: name it with fields: {{{axis}: ...}} (looked for "
                          f"{list(COORDINATE_NAMES[axis])}); columns: {names}")
        elif name not in table.columns:
            errors.append(f"no column {name!r} (fields.{axis}){did_you_mean(name, names)}; "
                          f"columns: {names}")
        else:
            values[axis] = _numbers(table, name, errors)
    if parsed is not None and parsed.is_geographic and len(values) == 2:
        _check_degrees(table, columns, values, errors)
    if errors or parsed is None:  # a missing or unknown CRS is among the errors
        raise LayerError(f"{path}: " + "; ".join(errors))
    geometry = gpd.points_from_xy(values["x"], values["y"])
    return gpd.GeoDataFrame(table, geometry=geometry, crs=parsed), note


def _read_table(path: Path, sheet: str | None,
                encoding: str | None) -> tuple[pd.DataFrame, str | None]:
    try:
        if path.suffix.lower() in (".xlsx", ".xls"):
            return pd.read_excel(path, sheet_name=sheet or 0), None
        text, used = decode_text(path.read_bytes(), encoding)
    except (ValueError, OSError, ImportError, LookupError, UnicodeDecodeError) as exc:
        raise LayerError(f"{path}: cannot read the table ({exc})") from exc
    note = (f"{path}: the CSV is not UTF-8; read as {used} (GBK)"
            if used not in ("UTF-8", encoding) else None)
    try:
        return pd.read_csv(io.StringIO(text)), note
    except (ValueError, pd.errors.ParserError) as exc:
        raise LayerError(f"{path}: cannot read the CSV ({exc})") from exc


def _parsed_crs(crs: str | None, errors: list[str]) -> CRS | None:
    if crs is None:
        errors.append("a table has no CRS of its own: give the CRS of its coordinates with "
                      "crs: (e.g. crs: EPSG:4326 for longitude and latitude, EPSG:4548 for "
                      "CGCS2000 GK zone 117E)")
        return None
    try:
        return CRS.from_user_input(crs)
    except Exception:  # pyproj raises CRSError; any failure means the same to the user
        errors.append(f"crs {crs!r} is not a CRS pyproj understands (e.g. EPSG:4326)")
        return None


def _guess(axis: str, names: list[str]) -> str | None:
    lower = {n.strip().lower(): n for n in names}
    return next((lower[c] for c in COORDINATE_NAMES[axis] if c in lower), None)


def _numbers(table: pd.DataFrame, name: str, errors: list[str]) -> np.ndarray:
    raw = table[name]
    numbers = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(numbers)
    if bad.any():
        rows = np.flatnonzero(bad)
        shown = ", ".join(f"row {i + 2}: {raw.iloc[i]!r}" for i in rows[:5])
        errors.append(f"column {name!r}: {int(bad.sum())} of {len(raw)} value(s) are missing "
                      f"or not numbers ({shown}; rows counted as in a spreadsheet, the header "
                      "being row 1)")
    return numbers


def _check_degrees(table: pd.DataFrame, columns: dict[str, str | None],
                   values: dict[str, np.ndarray], errors: list[str]) -> None:
    for axis, limit in (("x", 180.0), ("y", 90.0)):
        beyond = np.abs(values[axis]) > limit
        if beyond.any():
            first = int(np.flatnonzero(beyond)[0])
            errors.append(f"column {columns[axis]!r}: {int(beyond.sum())} value(s) beyond "
                          f"±{limit:g}° (row {first + 2}: {table[columns[axis]].iloc[first]!r}) "
                          "in a geographic CRS; are the coordinates projected (metres)? give "
                          "their projected CRS as crs:")
