"""Geometry helpers of the synthetic region: smooth noise, curves, tessellation, cleanup."""

from __future__ import annotations

import logging

import numpy as np
import shapely
from numpy.typing import NDArray
from shapely.geometry.base import BaseGeometry

logger = logging.getLogger(__name__)

FloatArray = NDArray[np.float64]
GeomArray = NDArray[np.object_]


class SmoothField:
    """Smooth random scalar field: a sum of plane waves with random directions.

    Parameters
    ----------
    rng
        Random generator.
    amplitude
        Standard deviation of the field.
    wavelength
        Range ``(min, max)`` of wavelengths in metres.
    n_waves
        Number of plane waves.
    """

    def __init__(
        self,
        rng: np.random.Generator,
        amplitude: float,
        wavelength: tuple[float, float],
        n_waves: int = 8,
    ) -> None:
        angle = rng.uniform(0.0, np.pi, n_waves)
        wl = np.exp(rng.uniform(np.log(wavelength[0]), np.log(wavelength[1]), n_waves))
        self._kx = 2 * np.pi * np.cos(angle) / wl
        self._ky = 2 * np.pi * np.sin(angle) / wl
        self._phase = rng.uniform(0.0, 2 * np.pi, n_waves)
        weights = rng.uniform(0.5, 1.0, n_waves)
        self._amp = amplitude * weights * np.sqrt(2.0 / np.sum(weights**2))

    def __call__(self, x: FloatArray | float, y: FloatArray | float) -> FloatArray:
        """Evaluate the field at the points ``x``, ``y``."""
        xa = np.asarray(x, dtype=float)[..., None]
        ya = np.asarray(y, dtype=float)[..., None]
        out = np.sum(self._amp * np.sin(xa * self._kx + ya * self._ky + self._phase), axis=-1)
        return np.asarray(out, dtype=float)


class Warp:
    """Smooth displacement field that bends straight lines into gentle curves."""

    def __init__(self, rng: np.random.Generator, amplitude: float, wavelength: tuple[float, float]):
        self.fx = SmoothField(rng, amplitude, wavelength)
        self.fy = SmoothField(rng, amplitude, wavelength)

    def __call__(self, x: FloatArray, y: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Return the displaced coordinates of ``x``, ``y``."""
        return x + self.fx(x, y), y + self.fy(x, y)


def make_lines(coords: list[FloatArray]) -> GeomArray:
    """LineStrings from a list of ``(n_i, 2)`` coordinate arrays (vectorised)."""
    if not coords:
        return np.empty(0, dtype=object)
    lengths = np.array([len(c) for c in coords])
    index = np.repeat(np.arange(len(coords)), lengths)
    return np.asarray(shapely.linestrings(np.vstack(coords), indices=index), dtype=object)


def sample_segment(p: FloatArray, q: FloatArray, step: float) -> FloatArray:
    """Return points from ``p`` to ``q`` (inclusive) spaced at most ``step`` apart."""
    n = max(2, int(np.ceil(np.hypot(*(q - p)) / step)) + 1)
    t = np.linspace(0.0, 1.0, n)[:, None]
    return np.asarray(p[None, :] * (1 - t) + q[None, :] * t, dtype=float)


def curved_road(
    rng: np.random.Generator, a: FloatArray, b: FloatArray, bend: float, step: float = 40.0
) -> FloatArray:
    """Gently curved road from ``a`` to ``b``: sideways sine harmonics that vanish at both ends.

    ``bend`` is the largest sideways offset of the first harmonic as a fraction of the length.
    """
    d = b - a
    length = float(np.hypot(*d))
    normal = np.array([-d[1], d[0]]) / (length + 1e-9)
    n = max(3, int(np.ceil(length / step)) + 1)
    t = np.linspace(0.0, 1.0, n)
    amp = [rng.uniform(-bend, bend), rng.normal(0, bend / 3), rng.normal(0, bend / 6)]
    off = sum(ak * np.sin((k + 1) * np.pi * t) for k, ak in enumerate(amp)) * length
    pts = a[None, :] + t[:, None] * d[None, :] + np.asarray(off)[:, None] * normal[None, :]
    return np.asarray(pts, dtype=float)


def polar_blob(
    rng: np.random.Generator,
    centre: FloatArray,
    radius: float,
    roughness: float = 0.25,
    aspect: float = 1.0,
    angle: float = 0.0,
    n: int = 48,
) -> shapely.Polygon:
    """Irregular rounded polygon: an ellipse whose radius wobbles with a few harmonics."""
    t = np.linspace(0.0, 2 * np.pi, n, endpoint=False)
    r = np.ones_like(t)
    for k in range(2, 6):
        r += roughness / k * rng.normal() * np.cos(k * t + rng.uniform(0, 2 * np.pi))
    r = np.clip(r, 0.4, None) * radius
    x = r * np.cos(t) * aspect
    y = r * np.sin(t) / aspect
    ca, sa = np.cos(angle), np.sin(angle)
    pts = np.column_stack([centre[0] + x * ca - y * sa, centre[1] + x * sa + y * ca])
    return shapely.make_valid(shapely.Polygon(pts)).buffer(0)


def oriented_frame(geom: BaseGeometry) -> tuple[float, float, float]:
    """Angle of the long side of ``geom``'s minimum rotated rectangle and its two side lengths.

    Returns
    -------
    tuple
        ``(angle, long_side, short_side)``, the angle in radians.
    """
    rect = shapely.minimum_rotated_rectangle(geom)
    coords = np.asarray(shapely.get_coordinates(rect))
    if len(coords) < 4:
        return 0.0, 1.0, 1.0
    e1 = coords[1] - coords[0]
    e2 = coords[2] - coords[1]
    l1, l2 = float(np.hypot(*e1)), float(np.hypot(*e2))
    if l1 >= l2:
        return float(np.arctan2(e1[1], e1[0])), l1, l2
    return float(np.arctan2(e2[1], e2[0])), l2, l1


def lattice_seeds(
    rng: np.random.Generator,
    geom: BaseGeometry,
    spacing_long: float,
    spacing_short: float,
    jitter: float = 0.2,
    angle: float | None = None,
) -> FloatArray:
    """Jittered lattice of seed points inside ``geom``, aligned with its long axis.

    Parameters
    ----------
    rng
        Random generator.
    geom
        Polygon to fill.
    spacing_long, spacing_short
        Seed spacing along and across the long axis of ``geom`` (or along ``angle``).
    jitter
        Jitter as a fraction of the spacing.
    angle
        Orientation in radians; the long axis of the minimum rotated rectangle if None.

    Returns
    -------
    numpy.ndarray
        ``(n, 2)`` points inside ``geom`` (maybe none).
    """
    if angle is None:
        angle = oriented_frame(geom)[0]
    cx, cy = np.asarray(shapely.get_coordinates(shapely.centroid(geom)))[0]
    coords = np.asarray(shapely.get_coordinates(geom)) - (cx, cy)
    ca, sa = np.cos(angle), np.sin(angle)
    u = coords[:, 0] * ca + coords[:, 1] * sa
    v = -coords[:, 0] * sa + coords[:, 1] * ca
    nv = max(1, round((v.max() - v.min()) / spacing_short))
    dv = (v.max() - v.min()) / nv
    rows = []
    for j in range(nv):
        start = u.min() + rng.uniform(0.0, spacing_long)
        us = np.arange(start - spacing_long / 2, u.max() + spacing_long, spacing_long)
        us = us + rng.uniform(-jitter, jitter, len(us)) * spacing_long
        # across-row jitter small relative to the along-row spacing keeps cell sides straight
        vjit = min(dv, spacing_long) * 0.25
        vs = v.min() + (j + 0.5) * dv + rng.uniform(-jitter, jitter, len(us)) * vjit
        rows.append(np.column_stack([us, vs]))
    uv = np.vstack(rows)
    pts = np.column_stack([cx + uv[:, 0] * ca - uv[:, 1] * sa, cy + uv[:, 0] * sa + uv[:, 1] * ca])
    inside = shapely.contains_xy(geom, pts[:, 0], pts[:, 1])
    return np.asarray(pts[inside], dtype=float)


def random_seeds(rng: np.random.Generator, geom: BaseGeometry, spacing: float) -> FloatArray:
    """Strongly jittered square-lattice seeds inside ``geom`` (an organic tessellation)."""
    x0, y0, x1, y1 = shapely.bounds(geom)
    xs = np.arange(x0 + spacing / 2, x1, spacing)
    ys = np.arange(y0 + spacing / 2, y1, spacing)
    if len(xs) == 0 or len(ys) == 0:
        return np.empty((0, 2))
    gx, gy = np.meshgrid(xs, ys)
    pts = np.column_stack([gx.ravel(), gy.ravel()])
    pts = pts + rng.uniform(-0.45, 0.45, pts.shape) * spacing
    inside = shapely.contains_xy(geom, pts[:, 0], pts[:, 1])
    return np.asarray(pts[inside], dtype=float)


def voronoi_split(geom: BaseGeometry, seeds: FloatArray) -> list[BaseGeometry]:
    """Voronoi cells of ``seeds`` clipped to ``geom``; ``[geom]`` for fewer than two seeds."""
    if len(seeds) < 2:
        return [geom]
    cells = shapely.voronoi_polygons(
        shapely.MultiPoint(seeds), extend_to=shapely.envelope(geom).buffer(10.0), ordered=True
    )
    parts = shapely.get_parts(cells)
    return list(shapely.intersection(parts, geom))


def explode_polygons(
    geoms: GeomArray, ids: NDArray[np.int64]
) -> tuple[GeomArray, NDArray[np.int64]]:
    """Split (multi)polygons and collections into single polygons, carrying ``ids`` along.

    Empty results, lines and points from overlays are dropped.
    """
    parts, index = shapely.get_parts(geoms, return_index=True)
    keep = shapely.get_type_id(parts) == 3
    parts, index = parts[keep], index[keep]
    nested = shapely.get_type_id(parts) == 7
    if nested.any():  # pragma: no cover - collections inside collections are rare
        sub, sidx = shapely.get_parts(parts[nested], return_index=True)
        keep2 = shapely.get_type_id(sub) == 3
        parts = np.concatenate([parts[~nested], sub[keep2]])
        index = np.concatenate([index[~nested], index[nested][sidx[keep2]]])
    area = shapely.area(parts)
    keep = area > 0
    return parts[keep], ids[index[keep]]


def split_by_grid(
    geom: BaseGeometry, bounds: tuple[float, float, float, float], cell: float
) -> list[BaseGeometry]:
    """Cut ``geom`` by a square grid of side about ``cell``.

    Recursive halving keeps each overlay small, so this is fast on huge inputs.
    """
    if geom.is_empty:
        return []
    x0, y0, x1, y1 = bounds
    if x1 - x0 <= cell * 1.01 and y1 - y0 <= cell * 1.01:
        return [geom]
    if x1 - x0 >= y1 - y0:
        xm = (x0 + x1) / 2
        halves = [(x0, y0, xm, y1), (xm, y0, x1, y1)]
    else:
        ym = (y0 + y1) / 2
        halves = [(x0, y0, x1, ym), (x0, ym, x1, y1)]
    out: list[BaseGeometry] = []
    for b in halves:
        part = shapely.intersection(geom, shapely.box(*b))
        if not part.is_empty and part.area > 0:
            out.extend(split_by_grid(part, b, cell))
    return out


def absorb_small(
    geoms: GeomArray,
    group: NDArray[np.int64] | None,
    min_area: float | FloatArray,
    min_width: float = 0.0,
    rounds: int = 4,
) -> tuple[GeomArray, NDArray[np.int64]]:
    """Merge small or thin polygons into the neighbour they share the longest edge with.

    Parameters
    ----------
    geoms
        Polygons of a tessellation.
    group
        Optional group label per polygon; merges stay within a group. None allows any merge.
    min_area
        Polygons smaller than this (scalar or per polygon) are absorbed.
    min_width
        Polygons whose mean width (2·area/perimeter) is below this are absorbed too.
    rounds
        Maximum number of merge rounds.

    Returns
    -------
    tuple
        The new polygons and, for each of them, the index of the input polygon that survived
        as it (and keeps its attributes).
    """
    geoms = np.asarray(geoms, dtype=object).copy()
    n = len(geoms)
    alive = np.ones(n, dtype=bool)
    grp = np.zeros(n, dtype=np.int64) if group is None else np.asarray(group)
    min_a = np.broadcast_to(np.asarray(min_area, dtype=float), (n,))
    for _ in range(rounds):
        area = shapely.area(geoms)
        width = 2 * area / np.maximum(shapely.length(geoms), 1e-9)
        small = alive & ((area < min_a) | (width < min_width))
        if not small.any():
            break
        idx_alive = np.flatnonzero(alive)
        tree = shapely.STRtree(geoms[idx_alive])
        src_small = np.flatnonzero(small)
        pairs = tree.query(geoms[src_small], predicate="intersects")
        a = src_small[pairs[0]]
        b = idx_alive[pairs[1]]
        ok = (a != b) & (grp[a] == grp[b])
        a, b = a[ok], b[ok]
        if len(a) == 0:
            break
        shared = shapely.length(
            shapely.intersection(shapely.boundary(geoms[a]), shapely.boundary(geoms[b]))
        )
        # prefer targets that are not small themselves, then the longest shared edge
        score = shared + np.where(small[b], 0.0, 1e6) * (shared > 1e-6)
        ok = shared > 1e-6
        a, b, score = a[ok], b[ok], score[ok]
        if len(a) == 0:
            break
        order = np.lexsort((b, -score, a))
        a, b = a[order], b[order]
        first = np.r_[True, a[1:] != a[:-1]]
        a, b = a[first], b[first]
        # two small polygons choosing each other: the higher index goes into the lower
        target = np.full(n, -1, dtype=np.int64)
        target[a] = b
        drop = (target[b] == a) & (a < b)
        a, b = a[~drop], b[~drop]
        # a small polygon that is itself a target of another small one waits a round
        targets_small = np.isin(a, b)
        a, b = a[~targets_small], b[~targets_small]
        if len(a) == 0:
            break
        order = np.argsort(b, kind="stable")
        a, b = a[order], b[order]
        starts = np.flatnonzero(np.r_[True, b[1:] != b[:-1]])
        ends = np.r_[starts[1:], len(b)]
        for s, e in zip(starts, ends, strict=True):
            t = b[s]
            merged = shapely.union_all(np.concatenate([[geoms[t]], geoms[a[s:e]]]))
            geoms[t] = merged
        alive[a] = False
    keep = np.flatnonzero(alive)
    return geoms[keep], keep
