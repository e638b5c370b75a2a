"""``zoning mspa``: GuidosToolbox MSPA of a binary raster, with its statistics table.

Reads a GeoTIFF or ESRI ASCII grid holding 0 missing, 1 background, 2 foreground (its
nodata value, if it declares one, also counts as missing); writes the MSPA codes as a
byte GeoTIFF with the input's georeferencing and nodata 129 (missing), through a
temporary file moved into place at the end, and ``<OUTPUT stem>_stats.csv`` with the
pixels, objects and foreground share of each class.
"""

from __future__ import annotations

import argparse
import logging
import os
import tempfile
from pathlib import Path

import numpy as np
import rasterio
from rasterio.errors import RasterioError

from zoning.corridors._mspa import CODES, mspa, mspa_statistics
from zoning.errors import CorridorError, LayerError

logger = logging.getLogger(__name__)

_SWITCH = {"1": True, "0": False}


def add_parser(commands: argparse._SubParsersAction) -> None:
    """Add ``mspa`` to the ``zoning`` command."""
    p = commands.add_parser("mspa", help="morphological spatial pattern analysis of a "
                            "binary raster (GuidosToolbox MSPA classes)")
    p.add_argument("input", type=Path, help="GeoTIFF or ESRI ASCII grid: 0 missing, "
                   "1 background, 2 foreground")
    p.add_argument("output", type=Path, help="output GeoTIFF of MSPA byte codes")
    p.add_argument("--connectivity", type=int, choices=(8, 4), default=8,
                   help="foreground connectivity (default 8)")
    p.add_argument("--edge-width", type=int, default=1, help="EdgeWidth in pixels (default 1)")
    p.add_argument("--transition", choices=tuple(_SWITCH), default="1",
                   help="1: keep loop/bridge codes where they cross edges (default); "
                   "0: show those pixels as edge/perforation")
    p.add_argument("--intext", choices=tuple(_SWITCH), default="1",
                   help="1: +100 for features inside core holes (default); 0: no split")


def run(args: argparse.Namespace) -> int:
    """Run ``zoning mspa``; return the exit code (0)."""
    image, profile = _read(Path(args.input))
    try:
        codes = mspa(image, connectivity=args.connectivity, edge_width=args.edge_width,
                     transition=_SWITCH[args.transition], intext=_SWITCH[args.intext])
    except CorridorError as exc:
        raise CorridorError(f"{args.input}: {exc}") from exc
    output = Path(args.output)
    _write(output, codes, profile)
    stats_path = output.with_name(f"{output.stem}_stats.csv")
    mspa_statistics(codes, args.connectivity).to_csv(stats_path)
    logger.info("MSPA written to %s and %s", output, stats_path)
    return 0


def _read(path: Path) -> tuple[np.ndarray, dict]:
    """First band of ``path`` as integers (its nodata as 0, missing) and a byte profile."""
    try:
        with rasterio.open(path) as src:
            band = src.read(1, masked=False)
            if src.nodata is not None:
                band = np.where(band == src.nodata, 0, band)
            profile = {"driver": "GTiff", "width": src.width, "height": src.height,
                       "count": 1, "dtype": "uint8", "crs": src.crs,
                       "transform": src.transform, "compress": "deflate"}
    except RasterioError as exc:
        raise LayerError(f"{path}: cannot read the raster ({exc})") from exc
    if not np.issubdtype(band.dtype, np.integer) and not np.all(np.mod(band, 1) == 0):
        raise CorridorError(f"{path}: MSPA input must hold integers 0, 1, 2; "
                            f"found values of type {band.dtype}")
    return band.astype(np.int64), profile


def _write(path: Path, codes: np.ndarray, profile: dict) -> None:
    """Write ``codes`` to ``path`` through a temporary file in the same folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.stem}-", suffix=".tif",
                                         dir=path.parent)
    os.close(handle)
    try:
        with rasterio.open(temporary, "w", nodata=CODES["missing"], **profile) as dst:
            dst.write(codes, 1)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
