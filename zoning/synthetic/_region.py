"""Orchestration of the synthetic demo region: layout, mining, parcels and outputs."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import shapely.affinity
from affine import Affine
from numpy.typing import NDArray
from pyproj import Transformer
from scipy.spatial import cKDTree
from shapely.geometry.base import BaseGeometry

from zoning.synthetic import _write
from zoning.synthetic._codes import GBT21010_L2, town_names, village_names
from zoning.synthetic._geom import SmoothField, Warp, curved_road, make_lines
from zoning.synthetic._layout import (
    ROAD_CLASSES,
    Bounds,
    Network,
    Road,
    Town,
    Village,
    build_network,
    canal_line,
    cut_roads,
    hills,
    lattice_roads,
    main_roads,
    meander,
    oxbow_lake,
    place_towns,
    place_villages,
    region_bounds,
    town_streets,
    village_lanes,
)
from zoning.synthetic._mining import (
    CELL,
    Mine,
    contour_polygons,
    plan_mines,
    subsidence_grid,
    threshold_polygons,
)
from zoning.synthetic._parcels import (
    DEEP_WATER_M,
    GROUNDWATER_DEPTH_M,
    LAKE_CORE_M,
    Context,
    Parcels,
    build_parcels,
)
from zoning.synthetic._planning import (
    PlanningInputs,
    boundary_df,
    economic_fields,
    geohazard_df,
    planning_rng,
    redline_df,
)

logger = logging.getLogger(__name__)

CRS_EPSG = 4548
"""CGCS2000 / 3-degree Gauss-Kruger CM 117E."""
CENTRE_LONLAT = (117.4, 34.4)
"""Centre of the region in CGCS2000 geographic coordinates (EPSG:4490)."""
DEFAULT_SEED = 20240601


@dataclass
class Region:
    """Everything generated for one synthetic region, before writing."""

    bounds: Bounds
    parcels: gpd.GeoDataFrame
    contours: gpd.GeoDataFrame
    panels: gpd.GeoDataFrame
    mines: gpd.GeoDataFrame
    gangue: gpd.GeoDataFrame
    towns: gpd.GeoDataFrame
    roads: gpd.GeoDataFrame
    grid: NDArray[np.float64]
    transform: Affine
    redline: gpd.GeoDataFrame
    geohazard: gpd.GeoDataFrame
    boundary: gpd.GeoDataFrame


def _centre_xy() -> tuple[float, float]:
    tr = Transformer.from_crs(4490, CRS_EPSG, always_xy=True)
    x, y = tr.transform(*CENTRE_LONLAT)
    return float(x), float(y)


def build_region(n_parcels: int = 7000, seed: int = DEFAULT_SEED) -> Region:
    """Generate the synthetic region in memory (see :func:`generate_region`)."""
    if n_parcels < 200:
        raise ValueError("n_parcels must be at least 200")
    t0 = time.perf_counter()
    rng = np.random.default_rng(seed)
    scale = n_parcels / 7000.0
    bounds = region_bounds(n_parcels, _centre_xy())
    side = bounds[2] - bounds[0]
    shrink = float(min(1.0, side / 10_000.0))
    region = shapely.box(*bounds)
    logger.info("synthetic region %.1f km square at %s (scale %.2f)", side / 1000, bounds, scale)

    # --- names
    n_towns = max(1, int(np.floor(2.5 * scale + rng.random()))) if scale >= 0.5 else 1
    n_mines = max(1, int(np.floor(3.5 * scale + rng.random())))
    n_villages = max(3, round(24 * scale))
    stems = town_names(rng, n_towns + n_mines + 4)
    t_names, m_names = stems[:n_towns], stems[n_towns:]
    v_names = village_names(rng, int(n_villages * 1.5) + 5)

    # --- hills, rivers, canals
    hill_zone = hills(rng, bounds, max(1, round(scale / 3)))
    if shrink < 1:
        hill_zone = shapely.affinity.scale(hill_zone, shrink, shrink, origin=hill_zone.centroid)
        hill_zone = shapely.intersection(hill_zone, region)
    water_lines: list[tuple[BaseGeometry, float]] = []
    corridors = []
    rivers = []
    for _ in range(max(1, round(np.sqrt(scale)))):
        river = meander(rng, bounds)
        width = float(rng.uniform(80, 110))
        water_lines.append((river, width))
        rivers.append(river)
        corridors.append(shapely.buffer(river, float(rng.uniform(230, 300)), quad_segs=4))
    canal_zones = []
    for _ in range(max(1, round(np.sqrt(scale) / 2))):
        canal = canal_line(rng, bounds)
        width = float(rng.uniform(55, 70))
        water_lines.append((canal, width))
        canal_zones.append(shapely.buffer(canal, width / 2 + 12, quad_segs=4))
    river_water = shapely.union_all([shapely.buffer(g, w / 2, quad_segs=4) for g, w in water_lines])
    corridor = shapely.intersection(shapely.union_all(corridors), region)
    canal_zone = shapely.intersection(shapely.union_all(canal_zones), region)
    floodplain = shapely.difference(corridor, river_water)
    water_edges = shapely.boundary(shapely.intersection(river_water, region.buffer(200)))
    oxbows = [oxbow_lake(rng, r, shapely.union(corridor, canal_zone)) for r in rivers]
    oxbow = shapely.intersection(shapely.union_all(oxbows), region)
    wet_avoid = shapely.union_all([corridor, canal_zone, oxbow.buffer(100)])

    # --- towns and mines
    towns = place_towns(
        rng, bounds, n_towns, shapely.union(hill_zone, wet_avoid), t_names, shrink=shrink
    )
    mines = plan_mines(
        rng,
        bounds,
        n_mines,
        [(t.centre, t.radius) for t in towns],
        shapely.union(hill_zone, wet_avoid),
        m_names,
        shrink=shrink,
        avoid_panels=shapely.union(hill_zone, river_water.buffer(150.0)),
    )
    panels = [p for m in mines for p in m.panels]
    grid, transform = subsidence_grid(panels, bounds)
    logger.info("subsidence: %d panels, max %.2f m", len(panels), float(grid.max()))
    # shorelines follow the subsidence, roughened by small natural ground undulations
    wavy = _undulate(rng, grid, bounds)
    deep = _smooth(threshold_polygons(wavy, transform, DEEP_WATER_M, 10.0, 20_000.0), 20.0)
    core = _smooth(threshold_polygons(wavy, transform, LAKE_CORE_M, 10.0, 50_000.0), 20.0)
    core = shapely.intersection(core, deep.buffer(-30.0))
    sites = shapely.union_all([m.site for m in mines]) if mines else shapely.Polygon()
    piles = (
        shapely.union_all([g for m in mines for g, _ in m.gangue]) if mines else shapely.Polygon()
    )

    # --- roads
    roads: list[Road] = main_roads(rng, bounds, towns, scale)
    roads += _mine_roads(rng, mines, roads)
    roads += _county_roads(rng, bounds, towns, scale)
    lattice = lattice_roads(rng, bounds, Warp(rng, 70.0, (1800.0, 6000.0)), scale)
    minor = ("unclassified", "track")
    town_foot = shapely.union_all([t.footprint for t in towns])
    for mask, spare in (
        (hill_zone, False),
        (town_foot, False),
        (shapely.union(sites, piles).buffer(20.0), False),
        (shapely.union(corridor, canal_zone), True),
        (shapely.union(deep, oxbow).buffer(10.0), False),
    ):
        lattice = cut_roads(lattice, mask, "outside", minor, spare_bridges=spare, min_length=60.0)
    roads += lattice
    roads += _levee_roads(corridors, region, shapely.union_all([town_foot, sites, deep]))
    roads += _hill_tracks(rng, hill_zone)
    for t in towns:
        roads += cut_roads(town_streets(rng, t), deep, "outside")
    avoid_v = shapely.union_all(
        [
            hill_zone,
            wet_avoid,
            town_foot.buffer(450.0),
            sites.buffer(300.0),
            piles.buffer(150.0),
            core,
        ]
    )
    villages = place_villages(rng, roads, n_villages, avoid_v, v_names, bounds)
    village_foot = shapely.union_all([v.footprint for v in villages])
    for v in villages:
        roads += cut_roads(village_lanes(rng, v), deep.buffer(10.0), "outside", min_length=30.0)
    network = build_network(roads, bounds)
    ditches = _ditches(
        rng,
        lattice,
        shapely.union_all(
            [hill_zone, town_foot, village_foot, sites, piles, deep, corridor, canal_zone, oxbow]
        ),
    )
    logger.info("layout done in %.1f s", time.perf_counter() - t0)

    # --- parcels
    zones = {
        "subs_lake": core,
        "subs_ring": shapely.difference(deep, core),
        "mine_site": sites,
        "gangue": piles,
        "town": town_foot,
        "village": village_foot,
        "oxbow": oxbow,
        "hills": hill_zone,
        "floodplain": floodplain,
    }
    ctx = Context(
        bounds=bounds,
        water_lines=water_lines,
        network=network,
        ditches=ditches,
        zones=zones,
        towns=towns,
        villages=villages,
        hills=hill_zone,
        water_edges=water_edges,
        grid=grid,
        transform=transform,
        n_target=n_parcels,
    )
    parcels = build_parcels(rng, ctx)
    logger.info("%d parcels built in %.1f s", len(parcels.geoms), time.perf_counter() - t0)
    parcel_df, towns_df, order = _attributes(rng, parcels, towns, villages)
    gangue_df = _gangue_df(mines, parcel_df, parcels)

    # --- planning layers and economic fields, from their own generator (see _planning)
    plan_rng = planning_rng(seed)
    inputs = PlanningInputs(
        region=region,
        river_corridor=corridor,
        hills=hill_zone,
        oxbow=oxbow,
        settlements=shapely.union_all([town_foot, village_foot, sites, piles]),
        towns=towns,
        mines=mines,
        gangue=gangue_df,
        grid=grid,
        transform=transform,
    )
    parcel_df = parcel_df.join(economic_fields(plan_rng, parcel_df, parcels.kind[order], inputs))
    redline = redline_df(inputs, CRS_EPSG)

    region_out = Region(
        bounds=bounds,
        parcels=parcel_df,
        contours=_contours_df(grid, transform),
        panels=_panels_df(mines),
        mines=_mines_df(mines, region),
        gangue=gangue_df,
        towns=towns_df,
        roads=_roads_df(network),
        grid=grid,
        transform=transform,
        redline=redline,
        geohazard=geohazard_df(plan_rng, inputs, CRS_EPSG),
        boundary=boundary_df(plan_rng, inputs, redline, CRS_EPSG),
    )
    logger.info("region generated in %.1f s", time.perf_counter() - t0)
    return region_out


def generate_region(
    out_dir: str | Path,
    *,
    n_parcels: int = 7000,
    seed: int = DEFAULT_SEED,
    write_raster: bool = True,
) -> dict[str, Path]:
    """Generate the SYNTHETIC demo region and write its layers to ``out_dir``.

    Parameters
    ----------
    out_dir
        Folder to write to (created if missing).
    n_parcels
        Target number of parcels (the result is close to it). The side of the square
        region is 10 km × sqrt(n_parcels / 7000), so parcel density stays the same.
    seed
        Seed of the random generator; the same seed gives identical tables and geometries.
    write_raster
        Also write the subsidence grid ``subsidence.tif``.

    Returns
    -------
    dict of str to Path
        The files written, keyed by short name (``parcels``, ``subsidence``, ``panels``,
        ``mines``, ``gangue``, ``towns``, ``roads``, ``redline``, ``geohazard``,
        ``boundary``, ``roads_osm``, ``subsidence_tif``, ``readme``).

    Examples
    --------
    >>> paths = generate_region("/tmp/demo", n_parcels=800)  # doctest: +SKIP
    >>> sorted(paths)  # doctest: +SKIP
    ['gangue', 'mines', 'panels', 'parcels', 'readme', 'roads', 'roads_osm', ...]
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    region = build_region(n_parcels=n_parcels, seed=seed)
    meta = {
        "synthetic": "true",
        "generator": "zoning.synthetic",
        "seed": str(seed),
        "n_parcels_target": str(n_parcels),
    }
    paths: dict[str, Path] = {}
    paths["parcels"] = _write.gpkg(region.parcels, out / "parcels.gpkg", "parcels", meta)
    paths["subsidence"] = _write.gpkg(region.contours, out / "subsidence.gpkg", "contours", meta)
    paths["panels"] = _write.gpkg(region.panels, out / "panels.gpkg", "panels", meta)
    paths["mines"] = _write.gpkg(region.mines, out / "mines.gpkg", "mines", meta)
    paths["gangue"] = _write.gpkg(region.gangue, out / "gangue.gpkg", "gangue", meta)
    paths["towns"] = _write.gpkg(region.towns, out / "towns.gpkg", "towns", meta)
    paths["roads"] = _write.gpkg(region.roads, out / "roads.gpkg", "roads", meta)
    for role in ("redline", "geohazard", "boundary"):
        paths[role] = _write.gpkg(getattr(region, role), out / f"{role}.gpkg", role, meta)
    paths["roads_osm"] = _write.osm(region.roads, out / "roads.osm", CRS_EPSG)
    if write_raster:
        paths["subsidence_tif"] = _write.geotiff(
            region.grid, region.transform, out / "subsidence.tif", CRS_EPSG, meta
        )
    paths["readme"] = _write.readme(out / "README.md", region, n_parcels, seed, GROUNDWATER_DEPTH_M)
    for key, path in paths.items():
        logger.info("wrote %s: %s", key, path)
    return paths


# ----------------------------------------------------------------------------------------
def _undulate(
    rng: np.random.Generator, grid: NDArray[np.float64], bounds: Bounds, amplitude: float = 0.25
) -> NDArray[np.float64]:
    """Subsidence plus smooth ground undulations (m), where the ground is near the water table."""
    out = grid.copy()
    field = SmoothField(rng, amplitude, (250.0, 900.0), 6)
    rows, cols = np.nonzero(grid > 1.0)
    if len(rows):
        xs = np.asarray(bounds[0] + CELL / 2 + CELL * cols, dtype=np.float64)
        ys = np.asarray(bounds[3] - CELL / 2 - CELL * rows, dtype=np.float64)
        out[rows, cols] += field(xs, ys)
    return out


def _smooth(geom: BaseGeometry, d: float) -> BaseGeometry:
    if geom.is_empty:
        return geom
    out = geom.buffer(d, quad_segs=3).buffer(-d, quad_segs=3)
    return shapely.simplify(out, 3.0)


def _mine_roads(rng: np.random.Generator, mines: list[Mine], roads: list[Road]) -> list[Road]:
    """Tertiary access roads from each mine's industrial square to the nearest main road."""
    if not roads or not mines:
        return []
    mains = shapely.union_all(make_lines([r.coords for r in roads]))
    out = []
    for m in mines:
        start = shapely.Point(m.shaft)
        end = shapely.shortest_line(start, mains).coords[-1]
        line = curved_road(rng, np.asarray(m.shaft), np.asarray(end), 0.1)
        out += cut_roads([Road(line, "tertiary", m.name[:2] + "矿区路")], m.site, "outside")
    return out


def _county_roads(
    rng: np.random.Generator, bounds: Bounds, towns: list[Town], scale: float
) -> list[Road]:
    """A few tertiary county roads from towns towards the region's edge."""
    x0, _, x1, _ = bounds
    out = []
    for k in range(max(1, round(1.5 * scale))):
        t = towns[k % len(towns)]
        angle = rng.uniform(0, 2 * np.pi)
        end = t.centre + np.array([np.cos(angle), np.sin(angle)]) * (x1 - x0)
        line = curved_road(rng, t.centre, end, 0.15, 40.0)
        clipped = shapely.intersection(shapely.LineString(line), shapely.box(*bounds))
        for part in shapely.get_parts(clipped):
            if part.geom_type == "LineString" and part.length > 200:
                out.append(
                    Road(np.asarray(shapely.get_coordinates(part)), "tertiary", f"X{300 + k}县道")
                )
    return out


def _levee_roads(
    corridors: list[BaseGeometry], region: BaseGeometry, avoid: BaseGeometry
) -> list[Road]:
    """Embankment roads along the outer edges of river corridors."""
    out = []
    inner = region.buffer(-2.0)
    for c in corridors:
        ring = shapely.intersection(shapely.boundary(c), inner)
        ring = shapely.difference(ring, avoid)
        for part in shapely.get_parts(
            shapely.line_merge(ring) if ring.geom_type == "MultiLineString" else ring
        ):
            if part.geom_type == "LineString" and part.length > 100:
                dense = shapely.segmentize(part, 40.0)
                out.append(Road(np.asarray(shapely.get_coordinates(dense)), "unclassified"))
    return out


def _hill_tracks(rng: np.random.Generator, hill_zone: BaseGeometry) -> list[Road]:
    """Two or three tracks winding from the foot of each hill towards its top."""
    out = []
    for hill in shapely.get_parts(hill_zone):
        if hill.geom_type != "Polygon" or hill.area < 200_000:
            continue
        top = (
            np.asarray(shapely.point_on_surface(hill.buffer(-200)).coords[0])
            if not hill.buffer(-200).is_empty
            else np.asarray(hill.representative_point().coords[0])
        )
        ring = hill.exterior
        for s in rng.uniform(0, ring.length, int(rng.integers(2, 4))):
            foot = np.asarray(ring.interpolate(s).coords[0])
            d = foot - top
            start = foot + d / (np.hypot(*d) + 1e-9) * 30.0
            line = curved_road(rng, start, top, 0.2)
            out.append(Road(line, "track"))
    return out


def _ditches(
    rng: np.random.Generator, lattice: list[Road], avoid: BaseGeometry
) -> NDArray[np.object_]:
    """Irrigation ditches beside a third of the unclassified field roads."""
    lines = []
    for r in lattice:
        if r.kind != "unclassified" or rng.random() > 0.35 or len(r.coords) < 2:
            continue
        side = 1 if rng.random() < 0.5 else -1
        off = shapely.offset_curve(shapely.LineString(r.coords), side * 9.0, quad_segs=2)
        if not off.is_empty:
            lines.append(off)
    if not lines:
        return np.empty(0, dtype=object)
    cut = shapely.difference(np.asarray(lines, dtype=object), avoid.buffer(5.0))
    parts = shapely.get_parts(cut)
    parts = parts[(shapely.get_type_id(parts) == 1) & (shapely.length(parts) > 80)]
    return np.asarray(parts, dtype=object)


def _attributes(
    rng: np.random.Generator, parcels: Parcels, towns: list[Town], villages: list[Village]
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, NDArray[np.intp]]:
    """Owner and location names, population, sorting and ids of the parcels; towns table.

    The third item is the order of the parcels in the table (positions in ``parcels``).
    """
    geoms = parcels.geoms
    pts = np.asarray(shapely.get_coordinates(shapely.point_on_surface(geoms)))
    tc = np.array([t.centre for t in towns])
    ti = cKDTree(tc).query(pts)[1]
    in_town = parcels.kind == "town"
    if villages:
        vc = np.array([v.centre for v in villages])
        vi = cKDTree(vc).query(pts)[1]
        v_town = cKDTree(tc).query(vc)[1]
    else:  # a region too small for villages belongs to its town(s)
        vi = np.zeros(len(pts), dtype=np.int64)
        v_town = np.zeros(0, dtype=np.int64)
        in_town = np.ones(len(pts), dtype=bool)
    v_admin = np.array([v.name + "村" for v in villages] or [""], dtype=object)
    t_comm = np.array([t.name[:-1] + "社区" for t in towns], dtype=object)
    t_name = np.array([t.name for t in towns], dtype=object)
    v_zl = t_name[v_town] + v_admin[: len(v_town)] if villages else np.array([""], dtype=object)
    qs = np.where(in_town, t_comm[ti], v_admin[vi])
    zl = np.where(in_town, t_name[ti] + t_comm[ti], v_zl[vi])
    area = shapely.area(geoms)
    code = parcels.code
    pop = np.zeros(len(geoms), dtype=np.int64)
    homes = code == "0702"
    pop[homes] = np.round(area[homes] * rng.uniform(0.010, 0.016, int(homes.sum())))
    urban = code == "0701"
    pop[urban] = np.round(area[urban] * rng.uniform(0.018, 0.03, int(urban.sum())))
    # reading order: 500 m rows from the north, west to east within a row
    cxy = np.asarray(shapely.get_coordinates(shapely.centroid(geoms)))
    row = np.floor((cxy[:, 1].max() - cxy[:, 1]) / 500.0)
    order = np.lexsort((cxy[:, 1], cxy[:, 0], row))
    geoms_sorted = geoms[order]
    df = gpd.GeoDataFrame(
        {
            "BSM": [f"JW{i + 1:06d}" for i in range(len(order))],
            "DLBM": code[order].astype(str),
            "DLMC": [GBT21010_L2[c] for c in code[order]],
            "QSDWMC": qs[order].astype(str),
            "ZLDWMC": zl[order].astype(str),
            "POP": pop[order].astype(np.int64),
        },
        geometry=geoms_sorted,
        crs=CRS_EPSG,
    )
    # towns and villages with the population of their parcels
    kind_sorted = parcels.kind[order]
    rows = []
    for k, t in enumerate(towns):
        sel = (kind_sorted == "town") & (ti[order] == k)
        rows.append((t.name, "town", int(df["POP"].to_numpy()[sel].sum()), shapely.Point(t.centre)))
    for k, v in enumerate(villages):
        sel = (kind_sorted != "town") & (vi[order] == k)
        rows.append(
            (v_admin[k], "village", int(df["POP"].to_numpy()[sel].sum()), shapely.Point(v.centre))
        )
    towns_df = gpd.GeoDataFrame(
        pd.DataFrame(rows, columns=["name", "kind", "pop", "geometry"]),
        geometry="geometry",
        crs=CRS_EPSG,
    )
    return df, towns_df, order


def _contours_df(grid: NDArray[np.float64], transform: Affine) -> gpd.GeoDataFrame:
    rows = []
    for level, poly in contour_polygons(grid, transform):
        parts = shapely.get_parts(poly)
        parts = parts[shapely.get_type_id(parts) == 3]
        c = np.asarray(shapely.get_coordinates(shapely.centroid(parts)))
        order = np.lexsort((c[:, 1], c[:, 0]))
        for g in parts[order]:
            rows.append((float(level), g))
    df = pd.DataFrame(rows, columns=["depth_m", "geometry"])
    df["depth_m"] = df["depth_m"].astype(float)
    geoms = np.asarray(shapely.set_precision(df["geometry"].to_numpy(), 0.01), dtype=object)
    return gpd.GeoDataFrame(df.drop(columns="geometry"), geometry=geoms, crs=CRS_EPSG)


def _panels_df(mines: list[Mine]) -> gpd.GeoDataFrame:
    rows = []
    for m in mines:
        for p in sorted(m.panels, key=lambda q: q.panel_id):
            rows.append(
                {
                    "panel_id": p.panel_id,
                    "mine": p.mine,
                    "thickness_m": p.thickness_m,
                    "depth_m": p.depth_m,
                    "dip_deg": p.dip_deg,
                    "start_year": p.start_year,
                    "end_year": p.end_year,
                    "status": p.status,
                    "geometry": shapely.set_precision(p.polygon(), 0.01),
                }
            )
    cols = ["panel_id", "mine", "thickness_m", "depth_m", "dip_deg", "start_year", "end_year"]
    df = pd.DataFrame(rows, columns=[*cols, "status", "geometry"])
    df = df.astype({"thickness_m": float, "depth_m": float, "dip_deg": float})
    df["start_year"] = df["start_year"].astype("int64")
    df["end_year"] = df["end_year"].astype("Int64")
    return gpd.GeoDataFrame(df, geometry="geometry", crs=CRS_EPSG)


def _mines_df(mines: list[Mine], region: BaseGeometry) -> gpd.GeoDataFrame:
    rows: list[dict[str, object]] = []
    shafts = shapely.MultiPoint([m.shaft for m in mines])
    if len(mines) == 1:
        cells = np.array([region], dtype=object)
    elif mines:
        cells = shapely.get_parts(shapely.voronoi_polygons(shafts, extend_to=region, ordered=True))
    else:
        cells = np.empty(0, dtype=object)
    for m, cell in zip(mines, cells, strict=True):
        stuff = shapely.union_all(
            [m.site, *[p.polygon() for p in m.panels], *[g for g, _ in m.gangue]]
        )
        hull = shapely.convex_hull(stuff).buffer(300.0, join_style="mitre")
        boundary = shapely.intersection(shapely.intersection(hull, cell), region)
        rows.append(
            {
                "mine": m.mine,
                "name": m.name,
                "stage": m.stage,
                "type": "underground",
                "geometry": shapely.set_precision(shapely.simplify(boundary, 2.0), 0.01),
            }
        )
    df = pd.DataFrame(rows, columns=["mine", "name", "stage", "type", "geometry"])
    return gpd.GeoDataFrame(df, geometry="geometry", crs=CRS_EPSG)


def _gangue_df(
    mines: list[Mine], parcel_df: gpd.GeoDataFrame, parcels: Parcels
) -> gpd.GeoDataFrame:
    pile_parcels = shapely.union_all(parcels.geoms[parcels.kind == "gangue"])
    rows = []
    k = 0
    for m in mines:
        for g, h in m.gangue:
            k += 1
            geom = shapely.intersection(g, pile_parcels)
            if geom.is_empty or geom.area < 100:
                continue
            rows.append(
                {
                    "gangue_id": f"G{k:03d}",
                    "mine": m.mine,
                    "height_m": h,
                    "geometry": geom,
                }
            )
    return gpd.GeoDataFrame(
        pd.DataFrame(rows, columns=["gangue_id", "mine", "height_m", "geometry"]),
        geometry="geometry",
        crs=CRS_EPSG,
    )


def _roads_df(network: Network) -> gpd.GeoDataFrame:
    rows = []
    kinds = sorted(set(network.kind.tolist()), key=lambda k: -ROAD_CLASSES[k][0])
    for kind in kinds:
        sel = network.kind == kind
        for name in sorted(set(network.name[sel].tolist())):
            lines = network.geoms[sel & (network.name == name)]
            merged = shapely.line_merge(shapely.union_all(lines))
            for part in shapely.get_parts(merged):
                rows.append(
                    {
                        "highway": ROAD_CLASSES[kind][1],
                        "name": name,
                        "kind": kind,
                        "width_m": ROAD_CLASSES[kind][2],
                        "geometry": part,
                    }
                )
    df = gpd.GeoDataFrame(pd.DataFrame(rows), geometry="geometry", crs=CRS_EPSG)
    c = np.asarray(shapely.get_coordinates(shapely.centroid(df.geometry.to_numpy())))
    order = np.lexsort((c[:, 1], c[:, 0], -df["width_m"].to_numpy()))
    df = df.iloc[order].reset_index(drop=True)
    df["geometry"] = shapely.set_precision(df.geometry.to_numpy(), 0.01)
    return df


__all__ = ["DEFAULT_SEED", "GROUNDWATER_DEPTH_M", "Region", "build_region", "generate_region"]
