"""Subsidence stage: any of the four input forms → the same per-parcel columns and layers.

Forms (``layers.subsidence.form`` in the project): ``polygons`` (depth polygons, overlaid
exactly on the parcels), ``raster``, ``points`` (interpolated to a raster) and ``panels``
(predicted by the probability integral method). Every form yields a subsidence grid for
the outputs; deformation (tilt, curvature) comes from the grid's derivatives for
``raster`` and ``points``, and from the prediction for ``panels``, which alone also gives
horizontal strain (it needs b and r). Depth polygons are steps, so they give no
deformation: those columns stay missing.
"""

from __future__ import annotations

import logging
from datetime import date

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS
from rasterio.features import rasterize

from zoning import columns as col
from zoning.declare import Column, Product
from zoning.errors import LayerError, Problem
from zoning.layers import LayerSet
from zoning.layers.checks import negative_problem, numbers, value_problems
from zoning.layers.grid import Grid, GridSpec, snapped_grid
from zoning.layers.load import GROUNDWATER, POINTS
from zoning.overlay import (
    CellIndex,
    depth_bands,
    depth_from_grid,
    depth_from_polygons,
    flatten_depth_polygons,
)
from zoning.project import SubsidenceLayer
from zoning.rules.models import DamageRules, SubsidenceRules, band_column
from zoning.rules.ruleset import RuleSet
from zoning.stage import Stage, StageOutput
from zoning.subsidence.points import interpolate_points
from zoning.subsidence.predict import PimParameters, panel_table, predict
from zoning.subsidence.surface import level_polygons, slope_and_curvature

logger = logging.getLogger(__name__)

SUBSIDENCE_GRID = "subsidence"
"""Grid of the subsidence (m, positive down) the stage makes; later stages use it."""
CONTOURS = "subsidence_contours"
PONDING = "ponding"
"""Layer of the ponded ground: where subsidence reaches the water table (``water_m`` = 0)."""
_WATER_DECIMALS = 6  # water depths in metres, rounded to the micrometre
_WATER = (col.GW_BEFORE_M, col.GW_AFTER_M, col.PONDED_SHARE, col.POND_DEPTH_M,
          col.SEASONAL_SHARE)


def parameters(rules: SubsidenceRules) -> PimParameters:
    """Probability-integral defaults of a subsidence rule file."""
    p = rules.prediction
    return PimParameters(q=p.q.value, tan_beta=p.tan_beta.value, b=p.b.value,
                         theta_k=p.theta_k.value, s_ratio=p.s_ratio.value)


def _bands(rules: RuleSet) -> list[Column]:
    """The area share of each depth band of the damage rules."""
    bounds = rules.get("damage", DamageRules).depth_bands_m
    out = []
    for lo, hi in depth_bands(bounds):
        span = f"{lo:g}-{hi:g} m" if np.isfinite(hi) else f"over {lo:g} m"
        zh = f"{lo:g}-{hi:g}米" if np.isfinite(hi) else f"{lo:g}米以上"
        out.append(Column(band_column(lo, hi), "float", f"下沉{zh}面积比例",
                          f"Share sunk {span}", f"share of the area sunk {span} "
                          "(depth bands of rules/damage.yaml)", unit="fraction"))
    return out


_DEPTH = (
    Column(col.SUBS_MAX_M, "float", "最大下沉", "Max subsidence",
           "largest subsidence over the parcel"),
    Column(col.SUBS_MEAN_M, "float", "平均下沉", "Mean subsidence",
           "area-weighted mean subsidence"),
)
_AFTER = (
    Column(col.GW_BEFORE_M, "float", "沉陷前潜水埋深", "Water table before",
           "groundwater depth below the ground before subsidence; missing without groundwater"),
    Column(col.GW_AFTER_M, "float", "沉陷后潜水埋深", "Water table after",
           "water-table depth below the lowest ground after subsidence; negative: ponded"),
    Column(col.PONDED_SHARE, "float", "积水比例", "Ponded share",
           "share fallen to or below the water table"),
    Column(col.POND_DEPTH_M, "float", "最大积水深度", "Ponding depth",
           "deepest water over the parcel"),
    Column(col.SEASONAL_SHARE, "float", "季节性积水比例", "Seasonal waterlogging share",
           "share within the seasonal band above the water table"),
    Column(col.TILT_MAX_MM_M, "float", "最大倾斜", "Max tilt",
           "largest tilt; missing when unknown"),
    Column(col.CURV_MAX_PER_KM, "float", "最大曲率", "Max curvature",
           "largest absolute principal curvature; missing when unknown"),
    Column(col.STRAIN_MAX_MM_M, "float", "最大水平变形", "Max strain",
           "largest absolute horizontal strain; missing when unknown"),
    Column(col.YEARS_SINCE_MINING, "float", "停采年数", "Years since mining",
           "years since the last panel influencing the parcel finished; 0 while mining goes "
           "on"),
    Column(col.STABLE, "boolean", "地表稳沉", "Stable ground", "ground considered stable"),
)
DECLARED = (*_DEPTH, *_AFTER)
"""The subsidence columns that do not depend on the rules (the depth bands do)."""


def declares(rules: RuleSet) -> list[Column]:
    """Columns the subsidence stage adds."""
    return [*_DEPTH, *_bands(rules), *_AFTER]


def makes(rules: RuleSet) -> list[Product]:
    """The grids and layers of the subsidence stage (deformation grids with some forms)."""
    return [Product(SUBSIDENCE_GRID, "grid", "地表下沉", "Subsidence"),
            Product("tilt", "grid", "倾斜", "Tilt"),
            Product("curvature", "grid", "曲率", "Curvature"),
            Product("strain", "grid", "水平变形", "Horizontal strain"),
            Product(CONTOURS, "layer", "下沉等值线", "Subsidence contours"),
            Product(PONDING, "layer", "积水区", "Ponding")]


def subsidence_grids(parcels: gpd.GeoSeries, rules: RuleSet, layers: LayerSet,
                     sub: SubsidenceLayer) -> dict[str, Grid]:
    """The subsidence grid (m) and the deformation grids the input form ``sub`` gives."""
    spec = rules.get("subsidence", SubsidenceRules)
    grid_spec = snapped_grid(parcels.total_bounds, spec.prediction.resolution_m)
    if sub.form == "panels":
        return predict(layers.vectors["panels"], parameters(spec), grid=grid_spec).grids()
    if sub.form == "polygons":  # bands are steps: their derivatives mean nothing
        return {SUBSIDENCE_GRID: rasterize_depths(layers.vectors["subsidence"], grid_spec,
                                               layers.crs)}
    if sub.form == "points":
        i = sub.interpolation
        grid = interpolate_points(layers.vectors[POINTS], "depth_m", method=i.method,
                                  resolution_m=i.resolution_m, buffer_m=i.buffer_m,
                                  power=i.power, neighbours=i.neighbours)
    else:
        grid = layers.grids[SUBSIDENCE_GRID]
    tilt, curvature = slope_and_curvature(grid)
    return {SUBSIDENCE_GRID: grid, "tilt": Grid(tilt, grid.transform, grid.crs),
            "curvature": Grid(curvature, grid.transform, grid.crs)}


def rasterize_depths(polygons: gpd.GeoDataFrame, grid: GridSpec,
                     crs: CRS) -> Grid:
    """Depth polygons burnt into a grid by cell centre; where they overlap, the deepest."""
    flat = flatten_depth_polygons(polygons)
    transform, shape = grid
    values = rasterize(zip(flat.geometry.values, flat["depth_m"].to_numpy(), strict=True),
                       out_shape=shape, transform=transform, fill=0.0, dtype="float64")
    return Grid(values, transform, crs)


def mining_years(parcels: gpd.GeoSeries, rules: RuleSet, layers: LayerSet) -> np.ndarray:
    """Years since the latest panel influencing each parcel finished (NaN: none does).

    A panel influences the ground within r = H / tan β of it (its depth field, else the
    panel itself); a panel with no end year, or one in the future, is still being mined (0).
    """
    spec = rules.get("subsidence", SubsidenceRules)
    panels = layers.vectors.get("panels")
    years = np.full(len(parcels), np.nan)
    field = spec.stability.end_year_field
    if panels is None or field not in panels.columns:
        return years
    now = spec.stability.reference_year or date.today().year
    end = pd.to_numeric(panels[field], errors="coerce").to_numpy()
    since = np.where(np.isnan(end) | (end >= now), 0.0, now - end)
    depth = pd.to_numeric(panels.get("depth_m"), errors="coerce")
    reach = (np.zeros(len(panels)) if depth is None
             else np.nan_to_num(depth.to_numpy() / spec.prediction.tan_beta.value))
    zones = shapely.buffer(panels.geometry.values, reach)
    hit_parcel, hit_panel = shapely.STRtree(zones).query(parcels.values, predicate="intersects")
    latest = np.full(len(parcels), np.inf)
    np.minimum.at(latest, hit_parcel, since[hit_panel])
    years[np.isfinite(latest)] = latest[np.isfinite(latest)]
    return years


def groundwater_grid(layers: LayerSet, like: Grid) -> Grid | None:
    """Water-table depth before subsidence (m) on the cells of ``like``; None without any.

    A groundwater raster (``layers.grids["groundwater"]``) is sampled bilinearly onto the
    cells; a constant depth (``layers.groundwater_m``) fills them.
    """
    if GROUNDWATER in layers.grids:
        return layers.grids[GROUNDWATER].resampled(like)
    if layers.groundwater_m is None:
        return None
    return Grid(np.full(like.values.shape, layers.groundwater_m), like.transform, like.crs)


def water_columns(cells: CellIndex, subsidence: Grid, groundwater: Grid,
                  seasonal_band_m: float) -> tuple[dict[str, np.ndarray], Grid]:
    """Groundwater after subsidence per parcel, from the cells of the subsidence grid.

    Over each cell the water stands ``max(W, 0) - g`` deep (W subsidence, g water-table
    depth before it; uplift counts as no subsidence, as in ``subs_max_m``); negative, the
    water table lies that deep below the subsided ground. A cell is ponded when the water
    is at least 0 m deep (ground exactly at the water table counts), seasonally wet when
    it is less than 0 but at least ``-seasonal_band_m``. Water depths are rounded to the
    micrometre, so that the last-bit noise of resampling a raster cannot move ground lying
    exactly at the water table (or at the band's edge) across it.

    Returns
    -------
    tuple
        ``gw_before_m`` (mean g over the parcel's cells with a value), ``gw_after_m``
        (the least ``g - W``), ``ponded_share``, ``pond_depth_m`` (the most water, 0 if
        none) and ``seasonal_share`` by column name; and the water-depth grid.
    """
    water = np.round(np.maximum(np.nan_to_num(subsidence.values), 0) - groundwater.values,
                     _WATER_DECIMALS)
    highest = cells.maximum(water)
    wet = {col.GW_BEFORE_M: cells.mean(groundwater.values, skip_nan=True),
           col.GW_AFTER_M: -highest,
           col.PONDED_SHARE: cells.share(water >= 0),
           col.POND_DEPTH_M: np.clip(highest, 0, None),
           col.SEASONAL_SHARE: cells.share((water >= -seasonal_band_m) & (water < 0))}
    return wet, Grid(water, subsidence.transform, subsidence.crs)


def run(parcels: gpd.GeoDataFrame, rules: RuleSet, layers: LayerSet) -> StageOutput:
    """Per-parcel subsidence, ponding, deformation and stability; grids and polygons.

    Groundwater after subsidence comes from the cells of the subsidence grid and the
    groundwater depth on them (:func:`water_columns`), with one exception: depth polygons
    with a constant groundwater depth are overlaid exactly (``gw_after_m`` is the depth
    minus ``subs_max_m``, the shares are areas of the polygons). Depth polygons with a
    groundwater raster use the polygons rasterised on the stage's grid for every
    groundwater column, so their shares are exact to a cell.
    """
    spec = rules.get("subsidence", SubsidenceRules)
    geoms = parcels.geometry
    bands = rules.get("damage", DamageRules).depth_bands_m
    band_m = spec.seasonal_band_m.value
    sub = layers.subsidence
    if sub is None:
        logger.warning("no subsidence layer: subsidence columns are left missing")
        out = pd.DataFrame(np.nan, index=parcels.index, columns=STAGE.columns(rules))
        out[col.STABLE] = True
        return StageOutput(out)
    gw = layers.groundwater_m
    exact = gw if sub.form == "polygons" else None  # a constant depth over depth polygons
    wet = {} if exact is None else {col.PONDED_SHARE: exact, "_seasonal": exact - band_m}
    grids = subsidence_grids(geoms, rules, layers, sub)
    cells = CellIndex(geoms, grids[SUBSIDENCE_GRID])
    if sub.form == "polygons":
        stats = depth_from_polygons(geoms, layers.vectors["subsidence"], bands, wet)
    else:
        stats = depth_from_grid(geoms, grids[SUBSIDENCE_GRID], bands, cells=cells)
    out = stats.drop(columns=list(wet))
    polygons = {CONTOURS: level_polygons(grids[SUBSIDENCE_GRID], spec.contours_m)}
    groundwater = groundwater_grid(layers, grids[SUBSIDENCE_GRID])
    if groundwater is None:
        out = out.assign(**dict.fromkeys(_WATER, np.nan))
    else:
        by_cell, water = water_columns(cells, grids[SUBSIDENCE_GRID], groundwater, band_m)
        out = out.assign(**by_cell)
        polygons[PONDING] = level_polygons(water, [0.0], column="water_m")
        if GROUNDWATER in layers.grids:  # a raster: written beside subsidence.tif
            grids[GROUNDWATER] = groundwater
    if gw is not None:
        out[col.GW_BEFORE_M] = gw
    if exact is not None:
        out[col.GW_AFTER_M] = exact - out[col.SUBS_MAX_M]
        out[col.POND_DEPTH_M] = (-out[col.GW_AFTER_M]).clip(lower=0)
        out[col.PONDED_SHARE] = stats[col.PONDED_SHARE]
        out[col.SEASONAL_SHARE] = stats["_seasonal"] - stats[col.PONDED_SHARE]
    for column, name in ((col.TILT_MAX_MM_M, "tilt"), (col.CURV_MAX_PER_KM, "curvature"),
                         (col.STRAIN_MAX_MM_M, "strain")):
        out[column] = cells.maximum(np.abs(grids[name].values)) if name in grids else np.nan
    out[col.YEARS_SINCE_MINING] = mining_years(geoms, rules, layers)
    stable_after = spec.stability.stable_after_years.value
    out[col.STABLE] = ~(out[col.YEARS_SINCE_MINING] < stable_after)
    return StageOutput(out[STAGE.columns(rules)], grids=grids, layers=polygons)


def check(parcels: gpd.GeoDataFrame, rules: RuleSet, layers: LayerSet) -> list[Problem]:
    """Form ``panels`` needs a panels layer whose fields the prediction can use.

    With another form, a panels layer gives the years since mining: its thickness and
    depth, where present, must be finite and not negative.
    """
    sub = layers.subsidence
    if sub is None or sub.form != "panels":
        return _panel_fields(layers)
    panels = layers.vectors.get("panels")
    if panels is None:
        return [Problem("layers.subsidence", "form 'panels' predicts subsidence from the "
                        "panels layer, but the project has none; add layers.panels")]
    try:
        panel_table(panels, parameters(rules.get("subsidence", SubsidenceRules)),
                    source=str(layers.sources.get("panels", "panels")))
    except LayerError as exc:
        return [Problem("layers.panels", str(exc))]
    return []


def _panel_fields(layers: LayerSet) -> list[Problem]:
    panels = layers.vectors.get("panels")
    if panels is None:
        return []
    source = layers.sources.get("panels", "panels")
    problems: list[Problem] = []
    for name in ("thickness_m", "depth_m"):
        if name not in panels.columns:
            continue
        raw = panels[name].reset_index(drop=True)
        problems += value_problems(f"layers.panels.{name}", source, name, raw,
                                   missing_ok="those panels reach no further than their edge")
        problems += negative_problem(f"layers.panels.{name}", source, name, raw, numbers(raw),
                                     "a seam's thickness and depth", "write them positive, "
                                     "in metres")
    return problems


STAGE = Stage(name="subsidence", run=run, declares=declares, check=check, makes=makes)
