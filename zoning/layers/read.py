"""Reading vector files whose text is not what it claims to be: encodings of Chinese data.

Chinese survey data (三调 shapefiles exported from ArcGIS or 南方CASS) is usually GBK without
a ``.cpg`` file saying so; GDAL then reads the text as ISO-8859-1 and the Chinese names turn
into mojibake without any error. :func:`read_vector_file` reads such files as UTF-8 when the
bytes are valid UTF-8 and as GB18030 (a superset of GBK and GB2312) when they are not, and
returns a note naming the file and the encoding used. Files declaring their encoding (a
``.cpg``, the project's ``encoding:``) are read as declared. Other formats are UTF-8 by
specification (GeoPackage, GeoJSON, FlatGeobuf); text values in them that are not valid
UTF-8 are decoded one by one as GB18030.
"""

from __future__ import annotations

import logging
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyarrow as pa

logger = logging.getLogger(__name__)

FALLBACK_ENCODING = "GB18030"
"""Encoding tried when text is not valid UTF-8: GB18030 decodes every GBK and GB2312 text."""
_RAW = "latin-1"
"""Reading as ISO-8859-1 maps every byte to one character, so the bytes can be recovered."""


def read_vector_file(path: Path, layer: str | None = None,
                     encoding: str | None = None) -> tuple[gpd.GeoDataFrame, str | None]:
    """Read a vector file, recovering text that is not valid UTF-8.

    Parameters
    ----------
    path
        Any OGR vector file.
    layer
        Layer name in a multi-layer file; None: the first.
    encoding
        Encoding the text is known to be in (a Python codec name such as ``GBK``); None:
        detect (see the module's note).

    Returns
    -------
    tuple
        The layer, and a note saying which encoding was used when it was not UTF-8 as
        declared (None otherwise).

    Raises
    ------
    UnicodeDecodeError, LookupError
        When the declared ``encoding`` does not decode the text or is unknown.
    Exception
        pyogrio's errors for files it cannot read.

    Examples
    --------
    >>> from zoning._resources import demo_project
    >>> frame, note = read_vector_file(demo_project().parent / "mines.gpkg")
    >>> len(frame) > 0, note
    (True, None)
    """
    if encoding is not None:
        frame = _read(path, layer, encoding)
        return frame, f"{path}: text read as {encoding} (the project's encoding)"
    if _shapefile_without_codepage(path):
        try:
            return _read(path, layer, "UTF-8"), None
        except UnicodeDecodeError:
            frame = _read(path, layer, FALLBACK_ENCODING)
            return frame, (f"{path}: the shapefile has no .cpg and its text is not UTF-8; "
                           f"read as {FALLBACK_ENCODING} (GBK); give `encoding:` in "
                           "project.yaml if it is another one")
    try:
        frame = gpd.read_file(path, layer=layer, engine="pyogrio", use_arrow=True)
        if _valid_text(frame):
            return frame, None
    except (UnicodeDecodeError, pa.ArrowException):
        pass
    if path.suffix.lower() == ".shp":  # a .cpg that lies: GDAL recodes names and values
        frame = _read(path, layer, FALLBACK_ENCODING)
        return frame, (f"{path}: the text is not in the encoding its .cpg declares; read as "
                       f"{FALLBACK_ENCODING} (GBK)")
    frame, count = _redecoded(_read(path, layer, _RAW))
    return frame, (f"{path}: {count} text value(s) are not valid UTF-8; decoded as "
                   f"{FALLBACK_ENCODING} (GBK)")


def decode_text(raw: bytes, encoding: str | None = None) -> tuple[str, str]:
    """Text of ``raw`` and the encoding used: ``encoding``, else UTF-8, else GB18030.

    Examples
    --------
    >>> decode_text("水田".encode("gbk"))
    ('水田', 'GB18030')
    >>> decode_text(b"x,y")
    ('x,y', 'UTF-8')
    """
    if encoding is not None:
        return raw.decode(encoding), encoding
    try:
        return raw.decode("utf-8-sig"), "UTF-8"
    except UnicodeDecodeError:
        return raw.decode(FALLBACK_ENCODING), FALLBACK_ENCODING


def _read(path: Path, layer: str | None, encoding: str) -> gpd.GeoDataFrame:
    return gpd.read_file(path, layer=layer, engine="pyogrio", encoding=encoding)


def _valid_text(frame: gpd.GeoDataFrame) -> bool:
    """False when a text column read through Arrow holds bytes that are not UTF-8.

    Arrow takes the bytes as they come and fails only when the values are used.
    """
    for name in frame.columns:
        values = frame[name].array
        if name == frame.geometry.name or not hasattr(values, "__arrow_array__"):
            continue
        try:
            values.__arrow_array__().validate(full=True)
        except pa.ArrowInvalid:
            return False
    return True


def _shapefile_without_codepage(path: Path) -> bool:
    """True for a shapefile with neither a ``.cpg`` nor a code page in its ``.dbf`` header."""
    if path.suffix.lower() != ".shp":
        return False
    if any(path.with_suffix(s).exists() for s in (".cpg", ".CPG")):
        return False
    dbf = next((p for p in (path.with_suffix(".dbf"), path.with_suffix(".DBF")) if p.exists()),
               None)
    if dbf is None:
        return False
    with dbf.open("rb") as handle:
        header = handle.read(32)
    return len(header) < 30 or header[29] == 0  # byte 29: the language driver id (LDID)


def _redecoded(frame: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, int]:
    """Names and text values read as ISO-8859-1, decoded as UTF-8 or else GB18030."""
    count = 0

    def fix(value: object) -> object:
        nonlocal count
        if not isinstance(value, str):
            return value
        text, used = decode_text(value.encode(_RAW))
        count += used != "UTF-8"
        return text

    names = {c: fix(c) for c in frame.columns if c != frame.geometry.name}
    out = frame.rename(columns=names)
    for name in names.values():
        if pd.api.types.is_object_dtype(out[name]) or pd.api.types.is_string_dtype(out[name]):
            out[name] = out[name].map(fix)
    return out, count
