"""Synthetic coal mines, longwall panels and probability-integral subsidence."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np
import rasterio.features
import shapely
import shapely.affinity
from affine import Affine
from numpy.typing import NDArray
from scipy.special import erf
from shapely.geometry.base import BaseGeometry

from zoning.synthetic._geom import FloatArray, polar_blob

logger = logging.getLogger(__name__)

TAN_BETA = 2.0
"""Tangent of the major influence angle: influence radius r = H / tan(beta)."""
OFFSET_RATIO = 0.1
"""Inflection-point offset s as a fraction of the mining depth H."""
CELL = 10.0
"""Subsidence grid cell size (m)."""
CONTOUR_LEVELS = (0.01, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0)
"""Subsidence levels (m) of the contour polygons."""
YEAR_NOW = 2025


@dataclass
class Panel:
    """One longwall panel: a rectangle in plan, with its seam and mining history."""

    panel_id: str
    mine: str
    cx: float
    cy: float
    angle: float
    length: float
    width: float
    thickness_m: float
    depth_m: float
    dip_deg: float
    q: float
    start_year: int = 0
    end_year: int | None = None
    status: str = "closed"
    inner_lo: bool = False
    inner_hi: bool = False

    def polygon(self) -> shapely.Polygon:
        """Plan rectangle of the whole panel."""
        return rotated_rect(self.cx, self.cy, self.length, self.width, self.angle)

    @property
    def mined_fraction(self) -> float:
        """Share of the panel length extracted by the survey year."""
        if self.status == "closed":
            return 1.0
        if self.end_year is None:
            return 0.5
        span = max(self.end_year - self.start_year, 1)
        return float(np.clip((YEAR_NOW + 0.5 - self.start_year) / span, 0.2, 0.9))


@dataclass
class Mine:
    """A colliery: shaft, industrial square, gangue piles and panels."""

    mine: str
    name: str
    stage: str
    shaft: FloatArray
    angle: float
    site: BaseGeometry
    panels: list[Panel] = field(default_factory=list)
    gangue: list[tuple[BaseGeometry, float]] = field(default_factory=list)
    boundary: BaseGeometry | None = None


def rotated_rect(
    cx: float, cy: float, length: float, width: float, angle: float
) -> shapely.Polygon:
    """Rectangle of ``length`` along ``angle`` and ``width`` across, centred on ``cx``, ``cy``."""
    ca, sa = np.cos(angle), np.sin(angle)
    u = np.array([-1, 1, 1, -1]) * length / 2
    v = np.array([-1, -1, 1, 1]) * width / 2
    return shapely.Polygon(np.column_stack([cx + u * ca - v * sa, cy + u * sa + v * ca]))


def _district(
    rng: np.random.Generator,
    mine: str,
    number: int,
    centre: FloatArray,
    angle: float,
    deep: bool,
) -> tuple[list[list[Panel]], BaseGeometry, float, float]:
    """Panels of one mining district: one or two seams of parallel panels.

    Returns the panels by seam, their footprint, and the district's width across the
    panels and its length along them.
    """
    n = int(rng.integers(4, 7)) if deep else int(rng.integers(3, 7))
    width = float(rng.uniform(180, 250)) if deep else float(rng.uniform(150, 250))
    length = float(rng.uniform(1000, 1500)) if deep else float(rng.uniform(800, 1500))
    pillar = float(rng.uniform(6, 12)) if deep else float(rng.uniform(10, 30))
    seams: list[list[Panel]] = []
    if deep:
        specs = [
            (float(rng.uniform(320, 420)), float(rng.uniform(3.7, 4.0)), 0.9),
            (0.0, float(rng.uniform(3.6, 4.0)), 0.9),
        ]
        dip = float(rng.uniform(2, 6))
    else:
        specs = [
            (
                float(rng.uniform(300, 600)),
                float(rng.uniform(2.0, 4.0)),
                float(rng.uniform(0.8, 0.88)),
            )
        ]
        dip = float(rng.uniform(2, 15))
        if rng.random() < 0.3:
            specs.append((0.0, 0.0, 0.9))
    top_depth = specs[0][0]
    w0_top = specs[0][1] * specs[0][2]
    for k, (depth, thick, q) in enumerate(specs):
        if k == 1:
            depth = min(top_depth + float(rng.uniform(60, 120)), 700.0)
            if thick == 0.0:  # thinner lower seam keeps the total under ~7.4 m
                thick = float(np.clip(rng.uniform(2.0, 3.5), 2.0, max(2.0, (7.4 - w0_top) / q)))
        # the lower seam is staggered by half a panel, its last panel left out
        shift = (width + pillar) / 2 if k == 1 else 0.0
        total = n * width + (n - 1) * pillar
        ca, sa = np.cos(angle), np.sin(angle)
        panels = []
        for i in range(n):
            off = -total / 2 + width / 2 + i * (width + pillar) + shift
            if k == 1 and i == n - 1:
                continue
            cx = centre[0] - off * sa
            cy = centre[1] + off * ca
            panels.append(
                Panel(
                    panel_id=f"{mine}-{k + 1}{number}{i + 1:02d}",
                    mine=mine,
                    cx=float(cx),
                    cy=float(cy),
                    angle=angle,
                    length=length * float(rng.uniform(0.93, 1.0)),
                    width=width,
                    thickness_m=round(thick, 2),
                    depth_m=round(depth + float(rng.uniform(-15, 15)), 1),
                    dip_deg=round(dip, 1),
                    q=q,
                    inner_lo=i > 0,
                    inner_hi=i < n - 1,
                )
            )
        if panels:
            panels[0].inner_lo = False
            panels[-1].inner_hi = False
        seams.append(panels)
    foot = shapely.union_all([p.polygon() for s in seams for p in s])
    return seams, foot, n * width + (n - 1) * pillar, length


def plan_mines(
    rng: np.random.Generator,
    bounds: tuple[float, float, float, float],
    n_mines: int,
    towns: list[tuple[FloatArray, float]],
    avoid: BaseGeometry,
    names: list[str],
    shrink: float = 1.0,
    avoid_panels: BaseGeometry | None = None,
) -> list[Mine]:
    """Place ``n_mines`` collieries with districts of panels, sites and gangue piles.

    Parameters
    ----------
    rng
        Random generator.
    bounds
        Region bounds ``(xmin, ymin, xmax, ymax)``.
    n_mines
        Number of mines wanted (fewer if there is no room).
    towns
        Town centres and radii; panels keep clear of them.
    avoid
        Area that mine sites and gangue piles keep clear of (hills, river corridors).
    names
        Name stems for the mines.
    shrink
        Factor (at most 1) scaling the margins for regions smaller than 10 km.
    avoid_panels
        Area that panels keep clear of; ``avoid`` if None.

    Returns
    -------
    list of Mine
    """
    x0, y0, x1, y1 = bounds
    inner = shapely.box(x0 + 300, y0 + 300, x1 - 300, y1 - 300)
    margin = 1200.0 * shrink
    town_zone = shapely.union_all([shapely.Point(c).buffer(r + 700 * shrink) for c, r in towns])
    shapely.prepare(town_zone)
    shapely.prepare(avoid)
    if avoid_panels is None:
        avoid_panels = avoid
    shapely.prepare(avoid_panels)
    mines: list[Mine] = []
    taken: list[BaseGeometry] = []  # sites and gangue piles with their margins
    districts: list[BaseGeometry] = []  # panel footprints of all mines

    def hits(geom: BaseGeometry, others: list[BaseGeometry], distance: float = 0.0) -> bool:
        if not others:
            return False
        arr = np.asarray(others, dtype=object)
        if distance > 0:
            return bool(shapely.dwithin(arr, geom, distance).any())
        return bool(shapely.intersects(arr, geom).any())

    attempts = 0
    while len(mines) < n_mines and attempts < 60 * max(n_mines, 1):
        attempts += 1
        shaft = np.array(
            [rng.uniform(x0 + margin, x1 - margin), rng.uniform(y0 + margin, y1 - margin)]
        )
        pt = shapely.Point(shaft)
        if any(np.hypot(*(shaft - m.shaft)) < 2400 for m in mines):
            continue
        if shapely.dwithin(town_zone, pt, 300) or shapely.dwithin(avoid, pt, 500 * shrink):
            continue
        if hits(pt, taken, 250.0) or hits(pt, districts, 500.0 * shrink):
            continue
        idx = len(mines)
        code = f"M{idx + 1}"
        angle = float(rng.uniform(0, np.pi))
        site = rotated_rect(shaft[0], shaft[1], rng.uniform(380, 520), rng.uniform(260, 360), angle)
        if hits(site, taken, 500.0 * shrink) or hits(site, districts, 300.0 * shrink):
            continue
        mine = Mine(
            mine=code,
            name=names[idx % len(names)] + "煤矿",
            stage="closed",
            shaft=shaft,
            angle=angle,
            site=site,
        )
        local_taken = [*taken, site]
        mine_districts = list(districts)
        n_districts = int(rng.integers(3, 5))
        number = 1
        placed: list[tuple[FloatArray, float, float, float]] = []
        for _ in range(40 * n_districts):
            if number > n_districts:
                break
            deep = idx == 0 and number == 1
            if not placed:  # first district: off the shaft pillar in a random direction
                psi = rng.uniform(0, 2 * np.pi)
                d_angle = angle + float(rng.normal(0, 0.2))
                seams, foot, across, length = _district(rng, code, number, shaft, d_angle, deep)
                step = np.array([np.cos(psi), np.sin(psi)]) * 50.0
                gap = float(rng.uniform(300, 600)) * shrink
                shift = np.zeros(2)
                for _k in range(80):
                    if not shapely.dwithin(site, foot, gap):
                        break
                    shift = shift + step
                    foot = shapely.affinity.translate(foot, float(step[0]), float(step[1]))
                centre = shaft + shift
            else:  # next to an earlier district, across a barrier pillar
                pc, pa, p_across, p_len = placed[int(rng.integers(len(placed)))]
                d_angle = (
                    pa + float(rng.normal(0, 0.12)) + (np.pi / 2 if rng.random() < 0.2 else 0.0)
                )
                seams, foot, across, length = _district(rng, code, number, pc, d_angle, deep)
                sign = 1.0 if rng.random() < 0.5 else -1.0
                barrier = float(rng.uniform(60, 160))
                if rng.random() < 0.65:
                    n_dir = np.array([-np.sin(pa), np.cos(pa)])
                    shift = n_dir * sign * (p_across / 2 + across / 2 + barrier)
                else:
                    d_dir = np.array([np.cos(pa), np.sin(pa)])
                    shift = d_dir * sign * (p_len / 2 + length / 2 + barrier)
                shift = shift + rng.normal(0, 80, 2)
                foot = shapely.affinity.translate(foot, float(shift[0]), float(shift[1]))
                centre = pc + shift
            ok = (
                inner.contains(foot)
                and not hits(foot, mine_districts, 40.0)
                and not hits(foot, local_taken, 300.0 * shrink)
                and not town_zone.intersects(foot)
                and not shapely.dwithin(avoid_panels, foot, 200.0 * shrink)
            )
            if not ok:
                continue
            for seam in seams:
                for p in seam:
                    p.cx += float(shift[0])
                    p.cy += float(shift[1])
                mine.panels.extend(seam)
            mine_districts.append(foot)
            placed.append((centre, d_angle, across, length))
            number += 1
        if number - 1 < (2 if shrink >= 1.0 else 1):  # too few districts: try another shaft
            continue
        for _ in range(int(rng.integers(1, 4))):
            for _try in range(30):
                psi = rng.uniform(0, 2 * np.pi)
                c = shaft + rng.uniform(380, 650) * np.array([np.cos(psi), np.sin(psi)])
                radius = float(rng.uniform(70, 150))
                pile = polar_blob(
                    rng, c, radius, 0.2, rng.uniform(1.0, 1.4), rng.uniform(0, np.pi), 20
                )
                if (
                    hits(pile, local_taken, 80.0)
                    or hits(pile, mine_districts, 190.0)
                    or shapely.dwithin(avoid, pile, 40.0)
                    or shapely.dwithin(town_zone, pile, 40.0)
                ):
                    continue
                mine.gangue.append((pile, round(float(rng.uniform(15, 60)), 1)))
                local_taken.append(pile)
                break
        mines.append(mine)
        taken = local_taken
        districts = mine_districts
    if mines:
        mines[int(rng.integers(len(mines)))].stage = "producing"
    for mine in mines:
        _schedule(rng, mine)
    logger.info("placed %d mines with %d panels", len(mines), sum(len(m.panels) for m in mines))
    return mines


def _schedule(rng: np.random.Generator, mine: Mine) -> None:
    """Give the panels of ``mine`` start and end years and a status."""
    panels = sorted(mine.panels, key=lambda p: (p.panel_id[len(mine.mine) + 1], p.panel_id))
    end = int(rng.integers(1998, 2017)) if mine.stage == "closed" else YEAR_NOW + 1
    years = np.cumsum(rng.uniform(0.8, 1.6, len(panels))[::-1])[::-1]
    for p, back in zip(panels, years, strict=True):
        p.start_year = int(end - back)
        p.end_year = int(p.start_year + rng.integers(1, 3))
        p.status = "closed"
    if mine.stage == "producing":
        for p in panels[-2:]:
            p.start_year = min(p.start_year, YEAR_NOW)
            p.status = "producing"
            p.end_year = None if rng.random() < 0.5 else int(YEAR_NOW + rng.integers(1, 3))
        for p in panels[:-2]:
            p.end_year = min(p.end_year or YEAR_NOW, YEAR_NOW)


def _edge_curve(x: FloatArray, a: float, b: float, r: float) -> FloatArray:
    """Probability-integral influence across an extracted strip from ``a`` to ``b``."""
    k = np.sqrt(np.pi) / r
    return np.asarray(0.5 * (erf(k * (x - a)) - erf(k * (x - b))), dtype=float)


def subsidence_grid(
    panels: list[Panel], bounds: tuple[float, float, float, float]
) -> tuple[NDArray[np.float64], Affine]:
    """Cumulative subsidence W (m, positive down) on a 10 m grid by the probability integral method.

    Each panel adds ``W0 · C(x') · C(y')`` in its own rotated frame, with
    ``W0 = m · q · cos(dip)``, influence radius ``r = H / tan(beta)`` and the extraction
    edges moved inwards by the inflection offset ``s = 0.1 H`` (not at sides shared with a
    neighbouring panel across a narrow pillar). Producing panels count their mined length only.

    Returns
    -------
    tuple
        The grid (row 0 at the north edge) and its affine transform.
    """
    x0, y0, x1, y1 = bounds
    nx = round((x1 - x0) / CELL)
    ny = round((y1 - y0) / CELL)
    grid = np.zeros((ny, nx), dtype=np.float64)
    xs = x0 + CELL / 2 + CELL * np.arange(nx)
    ys = y1 - CELL / 2 - CELL * np.arange(ny)
    for p in panels:
        r = p.depth_m / TAN_BETA
        s = OFFSET_RATIO * p.depth_m
        w0 = p.thickness_m * p.q * np.cos(np.radians(p.dip_deg))
        bx0, by0, bx1, by1 = p.polygon().bounds
        margin = 2.5 * r
        i0 = max(0, int((bx0 - margin - x0) / CELL))
        i1 = min(nx, int(np.ceil((bx1 + margin - x0) / CELL)))
        j0 = max(0, int((y1 - by1 - margin) / CELL))
        j1 = min(ny, int(np.ceil((y1 - by0 + margin) / CELL)))
        if i0 >= i1 or j0 >= j1:
            continue
        gx, gy = np.meshgrid(xs[i0:i1] - p.cx, ys[j0:j1] - p.cy)
        ca, sa = np.cos(p.angle), np.sin(p.angle)
        u = gx * ca + gy * sa
        v = -gx * sa + gy * ca
        u_lo = -p.length / 2
        u_hi = u_lo + p.length * p.mined_fraction
        cu = _edge_curve(u, u_lo + s, u_hi - s, r)
        v_lo = -p.width / 2 + (0.0 if p.inner_lo else s)
        v_hi = p.width / 2 - (0.0 if p.inner_hi else s)
        cv = _edge_curve(v, v_lo, v_hi, r)
        grid[j0:j1, i0:i1] += w0 * cu * cv
    grid = np.round(grid, 3)
    grid[grid < 0.001] = 0.0
    transform = Affine(CELL, 0.0, x0, 0.0, -CELL, y1)
    return grid, transform


def threshold_polygons(
    grid: NDArray[np.float64],
    transform: Affine,
    level: float,
    simplify: float = 5.0,
    min_area: float = 0.0,
) -> BaseGeometry:
    """Polygon(s) of the cells where ``grid >= level``, simplified and made valid."""
    mask = grid >= level
    if not mask.any():
        return shapely.MultiPolygon()
    shapes = rasterio.features.shapes(
        mask.astype(np.uint8), mask=mask, transform=transform, connectivity=4
    )
    polys = [shapely.geometry.shape(g) for g, _ in shapes]
    merged = shapely.union_all(polys)
    merged = shapely.make_valid(shapely.simplify(merged, simplify)).buffer(0)
    if min_area > 0:
        parts = shapely.get_parts(merged)
        parts = parts[shapely.area(parts) >= min_area]
        merged = shapely.union_all(parts) if len(parts) else shapely.MultiPolygon()
    return merged


def contour_polygons(
    grid: NDArray[np.float64], transform: Affine, levels: tuple[float, ...] = CONTOUR_LEVELS
) -> list[tuple[float, BaseGeometry]]:
    """Nested subsidence contour polygons, one (multi)polygon per level that is reached.

    Each deeper level is clipped to the one above it, so the polygons stay nested after
    simplification.
    """
    out: list[tuple[float, BaseGeometry]] = []
    previous: BaseGeometry | None = None
    for level in levels:
        poly = threshold_polygons(grid, transform, level, simplify=CELL / 2)
        if poly.is_empty:
            continue
        if previous is not None:
            poly = shapely.make_valid(shapely.intersection(poly, previous))
            parts = shapely.get_parts(poly)
            parts = parts[(shapely.get_type_id(parts) == 3) & (shapely.area(parts) > 1.0)]
            if len(parts) == 0:
                continue
            poly = shapely.union_all(parts)
        out.append((level, poly))
        previous = poly
    return out
