"""Per-parcel statistics of other layers: area shares, subsidence depth from polygons or rasters.

Everything is vectorised: a spatial index pairs parcels with the polygons they touch,
shapely 2 intersects the pairs as arrays, and pandas aggregates per parcel.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
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
                        band_bounds: Sequence[float],
                        at_least: Mapping[str, float] | None = None) -> pd.DataFrame:
    """Subsidence statistics per parcel from depth polygons (contours or bands).

    Ground outside every polygon has subsided 0 m. Returns ``subs_max_m``,
    ``subs_mean_m`` (area-weighted), one ``subs_share_*`` column per depth band and, for
    each ``name: level`` of ``at_least``, a column ``name`` with the share of the area
    subsided at least ``level`` metres (e.g. down to the water table).
    """
    flat = flatten_depth_polygons(polygons)
    pairs = intersections(parcels, flat.geometry)
    pairs["depth"] = flat["depth_m"].values[pairs["polygon"]]
    area = parcels.area.values
    n = len(parcels)

    def share(mask: pd.Series) -> np.ndarray:
        inside = pairs[mask]
        return np.bincount(inside["parcel"], weights=inside["area"], minlength=n)

    weighted = np.bincount(pairs["parcel"], weights=pairs["area"] * pairs["depth"], minlength=n)
    deepest = np.zeros(n)
    np.maximum.at(deepest, pairs["parcel"].values, pairs["depth"].values)
    out = pd.DataFrame({col.SUBS_MAX_M: deepest, col.SUBS_MEAN_M: weighted / area},
                       index=parcels.index)
    uncovered = np.clip(area - share(pairs["depth"] > -np.inf), 0, None)
    for low, high in depth_bands(band_bounds):
        band = share((pairs["depth"] >= low) & (pairs["depth"] < high))
        out[band_column(low, high)] = np.clip((band + (uncovered if low == 0 else 0)) / area, 0, 1)
    for name, level in (at_least or {}).items():
        out[name] = np.clip(share(pairs["depth"] >= level) / area, 0, 1)
    return out


class CellIndex:
    """Which parcel each grid cell belongs to, computed once and reused for every grid.

    A cell belongs to the parcel containing its centre; a parcel too small to hold a cell
    centre takes the value of the cell under its representative point.

    Examples
    --------
    >>> from affine import Affine
    >>> from pyproj import CRS
    >>> grid = Grid(np.arange(16.0).reshape(4, 4), Affine(10, 0, 0, 0, -10, 40), CRS(4548))
    >>> cells = CellIndex(gpd.GeoSeries([shapely.box(0, 20, 20, 40)]), grid)
    >>> cells.maximum(grid.values).tolist(), cells.mean(grid.values).tolist()
    ([5.0], [2.5])
    """

    def __init__(self, parcels: gpd.GeoSeries, grid: Grid) -> None:
        n = len(parcels)
        labels = rasterize(
            zip(parcels.values, range(1, n + 1), strict=True), out_shape=grid.values.shape,
            transform=grid.transform, fill=0, dtype="int32",
        ).ravel()
        self.n = n
        self.shape = grid.values.shape
        self.flat = np.flatnonzero(labels)
        self.who = labels[self.flat] - 1
        self.cells = np.bincount(self.who, minlength=n).astype(float)
        self.empty = self.cells == 0
        points = shapely.point_on_surface(parcels.values[self.empty])
        cols, rows = ~grid.transform @ (shapely.get_x(points), shapely.get_y(points))
        rows, cols = np.floor(rows).astype(int), np.floor(cols).astype(int)
        height, width = grid.values.shape
        ok = (rows >= 0) & (rows < height) & (cols >= 0) & (cols < width)
        self.sample = np.where(ok, rows * width + cols, -1)

    def _fallback(self, values: np.ndarray) -> np.ndarray:
        flat = values.ravel()
        return np.where(self.sample >= 0, flat[np.maximum(self.sample, 0)], np.nan)

    def maximum(self, values: np.ndarray) -> np.ndarray:
        """Largest value per parcel, ignoring NaN cells (NaN if there is none)."""
        out = np.full(self.n, -np.inf)
        inside = values.ravel()[self.flat]
        valid = ~np.isnan(inside)
        np.maximum.at(out, self.who[valid], inside[valid])
        out[np.isinf(out)] = np.nan
        out[self.empty] = self._fallback(values)
        return out

    def mean(self, values: np.ndarray, *, skip_nan: bool = False) -> np.ndarray:
        """Mean per parcel over its cells; NaN cells count as 0.

        With ``skip_nan`` NaN cells are left out instead, and a parcel with no value is NaN.
        """
        inside = values.ravel()[self.flat]
        counted = ~np.isnan(inside) if skip_nan else np.ones(inside.shape, dtype=bool)
        cells = np.bincount(self.who[counted], minlength=self.n)
        total = np.bincount(self.who[counted], weights=np.nan_to_num(inside[counted]),
                            minlength=self.n)
        out = np.where(cells > 0, total / np.maximum(cells, 1), np.nan if skip_nan else 0.0)
        fallback = self._fallback(values)
        out[self.empty] = fallback if skip_nan else np.nan_to_num(fallback)
        return out

    def paint(self, per_parcel: np.ndarray) -> np.ndarray:
        """A grid holding each parcel's value on its cells; NaN on cells of no parcel."""
        out = np.full(self.shape[0] * self.shape[1], np.nan)
        out[self.flat] = np.asarray(per_parcel, dtype=float)[self.who]
        return out.reshape(self.shape)

    def share(self, mask: np.ndarray) -> np.ndarray:
        """Share of each parcel's cells where ``mask`` holds."""
        hits = mask.ravel()[self.flat]
        out = np.bincount(self.who[hits], minlength=self.n) / np.maximum(self.cells, 1)
        out[self.empty] = np.nan_to_num(self._fallback(mask.astype(float)))
        return out


def depth_from_grid(parcels: gpd.GeoSeries, grid: Grid, band_bounds: Sequence[float],
                    at_least: Mapping[str, float] | None = None,
                    cells: CellIndex | None = None) -> pd.DataFrame:
    """The same statistics as :func:`depth_from_polygons` from a subsidence raster.

    Missing cells count as 0 m, uplift (negative cells) as no subsidence in the band shares,
    so that they add up to 1 (a prediction's far field holds last-bit negatives such as
    -1e-17 m). ``cells`` reuses a :class:`CellIndex` built for the grid.
    """
    cells = cells or CellIndex(parcels, grid)
    values = np.nan_to_num(grid.values, nan=0.0)
    out = pd.DataFrame({col.SUBS_MAX_M: np.maximum(cells.maximum(values), 0),
                        col.SUBS_MEAN_M: cells.mean(values)}, index=parcels.index)
    depth = np.maximum(values, 0)
    for low, high in depth_bands(band_bounds):
        out[band_column(low, high)] = cells.share((depth >= low) & (depth < high))
    for name, level in (at_least or {}).items():
        out[name] = cells.share(values >= level)
    return out
