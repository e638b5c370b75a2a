"""Least-cost linkages between core areas, as Linkage Mapper builds and maps them.

The workflow follows Linkage Mapper's *Build Network and Map Linkages* (McRae &
Kavanagh 2011, Linkage Mapper user guide):

1. Candidate links: pairs of cores whose cost-allocation zones touch (``"adjacency"``,
   Linkage Mapper's cost-weighted adjacency; two zones touch when two of their cells are
   neighbours under the run's connectivity), or every pair (``"all"``).
2. Links longer than ``max_euclidean_distance`` (edge to edge) are dropped before any
   cost-distance work, as Linkage Mapper does.
3. One cost-weighted distance (CWD) run per core, reused for all its links. The
   least-cost distance of link (a, b) is ``LCD_ab = min(CWD_a over the cells of b)``; its
   least-cost path is traced back from that cell to core a.
4. Links are dropped when b cannot be reached (``unreachable``), when ``LCD_ab`` exceeds
   ``max_cost_distance``, or, with ``drop_crossing``, when the least-cost path enters a
   third core (``crosses_core``; Linkage Mapper's "drop links that intersect core areas").
5. The normalized least-cost corridor of a kept link is
   ``NLCC_ab = CWD_a + CWD_b - LCD_ab``: 0 along the least-cost path, elsewhere the
   extra cost of the best route from a to b through the cell over the best route. Links are
   mosaicked by the cell-wise minimum; with ``width`` the mosaic is truncated, cells above
   it becoming NaN.

Left out: Linkage Mapper's step 4 (pruning to nearest neighbours), its bounding
circles (which only limit the extent for speed), Euclidean adjacency, minimum-distance
limits, the option to keep links that would be dropped, and dropping corridors implied
by shorter ones (Linkage Mapper's step 3, ``s3_calcCwds.py``, drops links whose path
passes through an intermediate core: that is ``drop_crossing``).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from itertools import combinations
from typing import Literal

import numpy as np
import pandas as pd
import shapely
from affine import Affine
from numpy.typing import NDArray
from tqdm import tqdm

from zoning.corridors._cost import (
    CostRun,
    Path,
    check_cell_size,
    check_connectivity,
    core_labels,
    cost_allocation,
    link_path,
    run_mcp,
    validated_costs,
)
from zoning.corridors._distances import raster_edge_distances
from zoning.errors import CorridorError

logger = logging.getLogger(__name__)

Candidates = Literal["adjacency", "all"]
CANDIDATES: tuple[Candidates, ...] = ("adjacency", "all")
"""Ways to choose candidate links: touching cost-allocation zones, or every pair."""

UNREACHABLE = "unreachable"
TOO_LONG_EUCLIDEAN = "max_euclidean_distance"
TOO_LONG_COST = "max_cost_distance"
CROSSES_CORE = "crosses_core"

LINK_COLUMNS = ("core_a", "core_b", "euclidean", "lcd", "path_length", "cwd_to_euclid",
                "cwd_to_path", "dropped", "drop_reason", "crossed_cores")
"""Columns of :attr:`Linkage.links`, in order."""

# Neighbour shifts (row, col) that visit every unordered pair of neighbouring cells once.
_HALF_NEIGHBOURS = {4: ((0, 1), (1, 0)), 8: ((0, 1), (1, 0), (1, 1), (1, -1))}


@dataclass(frozen=True)
class Linkage:
    """Links between cores, their least-cost paths and the corridor mosaic.

    Attributes
    ----------
    links
        One row per candidate link, columns :data:`LINK_COLUMNS`: the two cores
        (``core_a < core_b``), the edge-to-edge Euclidean distance between them (map
        units), the least-cost distance ``lcd`` (``inf`` if unreachable), the length of
        the least-cost path (map units), ``lcd / euclidean`` and ``lcd / path_length``,
        whether the link was dropped, why (``""`` if kept: :data:`UNREACHABLE`,
        :data:`TOO_LONG_EUCLIDEAN`, :data:`TOO_LONG_COST` or :data:`CROSSES_CORE`), and the
        third cores its path enters.
    paths
        Least-cost path of every link whose cores reach each other, keyed by
        ``(core_a, core_b)``; ``rows`` and ``cols`` are its cells from a to b.
    corridor
        Mosaic (cell-wise minimum) of the normalized least-cost corridors of the kept
        links; NaN on NODATA, where no kept link reaches, and above ``width``.
    cwd
        Cost-weighted distance from each core of a link not dropped for its Euclidean
        distance (NaN where unreachable), by core label.
    cell_size
        Cell side in map units.
    width
        Truncation threshold of ``corridor`` (cost-weighted units), or None.
    """

    links: pd.DataFrame
    paths: dict[tuple[int, int], Path]
    corridor: NDArray[np.float64]
    cwd: dict[int, NDArray[np.float64]]
    cell_size: float
    width: float | None

    def kept(self) -> pd.DataFrame:
        """Return the rows of :attr:`links` that were not dropped."""
        return self.links[~self.links["dropped"]]

    def path_lines(self, transform: Affine) -> dict[tuple[int, int], shapely.LineString]:
        """Least-cost paths as LineStrings through the cell centres, in map coordinates.

        Parameters
        ----------
        transform
            Affine transform of the grid (cell corner ``(col, row)`` to map ``(x, y)``).

        Returns
        -------
        dict
            One LineString per path (at least two cells: one in each core), keyed like
            :attr:`paths`.
        """
        lines = {}
        for key, path in self.paths.items():
            col, row = path.cols + 0.5, path.rows + 0.5
            t = transform
            lines[key] = shapely.LineString(
                np.column_stack([t.a * col + t.b * row + t.c, t.d * col + t.e * row + t.f]))
        return lines


def linkage(
    resistance: NDArray[np.floating],
    cores: NDArray[np.integer],
    cell_size: float,
    *,
    candidates: Candidates = "adjacency",
    max_euclidean_distance: float | None = None,
    max_cost_distance: float | None = None,
    drop_crossing: bool = True,
    width: float | None = None,
    connectivity: int = 8,
    progress: bool = False,
) -> Linkage:
    """Build the network of least-cost links between cores and map their corridors.

    Parameters
    ----------
    resistance
        2-D resistance per map unit; NaN is NODATA (a barrier), the rest positive.
    cores
        Integer grid of the same shape: 0 off cores, ``k > 0`` on core ``k``.
    cell_size
        Cell side in map units.
    candidates
        ``"adjacency"``: pairs whose cost-allocation zones touch; ``"all"``: every pair.
    max_euclidean_distance, max_cost_distance
        Drop links longer than this edge to edge (map units) or in least-cost distance.
    drop_crossing
        Drop links whose least-cost path enters a third core.
    width
        Truncate the corridor mosaic: cells whose normalized cost exceeds it become NaN.
    connectivity
        8 (orthogonal and diagonal moves) or 4.
    progress
        Show a progress bar over the per-core cost-distance runs.

    Returns
    -------
    Linkage
        The link table, paths, corridor mosaic and per-core cost-weighted distances.

    Raises
    ------
    CorridorError
        On invalid grids or options, or fewer than two cores.

    Examples
    --------
    >>> import numpy as np
    >>> cores = np.zeros((3, 7), dtype=int)
    >>> cores[1, 0], cores[1, 3], cores[1, 6] = 1, 2, 3
    >>> result = linkage(np.ones((3, 7)), cores, 1.0)
    >>> kept = result.kept()
    >>> kept[["core_a", "core_b"]].to_numpy().tolist(), kept["lcd"].tolist()
    ([[1, 2], [2, 3]], [3.0, 3.0])
    """
    if candidates not in CANDIDATES:
        raise CorridorError(f"candidates must be one of {CANDIDATES}, got {candidates!r}")
    check_connectivity(connectivity)
    size = check_cell_size(cell_size)
    costs = validated_costs(resistance)
    labels = core_labels(cores, costs)
    ids = np.unique(labels[labels > 0]).tolist()
    if len(ids) < 2:
        raise CorridorError(f"linking needs at least two cores, found {len(ids)}")
    pairs = (_adjacent_pairs(resistance, labels, size, connectivity)
             if candidates == "adjacency" else list(combinations(ids, 2)))
    logger.info("%d cores, %d candidate links (%s)", len(ids), len(pairs), candidates)
    table = _new_table(pairs, _euclidean(labels, size, pairs))
    if max_euclidean_distance is not None:
        _drop(table, table["euclidean"] > max_euclidean_distance, TOO_LONG_EUCLIDEAN)
    live = table[~table["dropped"]]
    needed = sorted(set(live["core_a"]) | set(live["core_b"]))
    cwd, paths = _cost_runs(costs, labels, size, connectivity, live, needed, progress)
    _fill_paths(table, paths, labels)
    _drop(table, ~np.isfinite(table["lcd"]), UNREACHABLE)
    if max_cost_distance is not None:
        _drop(table, table["lcd"] > max_cost_distance, TOO_LONG_COST)
    if drop_crossing:
        _drop(table, table["crossed_cores"].map(len) > 0, CROSSES_CORE)
    corridor = corridor_mosaic(cwd, table[~table["dropped"]], costs.shape, width)
    logger.info("%d links kept, %d dropped", int((~table["dropped"]).sum()),
                int(table["dropped"].sum()))
    return Linkage(table, paths, corridor, cwd, size, width)


def _adjacent_pairs(
    resistance: NDArray[np.floating], labels: NDArray[np.int64], cell_size: float,
    connectivity: int,
) -> list[tuple[int, int]]:
    """Pairs of cores whose cost-allocation zones share a neighbouring pair of cells."""
    _, allocation = cost_allocation(resistance, labels, cell_size, connectivity=connectivity)
    return sorted(zone_adjacency(allocation, connectivity))


def zone_adjacency(zones: NDArray[np.integer], connectivity: int = 8) -> set[tuple[int, int]]:
    """Pairs ``(a, b)``, ``a < b``, of non-zero zone labels found in neighbouring cells.

    Examples
    --------
    >>> import numpy as np
    >>> sorted(zone_adjacency(np.array([[1, 1, 2], [3, 0, 2]])))
    [(1, 2), (1, 3)]
    """
    check_connectivity(connectivity)
    found: set[tuple[int, int]] = set()
    rows, cols = zones.shape
    for dr, dc in _HALF_NEIGHBOURS[connectivity]:
        here = zones[0:rows - dr, max(0, -dc):cols - max(0, dc)]
        there = zones[dr:rows, max(0, dc):cols - max(0, -dc)]
        differ = (here != there) & (here > 0) & (there > 0)
        a, b = here[differ], there[differ]
        found |= set(zip(np.minimum(a, b).tolist(), np.maximum(a, b).tolist(), strict=True))
    return found


def _euclidean(labels: NDArray[np.int64], cell_size: float,
               pairs: list[tuple[int, int]]) -> dict[tuple[int, int], float]:
    """Edge-to-edge distance of each pair of cores (:func:`raster_edge_distances`)."""
    ids = np.unique(labels[labels > 0])
    matrix = raster_edge_distances(labels, cell_size)
    at = np.searchsorted(ids, np.asarray(pairs, dtype=np.int64).reshape(-1, 2))
    return dict(zip(pairs, matrix[at[:, 0], at[:, 1]].tolist(), strict=True))


def _new_table(pairs: list[tuple[int, int]], euclid: dict[tuple[int, int], float]) -> pd.DataFrame:
    return pd.DataFrame({
        "core_a": pd.array([a for a, _ in pairs], dtype="int64"),
        "core_b": pd.array([b for _, b in pairs], dtype="int64"),
        "euclidean": [euclid[p] for p in pairs],
        "lcd": math.inf,
        "path_length": math.inf,
        "cwd_to_euclid": math.nan,
        "cwd_to_path": math.nan,
        "dropped": False,
        "drop_reason": "",
        "crossed_cores": [() for _ in pairs],
    }, columns=list(LINK_COLUMNS))


def _drop(table: pd.DataFrame, where: pd.Series, reason: str) -> None:
    """Mark links matching ``where`` and not dropped yet as dropped for ``reason``."""
    new = where & ~table["dropped"]
    table.loc[new, "dropped"] = True
    table.loc[new, "drop_reason"] = reason


def _cost_runs(
    costs: NDArray[np.float64], labels: NDArray[np.int64], cell_size: float,
    connectivity: int, live: pd.DataFrame, needed: list[int], progress: bool,
) -> tuple[dict[int, NDArray[np.float64]], dict[tuple[int, int], Path]]:
    """One cost-distance run per needed core; trace the paths of the links it starts."""
    cwd: dict[int, NDArray[np.float64]] = {}
    paths: dict[tuple[int, int], Path] = {}
    for core in tqdm(needed, desc="cost distance per core", disable=not progress):
        run: CostRun = run_mcp(costs, labels == core, cell_size, connectivity)
        for b in live.loc[live["core_a"] == core, "core_b"].tolist():
            path = link_path(run, labels, b, cell_size)
            if math.isfinite(path.cost):
                paths[(core, b)] = path
        cwd[core] = np.where(np.isfinite(run.cwd), run.cwd, np.nan)
    return cwd, paths


def _fill_paths(
    table: pd.DataFrame, paths: dict[tuple[int, int], Path], labels: NDArray[np.int64]
) -> None:
    """Write LCD, path length, ratios and crossed cores of every traced link."""
    for i, a, b in zip(table.index, table["core_a"], table["core_b"], strict=True):
        path = paths.get((int(a), int(b)))
        if path is None:
            continue
        on_path = np.unique(labels[path.rows, path.cols])
        crossed = tuple(int(k) for k in on_path if k not in (0, a, b))
        euclid = table.at[i, "euclidean"]
        table.at[i, "lcd"] = path.cost
        table.at[i, "path_length"] = path.length
        table.at[i, "cwd_to_euclid"] = path.cost / euclid if euclid > 0 else math.inf
        table.at[i, "cwd_to_path"] = path.cost / path.length if path.length > 0 else math.nan
        table.at[i, "crossed_cores"] = crossed


def corridor_mosaic(
    cwd: dict[int, NDArray[np.float64]], links: pd.DataFrame, shape: tuple[int, int],
    width: float | None = None,
) -> NDArray[np.float64]:
    """Cell-wise minimum over links of ``CWD_a + CWD_b - LCD_ab``, truncated at ``width``.

    Parameters
    ----------
    cwd
        Cost-weighted distance from each core (NaN where unreachable).
    links
        Rows with ``core_a``, ``core_b`` and ``lcd``.
    shape
        Grid shape (used when there is no link).
    width
        Cells above it become NaN; None keeps every reachable cell.

    Returns
    -------
    numpy.ndarray
        The mosaic; NaN where no link reaches.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> cwd = {1: np.array([[0.0, 1.0, 2.0]]), 2: np.array([[2.0, 1.0, 0.0]])}
    >>> corridor_mosaic(cwd, pd.DataFrame({"core_a": [1], "core_b": [2], "lcd": [2.0]}), (1, 3))
    array([[0., 0., 0.]])
    """
    if width is not None and not width >= 0:
        raise CorridorError(f"corridor width must be a non-negative number, got {width}")
    mosaic = np.full(shape, np.inf)
    for a, b, lcd in zip(links["core_a"], links["core_b"], links["lcd"], strict=True):
        # >= 0 exactly (a route through a cell is a route from a to b); clip round-off
        nlcc = np.maximum(cwd[int(a)] + cwd[int(b)] - lcd, 0.0)
        np.fmin(mosaic, nlcc, out=mosaic)
    mosaic[~np.isfinite(mosaic)] = np.nan
    if width is not None:
        mosaic[mosaic > width] = np.nan
    return mosaic
