"""From sources and resistance to the network: corridors, levels, pinch points, barriers, nodes.

The chain of the corridor stage, on the resistance grid:

1. least-cost corridors between the sources (Linkage Mapper's method, :mod:`._linkage`);
2. the gravity model ranks the kept links; the rule file's threshold splits important
   and general corridors;
3. pinch points: each link is solved as a circuit inside its truncated corridor with its
   two sources as focal regions (Linkage Mapper's Pinchpoint Mapper); the current maps are
   mosaicked by maximum and the corridor cells of highest current are pinch points;
4. barriers: the improvement in least-cost distance per metre restored over moving windows
   (Linkage Mapper's Barrier Mapper); the most improving cells are barriers;
5. stepping stones: where least-cost paths of different links meet, away from the sources.

Each node is one point, at the cell of the highest value in a connected group of cells.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy import ndimage
from tqdm import tqdm

from zoning import columns as col
from zoning.corridors._barriers import barrier_improvement
from zoning.corridors._circuit import pairwise
from zoning.corridors._cost import Path
from zoning.corridors._gravity import corridor_levels, gravity
from zoning.corridors._linkage import Linkage, linkage
from zoning.corridors.resistance import Surface
from zoning.corridors.sources import Patches
from zoning.rules.models import CorridorRules

logger = logging.getLogger(__name__)

IMPORTANT, GENERAL = col.CORRIDOR_LEVELS
LEVEL_CODES = {IMPORTANT: 1, GENERAL: 2}
"""Codes of the ``corridor_level`` grid (0 outside every corridor)."""


@dataclass(frozen=True)
class Network:
    """The ecological network on the resistance grid.

    Attributes
    ----------
    links
        Kept links: ``core_a``, ``core_b``, distances and ratios, ``gravity``, ``level``.
    paths
        Least-cost path per link ``(a, b)``: its cells, length and cost.
    corridor
        Normalized least-cost corridor mosaic (cost units), NaN beyond the width.
    level
        1 where the cell is in an important corridor, 2 in a general one, 0 elsewhere.
    current
        Pinch-point current density (A), NaN outside the corridors.
    improvement
        Barrier improvement score (cost units per metre restored), the most over the radii.
    cost_distance
        Cost-weighted distance to the nearest source.
    nodes
        Node points: ``node_type``, ``value``, ``row``, ``col``.
    linkage
        The Linkage Mapper run behind it (every candidate link, CWD per source).
    """

    links: pd.DataFrame
    paths: dict[tuple[int, int], Path]
    corridor: np.ndarray
    level: np.ndarray
    current: np.ndarray
    improvement: np.ndarray
    cost_distance: np.ndarray
    nodes: gpd.GeoDataFrame
    linkage: Linkage


def link_corridor(net: Linkage, a: int, b: int, lcd: float, width: float) -> np.ndarray:
    """Cells of link (a, b)'s corridor: normalized cost CWD_a + CWD_b − LCD at most ``width``."""
    return (net.cwd[a] + net.cwd[b] - lcd) <= width


def _ranked(links: pd.DataFrame, patches: Patches, model: CorridorRules) -> pd.DataFrame:
    sources = pd.DataFrame({"area": patches.frame["area_ha"].to_numpy() * 10_000.0,
                            "mean_resistance": patches.frame["mean_resistance"].to_numpy()},
                           index=patches.frame.index)
    frame = links.rename(columns={"core_a": "a", "core_b": "b", "lcd": "cost"})
    out = links.copy()
    out["gravity"] = gravity(frame, sources).to_numpy()
    levels = model.corridors.levels
    cut = (levels.important_min if levels.important_quantile is None
           else {"quantile": levels.important_quantile})
    out[col.CORRIDOR_LEVEL] = corridor_levels(out["gravity"], {IMPORTANT: cut}).astype(
        str).to_numpy()
    return out


def _level_grid(net: Linkage, links: pd.DataFrame, width: float, shape: tuple[int, ...]
                ) -> np.ndarray:
    level = np.zeros(shape, dtype=np.uint8)
    for name in (GENERAL, IMPORTANT):  # important last: it wins where corridors overlap
        for row in links[links[col.CORRIDOR_LEVEL] == name].itertuples():
            inside = link_corridor(net, int(row.core_a), int(row.core_b), float(row.lcd), width)
            level[inside] = LEVEL_CODES[name]
    return level


def _pinch_current(resistance: np.ndarray, labels: np.ndarray, net: Linkage,
                   links: pd.DataFrame, model: CorridorRules, progress: bool) -> np.ndarray:
    current = np.full(resistance.shape, np.nan)
    rows = list(links.itertuples())
    for row in tqdm(rows, desc="pinch points", unit="link", disable=not progress):
        a, b = int(row.core_a), int(row.core_b)
        inside = link_corridor(net, a, b, float(row.lcd), model.corridors.width)
        inside |= (labels == a) | (labels == b)
        r0, r1 = np.flatnonzero(inside.any(axis=1))[[0, -1]]
        c0, c1 = np.flatnonzero(inside.any(axis=0))[[0, -1]]
        window = (slice(r0, r1 + 1), slice(c0, c1 + 1))
        sub = np.where(inside[window], resistance[window], np.nan)
        focal = np.where(labels[window] == a, 1, np.where(labels[window] == b, 2, 0))
        focal[np.isnan(sub)] = 0
        solved = pairwise(sub, focal, connect=model.connectivity)
        flow = np.where(inside[window], solved.cumulative, np.nan)
        current[window] = np.fmax(current[window], flow)
    return current


def _peaks(values: np.ndarray, mask: np.ndarray, node_type: str) -> pd.DataFrame:
    """One node per 8-connected group of ``mask`` cells, at the group's largest value."""
    groups, n = ndimage.label(mask, structure=np.ones((3, 3)))
    if n == 0:
        return pd.DataFrame(columns=[col.NODE_TYPE, "value", "row", "col"])
    ids = np.arange(1, n + 1)
    where = ndimage.maximum_position(np.nan_to_num(values, nan=-np.inf), groups, ids)
    peak = ndimage.maximum(np.nan_to_num(values, nan=-np.inf), groups, ids)
    rows, cols = (np.array(p, dtype=int) for p in zip(*where, strict=True))
    return pd.DataFrame({col.NODE_TYPE: node_type, "value": peak, "row": rows, "col": cols})


def _top(values: np.ndarray, eligible: np.ndarray, share: float) -> np.ndarray:
    """Eligible cells whose value is in the top ``share`` of the eligible positive values."""
    ok = eligible & np.isfinite(values) & (values > 0)
    if not ok.any():
        return ok
    return ok & (values >= np.quantile(values[ok], 1 - share))


def _stepping_stones(paths: dict[tuple[int, int], Path],
                     labels: np.ndarray, away: int) -> pd.DataFrame:
    """Where paths of different links meet or cross, more than ``away`` cells from a source."""
    count = np.zeros(labels.shape, dtype=np.int32)
    near = np.ones((3, 3), dtype=bool)
    for path in paths.values():
        on = np.zeros(labels.shape, dtype=bool)
        on[path.rows, path.cols] = True
        count += ndimage.binary_dilation(on, near)
    clear = ~ndimage.binary_dilation(labels > 0, near, iterations=away)
    meet = (count >= 2) & clear
    return _peaks(count.astype(float), meet, "stepping_stone")


def _node_points(nodes: pd.DataFrame, surface: Surface) -> gpd.GeoDataFrame:
    t = surface.grid.transform
    nodes = nodes.astype({"row": int, "col": int, "value": float}).reset_index(drop=True)
    xs, ys = t @ (nodes["col"].to_numpy() + 0.5, nodes["row"].to_numpy() + 0.5)
    return gpd.GeoDataFrame(nodes, geometry=shapely.points(np.asarray(xs), np.asarray(ys)),
                            crs=surface.grid.crs)


def build_network(surface: Surface, patches: Patches, model: CorridorRules, *,
                  progress: bool = False) -> Network:
    """Corridors, levels, pinch points, barriers and nodes between the sources."""
    resistance = surface.grid.values
    cell = abs(surface.grid.transform.a)
    spec = model.corridors
    net = linkage(resistance, patches.labels, cell, candidates=spec.candidates,
                  max_cost_distance=spec.max_cost, drop_crossing=spec.drop_crossing,
                  width=spec.width, connectivity=model.connectivity, progress=progress)
    links = _ranked(net.kept(), patches, model)
    paths = {k: net.paths[k] for k in zip(links["core_a"], links["core_b"], strict=True)}
    level = _level_grid(net, links, spec.width, resistance.shape)
    level[patches.labels > 0] = 0  # corridors run between the sources
    current = _pinch_current(resistance, patches.labels, net, links, model, progress)
    improvement = barrier_improvement(resistance, patches.labels, net, cell,
                                      model.barriers.radii_m)
    outside = patches.labels == 0
    nodes = pd.concat([
        _peaks(improvement, _top(improvement, outside & (level > 0),
                                 model.barriers.top_share), "barrier"),
        _peaks(current, _top(current, outside, model.pinch_points.top_share), "pinch_point"),
        _stepping_stones(paths, patches.labels, away=2),
    ], ignore_index=True)
    cost = np.fmin.reduce([net.cwd[k] for k in patches.frame.index])
    logger.info("network: %d links (%d important), %d nodes", len(links),
                int((links[col.CORRIDOR_LEVEL] == IMPORTANT).sum()), len(nodes))
    return Network(links.reset_index(drop=True), paths, net.corridor, level, current,
                   improvement, cost, _node_points(nodes, surface), net)
