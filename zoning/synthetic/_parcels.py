"""Partition of the synthetic region into land-use parcels that tile it exactly."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import rasterio.features
import shapely
from affine import Affine
from numpy.typing import NDArray
from scipy.spatial import cKDTree
from shapely.geometry.base import BaseGeometry

from zoning.synthetic._geom import (
    FloatArray,
    GeomArray,
    absorb_small,
    explode_polygons,
    lattice_seeds,
    oriented_frame,
    random_seeds,
    split_by_grid,
    voronoi_split,
)
from zoning.synthetic._layout import ROAD_CLASSES, Network, Town, Village

logger = logging.getLogger(__name__)

GROUNDWATER_DEPTH_M = 2.5
"""Groundwater depth below the ground before subsidence (m), constant over the region."""
DEEP_WATER_M = GROUNDWATER_DEPTH_M
"""Subsidence (m) beyond which the ground lies below the water table and is recoded as water."""
WATERLOGGED_BAND_M = 1.0
"""Width (m) of the band above the water table where some cropland has turned to ponds or swamp."""
LAKE_CORE_M = 4.0
"""Subsidence (m) beyond which the subsidence water is open lake (1102)."""

CROPLAND = ("0101", "0102", "0103")
ZONE_PRIORITY = (
    "subs_lake",
    "subs_ring",
    "mine_site",
    "gangue",
    "town",
    "village",
    "oxbow",
    "hills",
    "floodplain",
)
"""Area zones from the highest priority down; land outside all of them is ``field``."""


@dataclass
class Parcels:
    """Parcel geometries with their land-use code and bookkeeping columns."""

    geoms: GeomArray
    code: NDArray[np.str_]
    kind: NDArray[np.str_]
    piece: NDArray[np.int64]


@dataclass
class Context:
    """Everything the partition needs from the layout and mining stages."""

    bounds: tuple[float, float, float, float]
    water_lines: list[tuple[BaseGeometry, float]]
    network: Network
    ditches: GeomArray
    zones: dict[str, BaseGeometry]
    towns: list[Town]
    villages: list[Village]
    hills: BaseGeometry
    water_edges: BaseGeometry
    grid: NDArray[np.float64]
    transform: Affine
    n_target: int


def _choice(rng: np.random.Generator, table: dict[str, float], n: int) -> NDArray[np.str_]:
    codes = np.array(list(table), dtype=object).astype(str)
    p = np.array(list(table.values()), dtype=float)
    return np.asarray(rng.choice(codes, size=n, p=p / p.sum()))


def linear_parcels(ctx: Context) -> tuple[list[BaseGeometry], list[str], BaseGeometry]:
    """Water courses, roads and ditches as parcels, and the union of all of them.

    Higher classes win where they overlap: rivers and canals, then roads by rank, then
    ditches. Each class is cut by a ~600 m grid so that no parcel spans the whole region.
    """
    region = shapely.box(*ctx.bounds)
    layers: list[tuple[str, BaseGeometry]] = []
    water = shapely.union_all([shapely.buffer(g, w / 2, quad_segs=4) for g, w in ctx.water_lines])
    layers.append(("1101", water))
    net = ctx.network
    for kind, (_, _, width, code) in sorted(ROAD_CLASSES.items(), key=lambda kv: -kv[1][0]):
        sel = net.geoms[net.kind == kind]
        if len(sel) == 0:
            continue
        poly = shapely.union_all(shapely.buffer(sel, width / 2, quad_segs=2))
        layers.append((code, poly))
    if len(ctx.ditches):
        layers.append(("1107", shapely.union_all(shapely.buffer(ctx.ditches, 2.5, quad_segs=2))))
    covered: BaseGeometry = shapely.Polygon()
    geoms: list[BaseGeometry] = []
    codes: list[str] = []
    for code, poly in layers:
        poly = shapely.intersection(poly, region)
        part = shapely.difference(poly, covered) if not covered.is_empty else poly
        covered = shapely.union(covered, part)
        pieces = np.asarray(split_by_grid(part, ctx.bounds, 1200.0), dtype=object)
        pieces, _ = explode_polygons(pieces, np.zeros(len(pieces), dtype=np.int64))
        pieces = pieces[shapely.area(pieces) > 0.5]
        geoms.extend(pieces)
        codes.extend([code] * len(pieces))
    return geoms, codes, covered


def zone_pieces(ctx: Context, blocks: GeomArray) -> tuple[GeomArray, NDArray[np.str_]]:
    """Blocks (land between linear features) cut by the area zones.

    Zones are made exclusive in priority order; the land of a block outside every zone is
    ``field``.
    """
    region = shapely.box(*ctx.bounds)
    covered: list[BaseGeometry] = []
    out_g: list[GeomArray] = []
    out_k: list[NDArray[np.str_]] = []
    tree = shapely.STRtree(blocks)
    all_parts: list[GeomArray] = []
    for kind in ZONE_PRIORITY:
        zone = ctx.zones.get(kind, shapely.Polygon())
        if zone.is_empty:
            continue
        zone = shapely.intersection(zone, region)
        if covered:
            zone = shapely.difference(zone, shapely.union_all(covered))
        covered.append(zone)
        zparts = shapely.get_parts(zone)
        zparts = zparts[(shapely.get_type_id(zparts) == 3) & (shapely.area(zparts) > 0.5)]
        if len(zparts) == 0:
            continue
        all_parts.append(zparts)
        zi, bi = tree.query(zparts, predicate="intersects")
        inter = shapely.intersection(blocks[bi], zparts[zi])
        g, _ = explode_polygons(inter, np.zeros(len(inter), dtype=np.int64))
        g = g[shapely.area(g) > 0.5]
        out_g.append(g)
        out_k.append(np.full(len(g), kind, dtype=object).astype(str))
    # fields: each block minus the zones that touch it
    parts = np.concatenate(all_parts) if all_parts else np.empty(0, dtype=object)
    fields = blocks.copy()
    if len(parts):
        bi, zi = shapely.STRtree(parts).query(blocks, predicate="intersects")
        order = np.argsort(bi, kind="stable")
        bi, zi = bi[order], zi[order]
        starts = np.flatnonzero(np.r_[True, bi[1:] != bi[:-1]]) if len(bi) else np.empty(0, int)
        ends = np.r_[starts[1:], len(bi)]
        for s, e in zip(starts, ends, strict=True):
            b = bi[s]
            fields[b] = shapely.difference(blocks[b], shapely.union_all(parts[zi[s:e]]))
    g, _ = explode_polygons(fields, np.zeros(len(fields), dtype=np.int64))
    g = g[shapely.area(g) > 0.5]
    out_g.append(g)
    out_k.append(np.full(len(g), "field", dtype=object).astype(str))
    return np.concatenate(out_g), np.concatenate(out_k)


Subdivider = Callable[[np.random.Generator, BaseGeometry], FloatArray]


def subdivide(
    rng: np.random.Generator, pieces: GeomArray, seeds: Subdivider
) -> tuple[list[BaseGeometry], list[int]]:
    """Voronoi-split each piece with the seeds ``seeds(rng, piece)`` returns."""
    geoms: list[BaseGeometry] = []
    owner: list[int] = []
    for i, piece in enumerate(pieces):
        cells = voronoi_split(piece, seeds(rng, piece))
        geoms.extend(cells)
        owner.extend([i] * len(cells))
    return geoms, owner


def build_parcels(rng: np.random.Generator, ctx: Context) -> Parcels:
    """Tile the region with parcels and give each a GB/T 21010-2017 code.

    Parameters
    ----------
    rng
        Random generator.
    ctx
        Layout, network, zones and subsidence grid.

    Returns
    -------
    Parcels
        Unsorted parcels; ids are given by the caller.
    """
    region = shapely.box(*ctx.bounds)
    lin_g, lin_c, covered = linear_parcels(ctx)
    blocks = shapely.get_parts(shapely.difference(region, covered))
    blocks = blocks[(shapely.get_type_id(blocks) == 3) & (shapely.area(blocks) > 0.5)]
    pieces, kinds = zone_pieces(ctx, blocks)
    logger.info(
        "%d linear parcels, %d blocks, %d zone pieces", len(lin_g), len(blocks), len(pieces)
    )

    geoms: list[BaseGeometry] = list(lin_g)
    codes: list[NDArray[np.str_]] = [np.asarray(lin_c, dtype=object).astype(str)]
    kind_l: list[str] = ["linear"] * len(lin_g)
    piece_l: list[int] = [-1 - i for i in range(len(lin_g))]

    def add(g: list[BaseGeometry], c: NDArray[np.str_], kind: str, pid: list[int]) -> None:
        geoms.extend(g)
        codes.append(np.asarray(c).astype(str))
        kind_l.extend([kind] * len(g))
        piece_l.extend(pid)

    def run(kind: str, seeds: Subdivider) -> tuple[list[BaseGeometry], list[int]]:
        sel = np.flatnonzero(kinds == kind)
        g, o = subdivide(rng, pieces[sel], seeds)
        return g, [int(sel[i]) for i in o]

    lake_core = ctx.zones.get("subs_lake", shapely.Polygon())
    deep = shapely.union(lake_core, ctx.zones.get("subs_ring", shapely.Polygon()))
    deep_edge = shapely.boundary(deep).buffer(2.0)

    # --- subsidence water: open lake in the core, ponds, swamp and beach around it
    g, pid = run("subs_lake", lambda r, p: random_seeds(r, p, 450.0))
    add(g, np.full(len(g), "1102"), "subs_lake", pid)
    g, pid = run("subs_ring", lambda r, p: lattice_seeds(r, p, 110.0, 150.0))
    margin = shapely.intersects(np.asarray(g, dtype=object), deep_edge)
    c = np.where(
        margin,
        _choice(rng, {"1106": 0.45, "1108": 0.35, "1104": 0.2}, len(g)),
        _choice(rng, {"1104": 0.7, "1108": 0.3}, len(g)),
    )
    add(g, c, "subs_ring", pid)

    # --- mine industrial squares and gangue piles (one parcel per pile)
    g, pid = run("mine_site", lambda r, p: lattice_seeds(r, p, 120.0, 100.0))
    add(g, _choice(rng, {"0602": 0.6, "0601": 0.25, "0604": 0.15}, len(g)), "mine_site", pid)
    g, pid = run("gangue", lambda r, p: np.empty((0, 2)))
    add(g, np.full(len(g), "0602"), "gangue", pid)

    # --- towns: commercial and public core, residential rings, industry at the edge
    town_c = np.array([t.centre for t in ctx.towns]) if ctx.towns else np.zeros((0, 2))
    town_angle = np.array([t.angle for t in ctx.towns])
    town_r = np.array([t.radius for t in ctx.towns])

    def town_seeds(r: np.random.Generator, p: BaseGeometry) -> FloatArray:
        k = _nearest(town_c, p)
        return lattice_seeds(r, p, 95.0, 80.0, 0.25, angle=float(town_angle[k]))

    g, pid = run("town", town_seeds)
    add(g, _town_codes(rng, np.asarray(g, dtype=object), pid, town_c, town_r), "town", pid)

    # --- villages: many small homestead parcels
    g, pid = run("village", lambda r, p: lattice_seeds(r, p, 50.0, 45.0, 0.25))
    add(g, _village_codes(rng, np.asarray(g, dtype=object), ctx.villages), "village", pid)

    # --- oxbow lake
    g, pid = run("oxbow", lambda r, p: np.empty((0, 2)))
    add(g, np.full(len(g), "1102"), "oxbow", pid)

    # --- hills: forest, shrub and grass by height
    g, pid = run("hills", lambda r, p: random_seeds(r, p, 210.0))
    add(g, _hill_codes(rng, np.asarray(g, dtype=object), ctx.hills), "hills", pid)

    # --- floodplain
    g, pid = run("floodplain", lambda r, p: lattice_seeds(r, p, 160.0, 120.0))
    shapely.prepare(ctx.water_edges)
    near = shapely.dwithin(np.asarray(g, dtype=object), ctx.water_edges, 40.0)
    c = np.where(
        near,
        _choice(rng, {"1106": 0.7, "0404": 0.3}, len(g)),
        _choice(rng, {"0301": 0.35, "0404": 0.25, "0103": 0.25, "1106": 0.1, "1104": 0.05}, len(g)),
    )
    add(g, c, "floodplain", pid)

    # --- fields: strip size chosen so that the total parcel count meets the target
    sel = np.flatnonzero(kinds == "field")
    field_area = float(np.sum(shapely.area(pieces[sel])))
    n_left = max(ctx.n_target - len(geoms), int(0.25 * ctx.n_target))
    # clipping cells to irregular blocks adds about a tenth more parcels than seeds
    strip_area = float(np.clip(1.1 * field_area / max(n_left, 1), 6000.0, 60000.0))
    logger.info("field strips of %.2f ha for %d remaining parcels", strip_area / 1e4, n_left)

    def field_seeds(r: np.random.Generator, p: BaseGeometry) -> FloatArray:
        _, long_side, short_side = oriented_frame(p)
        rows = max(1, round(short_side / 330.0))
        length = short_side / rows
        width = float(np.clip(strip_area / max(length, 1.0), 25.0, 250.0))
        if long_side < 1.2 * width and short_side < 1.2 * width:
            return np.empty((0, 2))
        return lattice_seeds(r, p, width, length, 0.22)

    g, pid = run("field", field_seeds)
    local = np.searchsorted(sel, pid)
    c = _field_codes(rng, np.asarray(g, dtype=object), local, ctx)
    add(g, c, "field", pid)

    garr = np.asarray(geoms, dtype=object)
    code = np.concatenate(codes)
    kind = np.asarray(kind_l, dtype=object).astype(str)
    piece = np.asarray(piece_l, dtype=np.int64)
    # explode multipart cells, then merge slivers into neighbours of the same piece
    garr, src = explode_polygons(garr, np.arange(len(garr)))
    code, kind, piece = code[src], kind[src], piece[src]
    min_area = np.select(
        [kind == "village", kind == "linear", kind == "town"], [80.0, 30.0, 400.0], default=1500.0
    )
    min_width = 0.0
    garr, keep = absorb_small(garr, piece, min_area, min_width)
    code, kind, piece = code[keep], kind[keep], piece[keep]
    # a last pass across pieces for crumbs (< 20 m²) left between linear features
    garr, keep = absorb_small(garr, None, 20.0)
    code, kind, piece = code[keep], kind[keep], piece[keep]
    # merges can leave a multipart polygon: its parts become parcels of their own
    garr, src = explode_polygons(garr, np.arange(len(garr)))
    code, kind, piece = code[src], kind[src], piece[src]
    parcels = Parcels(garr, code, kind, piece)
    names, counts = np.unique(kind, return_counts=True)
    logger.info("parcels by zone: %s", dict(zip(names.tolist(), counts.tolist(), strict=True)))
    _subsidence_recode(rng, parcels, ctx)
    return parcels


def _nearest(centres: FloatArray, geom: BaseGeometry) -> int:
    c = np.asarray(geom.centroid.coords[0])
    return int(np.argmin(np.hypot(*(centres - c).T)))


def _town_codes(
    rng: np.random.Generator,
    cells: GeomArray,
    owner: list[int],
    centres: FloatArray,
    radius: FloatArray,
) -> NDArray[np.str_]:
    n = len(cells)
    if n == 0:
        return np.zeros(0, dtype=str)
    xy = np.asarray(shapely.get_coordinates(shapely.centroid(cells)))
    d = np.hypot(xy[:, None, 0] - centres[None, :, 0], xy[:, None, 1] - centres[None, :, 1])
    k = np.argmin(d, axis=1)
    rel = d[np.arange(n), k] / radius[k]
    core = _choice(
        rng,
        {
            "0501": 0.3,
            "0505": 0.1,
            "0503": 0.06,
            "0504": 0.05,
            "0801": 0.12,
            "0807": 0.05,
            "0701": 0.32,
        },
        n,
    )
    mid = _choice(
        rng,
        {
            "0701": 0.68,
            "0803": 0.07,
            "0805": 0.04,
            "0810": 0.05,
            "0501": 0.08,
            "0808": 0.02,
            "0809": 0.02,
            "1005": 0.02,
            "0502": 0.02,
        },
        n,
    )
    outer = _choice(
        rng, {"0701": 0.42, "0601": 0.25, "0604": 0.1, "0702": 0.12, "0809": 0.03, "1201": 0.08}, n
    )
    codes = np.where(rel < 0.3, core, np.where(rel < 0.7, mid, outer))
    # blocks tend to share one use: most cells of a piece take the piece's first code
    own = np.asarray(owner)
    first: dict[int, str] = {}
    for i, o in enumerate(own):
        first.setdefault(int(o), codes[i])
    dom = np.array([first[int(o)] for o in own])
    same = rng.random(n) < 0.55
    return np.asarray(np.where(same, dom, codes))


def _village_codes(
    rng: np.random.Generator, cells: GeomArray, villages: list[Village]
) -> NDArray[np.str_]:
    n = len(cells)
    if n == 0:
        return np.zeros(0, dtype=str)
    codes = _choice(
        rng,
        {
            "0702": 0.86,
            "1201": 0.04,
            "1104": 0.025,
            "0201": 0.02,
            "0601": 0.015,
            "1202": 0.015,
            "0301": 0.025,
        },
        n,
    )
    xy = np.asarray(shapely.get_coordinates(shapely.centroid(cells)))
    tree = cKDTree(xy)
    for v in villages:
        d, i = tree.query(v.centre, k=min(12, n))
        d, i = np.atleast_1d(d), np.atleast_1d(i)
        codes[i[0]] = "0801"
        far = i[d > 60]
        if len(far) and v.footprint.area > 120_000:
            codes[far[0]] = "0803"
    return codes


def _hill_codes(
    rng: np.random.Generator, cells: GeomArray, hills: BaseGeometry
) -> NDArray[np.str_]:
    n = len(cells)
    if n == 0:
        return np.zeros(0, dtype=str)
    inner = shapely.distance(shapely.centroid(cells), shapely.boundary(hills))
    h = inner / max(float(inner.max()), 1.0) + rng.normal(0, 0.12, n)
    top = _choice(rng, {"0305": 0.6, "0404": 0.4}, n)
    mid = _choice(rng, {"0301": 0.85, "0305": 0.1, "0404": 0.05}, n)
    foot = _choice(rng, {"0301": 0.5, "0201": 0.25, "0404": 0.13, "0103": 0.1, "0602": 0.02}, n)
    return np.asarray(np.where(h > 0.65, top, np.where(h > 0.2, mid, foot)))


def _field_codes(
    rng: np.random.Generator,
    cells: GeomArray,
    owner: NDArray[np.int64],
    ctx: Context,
) -> NDArray[np.str_]:
    n = len(cells)
    if n == 0:
        return np.zeros(0, dtype=str)
    # one main use per patch of ~450 m inside a piece (pieces can be large where roads end)
    cxy = np.asarray(shapely.get_coordinates(shapely.centroid(cells)))
    own = np.asarray(owner, dtype=np.int64)
    gx = np.floor(cxy[:, 0] / 450.0).astype(np.int64)
    gy = np.floor(cxy[:, 1] / 450.0).astype(np.int64)
    keys = np.column_stack([own, gx, gy])
    _, first, patch = np.unique(keys, axis=0, return_index=True, return_inverse=True)
    patch = patch.ravel()
    npatch = len(first)
    pxy = cxy[first]
    shapely.prepare(ctx.water_edges)
    near_water = shapely.dwithin(shapely.points(pxy), ctx.water_edges, 1500.0)
    vc = np.array([v.centre for v in ctx.villages]) if ctx.villages else np.zeros((1, 2)) + 1e12
    d_village = cKDTree(vc).query(pxy)[0]
    p_paddy = np.where(near_water, 0.55, 0.1)
    main = np.where(
        rng.random(npatch) < p_paddy, "0101", np.where(rng.random(npatch) < 0.55, "0102", "0103")
    ).astype(object)
    special = rng.random(npatch)
    main = np.where(special < 0.05, "0201", main)
    main = np.where((special >= 0.05) & (special < 0.09), "0301", main)
    near_v = d_village < 900
    main = np.where((special >= 0.09) & (special < 0.13) & near_v, "1202", main)
    base = main[patch].astype(str)
    dv_cell = cKDTree(vc).query(cxy)[0]
    r = rng.random(n)
    other = _choice(rng, {"0101": 0.2, "0102": 0.45, "0103": 0.35}, n)
    codes = base.astype(object)
    codes = np.where(r < 0.12, other, codes)
    codes = np.where((r >= 0.12) & (r < 0.135), "0201", codes)
    pond_p = np.where(dv_cell < 600, 0.06, 0.025)
    codes = np.where((r >= 0.14) & (r < 0.14 + pond_p), "1104", codes)
    codes = np.where((r >= 0.2) & (r < 0.215) & (dv_cell < 1000), "1202", codes)
    codes = np.where((r >= 0.22) & (r < 0.23), "1201", codes)
    return np.asarray(codes).astype(str)


def zonal_subsidence(
    geoms: GeomArray, grid: NDArray[np.float64], transform: Affine
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Mean and maximum subsidence of each parcel and its share deeper than ``DEEP_WATER_M``.

    Parcels too small to hold a cell centre take the value at their representative point.
    """
    n = len(geoms)
    ids = rasterio.features.rasterize(
        ((g, i + 1) for i, g in enumerate(geoms)),
        out_shape=grid.shape,
        transform=transform,
        fill=0,
        dtype="int32",
    ).ravel()
    w = grid.ravel()
    cnt = np.bincount(ids, minlength=n + 1)[1:].astype(float)
    tot = np.bincount(ids, weights=w, minlength=n + 1)[1:]
    deep = np.bincount(ids, weights=(w > DEEP_WATER_M).astype(float), minlength=n + 1)[1:]
    wmax = np.zeros(n + 1)
    np.maximum.at(wmax, ids, w)
    wmax = wmax[1:]
    pts = np.asarray(shapely.get_coordinates(shapely.point_on_surface(geoms)))
    col = np.floor((pts[:, 0] - transform.c) / transform.a).astype(int)
    row = np.floor((pts[:, 1] - transform.f) / transform.e).astype(int)
    row = np.clip(row, 0, grid.shape[0] - 1)
    col = np.clip(col, 0, grid.shape[1] - 1)
    at_point = grid[row, col]
    empty = cnt == 0
    mean = np.where(empty, at_point, tot / np.maximum(cnt, 1))
    share = np.where(empty, (at_point > DEEP_WATER_M).astype(float), deep / np.maximum(cnt, 1))
    wmax = np.where(empty, at_point, wmax)
    return mean, wmax, share


def _subsidence_recode(rng: np.random.Generator, parcels: Parcels, ctx: Context) -> None:
    """Recode flooded land: water where mostly below the water table, wet land just above it."""
    mean, _, share = zonal_subsidence(parcels.geoms, ctx.grid, ctx.transform)
    code = parcels.code.astype(object)
    n = len(code)
    land = np.isin(code, [*CROPLAND, "0201", "0301", "0305", "0404", "0702", "1201", "1202"])
    flooded = land & (share > 0.5)
    code = np.where(flooded, _choice(rng, {"1104": 0.6, "1108": 0.4}, n), code)
    waterlogged = mean >= GROUNDWATER_DEPTH_M - WATERLOGGED_BAND_M
    wet = np.isin(code, [*CROPLAND, "1201"]) & waterlogged & ~flooded
    r = rng.random(n)
    code = np.where(
        wet & (r < 0.35), _choice(rng, {"1104": 0.5, "1108": 0.3, "1106": 0.2}, n), code
    )
    homes = (code == "0702") & waterlogged & (r < 0.3)
    code = np.where(homes, "1201", code)
    logger.info(
        "subsidence recoding: %d flooded, %d wet, %d abandoned homesteads",
        int(flooded.sum()),
        int((wet & (r < 0.35)).sum()),
        int(homes.sum()),
    )
    parcels.code = np.asarray(code).astype(str)
