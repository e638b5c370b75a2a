"""Cost-weighted distance, cost allocation and least-cost paths on a resistance grid.

The metric is ArcGIS *Cost Distance*'s, which Linkage Mapper uses: moving between two
neighbouring cells costs the step length times the mean of the two cells' resistances,
the step length being ``cell_size`` for an orthogonal move and ``sqrt(2) * cell_size``
for a diagonal one. Source cells cost 0. :class:`skimage.graph.MCP_Geometric` computes
exactly this (its ``sampling`` argument is the cell size), so it does the Dijkstra.

``skimage.graph.MCP_Connect`` (fronts from all seeds, a callback where they meet) was
evaluated for cost allocation and rejected: it derives from the plain ``MCP`` class, which
sums cell costs instead of applying the mean-of-two-cells rule, so its fronts do not meet
where ArcGIS's cost allocation puts the boundary. Allocation is instead read from one
``MCP_Geometric`` run from all cores: every cell inherits the label of the source at the
root of its traceback chain (found by pointer jumping, a handful of vectorised passes).

Resistance NaN (NODATA) or +inf is a barrier: never entered, reported as NaN.
"""

from __future__ import annotations

import logging
import math
from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray
from skimage.graph import MCP_Geometric

from zoning.errors import CorridorError

logger = logging.getLogger(__name__)

CONNECTIVITIES = (4, 8)
"""Neighbourhoods a move may use: the 4 orthogonal cells, or those and the 4 diagonal ones."""


class CostRun(NamedTuple):
    """One minimum-cost run: the cumulative cost and the last step to every cell.

    Attributes
    ----------
    cwd
        Cost-weighted distance from the nearest source; ``inf`` where unreachable.
    traceback
        Index into ``offsets`` of the step that reached each cell; negative on sources
        and on cells never reached.
    offsets
        The (row, col) steps: a cell's predecessor is the cell minus its step.
    """

    cwd: NDArray[np.float64]
    traceback: NDArray[np.intp]
    offsets: NDArray[np.intp]


class Path(NamedTuple):
    """A least-cost path as grid cells, from the first core to the second.

    Attributes
    ----------
    rows, cols
        Row and column of every cell of the path, in order.
    length
        Length of the path in map units (cell centre to cell centre).
    cost
        Its cost-weighted distance; ``inf`` (and empty cells) if the cores cannot reach
        each other.
    """

    rows: NDArray[np.intp]
    cols: NDArray[np.intp]
    length: float
    cost: float


def validated_costs(resistance: NDArray[np.floating]) -> NDArray[np.float64]:
    """Return the resistance as MCP costs: a float copy with NODATA (NaN) set to ``inf``.

    Raises
    ------
    CorridorError
        If the grid is not 2-D or some resistance is zero or negative.
    """
    res = np.asarray(resistance, dtype=np.float64)
    if res.ndim != 2:
        raise CorridorError(f"the resistance grid must be 2-D, got shape {res.shape}")
    bad = res <= 0  # NaN compares False: NODATA is not "bad"
    if bad.any():
        first = tuple(int(i) for i in np.argwhere(bad)[0])
        raise CorridorError(
            f"{int(bad.sum())} resistance cell(s) are zero or negative (first at row, col "
            f"{first}: {res[first]}); a zero resistance would make a short circuit, moving "
            "through it for free. Use NaN for NODATA (barriers) and positive values elsewhere."
        )
    return np.where(np.isnan(res), np.inf, res)


def check_cell_size(cell_size: float) -> float:
    """Return ``cell_size`` as a float, raising :class:`CorridorError` unless positive."""
    size = float(cell_size)
    if not size > 0 or not math.isfinite(size):
        raise CorridorError(f"cell_size must be a positive number of map units, got {cell_size}")
    return size


def check_connectivity(connectivity: int) -> None:
    """Raise :class:`CorridorError` unless ``connectivity`` is 4 or 8."""
    if connectivity not in CONNECTIVITIES:
        raise CorridorError(f"connectivity must be 4 or 8, got {connectivity}")


def run_mcp(
    costs: NDArray[np.float64], sources: NDArray[np.bool_], cell_size: float, connectivity: int
) -> CostRun:
    """Run ``MCP_Geometric`` from every cell of ``sources`` over already validated costs."""
    check_connectivity(connectivity)
    starts = np.argwhere(sources & np.isfinite(costs))
    if len(starts) == 0:
        raise CorridorError("no source cell lies on a cell with data (every one is NODATA)")
    mcp = MCP_Geometric(costs, fully_connected=connectivity == 8, sampling=(cell_size, cell_size))
    cwd, traceback = mcp.find_costs([tuple(s) for s in starts])
    offsets = np.asarray(mcp.offsets, dtype=np.intp)
    return CostRun(np.asarray(cwd, dtype=np.float64), np.asarray(traceback, dtype=np.intp),
                   offsets)


def _parents(run: CostRun) -> NDArray[np.intp]:
    """Flat index of each cell's predecessor; cells without one point to themselves."""
    shape = run.traceback.shape
    flat = np.arange(run.traceback.size, dtype=np.intp)
    tb = run.traceback.ravel()
    has = tb >= 0
    rows, cols = np.divmod(flat[has], shape[1])
    step = run.offsets[tb[has]]
    parent = flat.copy()
    parent[has] = (rows - step[:, 0]) * shape[1] + (cols - step[:, 1])
    return parent


def _mask_unreached(cwd: NDArray[np.float64], max_cost: float | None) -> NDArray[np.float64]:
    out = np.where(np.isfinite(cwd), cwd, np.nan)
    if max_cost is not None:
        out[out > max_cost] = np.nan
    return out


def cost_distance(
    resistance: NDArray[np.floating],
    sources_mask: NDArray[np.bool_],
    cell_size: float,
    *,
    connectivity: int = 8,
    max_cost: float | None = None,
) -> NDArray[np.float64]:
    """Cost-weighted distance (ArcGIS *Cost Distance*) from the nearest source cell.

    Parameters
    ----------
    resistance
        2-D resistance per map unit; NaN is NODATA (a barrier), the rest must be positive.
    sources_mask
        Boolean grid of the same shape, True on source cells (their distance is 0).
    cell_size
        Cell side in map units.
    connectivity
        8 (orthogonal and diagonal moves, the ArcGIS rule) or 4.
    max_cost
        Cells farther than this are reported as NaN (the search itself is not cut short).

    Returns
    -------
    numpy.ndarray
        Float grid of cost-weighted distances; NaN on NODATA and unreachable cells.

    Raises
    ------
    CorridorError
        On a zero or negative resistance, mismatched shapes or no usable source.

    Examples
    --------
    >>> import numpy as np
    >>> cost_distance(np.array([[1.0, 3.0, 5.0]]), np.array([[True, False, False]]), 10.0)
    array([[ 0., 20., 60.]])
    """
    costs = validated_costs(resistance)
    sources = np.asarray(sources_mask, dtype=bool)
    _check_same_shape(costs, sources, "sources_mask")
    run = run_mcp(costs, sources, check_cell_size(cell_size), connectivity)
    return _mask_unreached(run.cwd, max_cost)


def cost_allocation(
    resistance: NDArray[np.floating],
    cores: NDArray[np.integer],
    cell_size: float,
    *,
    connectivity: int = 8,
    max_cost: float | None = None,
) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """Cost-weighted distance to the nearest core and that core's label (*Cost Allocation*).

    Parameters
    ----------
    resistance
        2-D resistance; NaN is NODATA.
    cores
        Integer grid of the same shape: 0 off cores, ``k > 0`` on core ``k``.
    cell_size
        Cell side in map units.
    connectivity
        8 or 4.
    max_cost
        Cells farther than this from every core get NaN distance and label 0.

    Returns
    -------
    cwd : numpy.ndarray
        Distance to the cheapest core to reach; NaN where none is reachable.
    allocation : numpy.ndarray
        Label of that core; 0 where none is reachable (and on NODATA).

    Examples
    --------
    >>> import numpy as np
    >>> cwd, alloc = cost_allocation(np.ones((1, 5)), np.array([[1, 0, 0, 0, 2]]), 1.0)
    >>> alloc
    array([[1, 1, 1, 2, 2]])
    """
    costs = validated_costs(resistance)
    labels = core_labels(cores, costs)
    run = run_mcp(costs, labels > 0, check_cell_size(cell_size), connectivity)
    cwd = _mask_unreached(run.cwd, max_cost)
    allocation = labels.ravel()[_roots(_parents(run))].reshape(labels.shape)
    allocation[np.isnan(cwd)] = 0
    return cwd, allocation


def _roots(parent: NDArray[np.intp]) -> NDArray[np.intp]:
    """Follow predecessors to the root of every chain by pointer jumping."""
    root = parent.copy()
    while True:
        nxt = root[root]
        if np.array_equal(nxt, root):
            return root
        root = nxt


def core_labels(cores: NDArray[np.integer], costs: NDArray[np.float64]) -> NDArray[np.int64]:
    """Return validated core labels; core cells on NODATA are dropped with a warning.

    Raises
    ------
    CorridorError
        If the grid has the wrong shape, is not integer, has negative labels, no core,
        or a core with no cell on data.
    """
    labels = np.asarray(cores)
    _check_same_shape(costs, labels, "cores")
    if not np.issubdtype(labels.dtype, np.integer):
        raise CorridorError(f"cores must be an integer grid, got dtype {labels.dtype}")
    if (labels < 0).any():
        raise CorridorError("core labels must be 0 (not a core) or positive")
    labels = labels.astype(np.int64)
    ids = np.unique(labels[labels > 0])
    if len(ids) == 0:
        raise CorridorError("the cores grid holds no core (every cell is 0)")
    on_nodata = (labels > 0) & ~np.isfinite(costs)
    if on_nodata.any():
        logger.warning("%d core cell(s) lie on NODATA resistance and are ignored",
                       int(on_nodata.sum()))
        labels = np.where(on_nodata, 0, labels)
        lost = np.setdiff1d(ids, labels[labels > 0])
        if len(lost):
            raise CorridorError(f"core(s) {lost.tolist()} lie entirely on NODATA resistance")
    return labels


def _check_same_shape(costs: NDArray[np.float64], other: NDArray[np.generic], name: str) -> None:
    if other.shape != costs.shape:
        raise CorridorError(
            f"{name} has shape {other.shape} but the resistance grid has {costs.shape}"
        )


def trace_path(
    run: CostRun, end: int, shape: tuple[int, int], cell_size: float
) -> tuple[NDArray[np.intp], NDArray[np.intp], float]:
    """Cells from the source that ``run`` reached ``end`` (a flat index) from, to ``end``.

    Returns rows, columns and the length in map units.
    """
    row, col = divmod(end, shape[1])
    chain = [(row, col)]
    while (step := run.traceback[row, col]) >= 0:
        row, col = row - int(run.offsets[step, 0]), col - int(run.offsets[step, 1])
        chain.append((row, col))
    rows, cols = np.array(chain[::-1], dtype=np.intp).T
    diagonal = (np.diff(rows) != 0) & (np.diff(cols) != 0)
    steps = len(rows) - 1
    length = cell_size * (steps + (math.sqrt(2) - 1) * int(diagonal.sum()))
    return rows, cols, length


def link_path(run_a: CostRun, labels: NDArray[np.int64], b: int, cell_size: float) -> Path:
    """Least-cost path from the sources of ``run_a`` to the cheapest cell of core ``b``."""
    in_b = np.flatnonzero(labels.ravel() == b)
    cost_b = run_a.cwd.ravel()[in_b]
    best = int(np.argmin(cost_b))
    cost = float(cost_b[best])
    if not math.isfinite(cost):
        empty = np.empty(0, dtype=np.intp)
        return Path(empty, empty, math.inf, math.inf)
    rows, cols, length = trace_path(run_a, int(in_b[best]), labels.shape, cell_size)
    return Path(rows, cols, length, cost)


def least_cost_path(
    resistance: NDArray[np.floating],
    cores: NDArray[np.integer],
    a: int,
    b: int,
    cell_size: float,
    *,
    connectivity: int = 8,
) -> Path:
    """Least-cost path from core ``a`` to core ``b`` and its cost-weighted distance.

    The path starts on the cell of ``a`` it leaves from and ends on the first cell of
    ``b`` it reaches; its cost is the least-cost distance (LCD) between the cores.

    Parameters
    ----------
    resistance
        2-D resistance; NaN is NODATA.
    cores
        Integer core labels (0 off cores).
    a, b
        Labels of the two cores.
    cell_size
        Cell side in map units.
    connectivity
        8 or 4.

    Returns
    -------
    Path
        Rows, columns, length (map units) and cost; empty with ``inf`` length and cost if
        ``b`` cannot be reached from ``a``.

    Examples
    --------
    >>> import numpy as np
    >>> p = least_cost_path(np.ones((1, 4)), np.array([[1, 0, 0, 2]]), 1, 2, 30.0)
    >>> p.cols.tolist(), p.length, p.cost
    ([0, 1, 2, 3], 90.0, 90.0)
    """
    costs = validated_costs(resistance)
    labels = core_labels(cores, costs)
    present = set(np.unique(labels).tolist())
    for core in (a, b):
        if core not in present or core == 0:
            raise CorridorError(f"core {core} is not in the cores grid")
    run = run_mcp(costs, labels == a, check_cell_size(cell_size), connectivity)
    return link_path(run, labels, b, float(cell_size))
