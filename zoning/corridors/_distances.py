"""Edge-to-edge distances between habitat patches, from vector geometries or a raster.

Both measure the same thing, the shortest gap between two patches (a raster's cells are its
squares), and return a symmetric ``(n, n)`` matrix with a zero diagonal, ready for
:func:`zoning.corridors._conefor.connectivity`; ``inf`` marks pairs farther apart than
``max_distance`` when one is given. Least-cost distances are computed elsewhere.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import shapely
from numpy.typing import NDArray
from scipy import ndimage
from scipy.spatial import cKDTree

from zoning.errors import CorridorError

Matrix = NDArray[np.float64]

#: 4-connectivity: a patch cell with a non-patch 4-neighbour is on the patch boundary.
FOUR_NEIGHBOURS = ndimage.generate_binary_structure(2, 1)


def edge_distances(
    geoms: Sequence[shapely.Geometry] | NDArray[np.object_],
    *,
    max_distance: float | None = None,
) -> Matrix:
    """Shortest edge-to-edge distance between every pair of geometries.

    Parameters
    ----------
    geoms
        ``n`` shapely geometries (a GeoSeries works) in a projected CRS; touching or
        overlapping geometries are 0 apart.
    max_distance
        If given, only pairs within this distance are measured (an STRtree finds them);
        the others are ``inf``. Use it for many patches and a short dispersal range.
        Pairs exactly ``max_distance`` apart are kept.

    Returns
    -------
    numpy.ndarray
        ``(n, n)`` symmetric distances in CRS units, zero diagonal.

    Raises
    ------
    CorridorError
        On a missing or empty geometry, or a negative ``max_distance``.

    Examples
    --------
    >>> import shapely
    >>> boxes = [shapely.box(0, 0, 1, 1), shapely.box(3, 0, 4, 1), shapely.box(0, 5, 1, 6)]
    >>> edge_distances(boxes).round(3)
    array([[0.   , 2.   , 4.   ],
           [2.   , 0.   , 4.472],
           [4.   , 4.472, 0.   ]])

    """
    g = _check_geoms(geoms)
    n = g.size
    if max_distance is None:
        i, j = np.triu_indices(n, k=1)
    else:
        if not max_distance >= 0:
            raise CorridorError(f"max_distance must be >= 0; got {max_distance}")
        pairs = shapely.STRtree(g).query(g, predicate="dwithin", distance=max_distance)
        i, j = pairs[:, pairs[0] < pairs[1]]
    out = np.full((n, n), np.inf)
    np.fill_diagonal(out, 0.0)
    out[i, j] = out[j, i] = shapely.distance(g[i], g[j])
    return out


def raster_edge_distances(
    labels: np.ndarray,
    cell_size: float,
    *,
    background: int = 0,
    max_distance: float | None = None,
) -> Matrix:
    """Edge-to-edge distance between the cells of every pair of labelled patches.

    Cells are the grid's squares, and the distance is the exact gap between the nearest
    two: the shortest segment from a cell of one patch to a cell of the other, as
    :func:`edge_distances` measures the same squares drawn as polygons. Two squares are
    nearest at corners of the cell lattice, so the lattice corners of each patch's
    boundary cells are searched (the closest pair of cells is always a pair of boundary
    cells). Patches touching side by side or corner to corner are 0 apart; two cells in a
    row with one background cell between them are ``cell_size`` apart.

    Parameters
    ----------
    labels
        2-D integer array of patch ids; ``background`` cells are not habitat. A label may
        cover several disjoint pieces; they form one patch.
    cell_size
        Side of a (square) cell in map units.
    background
        Label of non-habitat cells.
    max_distance
        If given, pairs farther apart than this (in map units) are ``inf`` (faster).
        Pairs exactly ``max_distance`` apart are kept.

    Returns
    -------
    numpy.ndarray
        ``(n, n)`` symmetric distances, rows and columns in the order of
        ``np.unique(labels[labels != background])``.

    Raises
    ------
    CorridorError
        On a non-2-D or non-integer raster, no patch, or a non-positive ``cell_size``.

    Examples
    --------
    >>> import numpy as np
    >>> labels = np.array([[1, 0, 0, 2],
    ...                    [1, 0, 0, 0]])
    >>> raster_edge_distances(labels, cell_size=10.0)
    array([[ 0., 20.],
           [20.,  0.]])

    """
    ids, corners, owner = _boundary_corners(labels, background)
    if not (np.isfinite(cell_size) and cell_size > 0):
        raise CorridorError(f"cell_size must be finite and > 0; got {cell_size}")
    # cKDTree's bound is strict; nudge it so that ``max_distance`` itself is kept
    if max_distance is not None and not max_distance >= 0:
        raise CorridorError(f"max_distance must be >= 0; got {max_distance}")
    bound = np.inf if max_distance is None else np.nextafter(max_distance / cell_size, np.inf)
    n = ids.size
    out = np.full((n, n), np.inf)
    np.fill_diagonal(out, 0.0)
    for patch in range(n - 1):
        mine, later = owner == patch, owner > patch
        nearest, _ = cKDTree(corners[mine]).query(corners[later], distance_upper_bound=bound)
        row = np.full(n, np.inf)
        np.minimum.at(row, owner[later], nearest)
        out[patch, patch + 1 :] = out[patch + 1 :, patch] = row[patch + 1 :] * cell_size
    return out


def _check_geoms(geoms: Sequence[shapely.Geometry] | NDArray[np.object_]) -> NDArray[np.object_]:
    g = np.asarray(geoms, dtype=object)
    if g.ndim != 1:
        raise CorridorError(f"geoms must be a 1-D sequence of geometries; got shape {g.shape}")
    missing = np.flatnonzero(shapely.is_missing(g) | shapely.is_empty(g))
    if missing.size:
        raise CorridorError(
            f"geoms must all be non-empty geometries; position {missing[0]} is {g[missing[0]]!r}"
        )
    return g


def _boundary_corners(
    labels: np.ndarray, background: int
) -> tuple[NDArray[np.int64], Matrix, NDArray[np.intp]]:
    """Patch ids, the lattice corners ``(row, col)`` of their boundary cells, and whose.

    A boundary cell has a 4-neighbour outside its patch; its four corners are listed once
    per patch (a corner shared by two patches is listed for each).
    """
    lab = np.asarray(labels)
    if lab.ndim != 2 or not np.issubdtype(lab.dtype, np.integer):
        raise CorridorError(
            f"labels must be a 2-D integer array; got {lab.ndim}-D of dtype {lab.dtype}"
        )
    ids = np.unique(lab[lab != background])
    if ids.size == 0:
        raise CorridorError(f"labels has no patch: every cell is background ({background})")
    padded = np.pad(lab, 1, constant_values=background)
    same = np.ones(lab.shape, dtype=bool)
    for dr, dc in np.argwhere(FOUR_NEIGHBOURS) - 1:
        if dr or dc:
            shifted = padded[1 + dr : 1 + dr + lab.shape[0], 1 + dc : 1 + dc + lab.shape[1]]
            same &= shifted == lab
    rows, cols = np.nonzero((lab != background) & ~same)
    owner = np.searchsorted(ids, lab[rows, cols])
    corners = np.unique(np.concatenate([np.column_stack([owner, rows + dr, cols + dc])
                                        for dr in (0, 1) for dc in (0, 1)]), axis=0)
    return ids, corners[:, 1:].astype(float), corners[:, 0].astype(np.intp)
