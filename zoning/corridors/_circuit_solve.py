"""Linear solves on one connected component and Circuitscape's node currents.

A component's Laplacian is singular; it becomes positive definite once some nodes are held
at 0 V (removed from the system) or finite grounds add conductance to the diagonal. Each
system is factorised once (SuperLU) or gets one smoothed-aggregation AMG hierarchy used as
the preconditioner of conjugate gradients, and is then reused for every right-hand side.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import splu

from zoning.corridors._circuit_graph import Circuit
from zoning.errors import CorridorError

logger = logging.getLogger(__name__)

SOLVERS = ("auto", "direct", "amg")
DIRECT_MAX_NODES = 2_000_000
"""``solver="auto"`` factorises components up to this many nodes, above it uses AMG + CG
(a 1000 x 1000 grid factorises in ~6 s and ~3 GB; memory grows a little faster than n)."""
ND_LEAF = 64
AMG_TOLERANCE = 1e-8
"""Relative residual at which CG stops (Circuitscape stops at 1e-6)."""
AMG_MAX_ITERATIONS = 2_000
BRANCH_CUTOFF = 1e-8
"""Branch currents below this fraction of the largest one count as 0 (as in Circuitscape)."""


@dataclass(frozen=True)
class Component:
    """One connected component of a circuit, in local node numbering.

    Attributes
    ----------
    nodes
        Global node indices of the component, ascending.
    laplacian
        Laplacian restricted to the component.
    head, tail, g
        The component's edges in local numbering.
    coordinates
        ``(size, 2)`` grid row and column of each node, or ``None``.
    """

    nodes: np.ndarray
    laplacian: sp.csr_matrix
    head: np.ndarray
    tail: np.ndarray
    g: np.ndarray
    coordinates: np.ndarray | None = None

    @property
    def size(self) -> int:
        """Number of nodes."""
        return int(self.nodes.size)


def component(laplacian: sp.csr_matrix, head: np.ndarray, tail: np.ndarray, g: np.ndarray,
              nodes: np.ndarray, coordinates: np.ndarray | None = None) -> Component:
    """Extract the component made of the global ``nodes`` (ascending).

    ``coordinates`` (one row per global node) let the direct solver order the unknowns by
    nested dissection.
    """
    local = np.full(laplacian.shape[0], -1, dtype=np.int64)
    local[nodes] = np.arange(nodes.size)
    inside = local[head] >= 0
    sub = laplacian[nodes][:, nodes].tocsr()
    return Component(nodes, sub, local[head[inside]], local[tail[inside]], g[inside],
                     None if coordinates is None else coordinates[nodes])


def part_of(circuit: Circuit, nodes: np.ndarray) -> Component:
    """The component of ``circuit`` made of the global ``nodes`` (ascending)."""
    return component(circuit.laplacian, circuit.head, circuit.tail, circuit.g, nodes,
                     circuit.coordinates)


class GroundedSystem:
    """``(L + diag(ground)) x = b`` with the ``fixed`` nodes held at 0 V.

    Parameters
    ----------
    laplacian
        Laplacian of one connected component.
    fixed
        Boolean mask of nodes held at 0 V (removed from the system).
    ground
        Finite ground conductance per node (added to the diagonal), or ``None``.
    solver
        ``"direct"``, ``"amg"`` or ``"auto"`` (by size, see :data:`DIRECT_MAX_NODES`).
    coordinates
        ``(n, 2)`` grid positions of the nodes: the direct solver then orders the unknowns
        by nested dissection (far less fill than minimum degree on grids).
    """

    def __init__(self, laplacian: sp.csr_matrix, fixed: np.ndarray,
                 ground: np.ndarray | None = None, solver: str = "auto",
                 coordinates: np.ndarray | None = None) -> None:
        if solver not in SOLVERS:
            raise CorridorError(f"solver must be one of {SOLVERS}, got {solver!r}")
        matrix = laplacian if ground is None else laplacian + sp.diags(ground)
        self.free = np.flatnonzero(~fixed)
        self.n = laplacian.shape[0]
        reduced = matrix.tocsr()[self.free][:, self.free]
        if solver == "auto":
            solver = "direct" if self.free.size <= DIRECT_MAX_NODES else "amg"
        self.method = solver
        if solver == "amg":
            self._solve = _amg(reduced)
        else:
            xy = None if coordinates is None else coordinates[self.free]
            self._solve = _direct(reduced, xy)

    def solve(self, b: np.ndarray) -> np.ndarray:
        """Voltages of all nodes (fixed ones at 0) for the nodal current injections ``b``."""
        x = np.zeros(self.n)
        if self.free.size:
            x[self.free] = self._solve(np.asarray(b, dtype=float)[self.free])
        return x


def _direct(matrix: sp.csr_matrix,
            coordinates: np.ndarray | None) -> Callable[[np.ndarray], np.ndarray]:
    if matrix.shape[0] == 0:
        return lambda b: b
    if coordinates is None:
        lu = splu(matrix.tocsc(), permc_spec="MMD_AT_PLUS_A", options={"SymmetricMode": True})
        return lu.solve
    order = nested_dissection(coordinates)
    inverse = np.empty_like(order)
    inverse[order] = np.arange(order.size)
    # SPD: no pivoting needed, so SuperLU keeps the nested-dissection order as given
    lu = splu(matrix[order][:, order].tocsc(), permc_spec="NATURAL", diag_pivot_thresh=0.0,
              options={"SymmetricMode": True})
    return lambda b: lu.solve(b[order])[inverse]


def nested_dissection(coordinates: np.ndarray, leaf: int = ND_LEAF) -> np.ndarray:
    """A fill-reducing order of grid nodes: halves first, then the separating line.

    Parameters
    ----------
    coordinates
        ``(n, 2)`` row and column of each node.
    leaf
        Blocks this small keep their order.

    Returns
    -------
    numpy.ndarray
        A permutation of ``range(n)``.
    """
    rows, cols = coordinates[:, 0], coordinates[:, 1]
    pieces: list[np.ndarray] = []
    stack: list[tuple[bool, np.ndarray]] = [(False, np.arange(len(coordinates)))]
    while stack:
        done, idx = stack.pop()
        if done or idx.size <= leaf:
            pieces.append(idx)
            continue
        r, c = rows[idx], cols[idx]
        key = r if np.ptp(r) >= np.ptp(c) else c
        cut = np.floor(np.median(key))
        low, high, line = idx[key < cut], idx[key > cut], idx[key == cut]
        if low.size == 0 or high.size == 0:
            pieces.append(idx)
            continue
        stack += [(True, line), (False, high), (False, low)]
    return np.concatenate(pieces) if pieces else np.zeros(0, dtype=np.int64)


def _amg(matrix: sp.csr_matrix) -> Callable[[np.ndarray], np.ndarray]:
    import pyamg

    hierarchy = pyamg.smoothed_aggregation_solver(matrix, symmetry="symmetric")

    def solve(b: np.ndarray) -> np.ndarray:
        residuals: list[float] = []
        x = hierarchy.solve(b, tol=AMG_TOLERANCE, accel="cg", maxiter=AMG_MAX_ITERATIONS,
                            residuals=residuals)
        if residuals and residuals[-1] > AMG_TOLERANCE * max(residuals[0], 1e-300) * 10:
            logger.warning("CG stopped at relative residual %.2g after %d iterations",
                           residuals[-1] / residuals[0], len(residuals))
        return np.asarray(x)

    return solve


def node_currents(part: Component, voltages: np.ndarray,
                  ground: np.ndarray | None = None) -> np.ndarray:
    """Current through each node: max(total inflow, total outflow), as Circuitscape defines it.

    Parameters
    ----------
    part
        The component.
    voltages
        Node voltages in local numbering.
    ground
        Finite ground conductances (their currents count as flow to or from the node).
    """
    flow = part.g * (voltages[part.head] - voltages[part.tail])  # > 0: head -> tail
    largest = np.abs(flow).max() if flow.size else 0.0
    flow = np.where(np.abs(flow) < BRANCH_CUTOFF * largest, 0.0, flow)
    forward, backward = np.maximum(flow, 0.0), np.maximum(-flow, 0.0)
    n = part.size
    outflow = np.bincount(part.head, forward, n) + np.bincount(part.tail, backward, n)
    inflow = np.bincount(part.tail, forward, n) + np.bincount(part.head, backward, n)
    if ground is not None:
        to_ground = ground * voltages
        outflow += np.maximum(to_ground, 0.0)
        inflow += np.maximum(-to_ground, 0.0)
    return np.maximum(inflow, outflow)
