"""Ecological sources (生态源地): habitat patches chosen by the rule file.

``method: parcels`` merges touching habitat parcels (and those closer than ``merge_gap_m``,
across a road or a ditch) into patches; ``method: mspa`` runs MSPA
on the habitat cells and takes its cores. Patches under ``min_area_ha`` are dropped; ``rank``
keeps the best by Conefor's dPC or dIIC (their importance to landscape connectivity) or by
area.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from rasterio.features import rasterize, shapes
from scipy import ndimage

from zoning.corridors._conefor import connectivity
from zoning.corridors._cost import cost_distance
from zoning.corridors._distances import edge_distances
from zoning.corridors._mspa import core_patches, mspa
from zoning.corridors.resistance import KIND, Surface
from zoning.rules.models import CorridorRules, Sources
from zoning.rules.ruleset import ExpressionSite, RuleSet

logger = logging.getLogger(__name__)

SQ_M_PER_HA = 10_000.0
SOURCE_ID = "source_id"
RANKS = {"dPC": "dPC", "dIIC": "dIIC", "area_ha": "area_ha"}


@dataclass(frozen=True)
class Patches:
    """The chosen sources.

    Attributes
    ----------
    frame
        One row per source (index ``source_id`` 1..n): ``area_ha``, ``dPC``, ``dIIC``
        (NaN when not ranked by connectivity), ``mean_resistance`` and the polygon.
    labels
        The sources on the resistance grid: 0 outside, ``source_id`` inside.
    is_source
        Per parcel: True when the parcel is part of a source.
    """

    frame: gpd.GeoDataFrame
    labels: np.ndarray
    is_source: pd.Series


def where_site(text: str) -> ExpressionSite:
    """Where the rule file says which parcels are habitat."""
    return ExpressionSite(KIND, ("sources", "where"), text)


def _parcel_patches(habitat: gpd.GeoSeries, gap_m: float) -> gpd.GeoSeries:
    """Touching habitat parcels as one patch; with ``gap_m``, also those closer than it."""
    merged = shapely.union_all(habitat.values, grid_size=0.01)
    if gap_m > 0:  # close the gaps (a road, a ditch) and give back the outline
        merged = merged.buffer(gap_m / 2, quad_segs=2).buffer(-gap_m / 2, quad_segs=2)
    return gpd.GeoSeries(shapely.get_parts(merged), crs=habitat.crs)


def _mspa_patches(habitat: np.ndarray, surface: Surface, spec: Sources) -> gpd.GeoSeries:
    image = np.where(np.isnan(surface.cells.paint(np.zeros(surface.cells.n))), 0,
                     np.where(habitat, 2, 1)).astype(np.uint8)
    m = spec.mspa
    codes = mspa(image, connectivity=m.connectivity, edge_width=m.edge_width,
                 transition=m.transition, intext=m.intext)
    labels = core_patches(codes, connectivity=m.connectivity)
    pieces = [(shapely.geometry.shape(g), int(v)) for g, v in
              shapes(labels.astype("int32"), mask=labels > 0, transform=surface.grid.transform,
                     connectivity=m.connectivity)]
    if not pieces:
        return gpd.GeoSeries([], crs=surface.grid.crs)
    polygons, ids = zip(*pieces, strict=True)
    cores = gpd.GeoDataFrame({"core": ids}, geometry=list(polygons), crs=surface.grid.crs)
    return cores.dissolve("core").geometry


def _labels(frame: gpd.GeoDataFrame, surface: Surface) -> np.ndarray:
    """Patch ``k`` (row ``k − 1`` of ``frame``) on the grid's passable cells, 0 elsewhere."""
    labels = rasterize(zip(frame.geometry.values, range(1, len(frame) + 1), strict=True),
                       out_shape=surface.grid.values.shape, transform=surface.grid.transform,
                       fill=0, dtype="int32")
    labels[np.isnan(surface.grid.values)] = 0
    return labels


def _least_cost_distances(frame: gpd.GeoDataFrame, surface: Surface) -> np.ndarray:
    """Least-cost distance between every pair of patches (inf when unreachable)."""
    labels = _labels(frame, surface)
    ids = np.arange(1, len(frame) + 1)
    cell = abs(surface.grid.transform.a)
    out = np.zeros((len(frame), len(frame)))
    for i in ids:
        cwd = cost_distance(surface.grid.values, labels == i, cell)
        out[i - 1] = ndimage.minimum(np.nan_to_num(cwd, nan=np.inf), labels, ids)
    return np.minimum(out, out.T)


def _rank(frame: gpd.GeoDataFrame, spec: Sources, surface: Surface) -> gpd.GeoDataFrame:
    frame = frame.copy()
    frame["dPC"] = frame["dIIC"] = np.nan
    if spec.connectivity is not None and len(frame) > 0:
        c = spec.connectivity
        distances = (edge_distances(frame.geometry) if c.distances == "euclidean"
                     else _least_cost_distances(frame, surface))
        result = connectivity(frame["area_ha"].to_numpy() * SQ_M_PER_HA, distances,
                              distance=c.distance_m, probability=c.probability,
                              threshold=c.threshold_m)
        frame["dPC"] = result.table["dPC"].to_numpy()
        frame["dIIC"] = result.table["dIIC"].to_numpy()
    if spec.rank is None:
        return frame
    by = frame[RANKS[spec.rank.by]]
    keep = by.rank(ascending=False, method="first") <= spec.rank.top if spec.rank.top else (
        by >= float(spec.rank.min or 0))
    return frame[keep.to_numpy()]


def choose_sources(parcels: gpd.GeoDataFrame, rules: RuleSet, surface: Surface) -> Patches:
    """Find the habitat patches, keep those large and important enough, put them on the grid."""
    spec = rules.get(KIND, CorridorRules).sources
    held = rules.expression(where_site(spec.where)).evaluate_condition(parcels).to_numpy(
        dtype=bool)
    if spec.method == "parcels":
        patches = _parcel_patches(parcels.geometry[held], spec.merge_gap_m)
    else:
        patches = _mspa_patches(surface.cells.paint(held.astype(float)) == 1, surface, spec)
    frame = gpd.GeoDataFrame({"area_ha": patches.area.to_numpy() / SQ_M_PER_HA},
                             geometry=patches.to_numpy(), crs=surface.grid.crs)
    frame = _rank(frame[frame["area_ha"] >= spec.min_area_ha].reset_index(drop=True), spec,
                  surface)
    frame.index = pd.RangeIndex(1, len(frame) + 1, name=SOURCE_ID)
    labels = _labels(frame, surface)
    index = frame.index.to_numpy()
    frame["mean_resistance"] = ndimage.mean(surface.grid.values, labels, index)
    covered = surface.cells.share(labels > 0) >= 0.5
    is_source = held & covered if spec.method == "parcels" else covered
    logger.info("sources: %d patches, %.0f ha", len(frame), frame["area_ha"].sum())
    return Patches(frame, labels, pd.Series(is_source, index=parcels.index))
