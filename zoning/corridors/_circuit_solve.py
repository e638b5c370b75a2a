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

from zoning.errors import CorridorError

logger = logging.getLogger(__name__)

SOLVERS = ("auto", "direct", "amg")
DIRECT_MAX_NODES = 300_000
"""``solver="auto"`` factorises components up to this many nodes, above it uses AMG + CG."""
AMG_TOLERANCE = 1e-10
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
    """

    nodes: np.ndarray
    laplacian: sp.csr_matrix
    head: np.ndarray
    tail: np.ndarray
    g: np.ndarray

    @property
    def size(self) -> int:
        """Number of nodes."""
        return int(self.nodes.size)


def component(laplacian: sp.csr_matrix, head: np.ndarray, tail: np.ndarray, g: np.ndarray,
              nodes: np.ndarray) -> Component:
    """Extract the component made of the global ``nodes`` (ascending)."""
    local = np.full(laplacian.shape[0], -1, dtype=np.int64)
    local[nodes] = np.arange(nodes.size)
    inside = local[head] >= 0
    sub = laplacian[nodes][:, nodes].tocsr()
    return Component(nodes, sub, local[head[inside]], local[tail[inside]], g[inside])


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
    """

    def __init__(self, laplacian: sp.csr_matrix, fixed: np.ndarray,
                 ground: np.ndarray | None = None, solver: str = "auto") -> None:
        if solver not in SOLVERS:
            raise CorridorError(f"solver must be one of {SOLVERS}, got {solver!r}")
        matrix = laplacian if ground is None else laplacian + sp.diags(ground)
        self.free = np.flatnonzero(~fixed)
        self.n = laplacian.shape[0]
        reduced = matrix.tocsr()[self.free][:, self.free]
        if solver == "auto":
            solver = "direct" if self.free.size <= DIRECT_MAX_NODES else "amg"
        self.method = solver
        self._solve = _direct(reduced) if solver == "direct" else _amg(reduced)

    def solve(self, b: np.ndarray) -> np.ndarray:
        """Voltages of all nodes (fixed ones at 0) for the nodal current injections ``b``."""
        x = np.zeros(self.n)
        if self.free.size:
            x[self.free] = self._solve(np.asarray(b, dtype=float)[self.free])
        return x


def _direct(matrix: sp.csr_matrix) -> Callable[[np.ndarray], np.ndarray]:
    if matrix.shape[0] == 0:
        return lambda b: b
    lu = splu(matrix.tocsc(), permc_spec="MMD_AT_PLUS_A", options={"SymmetricMode": True})
    return lu.solve


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
