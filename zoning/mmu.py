"""Minimum mapping unit: small contiguous fragments of a labelling merge into a neighbour.

A *fragment* is a connected group of parcels with the same label, parcels being connected
when they share a stretch of boundary (rook contiguity: touching at a corner does not
count, as a dissolved polygon splits there too). A fragment smaller than the minimum
mapping unit takes the label of the neighbouring label it shares the longest boundary
with, summed over all its parcels; a fragment with no neighbour (an island) stays.

Merging runs in rounds, vectorised over all fragments. In each round every small fragment
merges at once, except one that touches a smaller small fragment: that one waits, so the
smallest fragments go first (as a raster sieve does) and two small neighbours never swap
labels. Fragments are recomputed after each round, a grown fragment still below the unit
merges again, and the rounds stop when nothing changes. The globally smallest fragment
with a neighbour always merges, so every round merges at least one fragment.

Examples
--------
Three squares in a row labelled 0, 1, 0 with areas 5, 1, 5: the middle one merges into 0.

>>> import numpy as np
>>> out = merge_fragments(np.array([0, 1, 0]), np.array([5.0, 1.0, 5.0]),
...                       np.array([0, 1]), np.array([1, 2]), np.array([10.0, 10.0]), 2.0)
>>> out.labels.tolist(), out.fragment_area.tolist()[1], out.shared_length.tolist()[1]
([0, 0, 0], 1.0, 20.0)
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely
from numpy.typing import NDArray
from scipy.sparse import coo_array
from scipy.sparse.csgraph import connected_components

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Merged:
    """Result of :func:`merge_fragments`, one value per parcel.

    Attributes
    ----------
    labels
        Label after merging.
    fragment_area
        Area of the fragment the parcel was in when its label last changed; NaN if never.
    shared_length
        Boundary that fragment shared with the label it merged into; NaN if never changed.
    rounds
        Number of merging rounds run.
    """

    labels: NDArray[np.int64]
    fragment_area: NDArray[np.float64]
    shared_length: NDArray[np.float64]
    rounds: int
    watched: list[FragmentRound] = field(default_factory=list)
    """What happened to the fragment of the ``watch`` parcel, round by round (see
    :func:`merge_fragments`); empty unless a parcel was watched."""


@dataclass(frozen=True)
class FragmentRound:
    """The fragment of one watched parcel in one merging round (for ``zoning explain``).

    Attributes
    ----------
    round
        Merging round, from 1.
    label
        Label code of the fragment at the start of the round.
    area
        Area of the fragment (unit of ``min_area``).
    parcels
        Number of parcels in the fragment.
    small
        Below the minimum mapping unit and not exempt.
    exempt
        The fragment's label is exempt from merging.
    neighbours
        Label code of each neighbouring label → boundary the fragment shares with it.
    waiting
        Small, but touching a smaller small fragment, so it waits this round.
    target
        Label code it merged into this round, or None.
    """

    round: int
    label: int
    area: float
    parcels: int
    small: bool
    exempt: bool
    neighbours: dict[int, float]
    waiting: bool
    target: int | None


SNAP_M = 0.001
"""Tolerance of :func:`shared_boundaries` (m): vertices this close are one, edges this close
to each other are shared."""


def shared_boundaries(
    geometries: NDArray[np.object_], tolerance: float = SNAP_M,
) -> tuple[NDArray[np.intp], NDArray[np.intp], NDArray[np.float64]]:
    """Pairs of polygons sharing a stretch of boundary, and its length.

    Works on the edges (segments) of the rings. An edge that another polygon has too
    (same end points to ``tolerance``, either direction) is shared whole: one sort finds
    them all, which is every shared edge of a coverage whose neighbours share vertices.
    The edges left (a long edge facing several shorter ones at T-junctions, the region's
    outline) are paired through an STR tree when within ``tolerance`` of each other, and
    share the stretch over which they run together, both end points of one lying within
    ``tolerance`` of the other's line. Polygons apart by more than ``tolerance``, or
    touching at a corner, are no neighbours.

    Parameters
    ----------
    geometries
        Polygons or multipolygons (a shapely array), in a projected CRS.
    tolerance
        Snapping distance in CRS units.

    Returns
    -------
    i, j, length
        Positions ``i < j`` of each neighbouring pair and the length of boundary they share
        (CRS units), only pairs with a length above 0.

    Examples
    --------
    >>> import shapely
    >>> i, j, length = shared_boundaries(np.array(
    ...     [shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 2), shapely.box(2, 2, 3, 3)]))
    >>> i.tolist(), j.tolist(), length.tolist()
    ([0], [1], [1.0])
    """
    if len(geometries) == 0:
        return np.zeros(0, dtype=np.intp), np.zeros(0, dtype=np.intp), np.zeros(0)
    parts, part_owner = shapely.get_parts(geometries, return_index=True)
    rings, ring_part = shapely.get_rings(parts, return_index=True)
    xy, ring_of = shapely.get_coordinates(rings, return_index=True)
    inner = ring_of[:-1] == ring_of[1:]
    start, end = xy[:-1][inner], xy[1:][inner]
    owner = part_owner[ring_part[ring_of[:-1][inner]]]
    length = np.hypot(*(end - start).T)
    real = length > 0
    start, end, owner, length = start[real], end[real], owner[real], length[real]
    matched, pairs = _identical_edges(start, end, owner, length, tolerance)
    rest = ~matched
    more = _collinear_edges(start[rest], end[rest], owner[rest], tolerance)
    n = len(geometries)
    key, inverse = np.unique(np.concatenate([pairs[0], more[0]]) * n
                             + np.concatenate([pairs[1], more[1]]), return_inverse=True)
    total = np.bincount(inverse, weights=np.concatenate([pairs[2], more[2]]))
    return (key // n).astype(np.intp), (key % n).astype(np.intp), total.astype(np.float64)


def close_gaps(geometries: NDArray[np.object_], tolerance: float = SNAP_M,
               ) -> NDArray[np.object_]:
    """Close the hairline gaps that :func:`shared_boundaries` bridges, in dissolved polygons.

    :func:`shared_boundaries` counts edges within ``tolerance`` of each other as shared, so the
    minimum mapping unit sees two parcels across a sliver gap (or a floating-point misfit of
    their common edge) as one fragment; an exact union keeps them as two parts, and a zone
    would then show a small piece the unit never saw. A morphological closing (a buffer out
    by ``tolerance`` and back in, mitred corners) joins the parts of each polygon that are
    less than twice ``tolerance`` apart and leaves every other boundary where it was (the
    area changes by about ``tolerance`` squared per gap or sharp corner).

    Parameters
    ----------
    geometries
        Dissolved (multi)polygons, one per label, in a projected CRS.
    tolerance
        The tolerance :func:`shared_boundaries` used.

    Returns
    -------
    numpy.ndarray
        The closed geometries, in the same order.

    Examples
    --------
    >>> import shapely
    >>> two = shapely.union(shapely.box(0, 0, 1, 1), shapely.box(1.0004, 0, 2, 1))
    >>> len(shapely.get_parts(two)), len(shapely.get_parts(close_gaps(np.array([two]))))
    (2, 1)
    """
    grown = shapely.buffer(geometries, tolerance, join_style="mitre")
    return np.asarray(shapely.buffer(grown, -tolerance, join_style="mitre"), dtype=object)


def _identical_edges(
    start: NDArray[np.float64], end: NDArray[np.float64], owner: NDArray[np.intp],
    length: NDArray[np.float64], tolerance: float,
) -> tuple[NDArray[np.bool_], tuple[NDArray[np.intp], NDArray[np.intp], NDArray[np.float64]]]:
    """Edges two polygons both have: which edges, and (owner i < j, length) per such edge."""
    ka = np.round(start / tolerance).astype(np.int64)
    kb = np.round(end / tolerance).astype(np.int64)
    swap = (ka[:, 0] > kb[:, 0]) | ((ka[:, 0] == kb[:, 0]) & (ka[:, 1] > kb[:, 1]))
    key = np.column_stack([np.where(swap[:, None], kb, ka), np.where(swap[:, None], ka, kb)])
    order = np.lexsort(key.T[::-1])
    ordered = key[order]
    new = np.r_[True, (ordered[1:] != ordered[:-1]).any(axis=1)]
    group = np.cumsum(new) - 1
    size = np.bincount(group)
    first = np.flatnonzero(new & (size[group] == 2))
    e1, e2 = order[first], order[first + 1]
    two = owner[e1] != owner[e2]
    e1, e2 = e1[two], e2[two]
    matched = np.zeros(len(owner), dtype=bool)
    matched[e1] = matched[e2] = True
    o1, o2 = owner[e1], owner[e2]
    return matched, (np.minimum(o1, o2), np.maximum(o1, o2), length[e1])


def _collinear_edges(
    start: NDArray[np.float64], end: NDArray[np.float64], owner: NDArray[np.intp],
    tolerance: float,
) -> tuple[NDArray[np.intp], NDArray[np.intp], NDArray[np.float64]]:
    """Stretches along which edges of two polygons run together (owner i < j, length)."""
    if len(owner) == 0:
        return owner, owner, np.zeros(0)
    lines = shapely.linestrings(np.stack([start, end], axis=1))
    i, j = shapely.STRtree(lines).query(lines, predicate="dwithin", distance=tolerance)
    keep = (i < j) & (owner[i] != owner[j])
    i, j = i[keep], j[keep]
    # measure along the longer edge of each pair
    longer = np.hypot(*(end[i] - start[i]).T) >= np.hypot(*(end[j] - start[j]).T)
    base, other = np.where(longer, i, j), np.where(longer, j, i)
    p0 = start[base]
    direction = end[base] - p0
    span = np.hypot(*direction.T)
    unit = direction / span[:, None]
    q0, q1 = start[other] - p0, end[other] - p0
    t0 = q0[:, 0] * unit[:, 0] + q0[:, 1] * unit[:, 1]
    t1 = q1[:, 0] * unit[:, 0] + q1[:, 1] * unit[:, 1]
    off0 = np.abs(q0[:, 0] * unit[:, 1] - q0[:, 1] * unit[:, 0])
    off1 = np.abs(q1[:, 0] * unit[:, 1] - q1[:, 1] * unit[:, 0])
    overlap = np.minimum(span, np.maximum(t0, t1)) - np.maximum(0.0, np.minimum(t0, t1))
    along = (off0 <= tolerance) & (off1 <= tolerance) & (overlap > 0)
    o1, o2 = owner[i[along]], owner[j[along]]
    return np.minimum(o1, o2), np.maximum(o1, o2), overlap[along]


def fragments(labels: NDArray[np.int64], i: NDArray[np.intp],
              j: NDArray[np.intp]) -> NDArray[np.int32]:
    """Fragment number of each parcel: connected components of same-label neighbours."""
    same = labels[i] == labels[j]
    n = len(labels)
    graph = coo_array((np.ones(int(same.sum()), dtype=np.int8), (i[same], j[same])),
                      shape=(n, n))
    return connected_components(graph, directed=False)[1]


def merge_fragments(labels: NDArray[np.int64], areas: NDArray[np.float64],
                    i: NDArray[np.intp], j: NDArray[np.intp], length: NDArray[np.float64],
                    min_area: float, exempt: NDArray[np.bool_] | None = None,
                    watch: int | None = None) -> Merged:
    """Merge fragments smaller than ``min_area`` into the neighbour with the longest boundary.

    Parameters
    ----------
    labels
        Label code of each parcel (integers from 0); not changed.
    areas
        Area of each parcel, in the unit of ``min_area``.
    i, j, length
        Neighbouring pairs and their shared boundary lengths (:func:`shared_boundaries`).
    min_area
        Minimum mapping unit; 0 merges nothing.
    exempt
        Per label code: fragments of these labels are never merged away (but others may
        merge into them).
    watch
        Position of a parcel whose fragment is recorded round by round in
        :attr:`Merged.watched` (its area, neighbours and what it did) while it is below
        ``min_area``; rounds in which nothing changed for it are left out.

    Returns
    -------
    Merged
        Labels after merging, with the fragment area and shared length behind each change.
        Of neighbouring labels sharing equally long boundaries the lowest code wins.
    """
    current = np.asarray(labels, dtype=np.int64).copy()
    n = len(current)
    n_labels = int(current.max()) + 1 if n else 0
    keep = np.zeros(n_labels, dtype=bool) if exempt is None else np.asarray(exempt, dtype=bool)
    fragment_area = np.full(n, np.nan)
    shared_length = np.full(n, np.nan)
    rounds = 0
    watched: list[FragmentRound] = []
    while min_area > 0 and n:
        rounds += 1
        comp = fragments(current, i, j)
        comp_area = np.bincount(comp, weights=areas)
        comp_label = np.zeros(len(comp_area), dtype=np.int64)
        comp_label[comp] = current
        small = (comp_area < min_area) & ~keep[comp_label]
        cross = current[i] != current[j]
        # each cross edge seen from both sides: (fragment, the label across, length)
        src = np.concatenate([comp[i[cross]], comp[j[cross]]])
        dst = np.concatenate([current[j[cross]], current[i[cross]]])
        across = np.concatenate([comp[j[cross]], comp[i[cross]]])
        edge_length = np.concatenate([length[cross], length[cross]])
        from_small = small[src]
        src, dst, across, edge_length = (src[from_small], dst[from_small],
                                         across[from_small], edge_length[from_small])
        # a small fragment waits while it touches a smaller small fragment
        smaller = small[across] & ((comp_area[across] < comp_area[src])
                                   | ((comp_area[across] == comp_area[src]) & (across < src)))
        waiting = np.zeros(len(comp_area), dtype=bool)
        waiting[src[smaller]] = True
        go = ~waiting[src]
        if not go.any():
            if watch is not None and (not watched or watched[-1].small):
                _watch(watched, rounds, watch, comp, comp_area, comp_label, small, keep,
                       waiting, np.full(len(comp_area), -1, dtype=np.int64),
                       (src, dst, edge_length))
            break
        key = src[go] * n_labels + dst[go]
        pair, inverse = np.unique(key, return_inverse=True)
        total = np.bincount(inverse, weights=edge_length[go])
        pair_src, pair_dst = pair // n_labels, pair % n_labels
        order = np.lexsort((pair_dst, -total, pair_src))
        first = order[np.r_[True, pair_src[order][1:] != pair_src[order][:-1]]]
        target = np.full(len(comp_area), -1, dtype=np.int64)
        target[pair_src[first]] = pair_dst[first]
        boundary = np.zeros(len(comp_area))
        boundary[pair_src[first]] = total[first]
        if watch is not None and (not watched or watched[-1].small):
            _watch(watched, rounds, watch, comp, comp_area, comp_label, small, keep,
                   waiting, target, (src, dst, edge_length))
        moving = target[comp] >= 0
        current[moving] = target[comp[moving]]
        fragment_area[moving] = comp_area[comp[moving]]
        shared_length[moving] = boundary[comp[moving]]
        logger.debug("mmu round %d: %d fragment(s) merged", rounds, len(first))
    if watch is not None and not watched and n:
        # no round ran (min_area 0): record the fragment as it is
        comp = fragments(current, i, j)
        members = comp == comp[watch]
        area, exempt_label = float(areas[members].sum()), bool(keep[current[watch]])
        watched.append(FragmentRound(max(rounds, 1), int(current[watch]), area,
                                     int(members.sum()), area < min_area and not exempt_label,
                                     exempt_label, {}, False, None))
    return Merged(current, fragment_area, shared_length, rounds, watched)


def _watch(watched: list[FragmentRound], round_: int, parcel: int, comp: NDArray[np.int32],
           comp_area: NDArray[Any], comp_label: NDArray[np.int64],
           small: NDArray[np.bool_], keep: NDArray[np.bool_], waiting: NDArray[np.bool_],
           target: NDArray[np.int64],
           small_edges: tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.float64]],
           ) -> None:
    """Append the watched parcel's fragment in this round, unless nothing changed for it."""
    fragment = int(comp[parcel])
    if small[fragment]:
        src, dst, edge_length = small_edges
        mine = src == fragment
        labels, inverse = np.unique(dst[mine], return_inverse=True)
        totals = np.bincount(inverse, weights=edge_length[mine], minlength=len(labels))
        neighbours = {int(k): float(v) for k, v in zip(labels, totals, strict=True)}
    else:
        neighbours = {}
    step = FragmentRound(round_, int(comp_label[fragment]), float(comp_area[fragment]),
                         int((comp == fragment).sum()), bool(small[fragment]),
                         bool(keep[comp_label[fragment]]), neighbours,
                         bool(small[fragment] and waiting[fragment]),
                         int(target[fragment]) if target[fragment] >= 0 else None)
    last = watched[-1] if watched else None
    if last is None or (last.label, last.area, last.waiting, last.target) != (
            step.label, step.area, step.waiting, step.target):
        watched.append(step)
