"""Layout of the synthetic region: river, canal, hills, towns, villages and roads."""

from __future__ import annotations

import itertools
import logging
from dataclasses import dataclass

import numpy as np
import shapely
from numpy.typing import NDArray
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from shapely.geometry.base import BaseGeometry

from zoning.synthetic._geom import (
    FloatArray,
    GeomArray,
    SmoothField,
    Warp,
    curved_road,
    make_lines,
    polar_blob,
    sample_segment,
)

logger = logging.getLogger(__name__)

Bounds = tuple[float, float, float, float]

ROAD_CLASSES: dict[str, tuple[int, str, float, str]] = {
    # key: (rank, OSM highway, parcel width m, GB/T 21010 code of the road parcel)
    "primary": (7, "primary", 30.0, "1003"),
    "secondary": (6, "secondary", 22.0, "1003"),
    "tertiary": (5, "tertiary", 14.0, "1003"),
    "street": (4, "residential", 12.0, "1004"),
    "unclassified": (3, "unclassified", 7.0, "1006"),
    "lane": (2, "residential", 5.0, "1004"),
    "track": (1, "track", 4.0, "1006"),
}
"""Road kinds of the generator with their OSM tag, parcel width and land-use code."""


@dataclass
class Road:
    """A road centreline before noding."""

    coords: FloatArray
    kind: str
    name: str = ""
    bridge: bool = False


@dataclass
class Town:
    """A town: centre, radius, footprint and street-grid angle."""

    name: str
    centre: FloatArray
    radius: float
    angle: float
    footprint: BaseGeometry


@dataclass
class Village:
    """An administrative village: centre, footprint and the town it belongs to."""

    name: str
    centre: FloatArray
    footprint: BaseGeometry
    angle: float


def region_bounds(n_parcels: int, centre: tuple[float, float]) -> Bounds:
    """Square region whose side scales with the parcel count (10 km for 7,000 parcels)."""
    side = round(10_000.0 * np.sqrt(n_parcels / 7000.0) / 20.0) * 20.0
    cx = round(centre[0] / 100.0) * 100.0
    cy = round(centre[1] / 100.0) * 100.0
    return (cx - side / 2, cy - side / 2, cx + side / 2, cy + side / 2)


def meander(rng: np.random.Generator, bounds: Bounds, step: float = 25.0) -> shapely.LineString:
    """A sine-generated meandering river crossing the region from one side to the other."""
    x0, y0, x1, y1 = bounds
    side = x1 - x0
    horizontal = rng.random() < 0.5
    t = rng.uniform(0.25, 0.75)
    if horizontal:
        start = np.array([x0 - 600.0, y0 + t * side])
        heading = rng.uniform(-0.35, 0.35)
    else:
        start = np.array([x0 + t * side, y0 - 600.0])
        heading = np.pi / 2 + rng.uniform(-0.35, 0.35)
    omega = rng.uniform(0.55, 0.9)
    wavelength = rng.uniform(2200, 3400)
    drift = SmoothField(rng, 0.25, (6000, 15000), 4)
    phase = rng.uniform(0, 2 * np.pi)
    pts = [start]
    s = 0.0
    p = start.copy()
    limit = 3 * side + 4000
    box = shapely.box(x0 - 700, y0 - 700, x1 + 700, y1 + 700)
    while s < limit:
        theta = heading + omega * np.sin(2 * np.pi * s / wavelength + phase) + drift(p[0], p[1])
        p = p + step * np.array([np.cos(theta), np.sin(theta)])
        s += step
        pts.append(p)
        if s > 1000 and not box.contains(shapely.Point(p)):
            break
    return shapely.LineString(np.asarray(pts))


def canal_line(rng: np.random.Generator, bounds: Bounds, step: float = 50.0) -> shapely.LineString:
    """A nearly straight canal with gentle bends crossing the region."""
    x0, y0, x1, y1 = bounds
    side = x1 - x0
    angle = rng.uniform(0, np.pi)
    c = np.array([x0 + rng.uniform(0.3, 0.7) * side, y0 + rng.uniform(0.3, 0.7) * side])
    d = np.array([np.cos(angle), np.sin(angle)])
    n = np.array([-d[1], d[0]])
    s = np.arange(-side * 1.2, side * 1.2 + step, step)
    bend = SmoothField(rng, 120.0, (4000, 9000), 3)
    off = bend(s, np.zeros_like(s))
    pts = c + s[:, None] * d + off[:, None] * n
    return shapely.intersection(
        shapely.LineString(pts), shapely.box(x0 - 500, y0 - 500, x1 + 500, y1 + 500)
    )


def oxbow_lake(
    rng: np.random.Generator, river: shapely.LineString, corridor: BaseGeometry
) -> BaseGeometry:
    """A crescent-shaped old river arm beside the river, outside its corridor."""
    for _ in range(30):
        s = rng.uniform(0.2, 0.8) * river.length
        p = np.asarray(river.interpolate(s).coords[0])
        q = np.asarray(river.interpolate(s + 30).coords[0])
        d = (q - p) / (np.hypot(*(q - p)) + 1e-9)
        n = np.array([-d[1], d[0]]) * (1 if rng.random() < 0.5 else -1)
        c = p + n * rng.uniform(520, 700)
        outer = shapely.Point(c).buffer(rng.uniform(170, 230), quad_segs=8)
        inner = shapely.Point(c + n * rng.uniform(60, 90)).buffer(
            rng.uniform(150, 190), quad_segs=8
        )
        lake = outer.difference(inner)
        lake = shapely.get_parts(lake)
        if len(lake) == 0:
            continue
        lake = max(lake, key=lambda g: g.area)
        if lake.area > 8000 and lake.distance(corridor) > 60:
            return lake
    return shapely.Polygon()


def hills(rng: np.random.Generator, bounds: Bounds, n: int) -> BaseGeometry:
    """Low hills: the first in a corner of the region, others anywhere."""
    x0, y0, x1, y1 = bounds
    corners = [(x0, y0), (x1, y0), (x0, y1), (x1, y1)]
    parts = []
    for k in range(n):
        if k == 0:
            c = np.array(corners[int(rng.integers(4))]) + rng.normal(0, 300, 2)
            r = rng.uniform(2500, 3000)
        else:
            c = np.array([rng.uniform(x0, x1), rng.uniform(y0, y1)])
            r = rng.uniform(1300, 2200)
        parts.append(polar_blob(rng, c, r, 0.35, rng.uniform(1.0, 1.5), rng.uniform(0, np.pi), 64))
    return shapely.intersection(shapely.union_all(parts), shapely.box(*bounds))


def poisson_points(
    rng: np.random.Generator,
    candidates: FloatArray,
    n: int,
    spacing: float,
    fixed: FloatArray | None = None,
) -> FloatArray:
    """Greedy Poisson-disk choice of up to ``n`` of ``candidates`` at least ``spacing`` apart."""
    order = rng.permutation(len(candidates))
    chosen: list[FloatArray] = []
    taken = np.empty((0, 2)) if fixed is None else np.asarray(fixed, dtype=float).reshape(-1, 2)
    for i in order:
        p = candidates[i]
        if len(taken) and np.min(np.hypot(*(taken - p).T)) < spacing:
            continue
        chosen.append(p)
        taken = np.vstack([taken, p])
        if len(chosen) >= n:
            break
    return np.asarray(chosen, dtype=float).reshape(-1, 2)


def place_towns(
    rng: np.random.Generator,
    bounds: Bounds,
    n: int,
    avoid: BaseGeometry,
    names: list[str],
    shrink: float = 1.0,
) -> list[Town]:
    """Town centres with rounded footprints, clear of hills and rivers.

    ``shrink`` (at most 1) scales the margins and radii for regions smaller than 10 km.
    At least one town is always placed, in the spot farthest from ``avoid`` if need be.
    """
    x0, y0, x1, y1 = bounds
    m = 1400.0 * shrink
    cand = np.column_stack([rng.uniform(x0 + m, x1 - m, 4000), rng.uniform(y0 + m, y1 - m, 4000)])
    shapely.prepare(avoid)
    near = shapely.dwithin(avoid, shapely.points(cand), 900.0 * shrink)
    if near.all():  # no free spot: take the one farthest from what is to be avoided
        far = np.argmax(shapely.distance(avoid, shapely.points(cand)))
        cand = cand[far : far + 1]
    else:
        cand = cand[~near]
    centres = poisson_points(rng, cand, n, 3800.0)
    towns = []
    avoid_b = avoid.buffer(30)
    shapely.prepare(avoid_b)
    for k, c in enumerate(centres):
        radius = float(rng.uniform(550, 800)) * max(shrink, 0.6)
        foot = polar_blob(rng, c, radius, 0.25, rng.uniform(1.0, 1.3), rng.uniform(0, np.pi), 40)
        foot = foot.difference(avoid_b)
        parts = shapely.get_parts(foot)
        foot = max(parts, key=lambda g: g.area) if len(parts) else foot
        towns.append(Town(names[k] + "镇", c, radius, float(rng.uniform(0, np.pi / 2)), foot))
    return towns


def main_roads(
    rng: np.random.Generator, bounds: Bounds, towns: list[Town], scale: float
) -> list[Road]:
    """Primary through roads and secondary roads linking towns and the region's edges."""
    x0, y0, x1, y1 = bounds
    side = x1 - x0
    roads: list[Road] = []
    centres = np.array([t.centre for t in towns])
    n_primary = max(1, round(np.sqrt(scale)))
    used_pairs: set[tuple[int, int]] = set()
    for k in range(n_primary):
        angle = rng.uniform(0, np.pi)
        d = np.array([np.cos(angle), np.sin(angle)])
        mid = (
            centres[int(rng.integers(len(centres)))]
            if k < len(centres)
            else np.array([rng.uniform(x0, x1), rng.uniform(y0, y1)])
        )
        a = mid - d * side * 1.5
        b = mid + d * side * 1.5
        # towns close to the straight line become waypoints
        rel = centres - a
        along = rel @ d
        across = np.abs(rel @ np.array([-d[1], d[0]]))
        way = np.flatnonzero(across < 0.12 * side + 1500)
        way = way[np.argsort(along[way])]
        pts = [a, *[centres[i] for i in way], b]
        for i in range(len(way) - 1):
            used_pairs.add((min(way[i], way[i + 1]), max(way[i], way[i + 1])))
        name = f"S{int(rng.integers(2, 4))}{int(rng.integers(10, 99))}省道"
        coords = [curved_road(rng, pts[i], pts[i + 1], 0.08) for i in range(len(pts) - 1)]
        line = np.vstack([c if i == 0 else c[1:] for i, c in enumerate(coords)])
        roads.append(Road(_clip_coords(line, bounds), "primary", name))
    # minimum spanning tree between towns (Prim), secondary roads
    n = len(centres)
    if n > 1:
        in_tree = [0]
        while len(in_tree) < n:
            best = None
            for i in in_tree:
                for j in range(n):
                    if j in in_tree:
                        continue
                    dd = float(np.hypot(*(centres[i] - centres[j])))
                    if best is None or dd < best[0]:
                        best = (dd, i, j)
            assert best is not None
            _, i, j = best
            in_tree.append(j)
            if (min(i, j), max(i, j)) in used_pairs:
                continue
            name = towns[i].name[0] + towns[j].name[0] + "公路"
            roads.append(Road(curved_road(rng, centres[i], centres[j], 0.15), "secondary", name))
    # every town also gets a road to the nearest edge in a random direction
    # towns near the region's edge get a road out towards it
    for t in towns:
        gaps = np.array([t.centre[0] - x0, x1 - t.centre[0], t.centre[1] - y0, y1 - t.centre[1]])
        k = int(np.argmin(gaps))
        if rng.random() < 0.3 or gaps[k] > 7000.0:
            continue
        angle = (np.pi, 0.0, -np.pi / 2, np.pi / 2)[k] + rng.uniform(-0.5, 0.5)
        end = t.centre + np.array([np.cos(angle), np.sin(angle)]) * (gaps[k] * 1.6 + 500.0)
        line = _clip_coords(curved_road(rng, t.centre, end, 0.1, 40.0), bounds)
        roads.append(Road(line, "secondary", t.name[:2] + "连接线"))
    return roads


def _clip_coords(coords: FloatArray, bounds: Bounds) -> FloatArray:
    """Clip a polyline to the region (keeping the longest piece)."""
    line = shapely.intersection(shapely.LineString(coords), shapely.box(*bounds))
    parts = shapely.get_parts(line)
    parts = parts[shapely.get_type_id(parts) == 1]
    if len(parts) == 0:
        return np.empty((0, 2))
    best = parts[np.argmax(shapely.length(parts))]
    return np.asarray(shapely.get_coordinates(best), dtype=float)


def lattice_roads(rng: np.random.Generator, bounds: Bounds, warp: Warp, scale: float) -> list[Road]:
    """Rural road net: warped lattices in a few patches, with T-junction field tracks.

    Each patch (a Voronoi cell of random points) has its own orientation; ``unclassified``
    roads run every ~800 m one way and ~1.6 km the other, ``track`` roads subdivide the
    strips between them at ~420 m, offset from strip to strip.
    """
    x0, y0, x1, y1 = bounds
    n_patches = max(2, round(2.0 * scale))
    seeds = np.column_stack([rng.uniform(x0, x1, n_patches), rng.uniform(y0, y1, n_patches)])
    region = shapely.box(*bounds)
    cells = shapely.get_parts(
        shapely.voronoi_polygons(shapely.MultiPoint(seeds), extend_to=region, ordered=True)
    )
    roads: list[Road] = []
    for cell in cells:
        patch = shapely.intersection(cell, region)
        if patch.is_empty:
            continue
        angle = rng.uniform(0, np.pi / 2)
        ca, sa = np.cos(angle), np.sin(angle)
        c = np.asarray(patch.centroid.coords[0])
        px0, py0, px1, py1 = patch.bounds
        half = np.hypot(px1 - px0, py1 - py0) / 2 + 200

        def to_xy(
            u: FloatArray, v: FloatArray, c: FloatArray = c, ca: float = ca, sa: float = sa
        ) -> FloatArray:
            x = c[0] + u * ca - v * sa
            y = c[1] + u * sa + v * ca
            wx, wy = warp(x, y)
            return np.column_stack([wx, wy])

        patch_roads: list[Road] = []
        us = _jittered(rng, -half, half, 800.0, 0.2)
        vs_major = _jittered(rng, -half, half, 1600.0, 0.15)
        line = np.arange(-half, half + 40.0, 40.0)
        for u in us:
            patch_roads.append(
                Road(to_xy(np.full_like(line, u), line), "unclassified", bridge=rng.random() < 0.3)
            )
        for v in vs_major:
            patch_roads.append(
                Road(to_xy(line, np.full_like(line, v)), "unclassified", bridge=rng.random() < 0.3)
            )
        for ua, ub in itertools.pairwise(us):
            for v in _jittered(rng, -half, half, 420.0, 0.25):
                if len(vs_major) and np.min(np.abs(vs_major - v)) < 150:
                    continue
                uu = np.r_[np.arange(ua - 6.0, ub + 6.0, 40.0), ub + 6.0]
                patch_roads.append(Road(to_xy(uu, np.full_like(uu, v)), "track"))
        roads.extend(cut_roads(patch_roads, patch.buffer(6.0), keep="inside"))
    # patch borders become unclassified roads
    inner = shapely.box(x0 + 1, y0 + 1, x1 - 1, y1 - 1)
    borders = shapely.line_merge(
        shapely.union_all([shapely.intersection(shapely.boundary(c), inner) for c in cells])
    )
    for part in shapely.get_parts(borders):
        if part.geom_type == "LineString" and part.length > 50:
            dense = shapely.segmentize(part, 40.0)
            roads.append(Road(np.asarray(shapely.get_coordinates(dense)), "unclassified"))
    return roads


def _jittered(
    rng: np.random.Generator, lo: float, hi: float, spacing: float, jitter: float
) -> FloatArray:
    """Positions from ``lo`` to ``hi`` about ``spacing`` apart with relative ``jitter``."""
    pos = np.arange(lo + rng.uniform(0, spacing), hi, spacing)
    return np.asarray(pos + rng.uniform(-jitter, jitter, len(pos)) * spacing, dtype=float)


def cut_roads(
    roads: list[Road],
    mask: BaseGeometry,
    keep: str = "outside",
    kinds: tuple[str, ...] | None = None,
    spare_bridges: bool = False,
    min_length: float = 20.0,
) -> list[Road]:
    """Keep the parts of ``roads`` inside or outside ``mask``.

    Parameters
    ----------
    roads
        Road centrelines.
    mask
        Polygon(s).
    keep
        ``"inside"`` or ``"outside"``.
    kinds
        Only roads of these kinds are cut; others pass unchanged. All if None.
    spare_bridges
        Roads flagged as bridges pass unchanged.
    min_length
        Pieces shorter than this are dropped.
    """
    if mask.is_empty:
        return list(roads) if keep == "outside" else []
    shapely.prepare(mask)
    out: list[Road] = []
    todo = [
        i
        for i, r in enumerate(roads)
        if (kinds is None or r.kind in kinds)
        and not (spare_bridges and r.bridge)
        and len(r.coords) > 1
    ]
    todo_set = np.zeros(len(roads), dtype=bool)
    todo_set[todo] = True
    lines = make_lines([roads[i].coords for i in todo]) if todo else np.empty(0, dtype=object)
    op = shapely.intersection if keep == "inside" else shapely.difference
    cut = op(lines, mask)
    cut_iter = iter(cut)
    for i, r in enumerate(roads):
        if not todo_set[i]:
            if len(r.coords) > 1:
                out.append(r)
            continue
        g = next(cut_iter)
        parts = shapely.get_parts(shapely.line_merge(g) if g.geom_type == "MultiLineString" else g)
        for p in parts:
            if p.geom_type == "LineString" and p.length >= min_length:
                out.append(Road(np.asarray(shapely.get_coordinates(p)), r.kind, r.name, r.bridge))
    return out


def place_villages(
    rng: np.random.Generator,
    roads: list[Road],
    n: int,
    avoid: BaseGeometry,
    names: list[str],
    bounds: Bounds,
) -> list[Village]:
    """Villages strung along roads: a ribbon of houses along the road and a compact core."""
    region = shapely.box(*bounds)
    pts = []
    for r in roads:
        if r.kind not in ("unclassified", "tertiary", "secondary"):
            continue
        line = shapely.LineString(r.coords)
        d = np.arange(60.0, line.length - 60.0, 120.0)
        if len(d):
            pts.append(np.asarray(shapely.get_coordinates(shapely.line_interpolate_point(line, d))))
    cand = np.vstack(pts) if pts else np.empty((0, 2))
    if len(cand):
        shapely.prepare(avoid)
        cand = cand[~shapely.dwithin(avoid, shapely.points(cand), 350.0)]
    centres = poisson_points(rng, cand, n, 1050.0)
    road_lines = make_lines([r.coords for r in roads if r.kind != "track"])
    tree = shapely.STRtree(road_lines)
    avoid_b = avoid.buffer(40)
    shapely.prepare(avoid_b)
    villages = []
    for k, c in enumerate(centres):
        # the village stretches along the road it grew on, around a compact core
        road = road_lines[tree.query_nearest(shapely.Point(c))[0]]
        s = road.project(shapely.Point(c))
        a = np.asarray(road.interpolate(max(s - 20.0, 0.0)).coords[0])
        b = np.asarray(road.interpolate(min(s + 20.0, road.length)).coords[0])
        along = float(np.arctan2(b[1] - a[1], b[0] - a[0]))
        reach = float(rng.uniform(180, 380))
        ribbon = shapely.intersection(road, shapely.Point(c).buffer(reach, quad_segs=4)).buffer(
            float(rng.uniform(45, 70)), quad_segs=2
        )
        side = np.array([-np.sin(along), np.cos(along)]) * rng.uniform(-90, 90)
        core = polar_blob(
            rng, c + side, float(rng.uniform(150, 240)), 0.25, rng.uniform(1.1, 1.5), along, 24
        )
        foot = shapely.intersection(shapely.union_all([ribbon, core]), region)
        if avoid_b.intersects(foot):
            foot = foot.difference(avoid_b)
        parts = shapely.get_parts(foot)
        parts = parts[shapely.get_type_id(parts) == 3]
        if len(parts) == 0:
            continue
        foot = parts[np.argmax(shapely.area(parts))]
        foot = shapely.simplify(foot, 3.0)
        villages.append(Village(names[k], c, foot, along))
    return villages


def village_lanes(rng: np.random.Generator, village: Village) -> list[Road]:
    """Lanes of a village: one along its long axis and cross lanes every 55 to 75 m."""
    c = np.asarray(village.footprint.centroid.coords[0])
    angle = village.angle + rng.normal(0, 0.05)
    d = np.array([np.cos(angle), np.sin(angle)])
    n = np.array([-d[1], d[0]])
    x0, y0, x1, y1 = village.footprint.bounds
    half = np.hypot(x1 - x0, y1 - y0) / 2 + 20
    lines = [np.vstack([c - d * half, c + d * half])]
    for t in _jittered(rng, -half, half, float(rng.uniform(55, 75)), 0.15):
        a = t + rng.normal(0, 0.04) * half
        lines.append(np.vstack([c + d * t - n * half, c + d * a + n * half]))
    roads = [Road(sample_segment(ln[0], ln[1], 40.0), "lane") for ln in lines]
    return cut_roads(roads, village.footprint.buffer(-8.0), keep="inside", min_length=30.0)


def town_streets(rng: np.random.Generator, town: Town) -> list[Road]:
    """Street grid of a town: main streets through the centre, minor ones every ~200 m."""
    c = town.centre
    ca, sa = np.cos(town.angle), np.sin(town.angle)
    d1 = np.array([ca, sa])
    d2 = np.array([-sa, ca])
    half = town.radius * 1.6
    roads: list[Road] = []
    for d, n in ((d1, d2), (d2, d1)):
        roads.append(
            Road(
                sample_segment(c - d * half, c + d * half, 40.0), "tertiary", town.name[:2] + "大街"
            )
        )
        for t in _jittered(rng, -half, half, float(rng.uniform(170, 240)), 0.15):
            if abs(t) < 80:
                continue
            roads.append(
                Road(sample_segment(c + n * t - d * half, c + n * t + d * half, 40.0), "street")
            )
    return cut_roads(roads, town.footprint.buffer(-5.0), keep="inside", min_length=40.0)


@dataclass
class Network:
    """Noded road segments with their kind and name."""

    geoms: GeomArray
    kind: NDArray[np.str_]
    name: NDArray[np.str_]


def build_network(
    roads: list[Road], bounds: Bounds, snap: float = 8.0, min_component: float = 1500.0
) -> Network:
    """Node the road lines, join near-miss dead ends, drop tiny pieces and isolated bits.

    Parameters
    ----------
    roads
        Road centrelines.
    bounds
        Region bounds; roads are clipped to them.
    snap
        Dead ends within this distance of another road are extended to meet it.
    min_component
        Connected parts shorter than this in total (m) are dropped.
    """
    roads = cut_roads(roads, shapely.box(*bounds), keep="inside", min_length=10.0)
    src = make_lines([r.coords for r in roads])
    src = shapely.simplify(src, 1.0)
    rank = np.array([ROAD_CLASSES[r.kind][0] for r in roads])
    segs = _node(src)
    # extend dead ends that stop just short of (or cross just past) another road
    for _ in range(2):
        ends, deg = _endpoints(segs)
        dead = np.flatnonzero(deg == 1)
        ext = []
        for e in dead:
            seg_i, at_start = ends[e]
            xy = np.asarray(shapely.get_coordinates(segs[seg_i]))
            p, q = (xy[0], xy[1]) if at_start else (xy[-1], xy[-2])
            d = p - q
            d = d / (np.hypot(*d) + 1e-9)
            ext.append(shapely.LineString([p, p + d * snap]))
        if not ext:
            break
        ext_arr = np.asarray(ext, dtype=object)
        tree = shapely.STRtree(segs)
        hit_src, _ = tree.query(ext_arr, predicate="intersects")
        counts = np.bincount(hit_src, minlength=len(ext_arr))
        useful = ext_arr[counts > 1]  # touches its own segment and at least one other
        if len(useful) == 0:
            break
        segs = _node(np.concatenate([segs, useful]))
        segs = _prune_dangles(segs, snap + 0.5)
    # attributes: the highest-ranked source line under each segment's midpoint
    mids = shapely.line_interpolate_point(segs, 0.5, normalized=True)
    tree = shapely.STRtree(src)
    si, li = tree.query(mids, predicate="dwithin", distance=0.05)
    best = np.full(len(segs), -1)
    order = np.lexsort((-li, rank[li], si))
    best[si[order]] = li[order]
    # segments from extensions only: inherit from the nearest source line
    missing = np.flatnonzero(best < 0)
    if len(missing):
        best[missing] = tree.query_nearest(mids[missing], return_distance=False, all_matches=False)[
            1
        ]
    # connected components
    segs, best = _drop_small_components(segs, best, min_component)
    kind = np.array([roads[i].kind for i in best], dtype=object).astype(str)
    name = np.array([roads[i].name for i in best], dtype=object).astype(str)
    return Network(segs, kind, name)


def _node(lines: GeomArray) -> GeomArray:
    noded = shapely.union_all(lines)
    parts = shapely.get_parts(noded)
    parts = parts[(shapely.get_type_id(parts) == 1) & (shapely.length(parts) > 0.01)]
    return np.asarray(parts, dtype=object)


def _endpoints(segs: GeomArray) -> tuple[list[tuple[int, bool]], NDArray[np.int64]]:
    """Endpoints of ``segs`` (segment, is-start) and the degree of each endpoint's node."""
    first = np.asarray(shapely.get_coordinates(shapely.get_point(segs, 0)))
    last = np.asarray(shapely.get_coordinates(shapely.get_point(segs, -1)))
    xy = np.round(np.vstack([first, last]), 2)
    _, inv, counts = np.unique(xy, axis=0, return_inverse=True, return_counts=True)
    n = len(segs)
    ends = [(i % n, i < n) for i in range(2 * n)]
    return ends, counts[inv.ravel()]


def _prune_dangles(segs: GeomArray, max_len: float) -> GeomArray:
    for _ in range(3):
        _, deg = _endpoints(segs)
        n = len(segs)
        dangling = (deg[:n] == 1) | (deg[n:] == 1)
        short = shapely.length(segs) < max_len
        drop = dangling & short
        if not drop.any():
            break
        segs = segs[~drop]
    return segs


def _drop_small_components(
    segs: GeomArray, best: NDArray[np.int64], min_length: float
) -> tuple[GeomArray, NDArray[np.int64]]:
    first = np.asarray(shapely.get_coordinates(shapely.get_point(segs, 0)))
    last = np.asarray(shapely.get_coordinates(shapely.get_point(segs, -1)))
    xy = np.round(np.vstack([first, last]), 2)
    _, inv = np.unique(xy, axis=0, return_inverse=True)
    inv = inv.ravel()
    n = len(segs)
    m = int(inv.max()) + 1
    graph = coo_matrix((np.ones(n), (inv[:n], inv[n:])), shape=(m, m))
    n_comp, label = connected_components(graph, directed=False)
    seg_label = label[inv[:n]]
    total = np.bincount(seg_label, weights=shapely.length(segs), minlength=n_comp)
    keep = total[seg_label] >= min_length
    logger.info(
        "road network: %d segments in %d components; kept %d components",
        n,
        n_comp,
        int(np.sum(total >= min_length)),
    )
    return segs[keep], best[keep]
