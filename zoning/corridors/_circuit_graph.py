"""A conductance grid as a circuit: node map, edge conductances, Laplacian, components.

Circuitscape's conventions: cells with conductance > 0 are nodes; every cell of a
short-circuit region (polygon) becomes one node, including region cells on NODATA, as long
as the region has at least one valid cell; neighbours are joined by an edge whose
conductance is the average resistance (``1/((r1+r2)/2)``) or the average conductance
(``(g1+g2)/2``) of the two cells, divided by √2 on diagonals. Edges inside one node vanish;
parallel edges between two merged nodes add up.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from zoning.errors import CorridorError

NOT_A_NODE = -1
STRAIGHT_OFFSETS = ((0, 1), (1, 0))
DIAGONAL_OFFSETS = ((1, 1), (1, -1))
SQRT2 = np.sqrt(2.0)
AVERAGES = ("resistance", "conductance")


def conductance_grid(values: np.ndarray, *, is_resistance: bool = True) -> np.ndarray:
    """Cell conductances (0 = not a node) from a resistance or conductance grid.

    Parameters
    ----------
    values
        NaN (and +inf resistance) = NODATA / barrier.
    is_resistance
        ``values`` are resistances (else conductances).

    Raises
    ------
    CorridorError
        Zero resistance (use a short-circuit region instead) or negative values.
    """
    values = np.asarray(values, dtype=float)
    finite = np.isfinite(values)
    kind = "resistance" if is_resistance else "conductance"
    if np.any(values[finite] < 0):
        raise CorridorError(f"negative {kind} values in the habitat grid; use NODATA for "
                            "barriers")
    if not is_resistance:
        return np.where(finite, values, 0.0)
    if np.any(values[finite] == 0):
        raise CorridorError("zero resistance values in the habitat grid are not supported; "
                            "use a short-circuit region (polygon file) instead")
    with np.errstate(divide="ignore"):
        return np.where(finite, 1.0 / np.where(finite, values, 1.0), 0.0)


def node_map(conductance: np.ndarray, regions: np.ndarray | None = None) -> np.ndarray:
    """Node index (0-based, :data:`NOT_A_NODE` elsewhere) of each cell.

    Parameters
    ----------
    conductance
        Cell conductances; cells > 0 are nodes.
    regions
        Integer region ids (0 = none); all cells of one region become one node when the
        region has at least one valid cell.
    """
    valid = conductance > 0
    key = np.where(valid, np.arange(valid.size).reshape(valid.shape), -1)
    if regions is not None and np.any(regions != 0):
        flat_valid = np.flatnonzero(valid & (regions != 0))
        live, first = np.unique(regions.ravel()[flat_valid], return_index=True)
        in_live = np.isin(regions, live) & (regions != 0)
        # every cell of a live region takes the key of the region's first valid cell
        key[in_live] = flat_valid[first][np.searchsorted(live, regions[in_live])]
    nodes = np.full(key.shape, NOT_A_NODE, dtype=np.int64)
    used = key >= 0
    _, inverse = np.unique(key[used], return_inverse=True)
    nodes[used] = inverse
    return nodes


@dataclass(frozen=True)
class Circuit:
    """The graph of a grid: nodes, undirected edges and their conductances.

    Attributes
    ----------
    nodes
        Node index of each cell (:data:`NOT_A_NODE` for non-nodes).
    n
        Number of nodes.
    head, tail, g
        One entry per undirected edge (``head < tail``) with its conductance.
    """

    nodes: np.ndarray
    n: int
    head: np.ndarray
    tail: np.ndarray
    g: np.ndarray

    @cached_property
    def adjacency(self) -> sp.csr_matrix:
        """Symmetric weighted adjacency matrix."""
        upper = sp.coo_matrix((self.g, (self.head, self.tail)), shape=(self.n, self.n))
        return (upper + upper.T).tocsr()

    @cached_property
    def laplacian(self) -> sp.csr_matrix:
        """Graph Laplacian ``D - A``."""
        a = self.adjacency
        return (sp.diags(np.asarray(a.sum(axis=1)).ravel()) - a).tocsr()

    @cached_property
    def coordinates(self) -> np.ndarray:
        """``(n, 2)`` row and column of each node's first cell (for fill-reducing orders)."""
        flat = self.nodes.ravel()
        cells = np.flatnonzero(flat != NOT_A_NODE)[::-1]  # last write wins: the first cell
        out = np.zeros((self.n, 2), dtype=np.int64)
        out[flat[cells], 0], out[flat[cells], 1] = np.divmod(cells, self.nodes.shape[1])
        return out

    @cached_property
    def components(self) -> np.ndarray:
        """Connected-component label of each node."""
        _, labels = connected_components(self.adjacency, directed=False)
        return labels


def build_circuit(conductance: np.ndarray, nodes: np.ndarray, *, connect: int = 8,
                  average: str = "resistance") -> Circuit:
    """Join neighbouring node cells by edges.

    Parameters
    ----------
    conductance
        Cell conductances (0 for non-nodes and region cells on NODATA).
    nodes
        Output of :func:`node_map`.
    connect
        4 or 8 neighbours.
    average
        ``"resistance"`` or ``"conductance"``: how two cells' values combine.
    """
    if connect not in (4, 8):
        raise CorridorError(f"connect must be 4 or 8, got {connect}")
    if average not in AVERAGES:
        raise CorridorError(f"average must be one of {AVERAGES}, got {average!r}")
    offsets = [(o, False) for o in STRAIGHT_OFFSETS]
    if connect == 8:
        offsets += [(o, True) for o in DIAGONAL_OFFSETS]
    heads, tails, gs = [], [], []
    for (dr, dc), diagonal in offsets:
        a_sl, b_sl = _shifted(nodes.shape, dr, dc)
        na, nb = nodes[a_sl].ravel(), nodes[b_sl].ravel()
        both = (na != NOT_A_NODE) & (nb != NOT_A_NODE) & (na != nb)
        g = edge_conductance(conductance[a_sl].ravel()[both], conductance[b_sl].ravel()[both],
                             average, diagonal)
        keep = g > 0
        na, nb = na[both][keep], nb[both][keep]
        heads.append(np.minimum(na, nb))
        tails.append(np.maximum(na, nb))
        gs.append(g[keep])
    n = int(nodes.max()) + 1 if nodes.size and nodes.max() >= 0 else 0
    merged = sp.coo_matrix((np.concatenate(gs), (np.concatenate(heads), np.concatenate(tails))),
                           shape=(n, n)).tocsr()
    merged.sum_duplicates()
    upper = merged.tocoo()
    return Circuit(nodes, n, upper.row.astype(np.int64), upper.col.astype(np.int64),
                   upper.data.astype(float))


def edge_conductance(g1: np.ndarray, g2: np.ndarray, average: str,
                     diagonal: bool) -> np.ndarray:
    """Conductance of the edge between two cells of conductance ``g1`` and ``g2``."""
    if average == "resistance":
        with np.errstate(divide="ignore"):
            r = (1.0 / g1 + 1.0 / g2) / 2.0
            g = np.where(np.isfinite(r), 1.0 / r, 0.0)
    else:
        g = (g1 + g2) / 2.0
    return g / SQRT2 if diagonal else g


def _shifted(shape: tuple[int, ...], dr: int, dc: int) -> tuple[tuple[slice, slice],
                                                               tuple[slice, slice]]:
    """Slices selecting cells ``a`` and their neighbours ``a + (dr, dc)``."""
    rows, cols = shape
    ra, rb = slice(0, rows - dr), slice(dr, rows)
    if dc >= 0:
        ca, cb = slice(0, cols - dc), slice(dc, cols)
    else:
        ca, cb = slice(-dc, cols), slice(0, cols + dc)
    return (ra, ca), (rb, cb)
