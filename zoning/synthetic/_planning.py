"""SYNTHETIC planning layers and economic parcel fields for the land-reduction stage.

Everything here is drawn from its own generator, :func:`planning_rng`, seeded from the
region's seed and :data:`PLANNING_STREAM`, after the rest of the region is built: the
random streams of the layout, mining and parcels are not touched, so every other layer and
field of a region stays the same as before these were added.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from affine import Affine
from numpy.typing import NDArray
from shapely.geometry.base import BaseGeometry

from zoning.synthetic._layout import Town
from zoning.synthetic._mining import YEAR_NOW, Mine, threshold_polygons
from zoning.synthetic._parcels import GROUNDWATER_DEPTH_M, WATERLOGGED_BAND_M, zonal_subsidence

PLANNING_STREAM = 6
"""Second word of the planning generator's seed, ``[seed, PLANNING_STREAM]``."""

OUTPUT_WY = "OUTPUT_WY"
"""Annual output value (年产值), 10,000 yuan (万元)."""
INVEST_WY = "INVEST_WY"
"""Fixed-asset investment (固定资产投资), 10,000 yuan (万元)."""
FLOOR_M2 = "FLOOR_M2"
"""Building floor area (建筑面积), m²; the floor-area ratio is ``FLOOR_M2`` over the area."""
IDLE_YR = "IDLE_YR"
"""Years the parcel has been idle (闲置年限); 0 in use."""
POP_2010 = "POP_2010"
"""Resident population in 2010, to compare with the current ``POP``."""
ECONOMIC_FIELDS = (OUTPUT_WY, INVEST_WY, FLOOR_M2, IDLE_YR, POP_2010)

IDLE_LAND = "1201"
GOAF_MIN_M = 1.0
"""Goaf hazard areas cover the ground over the panels that subsided at least this (m)."""
MIN_PART_M2 = 20_000.0
"""Red-line and boundary parts smaller than this are dropped (m²)."""

# Per hectare: (floor-area ratio low, high), median output 万元/ha/yr, median investment 万元/ha.
_PROFILES: dict[str, tuple[tuple[float, float], float, float]] = {
    "commercial": ((0.8, 2.2), 600.0, 1500.0),
    "industrial_town": ((0.6, 1.3), 800.0, 1200.0),
    "industrial_village": ((0.3, 0.8), 250.0, 400.0),
    "storage": ((0.3, 0.8), 150.0, 400.0),
    "mine_producing": ((0.15, 0.45), 3000.0, 6000.0),
    "mine_closed": ((0.05, 0.25), 0.0, 2500.0),
    "gangue": ((0.0, 0.0), 0.0, 50.0),
    "urban_residential": ((1.0, 2.6), 0.0, 2500.0),
    "homestead": ((0.35, 1.1), 0.0, 500.0),
    "public": ((0.4, 1.2), 0.0, 1200.0),
    "park": ((0.0, 0.03), 0.0, 300.0),
    "abandoned_homestead": ((0.2, 0.7), 0.0, 150.0),
    "idle": ((0.0, 0.1), 0.0, 20.0),
}


def planning_rng(seed: int) -> np.random.Generator:
    """The generator of the planning layers and economic fields of the region of ``seed``."""
    return np.random.default_rng([seed, PLANNING_STREAM])


@dataclass
class PlanningInputs:
    """What the planning layers are drawn around, all in EPSG:4548 metres."""

    region: BaseGeometry
    river_corridor: BaseGeometry
    hills: BaseGeometry
    oxbow: BaseGeometry
    settlements: BaseGeometry
    """Town and village footprints, mine sites and gangue piles (kept out of the red line)."""
    towns: list[Town]
    mines: list[Mine]
    gangue: gpd.GeoDataFrame
    grid: NDArray[np.float64]
    transform: Affine


def redline_df(inputs: PlanningInputs, crs: int) -> gpd.GeoDataFrame:
    """Ecological protection red line: the river corridor with its oxbow lake, and the hills.

    Settlements, mine sites and gangue piles are cut out with a margin; parts smaller than
    :data:`MIN_PART_M2` are dropped.
    """
    keep_out = inputs.settlements.buffer(60.0, quad_segs=4)
    sources = (
        ("wetland", shapely.union(inputs.river_corridor, inputs.oxbow.buffer(60.0, quad_segs=4))),
        ("forest", shapely.difference(inputs.hills, inputs.river_corridor)),
    )
    rows = []
    for kind, geom in sources:
        area = shapely.intersection(shapely.difference(geom, keep_out), inputs.region)
        rows += [(kind, part) for part in _parts(area)]
    geoms = [g for _, g in rows]
    return gpd.GeoDataFrame(
        {
            "redline_id": [f"HX{i + 1:02d}" for i in range(len(rows))],
            "kind": [k for k, _ in rows],
        },
        geometry=geoms,
        crs=crs,
    )


def geohazard_df(
    rng: np.random.Generator, inputs: PlanningInputs, crs: int
) -> gpd.GeoDataFrame:
    """Geological hazard prone areas: gangue-pile slopes and the goaf under subsidence.

    Each gangue pile gets a collapse and landslide zone 40-80 m around it (``gangue_slope``,
    level ``high``). Over each mine's panels, buffered by 50-120 m, the ground that subsided
    at least :data:`GOAF_MIN_M` is a ``goaf_collapse`` zone: level ``high`` for producing mines
    (the ground still moves), ``medium`` for closed ones.
    """
    rows: list[tuple[str, str, str, BaseGeometry]] = []
    for geom, mine in zip(inputs.gangue.geometry, inputs.gangue["mine"], strict=True):
        zone = shapely.buffer(geom, float(rng.uniform(40.0, 80.0)), quad_segs=4)
        rows.append(("gangue_slope", "high", str(mine), zone))
    subsided = threshold_polygons(inputs.grid, inputs.transform, GOAF_MIN_M, 10.0, 10_000.0)
    for mine in inputs.mines:
        over = shapely.union_all([p.polygon() for p in mine.panels])
        over = over.buffer(float(rng.uniform(50.0, 120.0)), join_style="mitre")
        level = "high" if mine.stage == "producing" else "medium"
        zone = shapely.intersection(shapely.intersection(over, subsided), inputs.region)
        rows += [("goaf_collapse", level, mine.mine, part) for part in _parts(zone, 10_000.0)]
    geoms = [shapely.set_precision(shapely.simplify(g, 2.0), 0.01) for *_, g in rows]
    return gpd.GeoDataFrame(
        {
            "hazard_id": [f"DZ{i + 1:03d}" for i in range(len(rows))],
            "kind": [r[0] for r in rows],
            "level": [r[1] for r in rows],
            "mine": [r[2] for r in rows],
        },
        geometry=geoms,
        crs=crs,
    )


def boundary_df(
    rng: np.random.Generator, inputs: PlanningInputs, redline: gpd.GeoDataFrame, crs: int
) -> gpd.GeoDataFrame:
    """Urban development boundary: each town's footprint widened by 150-350 m for growth.

    The boundary keeps clear of the red line (the three control lines do not overlap).
    """
    red = shapely.union_all(redline.geometry.to_numpy())
    names, geoms = [], []
    for town in inputs.towns:
        grown = town.footprint.buffer(float(rng.uniform(150.0, 350.0)), join_style="mitre")
        area = shapely.intersection(shapely.difference(grown, red), inputs.region)
        parts = _parts(area)
        if parts:
            names.append(town.name)
            geoms.append(shapely.union_all(parts))
    return gpd.GeoDataFrame(
        {"boundary_id": [f"KB{i + 1:02d}" for i in range(len(names))], "town": names},
        geometry=geoms,
        crs=crs,
    )


def _parts(geom: BaseGeometry, min_area: float = MIN_PART_M2) -> list[BaseGeometry]:
    """Polygon parts of ``geom`` of at least ``min_area``, simplified, on a 1 cm grid."""
    parts = shapely.get_parts(shapely.simplify(geom, 5.0))
    parts = parts[(shapely.get_type_id(parts) == 3) & (shapely.area(parts) >= min_area)]
    return list(shapely.set_precision(parts, 0.01))


def economic_fields(
    rng: np.random.Generator,
    parcels: gpd.GeoDataFrame,
    kind: NDArray[np.str_],
    inputs: PlanningInputs,
) -> pd.DataFrame:
    """Output, investment, floor area, idle years and 2010 population of the parcels.

    Parameters
    ----------
    rng
        The planning generator (:func:`planning_rng`).
    parcels
        The parcel table with ``DLBM`` and ``POP``, in its final order.
    kind
        Generator zone of each parcel (``town``, ``village``, ``mine_site``, ``gangue``, ...),
        in the same order.
    inputs
        Mines (their stage and closing year) and the subsidence grid.

    Returns
    -------
    pandas.DataFrame
        :data:`ECONOMIC_FIELDS`, indexed like ``parcels``. ``OUTPUT_WY``, ``INVEST_WY``,
        ``FLOOR_M2`` and ``IDLE_YR`` are missing except on built construction land (classes
        05 to 09 and idle land 1201; not on roads); ``POP_2010`` is 0 where nobody lived in
        2010.
    """
    code = parcels["DLBM"].to_numpy().astype(str)
    geoms = parcels.geometry.to_numpy()
    area_ha = shapely.area(geoms) / 10_000
    mean_w, _, _ = zonal_subsidence(geoms, inputs.grid, inputs.transform)
    closed_for = _closed_years(geoms, kind, inputs.mines)
    waterlogged = mean_w >= GROUNDWATER_DEPTH_M - WATERLOGGED_BAND_M
    profile = _profile(code, kind, np.nan_to_num(closed_for) > 0, waterlogged)
    n = len(code)
    far = np.full(n, np.nan)
    output = np.full(n, np.nan)
    invest = np.full(n, np.nan)
    idle = np.full(n, np.nan)
    for name, ((lo, hi), out_ha, inv_ha) in _PROFILES.items():
        sel = profile == name
        k = int(sel.sum())
        far[sel] = rng.uniform(lo, hi, k)
        output[sel] = out_ha * area_ha[sel] * rng.lognormal(0.0, 0.5, k)
        invest[sel] = inv_ha * area_ha[sel] * rng.lognormal(0.0, 0.5, k)
        idle[sel] = 0.0
    # a fifth of the village workshops have shut down, more of them on subsiding ground
    shut = (profile == "industrial_village") & (rng.random(n) < np.where(mean_w > 0.3, 0.5, 0.2))
    idle[shut] = rng.integers(3, 16, int(shut.sum()))
    output[shut] = 0.0
    mine_idle = np.isin(profile, ["mine_closed", "gangue"])
    idle[mine_idle] = closed_for[mine_idle]
    abandoned = profile == "abandoned_homestead"
    idle[abandoned] = rng.integers(2, 13, int(abandoned.sum()))
    spare = profile == "idle"
    idle[spare] = rng.integers(1, 16, int(spare.sum()))
    pop = parcels["POP"].to_numpy()
    pop_2010 = pop.astype(float)
    homes = profile == "homestead"
    # hollowing-out villages: people left, most where the ground subsides
    loss = np.where(mean_w[homes] > 0.3, rng.uniform(0.4, 1.2, int(homes.sum())),
                    rng.uniform(0.1, 0.4, int(homes.sum())))
    pop_2010[homes] = pop[homes] * (1 + loss)
    urban = profile == "urban_residential"
    pop_2010[urban] = pop[urban] * rng.uniform(0.75, 0.95, int(urban.sum()))  # towns grew
    pop_2010[abandoned] = area_ha[abandoned] * 10_000 * rng.uniform(0.010, 0.016,
                                                                     int(abandoned.sum()))
    return pd.DataFrame(
        {
            OUTPUT_WY: np.round(output, 1),
            INVEST_WY: np.round(invest, 1),
            FLOOR_M2: np.round(far * area_ha * 10_000),
            IDLE_YR: pd.array(idle, dtype="Int64"),
            POP_2010: np.round(pop_2010).astype(np.int64),
        },
        index=parcels.index,
    )


def _profile(code: NDArray[np.str_], kind: NDArray[np.str_], closed: NDArray[np.bool_],
             waterlogged: NDArray[np.bool_]) -> NDArray[np.str_]:
    """Name of the :data:`_PROFILES` entry of each parcel; empty text for unbuilt land.

    ``closed`` marks the ground of closed mines; idle land in a village on waterlogged ground
    is an abandoned homestead (the generator recodes such homesteads to 1201).
    """
    l1 = np.asarray([c[:2] for c in code])
    mine_ground = (l1 == "06") & np.isin(kind, ["mine_site", "gangue"])
    return np.select(
        [
            l1 == "05",
            mine_ground & (kind == "gangue"),
            mine_ground & closed,
            mine_ground,
            (code == "0601") & (kind == "town"),
            code == "0601",
            code == "0604",
            code == "0602",
            code == "0701",
            code == "0702",
            code == "0810",
            np.isin(l1, ["08", "09"]),
            (code == IDLE_LAND) & (kind == "village") & waterlogged,
            code == IDLE_LAND,
        ],
        [
            "commercial", "gangue", "mine_closed", "mine_producing", "industrial_town",
            "industrial_village", "storage", "mine_producing", "urban_residential",
            "homestead", "park", "public", "abandoned_homestead", "idle",
        ],
        default="",
    )


def _closed_years(geoms: NDArray[np.object_], kind: NDArray[np.str_],
                  mines: list[Mine]) -> NDArray[np.float64]:
    """Years since the mine of each mine-site or gangue parcel closed; 0 if it produces."""
    out = np.full(len(geoms), np.nan)
    points = shapely.point_on_surface(geoms)
    for mine in mines:
        grounds = shapely.union_all([mine.site, *[g for g, _ in mine.gangue]])
        on = np.isin(kind, ["mine_site", "gangue"]) & shapely.dwithin(points, grounds, 1.0)
        ended = [p.end_year for p in mine.panels if p.end_year is not None]
        out[on] = YEAR_NOW - max(ended) if mine.stage == "closed" and ended else 0.0
    return out

