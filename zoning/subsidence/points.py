"""Survey or InSAR points of subsidence interpolated to a raster.

Methods
-------
``linear``
    Barycentric interpolation on the Delaunay triangulation of the points: exact at the
    points and for any plane, never beyond the values of a triangle's corners. The
    triangulation covers only the points' convex hull; cells outside the hull but within
    the buffer take the IDW value (same ``power`` and ``neighbours``), so the raster has
    no gap at its rim and needs no extrapolation of a triangle's slope.
``idw``
    Inverse distance weighting over the ``neighbours`` nearest points with ``power``; a
    cell centre on a point takes its value exactly.

The raster is north-up (row 0 at the top) and covers the bounding box of the points'
convex hull plus ``buffer_m``, snapped outwards to multiples of ``resolution_m``. Cells
whose centre lies farther than ``buffer_m`` from the hull are missing (NaN), because
nothing was measured there. (The buffer's round corners are drawn with 64 segments per
circle, so a cell within 0.13 % of ``buffer_m`` of the rim may fall either way.)

Examples
--------
>>> import geopandas as gpd, shapely
>>> pts = gpd.GeoDataFrame({"depth_m": [0.0, 1.0, 2.0, 3.0]}, crs="EPSG:4548",
...     geometry=shapely.points([(0, 0), (100, 0), (0, 100), (100, 100)]))
>>> grid = interpolate_points(pts, resolution_m=10, buffer_m=0)
>>> grid.values.shape
(10, 10)
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
from pyproj import CRS
from scipy.interpolate import LinearNDInterpolator
from scipy.spatial import QhullError, cKDTree

from zoning.errors import LayerError, did_you_mean
from zoning.layers.grid import Grid, snapped_grid

logger = logging.getLogger(__name__)

_METHODS = ("linear", "idw")
_QUAD_SEGS = 16  # segments per quarter circle of the buffer's round corners


def interpolate_points(points: gpd.GeoDataFrame, value_field: str = "depth_m", *,
                       method: Literal["linear", "idw"] = "linear", resolution_m: float = 10.0,
                       buffer_m: float = 100.0, power: float = 2.0, neighbours: int = 12,
                       scale: float = 1.0, source: str = "subsidence points") -> Grid:
    """Interpolate point values to a north-up raster over the points' hull plus a buffer.

    Parameters
    ----------
    points
        Point geometries in a projected CRS in metres, with ``value_field``. MultiPoints
        are split into their points (each takes the feature's value); features with no
        or an empty geometry are skipped with a warning.
    value_field
        Numeric field with the values (subsidence depth, positive downwards).
    method
        ``linear`` (Delaunay, IDW in the buffer outside the hull) or ``idw``.
    resolution_m
        Cell size, metres; the grid's corners are multiples of it.
    buffer_m
        The raster covers the points' convex hull plus this distance, metres.
    power, neighbours
        IDW exponent and number of nearest points (also used in the buffer for ``linear``).
    scale
        Factor applied to the values (0.001 for millimetres).
    source
        Name of the layer in messages.

    Returns
    -------
    Grid
        float64 values (times ``scale``), NaN outside the hull plus buffer, in the
        points' CRS.

    Raises
    ------
    LayerError
        If the CRS is missing, geographic or not in metres; the field is missing; a value
        is missing or non-numeric; a geometry is not a point; there are too few points
        (``linear`` needs three not on one line); or no cell centre lies in the hull
        plus buffer. The message names the field and says what was found.

    Notes
    -----
    Points at the same location are averaged (a warning is logged). Coordinates are
    shifted to the grid's corner before triangulating, so large projected coordinates
    (false eastings, zone prefixes) cost no precision.

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> pts = gpd.GeoDataFrame({"W": [120.0, 800.0, 300.0]}, crs="EPSG:4548",
    ...     geometry=shapely.points([(500_010, 3_800_010), (500_210, 3_800_010),
    ...                              (500_010, 3_800_210)]))
    >>> grid = interpolate_points(pts, "W", method="idw", resolution_m=20, buffer_m=40,
    ...                           scale=0.001)
    >>> grid.values.shape, grid.transform.c, grid.transform.f
    ((15, 15), 499960.0, 3800260.0)
    >>> col, row = ~grid.transform @ (500_010, 3_800_010)
    >>> round(float(grid.values[int(row), int(col)]), 9)  # on the first point, in metres
    0.12
    """
    if method not in _METHODS:
        raise ValueError(f"method must be one of {_METHODS}, got {method!r}")
    if not resolution_m > 0 or not buffer_m >= 0 or not power > 0 or neighbours < 1:
        raise ValueError("need resolution_m > 0, buffer_m >= 0, power > 0 and neighbours >= 1; "
                         f"got {resolution_m}, {buffer_m}, {power}, {neighbours}")
    crs = _checked_crs(points, source)
    xy, values = _checked(points, value_field, method, source)
    xy, values = _merge_duplicates(xy, values * scale, source)

    hull = shapely.convex_hull(shapely.multipoints(xy))
    area = shapely.buffer(hull, buffer_m, quad_segs=_QUAD_SEGS) if buffer_m > 0 else hull
    transform, shape = snapped_grid(area.bounds, resolution_m)
    covered = rasterio.features.rasterize([(area, 1)], out_shape=shape, transform=transform,
                                          fill=0, dtype="uint8", all_touched=False) > 0
    if not covered.any():
        raise LayerError(f"{source}: no cell centre lies within {buffer_m:g} m of the points' "
                         f"convex hull ({hull.geom_type} of {len(xy)} point(s)); "
                         "raise buffer_m or lower resolution_m")
    rows, cols = np.nonzero(covered)
    # local coordinates from the grid's top-left corner: well conditioned for Qhull
    local = xy - (transform.c, transform.f)
    targets = np.column_stack([(cols + 0.5) * resolution_m, -(rows + 0.5) * resolution_m])

    estimate = np.full(len(targets), np.nan)
    if method == "linear":
        estimate = _linear(local, values, targets, source)
    gap = np.isnan(estimate)
    if gap.any():
        estimate[gap] = _idw(local, values, targets[gap], power, neighbours)
    out = np.full(shape, np.nan)
    out[rows, cols] = estimate
    logger.info("%s: %d points interpolated (%s) to %d x %d cells of %g m; %d cells in the "
                "hull plus %g m%s", source, len(values), method, shape[1], shape[0],
                resolution_m, len(targets), buffer_m,
                f", {int(gap.sum())} of them outside the hull (IDW)" if method == "linear" else "")
    return Grid(out, transform, crs)


def _checked_crs(points: gpd.GeoDataFrame, source: str) -> CRS:
    if points.crs is None:
        raise LayerError(f"{source}: the points have no CRS; assign their projected CRS "
                         "(e.g. frame.set_crs('EPSG:4548'))")
    crs = CRS.from_user_input(points.crs)
    if crs.is_geographic:
        raise LayerError(f"{source}: the points are in the geographic CRS {crs.name!r} "
                         "(degrees); reproject them to a projected CRS in metres first, "
                         "e.g. frame.to_crs(working_crs) (the loader does this for "
                         "project layers)")
    units = {axis.unit_name for axis in crs.axis_info}
    if any(axis.unit_conversion_factor != 1.0 for axis in crs.axis_info):
        raise LayerError(f"{source}: the CRS {crs.name!r} measures in {sorted(units)}, "
                         "not metres; reproject the points to a CRS in metres first")
    return crs


def _checked(points: gpd.GeoDataFrame, field: str, method: str,
             source: str) -> tuple[np.ndarray, np.ndarray]:
    """Coordinates and values of valid points; a clear LayerError for anything unusable."""
    if field not in points.columns:
        names = [str(c) for c in points.columns if c != points.geometry.name]
        raise LayerError(f"{source}: value field {field!r} not found"
                         f"{did_you_mean(field, names)}; fields: {names}")
    geoms = points.geometry
    absent = (geoms.isna() | geoms.is_empty).to_numpy()
    if absent.any():
        logger.warning("%s: %d feature(s) without a location skipped (rows %s)", source,
                       int(absent.sum()), _first(points.index[absent]))
        points = points[~absent]
    exploded = points.explode(index_parts=False)
    kinds = exploded.geom_type.to_numpy()
    wrong = kinds != "Point"
    if wrong.any():
        found = ", ".join(f"{n} {k}" for k, n in pd.Series(kinds[wrong]).value_counts().items())
        raise LayerError(f"{source}: expected Point geometries (MultiPoints are split), found "
                         f"{found} (rows {_first(exploded.index[wrong])}); points only, or use "
                         "form 'polygons' for depth polygons")
    raw = exploded[field]
    numeric = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(numeric)
    if bad.any():
        shown = ", ".join(f"{i}: {_plain(v)!r}" for i, v in
                          zip(exploded.index[bad][:5], raw.to_numpy()[bad][:5], strict=True))
        more = ", ..." if bad.sum() > 5 else ""
        raise LayerError(f"{source}: value field {field!r} must hold numbers; "
                         f"{int(bad.sum())} point(s) have a missing or non-numeric value "
                         f"(of {len(raw)}; row: value {shown}{more}); fix or remove them")
    xy = np.column_stack([shapely.get_x(exploded.geometry.values),
                          shapely.get_y(exploded.geometry.values)])
    distinct = len(np.unique(xy, axis=0))
    need = 3 if method == "linear" else 1
    if distinct < need:
        raise LayerError(f"{source}: {method} interpolation of {field!r} needs at least {need} "
                         f"points at distinct locations, found {distinct}"
                         + (" (or use method: idw)" if method == "linear" else ""))
    if method == "linear" and np.linalg.matrix_rank(xy - xy.mean(axis=0)) < 2:
        raise LayerError(f"{source}: the {distinct} points of {field!r} lie on one line; "
                         "linear interpolation needs points spread in two directions "
                         "(or use method: idw)")
    return xy, numeric


def _plain(value: object) -> object:
    """A numpy scalar as the Python value (so ``nan``, not ``np.float64(nan)``, is shown)."""
    return value.item() if isinstance(value, np.generic) else value


def _first(labels: pd.Index, n: int = 5) -> str:
    items = [str(v) for v in labels[:n]]
    return ", ".join(items) + (", ..." if len(labels) > n else "")


def _merge_duplicates(xy: np.ndarray, values: np.ndarray,
                      source: str) -> tuple[np.ndarray, np.ndarray]:
    """Average the values of points at exactly the same location."""
    unique, inverse, counts = np.unique(xy, axis=0, return_inverse=True, return_counts=True)
    if len(unique) == len(xy):
        return xy, values
    example = unique[np.argmax(counts)]
    logger.warning("%s: %d point(s) share a location with another (e.g. %d at %.2f, %.2f); "
                   "their values are averaged", source, len(xy) - len(unique), counts.max(),
                   example[0], example[1])
    inverse = inverse.ravel()
    return unique, np.bincount(inverse, weights=values) / counts


def _linear(xy: np.ndarray, values: np.ndarray, targets: np.ndarray,
            source: str) -> np.ndarray:
    """Barycentric interpolation on the Delaunay mesh; NaN outside the convex hull."""
    try:
        return np.asarray(LinearNDInterpolator(xy, values)(targets), dtype=float)
    except QhullError as exc:  # nearly collinear points slip past the rank test
        raise LayerError(f"{source}: the points cannot be triangulated (nearly on one "
                         f"line?); use method: idw ({str(exc).splitlines()[0]})") from exc


def _idw(xy: np.ndarray, values: np.ndarray, targets: np.ndarray, power: float,
         neighbours: int) -> np.ndarray:
    """Inverse distance weighting over the k nearest points; exact on a point."""
    k = min(neighbours, len(values))
    dist, idx = cKDTree(xy).query(targets, k=k)
    dist, idx = dist.reshape(len(targets), k), idx.reshape(len(targets), k)
    exact = dist[:, 0] == 0
    with np.errstate(divide="ignore", invalid="ignore"):  # relative to the nearest: no overflow
        weights = (dist[:, :1] / dist) ** power
    weights[exact] = 0.0
    weights[exact, 0] = 1.0
    return np.asarray((weights * values[idx]).sum(axis=1) / weights.sum(axis=1))
