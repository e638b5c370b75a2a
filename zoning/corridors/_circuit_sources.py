"""Circuitscape's source/ground modes: advanced, one-to-all and all-to-one.

Grounds are conductances to 0 V; an infinite one is a direct ground (the node is held at
0 V). A component is solved only when it holds both a source and a ground, as in
Circuitscape; elsewhere voltages and currents are 0.

Examples
--------
>>> import numpy as np
>>> strip = np.ones((1, 3))
>>> sources = np.array([[2.0, 0, 0]])                 # 2 A into the left cell
>>> grounds = np.array([[0, 0, np.inf]])              # right cell tied to ground
>>> out = advanced(strip, sources, grounds, connect=4)
>>> out.voltages.tolist()                             # 2 A through two 1-ohm links
[[4.0, 2.0, 0.0]]
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from tqdm import tqdm

from zoning.corridors._circuit import UNCONNECTED, FocalCells, focal_cells, merge_regions
from zoning.corridors._circuit_graph import (
    NOT_A_NODE,
    Circuit,
    build_circuit,
    conductance_grid,
    node_map,
)
from zoning.corridors._circuit_solve import GroundedSystem, node_currents, part_of
from zoning.errors import CorridorError

logger = logging.getLogger(__name__)

POLICIES = ("keepall", "rmvsrc", "rmvgnd", "rmvall")


@dataclass(frozen=True)
class Injection:
    """Voltages and node currents of one source/ground solve, per node of the circuit.

    Attributes
    ----------
    voltages, currents
        One value per node (0 in components that were not solved).
    solved
        Whether any component was solved.
    """

    circuit: Circuit = field(repr=False)
    voltages: np.ndarray
    currents: np.ndarray
    solved: bool

    def grid(self, values: np.ndarray) -> np.ndarray:
        """Per-node ``values`` on the grid (0 off the nodes; merged nodes on all cells)."""
        nodes = self.circuit.nodes
        return np.where(nodes != NOT_A_NODE, values[np.maximum(nodes, 0)], 0.0)


@dataclass
class AdvancedResult:
    """Outcome of :func:`advanced`: voltage and node-current grids."""

    voltages: np.ndarray
    currents: np.ndarray


@dataclass
class SourceResult:
    """Outcome of :func:`one_to_all` or :func:`all_to_one`.

    Attributes
    ----------
    ids
        Focal ids, ascending.
    resistances
        Per id: one-to-all, the voltage at the source over its strength (the resistance to
        the grounded others); all-to-one, 0; -1 when the id was not solved (on NODATA, or no
        other focal node in its component).
    cumulative, maximum
        Sum and cell-wise maximum of the per-id current maps.
    voltages, currents
        Per-id grids (only with ``maps=True``; none for ids on NODATA).
    """

    ids: np.ndarray
    resistances: pd.Series
    cumulative: np.ndarray
    maximum: np.ndarray
    voltages: dict[int, np.ndarray] = field(default_factory=dict)
    currents: dict[int, np.ndarray] = field(default_factory=dict)


def resolve_conflicts(sources: np.ndarray, grounds: np.ndarray,
                      policy: str) -> tuple[np.ndarray, np.ndarray]:
    """Nodes with both a source and a ground, handled as Circuitscape does.

    ``keepall`` keeps both, ``rmvsrc`` drops the source, ``rmvgnd`` the ground, ``rmvall``
    both. A direct (infinite) ground left under a source is then dropped anyway.
    """
    if policy not in POLICIES:
        raise CorridorError(f"remove_src_or_gnd must be one of {POLICIES}, got {policy!r}")
    sources, grounds = sources.copy(), grounds.copy()
    conflict = (sources != 0) & (grounds != 0)
    if policy in ("rmvsrc", "rmvall"):
        sources[conflict] = 0.0
    if policy in ("rmvgnd", "rmvall"):
        grounds[conflict] = 0.0
    grounds[np.isinf(grounds) & (sources > 0)] = 0.0
    return sources, grounds


def inject(circuit: Circuit, sources: np.ndarray, grounds: np.ndarray, *,
           only_node: int | None = None, solver: str = "auto") -> Injection:
    """Solve every component holding a source and a ground (or only the one of ``only_node``).

    Parameters
    ----------
    circuit
        The graph.
    sources
        Current injected per node (A).
    grounds
        Ground conductance per node (``inf`` = direct ground).
    only_node
        Solve only the component of this node.
    solver
        ``"auto"``, ``"direct"`` or ``"amg"``.
    """
    labels = circuit.components
    volts, amps = np.zeros(circuit.n), np.zeros(circuit.n)
    if only_node is not None:
        candidates = [int(labels[only_node])]
    else:
        candidates = sorted(set(labels[sources != 0]) & set(labels[grounds != 0]))
    solved = False
    for label in candidates:
        nodes = np.flatnonzero(labels == label)
        s, g = sources[nodes], grounds[nodes]
        if s.sum() == 0 or g.sum() == 0:
            continue
        part = part_of(circuit, nodes)
        fixed = np.isinf(g)
        finite = np.where(fixed, 0.0, g)
        v = GroundedSystem(part.laplacian, fixed, finite, solver=solver,
                           coordinates=part.coordinates).solve(s)
        volts[nodes] = v
        amps[nodes] = node_currents(part, v, finite)
        solved = True
    return Injection(circuit, volts, amps, solved)


def per_node(nodes: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    """Sum of cell ``values`` (NaN = none) over each node."""
    values = np.nan_to_num(np.asarray(values, dtype=float), nan=0.0, posinf=np.inf)
    on = (nodes != NOT_A_NODE) & (values != 0)
    return np.bincount(nodes[on], values[on], n)


def advanced(resistance: np.ndarray, sources: np.ndarray, grounds: np.ndarray, *,
             connect: int = 8, average: str = "resistance",
             polygons: np.ndarray | None = None, ground_is_resistance: bool = False,
             direct_grounds: bool = False, unit_currents: bool = False,
             policy: str = "keepall", is_resistance: bool = True,
             solver: str = "auto") -> AdvancedResult:
    """Voltages and currents for current sources and grounds given as grids.

    Parameters
    ----------
    resistance
        Cell resistances (conductances with ``is_resistance=False``); NaN = NODATA.
    sources
        Amps injected per cell (0 or NaN = none).
    grounds
        Ground conductance per cell (resistance with ``ground_is_resistance``; 0 resistance
        or ``inf`` conductance = direct ground; NaN = none).
    connect, average, polygons, is_resistance, solver
        As for :func:`~zoning.corridors._circuit.pairwise`.
    ground_is_resistance
        ``grounds`` holds resistances.
    direct_grounds
        Tie every ground directly to 0 V.
    unit_currents
        Every source injects 1 A.
    policy
        Source and ground on one node: ``keepall``, ``rmvsrc``, ``rmvgnd`` or ``rmvall``.

    Returns
    -------
    AdvancedResult
    """
    cond = conductance_grid(resistance, is_resistance=is_resistance)
    nodes = node_map(cond, polygons)
    circuit = build_circuit(cond, nodes, connect=connect, average=average)
    src = np.nan_to_num(np.asarray(sources, dtype=float), nan=0.0)
    if unit_currents:
        src = (src != 0).astype(float)
    gnd = ground_conductance(grounds, is_resistance=ground_is_resistance,
                             direct=direct_grounds)
    s, g = resolve_conflicts(per_node(nodes, src, circuit.n), per_node(nodes, gnd, circuit.n),
                             policy)
    result = inject(circuit, s, g, solver=solver)
    if not result.solved:
        logger.warning("no component holds both a source and a ground; maps are all 0")
    return AdvancedResult(result.grid(result.voltages), result.grid(result.currents))


def ground_conductance(grounds: np.ndarray, *, is_resistance: bool,
                       direct: bool) -> np.ndarray:
    """Ground conductance per cell (``inf`` = direct ground, 0 = none)."""
    values = np.asarray(grounds, dtype=float)
    none = np.isnan(values)
    if is_resistance:
        with np.errstate(divide="ignore"):
            values = np.where(none, 0.0, 1.0 / np.where(none, 1.0, values))
    else:
        values = np.where(none, 0.0, values)
    if np.any(values < 0):
        raise CorridorError("negative ground values; use NODATA where there is no ground")
    return np.where(values != 0, np.inf, 0.0) if direct else values


def one_to_all(resistance: np.ndarray, focal: np.ndarray, *,
               strengths: Mapping[int, float] | None = None,
               pairs: Iterable[tuple[int, int]] | None = None, connect: int = 8,
               average: str = "resistance", polygons: np.ndarray | None = None,
               maps: bool = True, progress: bool = False, is_resistance: bool = True,
               solver: str = "auto") -> SourceResult:
    """Each focal node in turn injects its strength (1 A by default), all others grounded.

    Parameters
    ----------
    resistance, focal
        As for :func:`~zoning.corridors._circuit.pairwise`; every focal region is
        short-circuited.
    strengths
        Amps injected by each id (default 1).
    pairs
        Only these pairs interact: while ``i`` is the source, only its partners are grounded.
    connect, average, polygons, maps, progress, is_resistance, solver
        As for :func:`~zoning.corridors._circuit.pairwise`.

    Returns
    -------
    SourceResult

    Examples
    --------
    >>> import numpy as np
    >>> out = one_to_all(np.ones((1, 3)), np.array([[1, 0, 2]]), connect=4)
    >>> out.resistances.tolist()
    [2.0, 2.0]
    """
    return _each_focal(resistance, focal, True, strengths=strengths, pairs=pairs,
                       connect=connect, average=average, polygons=polygons, maps=maps,
                       progress=progress, is_resistance=is_resistance, solver=solver)


def all_to_one(resistance: np.ndarray, focal: np.ndarray, *,
               strengths: Mapping[int, float] | None = None,
               pairs: Iterable[tuple[int, int]] | None = None, connect: int = 8,
               average: str = "resistance", polygons: np.ndarray | None = None,
               maps: bool = True, progress: bool = False, is_resistance: bool = True,
               solver: str = "auto") -> SourceResult:
    """Each focal node in turn is grounded while all others inject their strength.

    Parameters are those of :func:`one_to_all`; ``resistances`` are 0 for solved ids.

    Returns
    -------
    SourceResult

    Examples
    --------
    >>> import numpy as np
    >>> out = all_to_one(np.ones((1, 3)), np.array([[1, 2, 3]]), connect=4)
    >>> out.currents[1].tolist()                       # 2 A reach node 1, 1 A passes 2
    [[2.0, 2.0, 1.0]]
    """
    return _each_focal(resistance, focal, False, strengths=strengths, pairs=pairs,
                       connect=connect, average=average, polygons=polygons, maps=maps,
                       progress=progress, is_resistance=is_resistance, solver=solver)


def _each_focal(resistance: np.ndarray, focal: np.ndarray, one_to_all: bool, *,
                is_resistance: bool, **options: Any) -> SourceResult:
    """The grids of :func:`one_to_all` (``one_to_all=True``) or :func:`all_to_one`, solved."""
    cond = conductance_grid(resistance, is_resistance=is_resistance)
    return solve_each(cond, focal_cells(focal), one_to_all=one_to_all, **options)


def solve_each(cond: np.ndarray, cells: FocalCells, *, one_to_all: bool,
               strengths: Mapping[int, float] | None = None,
               pairs: Iterable[tuple[int, int]] | None = None, connect: int = 8,
               average: str = "resistance", polygons: np.ndarray | None = None,
               maps: bool = True, progress: bool = False, solver: str = "auto",
               on_solve: Callable[[int, Injection], None] | None = None) -> SourceResult:
    """One-to-all (``one_to_all=True``) or all-to-one solves on a conductance grid.

    ``on_solve`` receives each focal id with its :class:`Injection`.
    """
    ids = np.array(sorted(cells), dtype=np.int64)
    nodes = node_map(cond, merge_regions(polygons, cond.shape, cells.values()))
    circuit = build_circuit(cond, nodes, connect=connect, average=average)
    partners = _partners(ids, pairs)
    strength = {int(i): float((strengths or {}).get(int(i), 1.0)) for i in ids}
    cum, peak = np.zeros(cond.shape), np.zeros(cond.shape)
    out = SourceResult(ids, pd.Series(UNCONNECTED, index=pd.Index(ids, name="id")), cum, peak)
    for i in tqdm(ids, disable=not progress, desc="circuit solves", unit="solve"):
        i = int(i)
        result = _solve_one(circuit, cells, i, partners[i], strength, one_to_all, solver)
        if result is None:  # on NODATA: no maps, as Circuitscape
            continue
        if result.solved:
            node = int(nodes.flat[cells[i][0]])
            out.resistances[i] = result.voltages[node] / strength[i] if one_to_all else 0.0
            if one_to_all and out.resistances[i] == 0:
                out.resistances[i] = UNCONNECTED
        if on_solve is not None:
            on_solve(i, result)
        current = result.grid(result.currents)
        cum += current
        np.maximum(peak, current, out=peak)
        if maps:
            out.voltages[i] = result.grid(result.voltages)
            out.currents[i] = current
    return out


def _partners(ids: np.ndarray, pairs: Iterable[tuple[int, int]] | None) -> dict[int, list[int]]:
    if pairs is None:
        return {int(i): [int(j) for j in ids if j != i] for i in ids}
    wanted = {(min(a, b), max(a, b)) for a, b in pairs}
    return {int(i): [int(j) for j in ids if j != i and (min(i, j), max(i, j)) in wanted]
            for i in ids}


def _solve_one(circuit: Circuit, cells: FocalCells, focal_id: int, others: list[int],
               strength: Mapping[int, float], one_to_all: bool,
               solver: str) -> Injection | None:
    """One solve; ``None`` when the focal id lies on NODATA."""
    nodes = circuit.nodes.ravel()
    node = int(nodes[cells[focal_id][0]])
    if node == NOT_A_NODE:
        return None
    sources, grounds = np.zeros(circuit.n), np.zeros(circuit.n)
    other_nodes = [int(nodes[cells[j][0]]) for j in others]
    if one_to_all:
        sources[node] = strength[focal_id]
        for n in other_nodes:
            if n != NOT_A_NODE:
                grounds[n] = np.inf
        policy = "rmvgnd"
    else:
        grounds[node] = np.inf
        for j, n in zip(others, other_nodes, strict=True):
            if n != NOT_A_NODE:
                sources[n] += strength[j]
        policy = "rmvsrc"
    sources, grounds = resolve_conflicts(sources, grounds, policy)
    return inject(circuit, sources, grounds, only_node=node, solver=solver)
