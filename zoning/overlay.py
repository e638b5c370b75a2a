"""Per-parcel statistics of other layers: area shares, subsidence depth from polygons or rasters.

Everything is vectorised: a spatial index pairs parcels with the polygons they touch,
shapely 2 intersects the pairs as arrays, and pandas aggregates per parcel.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from itertools import pairwise

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from rasterio.features import rasterize

from zoning import columns as col
from zoning.layers.grid import Grid
from zoning.rules.models import band_column


def intersections(parcels: gpd.GeoSeries, polygons: gpd.GeoSeries) -> pd.DataFrame:
    """Areas of every parcel × polygon intersection with positive area.

    Returns
    -------
    pandas.DataFrame
        Columns ``parcel`` and ``polygon`` (positions in the inputs) and ``area``.
    """
    tree = shapely.STRtree(polygons.values)
    parcel_pos, poly_pos = tree.query(parcels.values, predicate="intersects")
    areas = shapely.area(shapely.intersection(parcels.values[parcel_pos],
                                              polygons.values[poly_pos]))
    pairs = pd.DataFrame({"parcel": parcel_pos, "polygon": poly_pos, "area": areas})
    return pairs[pairs["area"] > 0]


def area_share(parcels: gpd.GeoSeries, polygons: gpd.GeoSeries) -> pd.Series:
    """Share of each parcel's area covered by ``polygons`` (overlaps counted once).

    Examples
    --------
    >>> from shapely import box
    >>> p = gpd.GeoSeries([box(0, 0, 2, 1), box(5, 5, 6, 6)])
    >>> area_share(p, gpd.GeoSeries([box(1, 0, 3, 1), box(1, 0, 3, 1)])).tolist()
    [0.5, 0.0]
    """
    if polygons.empty:
        return pd.Series(0.0, index=parcels.index)
    merged = gpd.GeoSeries([shapely.union_all(polygons.values)])
    exploded = merged.explode(index_parts=False).reset_index(drop=True)
    pairs = intersections(parcels, exploded)
    covered = np.bincount(pairs["parcel"], weights=pairs["area"], minlength=len(parcels))
    return pd.Series(np.clip(covered / parcels.area.values, 0, 1), index=parcels.index)


def flatten_depth_polygons(polygons: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Turn nested or overlapping depth polygons into non-overlapping pieces.

    Where polygons overlap, the deepest wins: each depth level keeps only the part not
    covered by deeper levels. Nested subsidence contours (each polygon enclosing ground
    subsided at least ``depth_m``) become bands.
    """
    levels = sorted(polygons["depth_m"].dropna().unique(), reverse=True)
    pieces, depths = [], []
    deeper = shapely.Polygon()
    for level in levels:
        level_union = shapely.union_all(polygons.geometry.values[polygons["depth_m"] == level])
        piece = shapely.difference(level_union, deeper)
        if not piece.is_empty:
            pieces.append(piece)
            depths.append(level)
        deeper = shapely.union(deeper, level_union)
    flat = gpd.GeoDataFrame({"depth_m": depths}, geometry=pieces, crs=polygons.crs)
    return flat.explode(index_parts=False).reset_index(drop=True)


def depth_bands(bounds: Sequence[float]) -> list[tuple[float, float]]:
    """Depth bands ``[low, high)`` from 0 to infinity split at ``bounds``.

    Examples
    --------
    >>> depth_bands([0.5, 1.5])
    [(0.0, 0.5), (0.5, 1.5), (1.5, inf)]
    """
    return list(pairwise([0.0, *bounds, math.inf]))


def depth_from_polygons(parcels: gpd.GeoSeries, polygons: gpd.GeoDataFrame,
                        band_bounds: Sequence[float], groundwater_m: float | None) -> pd.DataFrame:
    """Subsidence statistics per parcel from depth polygons (contours or bands).

    Ground outside every polygon has subsided 0 m. Returns ``subs_max_m``,
    ``subs_mean_m`` (area-weighted), one ``subs_share_*`` column per depth band and,
    when the groundwater depth is known, ``ponded_share`` (area where subsidence reaches
    the water table).
    """
    flat = flatten_depth_polygons(polygons)
    pairs = intersections(parcels, flat.geometry)
    pairs["depth"] = flat["depth_m"].values[pairs["polygon"]]
    area = parcels.area.values
    n = len(parcels)
    weighted = np.bincount(pairs["parcel"], weights=pairs["area"] * pairs["depth"], minlength=n)
    deepest = np.zeros(n)
    np.maximum.at(deepest, pairs["parcel"].values, pairs["depth"].values)
    out = pd.DataFrame({col.SUBS_MAX_M: deepest, col.SUBS_MEAN_M: weighted / area},
                       index=parcels.index)
    covered = np.bincount(pairs["parcel"], weights=pairs["area"], minlength=n)
    for low, high in depth_bands(band_bounds):
        inside = pairs[(pairs["depth"] >= low) & (pairs["depth"] < high)]
        share = np.bincount(inside["parcel"], weights=inside["area"], minlength=n)
        if low == 0.0:
            share = share + np.clip(area - covered, 0, None)
        out[band_column(low, high)] = np.clip(share / area, 0, 1)
    if groundwater_m is not None:
        wet = pairs[pairs["depth"] >= groundwater_m]
        out[col.PONDED_SHARE] = np.clip(
            np.bincount(wet["parcel"], weights=wet["area"], minlength=n) / area, 0, 1)
    return out


def depth_from_grid(parcels: gpd.GeoSeries, grid: Grid, band_bounds: Sequence[float],
                    groundwater_m: float | None) -> pd.DataFrame:
    """The same statistics as :func:`depth_from_polygons` from a subsidence raster.

    Cells are assigned to the parcel containing their centre; a parcel too small to hold
    a cell centre takes the value at its representative point. Missing cells count as 0.
    """
    n = len(parcels)
    values = np.nan_to_num(grid.values, nan=0.0)
    labels = rasterize(
        zip(parcels.values, range(1, n + 1), strict=True), out_shape=values.shape,
        transform=grid.transform, fill=0, dtype="int32",
    ).ravel()
    flat_values = values.ravel()
    inside = labels > 0
    who = labels[inside] - 1
    depth = flat_values[inside]
    cells = np.bincount(who, minlength=n).astype(float)
    deepest = np.full(n, -np.inf)
    np.maximum.at(deepest, who, depth)
    mean = np.bincount(who, weights=depth, minlength=n) / np.where(cells > 0, cells, 1)
    empty = cells == 0
    if empty.any():
        points = shapely.point_on_surface(parcels.values[empty])
        sampled = _sample(grid, values, points)
        deepest[empty] = sampled
        mean[empty] = sampled
    out = pd.DataFrame({col.SUBS_MAX_M: np.maximum(deepest, 0), col.SUBS_MEAN_M: mean},
                       index=parcels.index)

    def share(mask: np.ndarray, fallback: np.ndarray) -> np.ndarray:
        counted = np.bincount(who[mask], minlength=n) / np.where(cells > 0, cells, 1)
        return np.where(empty, fallback.astype(float), counted)

    for low, high in depth_bands(band_bounds):
        out[band_column(low, high)] = share((depth >= low) & (depth < high),
                                            (mean >= low) & (mean < high))
    if groundwater_m is not None:
        out[col.PONDED_SHARE] = share(depth >= groundwater_m, mean >= groundwater_m)
    return out


def _sample(grid: Grid, values: np.ndarray, points: np.ndarray) -> np.ndarray:
    inverse = ~grid.transform
    cols, rows = inverse @ (shapely.get_x(points), shapely.get_y(points))
    rows = np.floor(rows).astype(int)
    cols = np.floor(cols).astype(int)
    ok = (rows >= 0) & (rows < values.shape[0]) & (cols >= 0) & (cols < values.shape[1])
    out = np.zeros(len(points))
    out[ok] = values[rows[ok], cols[ok]]
    return out
