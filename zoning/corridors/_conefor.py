"""Conefor connectivity indices: IIC, PC and the importance of each patch (dIIC, dPC).

Definitions (Pascual-Hortal & Saura 2006, Landscape Ecology 21:959-967; Saura &
Pascual-Hortal 2007, Landscape and Urban Planning 83:91-103; Saura & Rubio 2010,
Ecography 33:523-537)::

    IIC = Σ_i Σ_j a_i a_j / (1 + nl_ij) / A_L²
    PC  = Σ_i Σ_j a_i a_j p*_ij        / A_L²

``nl_ij`` is the number of links of the topologically shortest path between ``i`` and
``j`` in the binary graph that links two patches when ``d_ij <= threshold`` (``nl_ii = 0``,
``nl = ∞`` when unconnected). ``p*_ij`` is the largest product of direct dispersal
probabilities ``p_ij = exp(-k d_ij)`` over all paths (``p*_ii = 1``); since
``-ln p_ij = k d_ij`` it is ``exp(-k · shortest-path distance)``.

Both indices are ``num / A_L²`` with ``num = Σ_i Σ_j a_i a_j f_ij``. The importance of a
patch ``k`` is the percentage loss when it is removed::

    dI_k           = 100 (num - num_without_k) / num
    dI_intra_k     = 100 a_k² / num
    dI_flux_k      = 100 · 2 a_k Σ_{i≠k} a_i f_ik / num      (k as start or end, both orders)
    dI_connector_k = dI_k - dI_intra_k - dI_flux_k            (k as a stepping stone, >= 0)

as Conefor reports them and Saura & Rubio (2010) define them. None depends on ``A_L``;
only IIC and PC do. The equivalent connected area is ``EC = sqrt(num)`` (Saura et al.
2011, Ecological Indicators 11:407-416), in the unit of the areas.

The shortest paths without ``k``, for every ``k``, come from one divide-and-conquer
Floyd-Warshall (``O(n³ log n)``, a fraction of a second for 300 patches) rather than
``n`` new searches; a patch on no best path between two others has a connector
fraction of exactly 0.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from scipy.sparse.csgraph import csgraph_from_dense, shortest_path

from zoning.errors import CorridorError

PERCENT = 100.0
#: Relative tolerance deciding that patch k lies on a best path (D_ik + D_kj == D_ij);
#: a patch on none has a connector fraction of exactly 0. Far above rounding error.
ON_PATH_RTOL = 1e-9
#: Relative tolerance of the symmetry check of the distance matrix.
SYMMETRY_RTOL = 1e-9

IIC_COLUMNS = ("dIIC", "dIIC_intra", "dIIC_flux", "dIIC_connector", "varIIC")
PC_COLUMNS = ("dPC", "dPC_intra", "dPC_flux", "dPC_connector", "varPC")
AREA_COLUMN = "dA"

Matrix = NDArray[np.float64]
Transform = Callable[[Matrix], Matrix]


@dataclass(frozen=True)
class ConnectivityResult:
    """Landscape connectivity and the importance of each patch.

    Attributes
    ----------
    iic, pc
        The integral index of connectivity and the probability of connectivity (0-1),
        ``None`` when not asked for (no ``threshold``, no ``k``).
    ec_iic, eca
        Equivalent connected area of IIC and of PC, ``sqrt(numerator)``, in area units.
    landscape_area
        ``A_L`` used for ``iic`` and ``pc``.
    table
        One row per patch (indexed by id): ``dA`` (percentage of the total patch area)
        then ``dIIC, dIIC_intra, dIIC_flux, dIIC_connector`` and/or
        ``dPC, dPC_intra, dPC_flux, dPC_connector``, all percentages of the index, and
        ``varIIC``/``varPC``, the absolute loss of the numerator (area², independent
        of ``A_L``: ``varPC = dPC · eca² / 100``).

    """

    iic: float | None
    pc: float | None
    ec_iic: float | None
    eca: float | None
    landscape_area: float
    table: pd.DataFrame


@dataclass(frozen=True)
class _Index:
    """One index: its numerator and the per-patch fractions (percentages)."""

    numerator: float
    fractions: NDArray[np.float64]  # (n, 5): total, intra, flux, connector (%), loss


def connectivity(
    areas: ArrayLike,
    distances: np.ndarray,
    *,
    k: float | None = None,
    distance: float | None = None,
    probability: float | None = None,
    threshold: float | None = None,
    landscape_area: float | None = None,
    ids: Sequence[object] | None = None,
) -> ConnectivityResult:
    """Conefor's IIC and PC of a set of patches and each patch's dIIC and dPC.

    Parameters
    ----------
    areas
        Patch areas (or any non-negative attribute, as in Conefor), length ``n``.
    distances
        ``(n, n)`` symmetric, non-negative distances (edge-to-edge or least-cost);
        ``inf`` means no connection. The diagonal is ignored.
    k
        Decay of PC's direct probability ``p_ij = exp(-k d_ij)``, per distance unit.
    distance, probability
        Alternative to ``k``: ``p = probability`` at ``d = distance``, so
        ``k = -ln(probability) / distance`` (e.g. 0.5 at 1000 m).
    threshold
        IIC links two patches when ``d_ij <= threshold``.
    landscape_area
        ``A_L``, the area of the study region in the unit of ``areas``; defaults to the
        sum of ``areas`` (PC is then relative to the habitat, not to the region, and not
        comparable between regions). Only ``iic`` and ``pc`` depend on it, not
        ``ec_iic``, ``eca`` nor the table.
    ids
        Patch ids for the table index; defaults to ``0 .. n-1``.

    Returns
    -------
    ConnectivityResult
        IIC when ``threshold`` is given, PC when ``k`` (or ``distance`` and
        ``probability``) is given, or both.

    Raises
    ------
    CorridorError
        On negative or non-finite areas, a non-square, asymmetric, negative or NaN
        distance matrix, or a missing or inconsistent ``k``/``threshold``.

    Notes
    -----
    Time grows as ``n³ log n`` and memory as ``n² log n``: under a second for 300
    patches, about a minute for 1000.

    Examples
    --------
    >>> import numpy as np
    >>> d = np.array([[0.0, 500.0], [500.0, 0.0]])
    >>> r = connectivity([1.0, 1.0], d, threshold=1000, k=0.0, landscape_area=2.0)
    >>> round(r.iic, 3), round(r.pc, 3), round(r.eca, 3)
    (0.75, 1.0, 2.0)
    >>> r.table.loc[0, ["dIIC", "dIIC_intra", "dIIC_flux", "dIIC_connector"]].round(2).tolist()
    [66.67, 33.33, 33.33, 0.0]

    """
    a = _check_areas(areas)
    d = _check_distances(distances, a.size)
    index = _check_ids(ids, a.size)
    decay = _decay(k, distance, probability)
    if decay is None and threshold is None:
        raise CorridorError(
            "connectivity needs a threshold (for IIC) and/or k or distance+probability "
            "(for PC); got none"
        )
    a_l = _landscape_area(landscape_area, a)
    columns: dict[str, NDArray[np.float64]] = {AREA_COLUMN: PERCENT * a / a.sum()}
    iic = pc = ec_iic = eca = None
    if threshold is not None:
        result = _iic(a, d, _check_threshold(threshold))
        iic, ec_iic = result.numerator / a_l**2, math.sqrt(result.numerator)
        columns.update(zip(IIC_COLUMNS, result.fractions.T, strict=True))
    if decay is not None:
        result = _pc(a, d, decay)
        pc, eca = result.numerator / a_l**2, math.sqrt(result.numerator)
        columns.update(zip(PC_COLUMNS, result.fractions.T, strict=True))
    table = pd.DataFrame(columns, index=index)
    return ConnectivityResult(iic, pc, ec_iic, eca, a_l, table)


def _iic(a: Matrix, d: Matrix, threshold: float) -> _Index:
    """IIC: unit-weight links where ``d <= threshold``, ``f = 1 / (1 + nl)``."""
    links = np.where(d <= threshold, 1.0, np.inf)
    return _index(a, links, lambda nl: 1.0 / (1.0 + nl))


def _pc(a: Matrix, d: Matrix, decay: float) -> _Index:
    """PC: links weighted ``-ln p = k d``, ``f = exp(-D)``."""
    finite = np.isfinite(d)
    cost = np.full_like(d, np.inf)
    cost[finite] = decay * d[finite]  # not decay * d: 0 · inf is NaN when k = 0
    return _index(a, cost, lambda paths: np.exp(-paths))


def _index(a: Matrix, weights: Matrix, f: Transform) -> _Index:
    """Numerator and dI fractions of ``Σ a_i a_j f(D_ij)`` on the graph of ``weights``."""
    hops = weights.copy()
    np.fill_diagonal(hops, 0.0)
    best = _all_pairs(hops)
    fij = f(best)
    numerator = float(a @ fij @ a)
    intra = a**2
    flux = 2.0 * a * (fij @ a - a)  # f_kk = 1 for both indices
    # D_ij with slack where a pair can be bypassed; -1 where it cannot (i = j, no path)
    bound = np.where(np.isfinite(best), best * (1.0 + ON_PATH_RTOL), -1.0)
    np.fill_diagonal(bound, -1.0)
    connector = np.zeros(a.size)
    for node, without in _without_each(hops):
        if _on_a_best_path(best, bound, node):
            connector[node] = _connector(a, fij, f(without), node)
    loss = intra + flux + connector
    parts = PERCENT * np.column_stack([loss, intra, flux, connector]) / numerator
    return _Index(numerator, np.column_stack([parts, loss]))


def _on_a_best_path(best: Matrix, bound: Matrix, node: int) -> bool:
    """Whether ``D_ik + D_kj == D_ij`` for two patches ``i, j`` other than ``node``.

    When not, every best path avoids ``node`` and its connector fraction is exactly 0.
    """
    column = best[:, node].copy()
    column[node] = np.inf
    return bool(np.any(column[:, None] + column[None, :] <= bound))


def _connector(a: Matrix, fij: Matrix, without: Matrix, node: int) -> float:
    """``Σ_{i,j≠node} a_i a_j (f_ij - f_ij without node)``: the loss of paths via ``node``."""
    others = a.copy()
    others[node] = 0.0
    return max(float(others @ ((fij - without) @ others)), 0.0)


def _without_each(hops: Matrix) -> Iterator[tuple[int, Matrix]]:
    """``(k, shortest paths that do not pass through k)`` for every node ``k``.

    Offline divide and conquer on Floyd-Warshall: a matrix relaxed through every node
    outside ``[lo, hi)`` is relaxed through one half and recursed into the other, so
    each node is left out once, in ``O(n³ log n)`` instead of ``n`` full searches.
    Rows and columns of ``k`` itself are not meaningful in its matrix.
    """
    stack = [(hops, 0, hops.shape[0])]
    while stack:
        done, lo, hi = stack.pop()
        if hi - lo == 1:
            yield lo, done
            continue
        mid = (lo + hi) // 2
        stack.append((_relax(done, range(lo, mid)), mid, hi))
        stack.append((_relax(done, range(mid, hi)), lo, mid))


def _relax(paths: Matrix, through: range) -> Matrix:
    """A copy of ``paths`` also allowed to pass through the nodes ``through``."""
    out, detour = paths.copy(), np.empty_like(paths)
    for node in through:
        np.add(out[:, node, None], out[node, None, :], out=detour)
        np.minimum(out, detour, out=out)
    return out


def _all_pairs(weights: Matrix) -> Matrix:
    """Shortest-path lengths between all nodes; ``inf`` is no edge, 0 is a free one."""
    graph = csgraph_from_dense(weights, null_value=np.inf)
    return np.asarray(shortest_path(graph, method="FW", directed=False))


def _check_areas(areas: ArrayLike) -> Matrix:
    a = np.asarray(areas, dtype=float)
    if a.ndim != 1 or a.size == 0:
        raise CorridorError(f"areas must be a non-empty 1-D sequence; got shape {a.shape}")
    bad = np.flatnonzero(~np.isfinite(a) | (a < 0))
    if bad.size:
        raise CorridorError(
            f"areas must be finite and >= 0; patch at position {bad[0]} has {a[bad[0]]}"
        )
    if a.sum() == 0:
        raise CorridorError("areas must not all be 0: the indices would be 0/0")
    return a


def _check_distances(distances: np.ndarray, n: int) -> Matrix:
    d = np.array(distances, dtype=float)  # a copy: the caller's matrix is never touched
    if d.shape != (n, n):
        raise CorridorError(f"distances must be a ({n}, {n}) matrix for {n} areas; got {d.shape}")
    np.fill_diagonal(d, 0.0)
    if np.isnan(d).any():
        i, j = np.argwhere(np.isnan(d))[0]
        raise CorridorError(f"distances must not be NaN (use inf for no link); d[{i}, {j}] is NaN")
    if (d < 0).any():
        i, j = np.argwhere(d < 0)[0]
        raise CorridorError(f"distances must be >= 0; d[{i}, {j}] = {d[i, j]}")
    if not np.allclose(d, d.T, rtol=SYMMETRY_RTOL, atol=0.0):
        gap = np.where(np.isclose(d, d.T, rtol=SYMMETRY_RTOL, atol=0.0), 0.0, 1.0)
        i, j = np.argwhere(gap)[0]
        raise CorridorError(
            f"distances must be symmetric; d[{i}, {j}] = {d[i, j]} but d[{j}, {i}] = {d[j, i]}"
        )
    return d


def _check_ids(ids: Sequence[object] | None, n: int) -> pd.Index:
    if ids is None:
        return pd.RangeIndex(n, name="patch")
    index = pd.Index(list(ids), name="patch")
    if len(index) != n:
        raise CorridorError(f"ids must have one id per area ({n}); got {len(index)}")
    if not index.is_unique:
        raise CorridorError(f"ids must be unique; repeated: {list(index[index.duplicated()])}")
    return index


def _decay(k: float | None, distance: float | None, probability: float | None) -> float | None:
    """``k`` itself, or ``-ln(probability) / distance``, or ``None`` when neither is given."""
    pair = (distance, probability)
    if k is not None:
        if any(v is not None for v in pair):
            raise CorridorError("give either k or distance+probability, not both")
        if not (math.isfinite(k) and k >= 0):
            raise CorridorError(f"k must be finite and >= 0; got {k}")
        return float(k)
    if all(v is None for v in pair):
        return None
    if distance is None or probability is None:
        raise CorridorError(
            f"distance and probability go together; got distance={distance}, "
            f"probability={probability}"
        )
    if not (math.isfinite(distance) and distance > 0):
        raise CorridorError(f"distance must be finite and > 0; got {distance}")
    if not 0 < probability <= 1:
        raise CorridorError(f"probability must be in (0, 1]; got {probability}")
    return -math.log(probability) / distance


def _check_threshold(threshold: float) -> float:
    if not (math.isfinite(threshold) and threshold >= 0):
        raise CorridorError(f"threshold must be finite and >= 0; got {threshold}")
    return float(threshold)


def _landscape_area(landscape_area: float | None, a: Matrix) -> float:
    total = float(a.sum())
    if landscape_area is None:
        return total
    if not (math.isfinite(landscape_area) and landscape_area >= total):
        raise CorridorError(
            f"landscape_area must be finite and at least the total patch area {total}; "
            f"got {landscape_area}"
        )
    return float(landscape_area)
