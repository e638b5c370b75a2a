"""Circuit-theory connectivity on grids, compatible with Circuitscape: pairwise mode.

The grid becomes a graph (see :mod:`._circuit_graph`); each connected component holding focal
nodes is factorised (or gets an AMG hierarchy) once, grounded at one focal node, and solved
once per other focal node: by linearity the voltages of the 1 A solve between nodes ``i`` and
``j`` are the difference of two of those solutions, so ``n`` focal nodes cost ``n - 1`` solves.

Examples
--------
>>> import numpy as np
>>> strip = np.ones((1, 4))                    # four cells of resistance 1 in a row
>>> focal = np.array([[1, 0, 0, 2]])
>>> result = pairwise(strip, focal, connect=4)
>>> round(float(result.resistances.loc[1, 2]), 9)  # three unit resistors in series
3.0
>>> result.cumulative.round(6).tolist()
[[1.0, 1.0, 1.0, 1.0]]
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from itertools import combinations

import numpy as np
import pandas as pd
from tqdm import tqdm

from zoning.corridors._circuit_graph import (
    NOT_A_NODE,
    Circuit,
    build_circuit,
    conductance_grid,
    node_map,
)
from zoning.corridors._circuit_solve import Component, GroundedSystem, node_currents, part_of
from zoning.errors import CorridorError

logger = logging.getLogger(__name__)

UNCONNECTED = -1.0
"""Resistance reported for pairs in different components or on NODATA (as Circuitscape)."""

FocalCells = dict[int, np.ndarray]


@dataclass(frozen=True)
class Placement:
    """Where a component's nodes lie on the grid."""

    shape: tuple[int, int]
    cells: np.ndarray
    local: np.ndarray

    def grid(self, values: np.ndarray) -> np.ndarray:
        """A grid with ``values`` (local node order) on the component's cells, 0 elsewhere."""
        out = np.zeros(self.shape[0] * self.shape[1])
        out[self.cells] = values[self.local]
        return out.reshape(self.shape)


def placement(nodes_grid: np.ndarray, part: Component) -> Placement:
    """The cells of ``part`` in the node map ``nodes_grid``."""
    flat = nodes_grid.ravel()
    pos = np.searchsorted(part.nodes, flat)
    pos = np.minimum(pos, part.nodes.size - 1)
    inside = (flat != NOT_A_NODE) & (part.nodes[pos] == flat)
    cells = np.flatnonzero(inside)
    return Placement((nodes_grid.shape[0], nodes_grid.shape[1]), cells, pos[cells])


@dataclass(frozen=True)
class PairSolution:
    """The 1 A solve between focal ids ``a`` and ``b`` (``a`` at 0 V, ``b`` at ``resistance``).

    Attributes
    ----------
    a, b
        Focal ids, ``a < b``.
    resistance
        Effective resistance between them.
    """

    a: int
    b: int
    resistance: float
    part: Component = field(repr=False)
    where: Placement = field(repr=False)
    local_voltages: np.ndarray = field(repr=False)

    def voltages(self) -> np.ndarray:
        """Voltage grid (0 outside the component)."""
        return self.where.grid(self.local_voltages)

    def currents(self) -> np.ndarray:
        """Node-current grid: max(inflow, outflow) per node, merged nodes on all their cells."""
        return self.where.grid(node_currents(self.part, self.local_voltages))


@dataclass
class PairwiseResult:
    """Outcome of :func:`pairwise`.

    Attributes
    ----------
    ids
        Focal ids, ascending.
    resistances
        Effective resistances (DataFrame indexed and labelled by id); -1 for pairs in
        different components, on NODATA or not requested; 0 for ids on one node.
    cumulative, maximum
        Sum and cell-wise maximum of the per-pair current maps.
    voltages, currents
        Per-pair grids keyed by ``(a, b)`` (only with ``maps=True``).
    """

    ids: np.ndarray
    resistances: pd.DataFrame
    cumulative: np.ndarray
    maximum: np.ndarray
    voltages: dict[tuple[int, int], np.ndarray] = field(default_factory=dict)
    currents: dict[tuple[int, int], np.ndarray] = field(default_factory=dict)

    def three_columns(self) -> pd.DataFrame:
        """Resistances as ``a, b, resistance`` rows (``a < b``), as ``_3columns.out``."""
        rows = [(a, b, self.resistances.loc[a, b]) for a, b in combinations(self.ids, 2)]
        return pd.DataFrame(rows, columns=["a", "b", "resistance"])


def focal_cells(focal: np.ndarray) -> FocalCells:
    """Flat cell indices of each focal id (ids > 0; 0, negatives and NaN are not focal)."""
    values = np.nan_to_num(np.asarray(focal, dtype=float), nan=0.0)
    if np.any(values != np.round(values)):
        raise CorridorError("focal ids must be whole numbers")
    flat = values.ravel().astype(np.int64)
    cells = np.flatnonzero(flat > 0)
    if cells.size == 0:
        return {}
    order = np.argsort(flat[cells], kind="stable")
    ids, starts = np.unique(flat[cells][order], return_index=True)
    return {int(i): part for i, part in zip(ids, np.split(cells[order], starts[1:]),
                                              strict=True)}


def pair_filter(pairs: Iterable[tuple[int, int]] | None) -> Callable[[int, int], bool]:
    """A predicate telling whether the unordered pair ``(a, b)`` is to be solved."""
    if pairs is None:
        return lambda a, b: True
    wanted = {(min(a, b), max(a, b)) for a, b in pairs}
    return lambda a, b: (min(a, b), max(a, b)) in wanted


def merge_regions(polygons: np.ndarray | None, shape: tuple[int, int],
                  groups: Iterable[np.ndarray]) -> np.ndarray | None:
    """Short-circuit regions with focal regions added.

    Each group of several cells becomes one region, merged with every polygon it touches.
    """
    labels = (np.zeros(shape, dtype=np.int64) if polygons is None
              else np.asarray(polygons, dtype=np.int64).copy())
    flat = labels.ravel()
    label = max(int(flat.max(initial=0)), 0) + 1
    changed = polygons is not None
    for cells in groups:
        if cells.size <= 1:
            continue
        touched = np.unique(flat[cells])
        touched = touched[touched != 0]
        if touched.size:
            flat[np.isin(flat, touched)] = label
        flat[cells] = label
        label += 1
        changed = True
    return labels if changed else None


def pairwise(resistance: np.ndarray, focal: np.ndarray, *, connect: int = 8,
             average: str = "resistance", polygons: np.ndarray | None = None,
             pairs: Iterable[tuple[int, int]] | None = None, maps: bool = True,
             progress: bool = False, is_resistance: bool = True,
             solver: str = "auto") -> PairwiseResult:
    """Effective resistances and current maps between all pairs of focal nodes.

    Parameters
    ----------
    resistance
        Cell resistances (conductances with ``is_resistance=False``); NaN = barrier/NODATA.
    focal
        Integer grid of the same shape: 0 = not focal, ``k > 0`` = focal node ``k``; several
        cells with one id form a focal region (short-circuited for the pairs it is in).
    connect
        4 or 8 neighbours.
    average
        ``"resistance"`` (edge = 1/mean resistance) or ``"conductance"`` (mean conductance).
    polygons
        Short-circuit regions (integer ids, 0 = none), merged into one node each.
    pairs
        Only these pairs (others get -1); default all.
    maps
        Keep every pair's voltage and current grids in the result.
    progress
        Show a progress bar over the solves.
    is_resistance
        ``resistance`` holds resistances (else conductances).
    solver
        ``"auto"``, ``"direct"`` or ``"amg"``.

    Returns
    -------
    PairwiseResult

    Examples
    --------
    Two parallel strips halve the resistance of one:

    >>> import numpy as np
    >>> grid = np.ones((2, 3))
    >>> focal = np.array([[1, 0, 2], [1, 0, 2]])     # focal regions: both left, both right
    >>> round(float(pairwise(grid, focal, connect=4).resistances.loc[1, 2]), 9)
    1.0
    """
    cond = conductance_grid(resistance, is_resistance=is_resistance)
    shape = cond.shape
    cum, peak = np.zeros(shape), np.zeros(shape)
    voltages: dict[tuple[int, int], np.ndarray] = {}
    currents: dict[tuple[int, int], np.ndarray] = {}

    def collect(pair: PairSolution) -> None:
        current = pair.currents()
        cum[...] += current
        np.maximum(peak, current, out=peak)
        if maps:
            voltages[(pair.a, pair.b)] = pair.voltages()
            currents[(pair.a, pair.b)] = current

    ids, matrix = solve_pairwise(cond, focal_cells(focal), on_pair=collect, connect=connect,
                                 average=average, polygons=polygons, pairs=pairs,
                                 progress=progress, solver=solver)
    frame = pd.DataFrame(matrix, index=pd.Index(ids, name="id"), columns=pd.Index(ids))
    return PairwiseResult(ids, frame, cum, peak, voltages, currents)


def solve_pairwise(cond: np.ndarray, cells: FocalCells, *, on_pair: Callable[[PairSolution],
                   None], connect: int = 8, average: str = "resistance",
                   polygons: np.ndarray | None = None,
                   pairs: Iterable[tuple[int, int]] | None = None, progress: bool = False,
                   solver: str = "auto") -> tuple[np.ndarray, np.ndarray]:
    """Pairwise solves on a conductance grid; ``on_pair`` receives each solved pair.

    Returns the focal ids and the resistance matrix (see :class:`PairwiseResult`).
    """
    ids = np.array(sorted(cells), dtype=np.int64)
    matrix = np.full((ids.size, ids.size), UNCONNECTED)
    np.fill_diagonal(matrix, 0.0)
    wanted = pair_filter(pairs)
    args = (cond, cells, ids, matrix, wanted, on_pair, progress, solver)
    if any(c.size > 1 for c in cells.values()):
        _pairwise_regions(*args, polygons=polygons, connect=connect, average=average)
    else:
        nodes = node_map(cond, polygons)
        circuit = build_circuit(cond, nodes, connect=connect, average=average)
        _pairwise_shared(*args, circuit=circuit)
    return ids, matrix


def _pairwise_shared(cond: np.ndarray, cells: FocalCells, ids: np.ndarray, matrix: np.ndarray,
                     wanted: Callable[[int, int], bool], on_pair: Callable[[PairSolution], None],
                     progress: bool, solver: str, *, circuit: Circuit) -> None:
    """All pairs on one circuit: per component one system, grounded at a focal node."""
    index = {int(i): k for k, i in enumerate(ids)}
    node_of = {i: int(circuit.nodes.flat[cells[i][0]]) for i in index}
    labels = circuit.components
    groups: dict[int, list[int]] = {}
    for i in index:
        if node_of[i] != NOT_A_NODE:
            groups.setdefault(int(labels[node_of[i]]), []).append(i)
    todo: dict[int, list[tuple[int, int]]] = {}
    for label, members in groups.items():
        for a, b in combinations(members, 2):
            if node_of[a] == node_of[b]:
                matrix[index[a], index[b]] = matrix[index[b], index[a]] = 0.0
            if wanted(a, b):  # a pair on one node gets all-zero maps, as in Circuitscape
                todo.setdefault(label, []).append((a, b))
    n_solves = sum(len({node_of[x] for pair in ps for x in pair}) - 1 for ps in todo.values())
    logger.info("%d nodes, %d focal ids, %d components with pairs; %d solves",
                circuit.n, ids.size, len(todo), n_solves)
    with tqdm(total=n_solves, disable=not progress, desc="circuit solves", unit="solve") as bar:
        for label, todo_pairs in todo.items():
            part = part_of(circuit, np.flatnonzero(labels == label))
            where = placement(circuit.nodes, part)
            local = {i: int(np.searchsorted(part.nodes, node_of[i]))
                     for p in todo_pairs for i in p}
            solutions = _unit_solutions(part, sorted(set(local.values())), solver, bar)
            for a, b in todo_pairs:
                v = solutions[local[b]] - solutions[local[a]]
                v -= v[local[a]]
                r = float(v[local[b]])
                matrix[index[a], index[b]] = matrix[index[b], index[a]] = r
                on_pair(PairSolution(a, b, r, part, where, v))


def _unit_solutions(part: Component, focal_local: list[int], solver: str,
                    bar: tqdm) -> dict[int, np.ndarray]:
    """Voltages for 1 A into each focal node, all grounded at the first one (kept at 0 V)."""
    ground = focal_local[0]
    fixed = np.zeros(part.size, dtype=bool)
    fixed[ground] = True
    system = GroundedSystem(part.laplacian, fixed, solver=solver,
                            coordinates=part.coordinates)
    logger.debug("component of %d nodes: %s solver", part.size, system.method)
    out = {ground: np.zeros(part.size)}
    for node in focal_local[1:]:
        b = np.zeros(part.size)
        b[node] = 1.0
        out[node] = system.solve(b)
        bar.update()
    return out


def _pairwise_regions(cond: np.ndarray, cells: FocalCells, ids: np.ndarray, matrix: np.ndarray,
                      wanted: Callable[[int, int], bool],
                      on_pair: Callable[[PairSolution], None], progress: bool, solver: str, *,
                      polygons: np.ndarray | None, connect: int, average: str) -> None:
    """Focal regions: each pair gets its own circuit.

    As in Circuitscape, only the pair's two regions are short-circuited in it.
    """
    index = {int(i): k for k, i in enumerate(ids)}
    todo = [(int(a), int(b)) for a, b in combinations(ids, 2) if wanted(int(a), int(b))]
    logger.debug("focal regions: one circuit per pair, %d pairs", len(todo))
    for a, b in tqdm(todo, disable=not progress, desc="circuit solves", unit="pair"):
        regions = merge_regions(polygons, cond.shape, [cells[a], cells[b]])
        nodes = node_map(cond, regions)
        na, nb = int(nodes.flat[cells[a][0]]), int(nodes.flat[cells[b][0]])
        if NOT_A_NODE in (na, nb):
            continue
        circuit = build_circuit(cond, nodes, connect=connect, average=average)
        labels = circuit.components
        if labels[na] != labels[nb]:
            continue
        part = part_of(circuit, np.flatnonzero(labels == labels[na]))
        la, lb = np.searchsorted(part.nodes, [na, nb])
        fixed = np.zeros(part.size, dtype=bool)
        fixed[la] = True
        b_vec = np.zeros(part.size)
        b_vec[lb] = 0.0 if na == nb else 1.0
        v = GroundedSystem(part.laplacian, fixed, solver=solver,
                            coordinates=part.coordinates).solve(b_vec)
        r = float(v[lb])
        matrix[index[a], index[b]] = matrix[index[b], index[a]] = r
        on_pair(PairSolution(a, b, r, part, placement(nodes, part), v))
