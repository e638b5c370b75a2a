"""Small GeoTIFFs over the ``tiny_project`` parcels, for the raster tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import rasterio
from affine import Affine

X0, Y1 = 535_900.0, 3_807_200.0  # the rasters cover the tiny project's parcels with a margin
CELL = 10.0
SHAPE = (30, 50)  # rows, columns: 300 m × 500 m


def write_raster(path: Path, values: np.ndarray, cell: float = CELL, x0: float = X0) -> Path:
    """A GeoTIFF in EPSG:4548 whose top-left corner is (x0, Y1)."""
    with rasterio.open(path, "w", driver="GTiff", width=values.shape[1], height=values.shape[0],
                       count=1, dtype="float64", crs="EPSG:4548", nodata=np.nan,
                       transform=Affine(cell, 0, x0, 0, -cell, Y1)) as dst:
        dst.write(values, 1)
    return path


def centres_x(shape: tuple[int, int] = SHAPE, cell: float = CELL) -> np.ndarray:
    """Easting of every cell centre."""
    return np.broadcast_to(X0 + (np.arange(shape[1]) + 0.5) * cell, shape)
