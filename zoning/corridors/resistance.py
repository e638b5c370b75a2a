"""The resistance surface (阻力面): factor scores from parcels, rasters and distances, combined.

A cell's resistance is ``low + (high − low) · Σ w_i s_i / Σ w_i`` over the rule file's
factors (``scale: [low, high]``). Each factor's score ``s_i`` in [0, 1] comes from a parcel
expression painted onto the parcel's cells, a raster of the run resampled onto the grid, or
the distance to a vector layer. NODATA (NaN) is a barrier: cells outside every parcel,
under a ``barrier`` parcel, or where a factor with ``missing: barrier`` has no value.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
from pyproj import CRS
from rasterio.features import rasterize
from scipy import ndimage

from zoning import transforms
from zoning.errors import Problem
from zoning.layers import LayerSet
from zoning.layers.grid import Grid, snapped_grid
from zoning.overlay import CellIndex
from zoning.rules.models import CorridorRules
from zoning.rules.ruleset import ExpressionSite, RuleSet

logger = logging.getLogger(__name__)

KIND = "corridors"
STAGE_GRIDS = ("subsidence", "tilt", "curvature", "strain", "displacement", "groundwater")
"""Rasters the subsidence stage makes (depending on the form) that a factor may name."""


@dataclass(frozen=True)
class Surface:
    """The resistance grid, each factor's score grid, and which parcel each cell is in."""

    grid: Grid
    scores: dict[str, np.ndarray]
    cells: CellIndex


def value_site(i: int, text: str) -> ExpressionSite:
    """Where resistance factor ``i`` states its value expression."""
    return ExpressionSite(KIND, ("resistance", "factors", i, "value"), text)


def barrier_site(text: str) -> ExpressionSite:
    """Where the rule file states which parcels are impassable."""
    return ExpressionSite(KIND, ("resistance", "barrier"), text)


def sites(model: CorridorRules) -> list[ExpressionSite]:
    """Every expression of the resistance surface."""
    out = [value_site(i, f.value) for i, f in enumerate(model.resistance.factors)
           if f.value is not None]
    if model.resistance.barrier is not None:
        out.append(barrier_site(model.resistance.barrier))
    return out


def _available(layers: LayerSet) -> tuple[set[str], set[str]]:
    """Rasters and vector layers a factor may name in this project."""
    stage_grids = set(STAGE_GRIDS) if layers.subsidence is not None else set()
    return set(layers.grids) | stage_grids, set(layers.vectors)


def check(rules: RuleSet, layers: LayerSet) -> list[Problem]:
    """A factor whose raster or layer the project lacks scores ``missing`` everywhere.

    That is fine for a factor with a ``missing`` score (the shipped road factor in a project
    without roads); with ``missing: barrier`` the whole surface would be impassable, which is
    reported.
    """
    model = rules.get(KIND, CorridorRules)
    doc = rules.documents[KIND]
    grids, vectors = _available(layers)
    problems = []
    for i, factor in enumerate(model.resistance.factors):
        for key, named, have, what in (("grid", factor.grid, grids, "raster"),
                                       ("distance_to", factor.distance_to, vectors, "layer")):
            if factor.missing == "barrier" and named is not None and named not in have:
                problems.append(doc.problem(
                    ("resistance", "factors", i, key),
                    f"factor {factor.id!r} names {what} {named!r}; the project has "
                    f"{sorted(have) or 'none'} (add it to project.yaml, remove the factor, or "
                    "give `missing` a score)"))
    return problems


def template(parcels: gpd.GeoDataFrame, resolution_m: float, crs: CRS) -> Grid:
    """An empty (NaN) grid snapped to ``resolution_m`` over the parcels."""
    x0, y0, x1, y1 = (float(v) for v in parcels.total_bounds)
    transform, shape = snapped_grid((x0, y0, x1, y1), resolution_m)
    return Grid(np.full(shape, np.nan), transform, crs)


def _distance(layer: gpd.GeoDataFrame, like: Grid) -> np.ndarray:
    """Distance (map units) from every cell centre to the nearest cell the layer touches."""
    burnt = rasterize(((g, 1) for g in layer.geometry.values if g is not None),
                      out_shape=like.values.shape, transform=like.transform, fill=0,
                      all_touched=True, dtype="uint8")
    if not burnt.any():
        return np.full(like.values.shape, np.nan)
    return ndimage.distance_transform_edt(burnt == 0) * abs(like.transform.a)


def _raw(i: int, parcels: gpd.GeoDataFrame, rules: RuleSet, layers: LayerSet,
         like: Grid, cells: CellIndex) -> np.ndarray:
    """Factor ``i``'s scores on the grid (NaN where its value is missing)."""
    factor = rules.get(KIND, CorridorRules).resistance.factors[i]
    function, params = factor.score.function, factor.score.params()
    if factor.value is not None:
        value = rules.expression(value_site(i, factor.value)).evaluate(parcels)
        raw = value.to_numpy(dtype=object) if function == "categorical" else (
            value.to_numpy(dtype=float, na_value=np.nan))
        return cells.paint(np.asarray(transforms.rescale(raw, function, **params), dtype=float))
    named = factor.grid if factor.grid is not None else str(factor.distance_to)
    if named not in (layers.grids if factor.grid is not None else layers.vectors):
        logger.warning("resistance factor %s: no layer %r in this run; scored as missing (%s)",
                       factor.id, named, factor.missing)
        return np.full(like.values.shape, np.nan)
    if factor.grid is not None:
        values = layers.grids[factor.grid].resampled(like).values
    else:
        values = _distance(layers.vectors[named], like)
    return np.asarray(transforms.rescale(values, function, **params), dtype=float)


def resistance_surface(parcels: gpd.GeoDataFrame, rules: RuleSet, layers: LayerSet) -> Surface:
    """Score every factor on the corridor grid and combine them into resistance.

    Returns
    -------
    Surface
        ``grid.values`` in resistance units, NaN where impassable.
    """
    model = rules.get(KIND, CorridorRules)
    like = template(parcels, model.resolution_m, layers.crs)
    cells = CellIndex(parcels.geometry, like)
    total = np.zeros(like.values.shape)
    barrier = np.isnan(cells.paint(np.zeros(len(parcels))))
    scores: dict[str, np.ndarray] = {}
    for i, factor in enumerate(model.resistance.factors):
        score = _raw(i, parcels, rules, layers, like, cells)
        if factor.missing == "barrier":
            barrier |= np.isnan(score)
        else:
            score = np.where(np.isnan(score), float(factor.missing), score)
        scores[factor.id] = score
        total += factor.weight * np.nan_to_num(score)
    if model.resistance.barrier is not None:
        held = rules.expression(barrier_site(model.resistance.barrier)).evaluate_condition(
            parcels).to_numpy(dtype=bool)
        barrier |= cells.paint(held.astype(float)) == 1
    low, high = model.resistance.scale
    weight = sum(f.weight for f in model.resistance.factors)
    values = np.where(barrier, np.nan, low + (high - low) * total / weight)
    logger.info("resistance: %d cells, %.1f %% impassable, median %.1f", values.size,
                100 * barrier.mean(), float(np.nanmedian(values)) if (~barrier).any() else 0)
    return Surface(Grid(values, like.transform, like.crs), scores, cells)
