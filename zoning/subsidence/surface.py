"""Surfaces derived from a subsidence grid: tilt and curvature, and level polygons."""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import rasterio.features
import shapely
from numpy.typing import NDArray

from zoning.layers.grid import Grid
from zoning.subsidence.predict import principal

FloatArray = NDArray[np.float64]


def slope_and_curvature(grid: Grid) -> tuple[FloatArray, FloatArray]:
    """Tilt magnitude (mm/m) and principal curvature of larger magnitude (1/km) of a W grid.

    Central finite differences; measured rasters (InSAR, levelling interpolated) are noisy,
    and their second differences amplify the noise, so read the curvature with care.
    """
    cell = abs(grid.transform.a)
    w = np.nan_to_num(grid.values)
    gy, gx = np.gradient(w, -cell, cell)
    hxy, hxx = np.gradient(gx, -cell, cell)
    hyy, _ = np.gradient(gy, -cell, cell)
    return 1000 * np.hypot(gx, gy), 1000 * principal(hxx, hxy, hyy)


def level_polygons(grid: Grid, levels: Sequence[float], column: str = "depth_m",
                   simplify: float | None = None) -> gpd.GeoDataFrame:
    """Nested polygons of the cells where the grid reaches each level.

    Parameters
    ----------
    grid
        A subsidence grid (m).
    levels
        Increasing levels; levels never reached are left out.
    column
        Name of the level column.
    simplify
        Tolerance (CRS units); default half a cell. Deeper polygons are clipped to the
        shallower ones so that they stay nested after simplification.
    """
    tolerance = abs(grid.transform.a) / 2 if simplify is None else simplify
    values = np.nan_to_num(grid.values, nan=-np.inf)
    rows: list[tuple[float, shapely.Geometry]] = []
    previous = None
    for level in levels:
        mask = values >= level
        if not mask.any():
            break
        shapes = rasterio.features.shapes(mask.astype("uint8"), mask=mask,
                                          transform=grid.transform, connectivity=4)
        merged = shapely.union_all([shapely.geometry.shape(g) for g, _ in shapes])
        merged = shapely.make_valid(shapely.simplify(merged, tolerance))
        if previous is not None:
            merged = shapely.intersection(merged, previous)
        parts = shapely.get_parts(merged)
        parts = parts[shapely.get_type_id(parts) == 3]
        if len(parts) == 0:
            break
        merged = shapely.multipolygons(parts)
        rows.append((level, merged))
        previous = merged
    return gpd.GeoDataFrame({column: [lv for lv, _ in rows]},
                            geometry=[g for _, g in rows], crs=grid.crs)
