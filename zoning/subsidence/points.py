"""Survey or InSAR points of subsidence interpolated to a raster.

Methods
-------
``linear``
    Barycentric interpolation on the Delaunay triangulation of the points: exact at the
    points and for any plane, never beyond the values of a triangle's corners. Cells
    outside the points' convex hull but within the buffer take the IDW value.
``idw``
    Inverse distance weighting over the ``neighbours`` nearest points with ``power``; a cell
    centre on a point takes its value.

The raster covers the convex hull of the points plus ``buffer_m``; cells farther out are
missing (NaN), because nothing was measured there.

Examples
--------
>>> import geopandas as gpd, shapely
>>> pts = gpd.GeoDataFrame({"depth_m": [0.0, 1.0, 2.0, 3.0]}, crs="EPSG:4548",
...     geometry=shapely.points([(0, 0), (100, 0), (0, 100), (100, 100)]))
>>> grid = interpolate_points(pts, resolution_m=10, buffer_m=0)
>>> round(float(np.nanmax(grid.values)), 2)
2.85
"""

from __future__ import annotations

import logging
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio.features
import shapely
from affine import Affine
from pyproj import CRS
from scipy.interpolate import LinearNDInterpolator
from scipy.spatial import cKDTree

from zoning.errors import LayerError, did_you_mean
from zoning.layers.grid import Grid

logger = logging.getLogger(__name__)


def interpolate_points(points: gpd.GeoDataFrame, value_field: str = "depth_m", *,
                       method: Literal["linear", "idw"] = "linear", resolution_m: float = 10.0,
                       buffer_m: float = 100.0, power: float = 2.0, neighbours: int = 12,
                       scale: float = 1.0, source: str = "subsidence points") -> Grid:
    """Interpolate point values to a north-up raster over the points' hull plus a buffer.

    Parameters
    ----------
    points
        Point geometries in a projected CRS (metres) with ``value_field``.
    value_field
        Field with the subsidence values.
    method
        ``linear`` (Delaunay) or ``idw``.
    resolution_m, buffer_m
        Cell size and the buffer around the convex hull, metres.
    power, neighbours
        IDW settings (also used to fill the buffer outside the hull for ``linear``).
    scale
        Factor applied to the values (0.001 for millimetres).
    source
        Name of the layer in error messages.

    Raises
    ------
    LayerError
        On a missing or non-numeric field, non-point geometries, too few points or a
        geographic CRS; the message says what was found.
    """
    xy, values = _checked(points, value_field, method, source)
    xy, values = _merge_duplicates(xy, values * scale, source)
    hull = shapely.convex_hull(shapely.multipoints(xy))
    area = shapely.buffer(hull, buffer_m) if buffer_m > 0 else hull
    x0, y0, x1, y1 = area.bounds
    x0, y0 = np.floor(x0 / resolution_m) * resolution_m, np.floor(y0 / resolution_m) * resolution_m
    x1, y1 = np.ceil(x1 / resolution_m) * resolution_m, np.ceil(y1 / resolution_m) * resolution_m
    shape = (max(round((y1 - y0) / resolution_m), 1), max(round((x1 - x0) / resolution_m), 1))
    transform = Affine(resolution_m, 0, x0, 0, -resolution_m, y1)
    covered = rasterio.features.rasterize([(area, 1)], out_shape=shape, transform=transform,
                                          fill=0, dtype="uint8", all_touched=False) > 0
    rows, cols = np.nonzero(covered)
    cx = x0 + (cols + 0.5) * resolution_m
    cy = y1 - (rows + 0.5) * resolution_m
    targets = np.column_stack([cx, cy])
    estimate = _idw(xy, values, targets, power, neighbours)
    if method == "linear":
        linear = LinearNDInterpolator(xy, values)(targets)
        estimate = np.where(np.isnan(linear), estimate, linear)
    out = np.full(shape, np.nan)
    out[rows, cols] = estimate
    logger.info("%s: %d points interpolated (%s) to %d x %d cells of %g m", source, len(values),
                method, shape[1], shape[0], resolution_m)
    return Grid(out, transform, CRS.from_user_input(points.crs))


def _checked(points: gpd.GeoDataFrame, field: str, method: str,
             source: str) -> tuple[np.ndarray, np.ndarray]:
    if points.crs is None or CRS.from_user_input(points.crs).is_geographic:
        found = "no CRS" if points.crs is None else CRS.from_user_input(points.crs).name
        raise LayerError(f"{source}: points need a projected CRS in metres, found {found}; "
                         "reproject them (the engine does so for project layers)")
    if field not in points.columns:
        raise LayerError(f"{source}: value field {field!r} not found"
                         f"{did_you_mean(field, [str(c) for c in points.columns])}")
    exploded = points.explode(index_parts=False)
    kinds = set(exploded.geom_type.dropna())
    if kinds - {"Point"}:
        raise LayerError(f"{source}: expected point geometries, found {sorted(kinds)}")
    numeric = pd.to_numeric(exploded[field], errors="coerce").to_numpy(dtype=float)
    bad = np.isnan(numeric)
    if bad.any():
        rows = ", ".join(str(i) for i in exploded.index[bad][:5])
        raise LayerError(f"{source}: {int(bad.sum())} point(s) have a missing or non-numeric "
                         f"{field!r} (rows {rows}); fix or remove them")
    xy = np.column_stack([exploded.geometry.x, exploded.geometry.y])
    need = 3 if method == "linear" else 1
    if len(xy) < need:
        raise LayerError(f"{source}: {method} interpolation needs at least {need} points, "
                         f"found {len(xy)}")
    if method == "linear" and np.linalg.matrix_rank(xy - xy.mean(axis=0)) < 2:
        raise LayerError(f"{source}: the points lie on one line; linear interpolation needs "
                         "points spread in two directions (or use method: idw)")
    return xy, numeric


def _merge_duplicates(xy: np.ndarray, values: np.ndarray,
                      source: str) -> tuple[np.ndarray, np.ndarray]:
    unique, inverse = np.unique(xy, axis=0, return_inverse=True)
    if len(unique) == len(xy):
        return xy, values
    logger.warning("%s: %d points share a location with another; their values are averaged",
                   source, len(xy) - len(unique))
    sums = np.bincount(inverse.ravel(), weights=values)
    return unique, sums / np.bincount(inverse.ravel())


def _idw(xy: np.ndarray, values: np.ndarray, targets: np.ndarray, power: float,
         neighbours: int) -> np.ndarray:
    k = min(neighbours, len(values))
    dist, idx = cKDTree(xy).query(targets, k=k)
    dist, idx = dist.reshape(len(targets), k), idx.reshape(len(targets), k)
    with np.errstate(divide="ignore"):
        weights = 1.0 / dist**power
    exact = dist[:, 0] == 0
    weights[exact] = 0.0
    weights[exact, 0] = 1.0
    return (weights * values[idx]).sum(axis=1) / weights.sum(axis=1)
