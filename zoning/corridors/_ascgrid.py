"""Raster grids for the circuit solver: ESRI ASCII grids (``.asc``, ``.asc.gz``) and GeoTIFF.

Values come back as float64 with NaN where the file holds its NODATA value. Files are written
to a temporary file beside the target and moved into place, so they appear whole or not at all.

ASCII grids are read and written here rather than with GDAL's AAIGrid driver (GDAL 3.10): it
reads a grid with too few values as zeros and ignores surplus values without an error, reads
decimals as float32 unless told otherwise, and writes the header as ``xllcorner
1.000000000000`` where Circuitscape writes ``1.0``. GeoTIFFs go through rasterio.

Examples
--------
>>> import numpy as np, tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> meta = GridMeta(ncols=2, nrows=1, xllcorner=0.0, yllcorner=0.0, cellsize=1.0)
>>> write_grid(folder / "a.asc", np.array([[1.5, np.nan]]), meta)
>>> read_grid(folder / "a.asc")[0]
array([[1.5, nan]])
"""

from __future__ import annotations

import gzip
import os
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from zoning.errors import CorridorError

DEFAULT_NODATA = -9999.0
NUMBER_FORMAT = "%.10g"
HEADER_KEYS = ("ncols", "nrows", "xllcorner", "yllcorner", "cellsize", "nodata_value")
CENTER_KEYS = {"xllcenter": "xllcorner", "yllcenter": "yllcorner"}
TIFF_SUFFIXES = (".tif", ".tiff")


@dataclass(frozen=True)
class GridMeta:
    """Georeferencing of a grid, as an ASCII grid header describes it.

    Attributes
    ----------
    ncols, nrows
        Grid size.
    xllcorner, yllcorner
        Lower-left corner of the lower-left cell.
    cellsize
        Cell size (square cells).
    nodata
        The file's NODATA value (``None`` when the header has none).
    crs
        Coordinate reference system (WKT) of a GeoTIFF, else ``None``.
    """

    ncols: int
    nrows: int
    xllcorner: float
    yllcorner: float
    cellsize: float
    nodata: float | None = DEFAULT_NODATA
    crs: str | None = None

    @property
    def shape(self) -> tuple[int, int]:
        """``(nrows, ncols)``."""
        return (self.nrows, self.ncols)


def is_tiff(path: Path) -> bool:
    """Whether ``path`` names a GeoTIFF, possibly gzipped (by its suffix)."""
    name = Path(path).name.lower().removesuffix(".gz")
    return name.endswith(TIFF_SUFFIXES)


def read_grid(path: str | Path) -> tuple[np.ndarray, GridMeta]:
    """Read an ASCII grid (optionally gzipped) or a GeoTIFF.

    Parameters
    ----------
    path
        ``.asc``, ``.asc.gz`` (any gzip file), ``.tif``/``.tiff``.

    Returns
    -------
    values, meta
        float64 array (NaN = NODATA) and the grid's georeferencing.

    Raises
    ------
    CorridorError
        The file is missing or not a grid.
    """
    path = Path(path)
    if not path.is_file():
        raise CorridorError(f"{path}: grid file not found; check the path (relative paths are "
                            "looked up in the current folder, then beside the INI file)")
    if is_tiff(path):
        return _read_tiff(path)
    try:
        text = _read_text(path)
        return _parse_ascii(text, path)
    except (ValueError, KeyError, OSError, EOFError) as exc:
        raise CorridorError(f"{path}: not a readable ESRI ASCII grid ({exc}); expected a "
                            "header (ncols, nrows, xllcorner, yllcorner, cellsize, "
                            "NODATA_value) followed by nrows lines of ncols numbers") from exc


def _read_text(path: Path) -> str:
    with path.open("rb") as f:
        magic = f.read(2)
    if magic == b"\x1f\x8b":
        with gzip.open(path, "rt", encoding="utf-8") as g:
            return g.read()
    return path.read_text(encoding="utf-8")


def _parse_ascii(text: str, path: Path) -> tuple[np.ndarray, GridMeta]:
    lines = text.splitlines()
    header: dict[str, float] = {}
    start = 0
    while start < len(lines) and lines[start].split() and lines[start].split()[0][0].isalpha():
        key, value = lines[start].split()[:2]
        key = key.lower()
        header[CENTER_KEYS.get(key, key)] = float(value)
        if key in CENTER_KEYS:
            header["_center"] = 1.0
        start += 1
    missing = [k for k in HEADER_KEYS[:5] if k not in header]
    if missing:
        raise ValueError(f"header lacks {', '.join(missing)}")
    ncols, nrows, cellsize = int(header["ncols"]), int(header["nrows"]), header["cellsize"]
    shift = cellsize / 2 if "_center" in header else 0.0
    nodata = header.get("nodata_value")
    values = np.array(" ".join(lines[start:]).split(), dtype=float)
    if values.size != ncols * nrows:
        raise ValueError(f"{values.size} values for {nrows} rows x {ncols} columns")
    values = values.reshape(nrows, ncols)
    if nodata is not None:
        values[values == nodata] = np.nan
    meta = GridMeta(ncols, nrows, header["xllcorner"] - shift, header["yllcorner"] - shift,
                    cellsize, nodata)
    return values, meta


def _read_tiff(path: Path) -> tuple[np.ndarray, GridMeta]:
    import rasterio

    source = f"/vsigzip/{path}" if path.name.lower().endswith(".gz") else path
    try:
        with rasterio.open(source) as src:
            band = src.read(1, masked=True)
            transform, crs, nodata = src.transform, src.crs, src.nodata
            height, width = src.height, src.width
    except rasterio.errors.RasterioError as exc:
        raise CorridorError(f"{path}: cannot read the GeoTIFF ({exc})") from exc
    if abs(abs(transform.a) - abs(transform.e)) > 1e-9 * abs(transform.a) or transform.b or \
            transform.d:
        raise CorridorError(f"{path}: cells must be square and north-up for the circuit "
                            "solver; resample the raster first")
    values = np.ma.filled(band.astype(float), np.nan)
    meta = GridMeta(width, height, transform.c, transform.f + transform.e * height,
                    transform.a, nodata, crs.to_wkt() if crs else None)
    return values, meta


def write_grid(path: str | Path, values: np.ndarray, meta: GridMeta) -> None:
    """Write a grid (NaN = NODATA) as ``.asc``, ``.asc.gz`` or GeoTIFF by the path's suffix.

    Parameters
    ----------
    path
        Target file; its parent folder must exist.
    values
        2-D array with the shape of ``meta``.
    meta
        Georeferencing; its ``nodata`` (or -9999 when ``None``) marks NaN cells.
    """
    path = Path(path)
    if values.shape != meta.shape:
        raise ValueError(f"grid shape {values.shape} does not match its header {meta.shape}")
    meta = meta if meta.nodata is not None else replace(meta, nodata=DEFAULT_NODATA)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}-", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        if is_tiff(path):
            _write_tiff(tmp, values, meta)
        elif path.name.lower().endswith(".gz"):
            with gzip.open(tmp, "wt", encoding="utf-8") as g:
                _write_ascii(g, values, meta)
        else:
            with tmp.open("w", encoding="utf-8") as f:
                _write_ascii(f, values, meta)
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def ascii_header(meta: GridMeta) -> str:
    """The six header lines Circuitscape writes."""
    nodata = DEFAULT_NODATA if meta.nodata is None else meta.nodata
    return (f"ncols         {meta.ncols}\nnrows         {meta.nrows}\n"
            f"xllcorner     {float(meta.xllcorner)}\nyllcorner     {float(meta.yllcorner)}\n"
            f"cellsize      {float(meta.cellsize)}\nNODATA_value  {NUMBER_FORMAT % nodata}\n")


def _write_ascii(f: Any, values: np.ndarray, meta: GridMeta) -> None:
    f.write(ascii_header(meta))
    nodata = DEFAULT_NODATA if meta.nodata is None else meta.nodata
    out = np.where(np.isnan(values), nodata, values)
    out = np.where(out == 0, 0.0, out)  # no "-0" in the file
    np.savetxt(f, out, fmt=NUMBER_FORMAT, delimiter=" ")


def _write_tiff(path: Path, values: np.ndarray, meta: GridMeta) -> None:
    import rasterio
    from affine import Affine

    top = meta.yllcorner + meta.nrows * meta.cellsize
    profile = {"driver": "GTiff", "height": meta.nrows, "width": meta.ncols, "count": 1,
               "dtype": "float64", "nodata": meta.nodata, "crs": meta.crs,
               "transform": Affine(meta.cellsize, 0.0, meta.xllcorner, 0.0, -meta.cellsize, top)}
    with rasterio.open(path, "w", **profile) as dst:
        nodata = DEFAULT_NODATA if meta.nodata is None else meta.nodata
        dst.write(np.where(np.isnan(values), nodata, values), 1)


def format_number(value: float) -> str:
    """A number as Circuitscape's text outputs show it (10 significant digits)."""
    return NUMBER_FORMAT % value
