"""A raster held in memory: values, georeferencing and CRS."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import rasterio
from affine import Affine
from pyproj import CRS
from rasterio.warp import Resampling, calculate_default_transform, reproject

from zoning.errors import LayerError


@dataclass(frozen=True)
class Grid:
    """A single-band raster in memory; missing cells are NaN.

    Attributes
    ----------
    values
        2-D float64 array (rows, columns).
    transform
        Affine transform from (column, row) to map coordinates.
    crs
        The raster's CRS.
    """

    values: np.ndarray
    transform: Affine
    crs: CRS

    @property
    def cell_area(self) -> float:
        """Area of one cell in squared CRS units."""
        return abs(self.transform.a * self.transform.e - self.transform.b * self.transform.d)

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """(minx, miny, maxx, maxy) of the grid."""
        rows, cols = self.values.shape
        xs, ys = zip(*(self.transform @ (c, r) for c, r in ((0, 0), (cols, rows))), strict=True)
        return min(xs), min(ys), max(xs), max(ys)

    def reprojected(self, crs: CRS) -> Grid:
        """Return the grid warped to ``crs`` (bilinear), or itself if already there."""
        if self.crs == crs:
            return self
        rows, cols = self.values.shape
        left, bottom, right, top = self.bounds
        transform, width, height = calculate_default_transform(
            self.crs, crs, cols, rows, left, bottom, right, top
        )
        return self._warped(crs, transform, (height, width))

    def resampled(self, like: Grid) -> Grid:
        """Return the grid sampled (bilinear) on the cells of ``like``, or itself if it is on them.

        Cells of ``like`` outside this grid, or over its missing cells only, are NaN.
        """
        if (self.crs == like.crs and self.transform == like.transform
                and self.values.shape == like.values.shape):
            return self
        return self._warped(like.crs, like.transform, like.values.shape)

    def _warped(self, crs: CRS, transform: Affine, shape: tuple[int, ...]) -> Grid:
        out = np.full(shape, np.nan)
        reproject(
            self.values,
            out,
            src_transform=self.transform,
            src_crs=self.crs,
            src_nodata=np.nan,
            dst_transform=transform,
            dst_crs=crs,
            dst_nodata=np.nan,
            resampling=Resampling.bilinear,
        )
        return Grid(out, transform, crs)

    def write(self, path: Path) -> Path:
        """Write the grid as a float32 GeoTIFF with NaN as nodata."""
        rows, cols = self.values.shape
        profile = {
            "driver": "GTiff",
            "width": cols,
            "height": rows,
            "count": 1,
            "dtype": "float32",
            "crs": self.crs.to_wkt(),
            "transform": self.transform,
            "nodata": np.nan,
            "compress": "deflate",
        }
        with rasterio.open(path, "w", **profile) as dst:
            dst.write(self.values.astype("float32"), 1)
        return path


def slope_degrees(dem: Grid) -> Grid:
    """Slope of an elevation grid in degrees (central differences; NaN next to missing cells).

    Examples
    --------
    >>> ramp = Grid(np.tile(np.arange(4.0) * 10, (3, 1)), Affine(10, 0, 0, 0, -10, 30), CRS(4548))
    >>> float(slope_degrees(ramp).values[1, 1])
    45.0
    """
    dy, dx = np.gradient(dem.values, abs(dem.transform.e), abs(dem.transform.a))
    return Grid(np.degrees(np.arctan(np.hypot(dx, dy))), dem.transform, dem.crs)


GridSpec = tuple[Affine, tuple[int, int]]
"""A north-up grid without values: its transform and (rows, columns)."""


def snapped_grid(bounds: tuple[float, float, float, float], resolution_m: float) -> GridSpec:
    """The north-up grid covering ``bounds`` with edges on multiples of ``resolution_m``.

    Examples
    --------
    >>> transform, shape = snapped_grid((12.0, 3.0, 41.0, 18.0), 10.0)
    >>> (transform.c, transform.f), shape
    ((10.0, 20.0), (2, 4))
    """
    x0, y0, x1, y1 = (float(v) for v in bounds)
    x0, y0 = np.floor(x0 / resolution_m) * resolution_m, np.floor(y0 / resolution_m) * resolution_m
    x1, y1 = np.ceil(x1 / resolution_m) * resolution_m, np.ceil(y1 / resolution_m) * resolution_m
    shape = (max(round((y1 - y0) / resolution_m), 1), max(round((x1 - x0) / resolution_m), 1))
    return Affine(resolution_m, 0, x0, 0, -resolution_m, y1), shape


def read_grid(path: Path, scale: float = 1.0) -> Grid:
    """Read band 1 of a GDAL raster as a :class:`Grid`, nodata as NaN, values times ``scale``.

    Raises
    ------
    LayerError
        If the file cannot be opened or has no CRS.
    """
    try:
        with rasterio.open(path) as src:
            values = src.read(1, masked=True).astype("float64").filled(np.nan)
            if src.crs is None:
                raise LayerError(
                    f"{path}: the raster has no CRS; assign one "
                    "(e.g. gdal_edit.py -a_srs EPSG:4548)"
                )
            return Grid(values * scale, src.transform, CRS.from_user_input(src.crs.to_wkt()))
    except rasterio.errors.RasterioIOError as exc:
        raise LayerError(f"{path}: cannot read the raster ({exc})") from exc
