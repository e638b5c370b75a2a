"""Quota selection: which construction parcels to retire to reach a reduction target.

A planner retires construction land (减量规划) up to a quota ``T`` hectares. Every array is
per eligible parcel. The rules, as a planner states them:

- locked-out parcels are never selected, locked-in parcels always are;
- triggered parcels (hard triggers: ecological red line, unstable subsidence...) come first:
  when their area plus the locked-in area is at most ``T`` they are all selected and the
  rest of the target is filled by score; when it exceeds ``T`` the target is reached among
  the triggered parcels only (by score);
- the target is reached (``reached ≥ T``) and no selected parcel that was free to choose
  could be removed while still meeting it: ``overshoot < a_i`` for every selected free
  parcel ``i``. Forced parcels (locked-in, triggered) alone may overshoot by more; the
  status says so.

Among the sets that obey the rules, ``milp`` maximises ``Σ s_i x_i − p · (isolated
fragments)`` exactly with HiGHS (``scipy.optimize.milp``); ``greedy`` fills by descending
score and then drops removable parcels.

MILP formulation, over the free parcels ``i`` (binary ``x_i``, area ``a_i``, score
``s_i``) and the remaining target ``R = T − forced area``. The parcels sorted by area are
``(0), ..., (n−1)``, with steps ``Δ_k = a_(k+1) − a_(k)`` and ``A = a_(n−1)``. A continuous
staircase ``0 ≤ w_0 ≤ ... ≤ w_(n−2) ≤ w_(n−1) = 1`` with ``x_(k) ≤ w_k`` is 1 from the
smallest selected parcel ``(i*)`` on at least, so ``m = A − Σ_k Δ_k w_k ≤ a_(i*)``, with
equality for the smallest feasible ``w``. With ``ε =`` :data:`AREA_EPS_HA`::

    max  Σ s_i x_i − p Σ y_j
    s.t. Σ a_i x_i ≥ R                               (target reached)
         Σ a_i x_i + Σ_k Δ_k w_k ≤ R − ε + A          (overshoot ≤ m − ε)
         x_(k) − w_k ≤ 0,  w_k − w_(k+1) ≤ 0          (2 nonzeros per row)

so the overshoot is at most the smallest selected free area minus ``ε``: the strict
"overshoot < a_i" at the area precision ``ε``. This replaces the big-M form ``m ≤ a_i +
M_i (1 − x_i)`` (tightest ``M_i = A − a_i``), which has the same LP bound when one ``x`` is
fractional and a weaker one otherwise: on 20 000 random parcels HiGHS proved the staircase
optimal in 28 to 42 s and left the big-M form at a gap of 8e-5 after 60 s (its runtime varies
from run to run; ``time_limit_s`` caps it and the gap is reported). No big-M constant is
needed. A
selection whose overshoot is within ``ε`` of a selected parcel's area (which the exact rule
allows) is cut off; so are free parcels smaller than ``ε``.

Isolated fragments (with ``neighbours`` and ``p > 0``): parcel ``j`` (any parcel with at
least one neighbour) left unselected while all its neighbours ``N(j)`` are selected. Its
indicator is the AND of ``1 − x_j`` and every ``x_k``, bounded below by::

    y_j ≥ 1 − x_j − Σ_{k ∈ N(j)} (1 − x_k),   0 ≤ y_j ≤ 1

which is 1 exactly for a fragment and ≤ 0 otherwise, so minimising ``p · y_j`` makes
``y_j`` the fragment indicator; ``y`` can stay continuous. Fixed parcels enter as constants:
no row is written for a selected-forced ``j`` or a ``j`` with a neighbour that cannot be
selected (it can never be a fragment).

The MILP solution is rounded and checked against the exact rules (and repaired by the greedy
fill and drop if the solver's tolerances broke them, which the status then says).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, TypeAlias

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from scipy.optimize import Bounds, LinearConstraint, OptimizeResult, milp

from zoning.errors import ReductionError

logger = logging.getLogger(__name__)

FloatArray = npt.NDArray[np.float64]
Mask = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.intp]
Neighbours: TypeAlias = sp.sparray | sp.spmatrix | Sequence[npt.ArrayLike]

METHODS = ("milp", "greedy")
"""Names of the selection methods :func:`select` accepts."""

LOCKED_IN = "locked_in"
TRIGGERED = "triggered"
SCORE = "score"
"""Reasons a parcel is selected (``Selection.reason``); unselected parcels have ``""``."""

AREA_EPS_HA = 1e-4
"""Area precision (ha, 1 m²): the MILP requires ``overshoot ≤ a_i − AREA_EPS_HA``.

HiGHS accepts rows violated by up to its feasibility tolerance (1e-6 to 1e-7 absolute): with
``ε = 1e-6`` it returned a set overshooting by exactly one parcel's area and then rejected
its own answer. 1 m² is 100 times that tolerance and below the precision of parcel areas.
"""

FLOAT_RTOL = 1e-12
"""Float noise allowed when comparing sums of areas, relative to the total eligible area."""

MIP_REL_GAP = 1e-9
"""Relative gap at which HiGHS stops (its default, 1e-4, could stop short of greedy)."""

_REASON_DTYPE = "<U9"


@dataclass(frozen=True)
class Selection:
    """The parcels selected for reduction and how the quota was met.

    Attributes
    ----------
    selected
        Per parcel, whether it is retired.
    reached_ha
        Area of the selected parcels.
    target_ha
        The quota asked for.
    overshoot_ha
        ``reached_ha − target_ha`` (never negative).
    total_score
        Sum of the scores of the selected parcels.
    method
        What produced the selection: ``"milp"``, ``"greedy"`` or ``"greedy (milp failed:
        ...)"``.
    status
        Solver status and notes (time limit and gap, forced parcels exceeding the target).
    optimal
        Whether the selection is proven optimal (the MILP finished, or nothing was free).
    reason
        Per parcel: ``"locked_in"``, ``"triggered"``, ``"score"``, or ``""`` if unselected.
    fragments
        Number of isolated fragments left (0 without ``neighbours``).
    objective
        ``total_score − isolation_penalty · fragments``, what the MILP maximises.

    """

    selected: Mask
    reached_ha: float
    target_ha: float
    overshoot_ha: float
    total_score: float
    method: str
    status: str
    optimal: bool
    reason: npt.NDArray[np.str_]
    fragments: int
    objective: float


@dataclass(frozen=True)
class _Problem:
    """Checked input, split into forced, free and excluded parcels."""

    area: FloatArray
    score: FloatArray
    value: FloatArray
    """What the selection maximises per parcel: the score, or score × area."""
    target: float
    forced: Mask
    free: Mask
    triggered: Mask
    locked_in: Mask
    remaining: float
    tol: float
    note: str
    neighbours: sp.csr_array | None
    penalty: float


def target_from(share: float | None, hectares: float | None, eligible_ha: float) -> float:
    """Return the reduction target in hectares from a rule file's share or hectares.

    Parameters
    ----------
    share
        Share of the eligible land to retire, in (0, 1]; or None.
    hectares
        Target in hectares, in (0, eligible_ha]; or None. Exactly one of the two is given.
    eligible_ha
        Total eligible area.

    Returns
    -------
    float
        The target in hectares.

    Raises
    ------
    ReductionError
        If neither or both are given, or a value is out of range.

    Examples
    --------
    >>> target_from(0.3, None, eligible_ha=200.0)
    60.0
    >>> target_from(None, 45.0, eligible_ha=200.0)
    45.0

    """
    if not (math.isfinite(eligible_ha) and eligible_ha >= 0):
        raise ReductionError(f"reduction target: the eligible area must be a finite number "
                             f"≥ 0 ha, found {eligible_ha}")
    if (share is None) == (hectares is None):
        found = "neither" if share is None else f"both (share={share}, hectares={hectares})"
        raise ReductionError(f"reduction target: give exactly one of 'share' (of the eligible "
                             f"land, in (0, 1]) or 'hectares', found {found}")
    if share is not None:
        if not (math.isfinite(share) and 0 < share <= 1):
            raise ReductionError(f"reduction target: 'share' must be in (0, 1] (e.g. 0.3 for "
                                 f"30 %), found {share}")
        return share * eligible_ha
    assert hectares is not None
    if not (math.isfinite(hectares) and 0 < hectares <= eligible_ha):
        raise ReductionError(f"reduction target: 'hectares' must be in (0, {eligible_ha:g}] "
                             f"(the eligible area), found {hectares}; lower the target or "
                             f"widen the eligible land")
    return float(hectares)


def select(
    area_ha: npt.ArrayLike,
    score: npt.ArrayLike,
    target_ha: float,
    *,
    triggered: npt.ArrayLike | None = None,
    locked_in: npt.ArrayLike | None = None,
    locked_out: npt.ArrayLike | None = None,
    neighbours: Neighbours | None = None,
    isolation_penalty: float = 0.0,
    method: Literal["milp", "greedy"] = "milp",
    time_limit_s: float = 30.0,
    by_area: bool = False,
) -> Selection:
    """Select parcels to retire until the reduction target is reached.

    Parameters
    ----------
    area_ha, score
        Area (ha, ≥ 0) and score (≥ 0, higher = retire first) of each eligible parcel.
    target_ha
        The quota in hectares (see :func:`target_from`).
    triggered, locked_in, locked_out
        Boolean masks (one entry per parcel); None means no parcel.
    neighbours
        Adjacency among the parcels: an n × n sparse matrix (nonzero = neighbours, e.g.
        ``libpysal`` ``W.sparse``) or n arrays of neighbour indices; row ``j`` lists the
        neighbours of ``j``.
    isolation_penalty
        Score lost per isolated fragment (an unselected parcel whose neighbours are all
        selected); needs ``neighbours``. Only the MILP optimises it.
    method
        ``"milp"`` (exact, HiGHS) or ``"greedy"``.
    time_limit_s
        Time limit given to HiGHS.
    by_area
        Maximise the area-weighted score ``Σ s_i a_i`` (score-hectares: the hectares
        retired are those of highest score) instead of ``Σ s_i``, which favours many small
        parcels. ``total_score`` is then in score-hectares; greedy still fills by score.

    Returns
    -------
    Selection
        The selected parcels, the area reached and how the selection was made.

    Raises
    ------
    ReductionError
        If the input is invalid (lengths, NaN or negative values, overlapping locks, a
        target larger than the selectable area...).

    Examples
    --------
    >>> s = select([1.0, 2.0, 3.0], [0.9, 0.5, 0.1], target_ha=3.0)
    >>> s.selected.tolist(), s.reached_ha, s.reason.tolist()
    ([True, True, False], 3.0, ['score', 'score', ''])

    """
    if method not in METHODS:
        raise ReductionError(f"select: method must be one of {METHODS}, found {method!r}")
    if not (math.isfinite(time_limit_s) and time_limit_s > 0):
        raise ReductionError(f"select: time_limit_s must be a positive number of seconds, "
                             f"found {time_limit_s}")
    problem = _problem(area_ha, score, target_ha, triggered, locked_in, locked_out,
                       neighbours, isolation_penalty, by_area)
    if problem.remaining <= problem.tol:
        return _result(problem, problem.forced, method, "nothing free to choose", True)
    if method == "greedy":
        return _result(problem, _greedy(problem), "greedy", "greedy fill and drop", False)
    return _solve(problem, time_limit_s)


def _problem(area_ha: npt.ArrayLike, score: npt.ArrayLike, target_ha: float,
             triggered: npt.ArrayLike | None, locked_in: npt.ArrayLike | None,
             locked_out: npt.ArrayLike | None, neighbours: Neighbours | None,
             penalty: float, by_area: bool = False) -> _Problem:
    """Check the input and decide which parcels are forced, free and excluded."""
    area = _values("area_ha", area_ha)
    n = area.size
    scores = _values("score", score)
    _same_length("score", scores.size, n)
    trig, lin, lout = (_mask(name, values, n) for name, values in
                       (("triggered", triggered), ("locked_in", locked_in),
                        ("locked_out", locked_out)))
    if overlap := int(np.count_nonzero(lin & lout)):
        raise ReductionError(f"select: {overlap} parcel(s) are both locked in and locked out; "
                             f"unlock one side for each of them")
    if not (math.isfinite(penalty) and penalty >= 0):
        raise ReductionError(f"select: isolation_penalty must be a finite number ≥ 0, "
                             f"found {penalty}")
    tol = FLOAT_RTOL * max(float(area.sum()), 1.0)
    _check_target(target_ha, float(area[~lout].sum()), float(area[lout].sum()), tol)
    matrix = None if neighbours is None else _neighbour_matrix(neighbours, n)
    value = scores * area if by_area else scores
    return _split(area, scores, value, float(target_ha), trig & ~lout & ~lin, lin, lout, tol,
                  matrix, penalty)


def _values(name: str, values: npt.ArrayLike) -> FloatArray:
    """Return a 1-D float copy of ``values``, checking it is finite and not negative."""
    array = np.array(values, dtype=np.float64)
    if array.ndim != 1:
        raise ReductionError(f"select: {name} must be one value per parcel (1-D), found "
                             f"shape {array.shape}")
    if bad := int(np.count_nonzero(~np.isfinite(array))):
        raise ReductionError(f"select: {name} has {bad} NaN or infinite value(s) (first at "
                             f"parcel {int(np.flatnonzero(~np.isfinite(array))[0])}); fill "
                             f"them or drop those parcels")
    if bad := int(np.count_nonzero(array < 0)):
        raise ReductionError(f"select: {name} has {bad} negative value(s) (smallest "
                             f"{array.min():g}); {name} must be ≥ 0")
    return array


def _same_length(name: str, found: int, n: int) -> None:
    if found != n:
        raise ReductionError(f"select: {name} has {found} entries but area_ha has {n}; give "
                             f"one entry per eligible parcel")


def _mask(name: str, values: npt.ArrayLike | None, n: int) -> Mask:
    """Return a boolean copy of a per-parcel mask (all False for None)."""
    if values is None:
        return np.zeros(n, dtype=bool)
    array = np.asarray(values)
    if array.ndim != 1:
        raise ReductionError(f"select: {name} must be one flag per parcel (1-D), found shape "
                             f"{array.shape}")
    _same_length(name, array.size, n)
    if array.dtype != np.bool_ and not np.isin(array, (0, 1)).all():
        raise ReductionError(f"select: {name} must hold booleans (or 0/1), found values such "
                             f"as {array[~np.isin(array, (0, 1))][0]!r}")
    return array.astype(bool)


def _check_target(target: float, selectable: float, excluded: float, tol: float) -> None:
    if not math.isfinite(target) or target < 0:
        raise ReductionError(f"select: target_ha must be a finite number ≥ 0, found {target}")
    if target > selectable + tol:
        raise ReductionError(f"select: target_ha {target:g} ha is larger than the selectable "
                             f"area {selectable:g} ha (eligible parcels not locked out; "
                             f"{excluded:g} ha are locked out); lower the target or unlock "
                             f"parcels")


def _neighbour_matrix(neighbours: Neighbours, n: int) -> sp.csr_array:
    """Return the adjacency as an n × n boolean CSR array without its diagonal."""
    if sp.issparse(neighbours):
        matrix = sp.csr_array(neighbours)
        if matrix.shape != (n, n):
            raise ReductionError(f"select: neighbours must be a {n} × {n} matrix (one row and "
                                 f"column per parcel), found {matrix.shape}")
    else:
        lists: list[npt.ArrayLike] = list(neighbours)
        _same_length("neighbours", len(lists), n)
        rows = [np.asarray(row, dtype=np.int64).ravel() for row in lists]
        cols = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
        if cols.size and (cols.min() < 0 or cols.max() >= n):
            raise ReductionError(f"select: neighbour indices must be in [0, {n - 1}], found "
                                 f"{int(cols.min())}..{int(cols.max())}")
        indptr = np.concatenate([[0], np.cumsum([row.size for row in rows])])
        matrix = sp.csr_array((np.ones(cols.size), cols, indptr), shape=(n, n))
    matrix = sp.csr_array(matrix != 0, dtype=np.float64)
    matrix.setdiag(0)
    matrix.eliminate_zeros()
    return matrix


def _split(area: FloatArray, score: FloatArray, value: FloatArray, target: float, trig: Mask,
           lin: Mask, lout: Mask, tol: float, neighbours: sp.csr_array | None,
           penalty: float) -> _Problem:
    """Apply the triggered-first rule: forced parcels, free parcels and the target left."""
    locked_area = float(area[lin].sum())
    forced_area = locked_area + float(area[trig].sum())
    note = ""
    if forced_area <= target + tol:
        forced, free, remaining = lin | trig, ~(lin | trig | lout), target - forced_area
    else:
        forced, free, remaining = lin, trig, target - locked_area
        note = (f"; triggered and locked-in parcels ({forced_area:g} ha) exceed the target "
                f"({target:g} ha): the target is reached among the triggered parcels only")
        if remaining <= tol:
            note = (f"; locked-in parcels alone ({locked_area:g} ha) reach the target "
                    f"({target:g} ha), overshooting it by {locked_area - target:g} ha: no "
                    f"other parcel is selected")
    return _Problem(area, score, value, target, forced, free, trig, lin, remaining, tol, note,
                    neighbours, penalty)


def _greedy_order(problem: _Problem) -> IntArray:
    """Free parcels by descending score, then ascending area, then input order."""
    free = np.flatnonzero(problem.free)
    order = np.lexsort((free, problem.area[free], -problem.score[free]))
    return free[order]


def _fill(problem: _Problem, chosen: Mask, order: IntArray) -> Mask:
    """Add unchosen parcels in ``order`` until the free area reaches the target left."""
    missing = problem.remaining - float(problem.area[chosen].sum())
    if missing <= problem.tol:
        return chosen
    candidates = order[~chosen[order]]
    reach = np.cumsum(problem.area[candidates])
    stop = int(np.searchsorted(reach, missing - problem.tol))
    filled = chosen.copy()
    filled[candidates[: stop + 1]] = True
    return filled


def _drop(problem: _Problem, chosen: Mask, order: IntArray) -> Mask:
    """Drop chosen free parcels whose removal keeps the target, smallest score first.

    Dropping only lowers the overshoot, so a parcel kept once stays not removable and one
    pass is enough. Equal scores drop the one added last first.
    """
    backwards = order[::-1]
    backwards = backwards[np.argsort(problem.score[backwards], kind="stable")]
    kept = chosen.copy()
    surplus = float(problem.area[kept].sum()) - problem.remaining
    for i in backwards[kept[backwards]]:
        if surplus - problem.area[i] >= -problem.tol:
            kept[i] = False
            surplus -= problem.area[i]
    return kept


def _greedy(problem: _Problem) -> Mask:
    """Forced parcels plus the greedy fill and drop over the free ones."""
    order = _greedy_order(problem)
    chosen = _fill(problem, np.zeros_like(problem.free), order)
    return _drop(problem, chosen, order) | problem.forced


def _solve(problem: _Problem, time_limit_s: float) -> Selection:
    """Solve the MILP; fall back to greedy when it fails or its answer is worse."""
    free = np.flatnonzero(problem.free)
    c, integrality, bounds, constraints = _model(problem, free)
    result = milp(c, integrality=integrality, bounds=bounds, constraints=constraints,
                  options={"time_limit": time_limit_s, "mip_rel_gap": MIP_REL_GAP})
    logger.info("milp: %d free parcels, %d constraints: %s", free.size,
                constraints.A.shape[0], result.message)
    greedy = _greedy(problem)
    if result.x is None:
        return _result(problem, greedy, f"greedy (milp failed: {result.message})",
                       "greedy fill and drop", False)
    chosen = np.zeros_like(problem.free)
    chosen[free[result.x[: free.size] > 0.5]] = True
    checked = _repair(problem, chosen)
    optimal = result.status == 0 and np.array_equal(checked, chosen)
    status = _status(result, checked, chosen)
    selection = _result(problem, checked | problem.forced, "milp", status, optimal)
    fallback = _result(problem, greedy, "greedy (better than the milp answer)",
                       f"greedy fill and drop; milp: {status}", False)
    return fallback if fallback.objective > selection.objective else selection


def _status(result: OptimizeResult, checked: Mask, chosen: Mask) -> str:
    """Words for the HiGHS outcome: optimal, or the gap left at the time limit."""
    message = str(result.message)
    if result.status == 0:
        status = f"optimal ({message})"
    else:
        gap = result.get("mip_gap")
        gap_text = "unknown" if gap is None else f"{gap:.3%}"
        status = f"not proven optimal, gap {gap_text} ({message})"
    if not np.array_equal(checked, chosen):
        status += "; solution repaired to meet the exact target rules"
    return status


def _repair(problem: _Problem, chosen: Mask) -> Mask:
    """Make a rounded solver solution meet the target and the no-removable rule exactly."""
    order = _greedy_order(problem)
    return _drop(problem, _fill(problem, chosen, order), order)


def _model(problem: _Problem, free: IntArray
           ) -> tuple[FloatArray, FloatArray, Bounds, LinearConstraint]:
    """Objective, integrality, bounds and constraints of the MILP (see the module text).

    Columns: ``x`` (one per free parcel), ``w`` (one per free parcel but the largest, in
    ascending area), then ``y`` (one per isolation row).
    """
    a = problem.area[free]
    n = free.size
    order = np.argsort(a, kind="stable")
    steps = np.diff(a[order])
    n_w = n - 1
    n_stairs = max(n_w - 1, 0)
    x_cols, w_cols = np.arange(n), n + np.arange(n_w)
    eps = max(AREA_EPS_HA, 10 * problem.tol)
    blocks = [
        (np.zeros(n), x_cols, a),  # target
        (np.ones(n), x_cols, a), (np.ones(n_w), w_cols, steps),  # overshoot
        (2 + np.arange(n_w), order[:-1], np.ones(n_w)),  # x_(k) ≤ w_k
        (2 + np.arange(n_w), w_cols, -np.ones(n_w)),
        (2 + n_w + np.arange(n_stairs), w_cols[:-1], np.ones(n_stairs)),  # w_k ≤ w_(k+1)
        (2 + n_w + np.arange(n_stairs), w_cols[1:], -np.ones(n_stairs)),
    ]
    n_rows = 2 + n_w + n_stairs
    lower = np.concatenate([[problem.remaining], np.full(n_rows - 1, -np.inf)])
    upper = np.concatenate([[np.inf, problem.remaining - eps + float(a.max())],
                            np.zeros(n_rows - 2)])
    iso, iso_lower = _isolation_rows(problem, free, n + n_w)
    n_y = iso.shape[0]
    n_cols = n + n_w + n_y
    rows, cols, data = (np.concatenate(part) for part in zip(*blocks, strict=True))
    matrix = sp.vstack([sp.coo_array((data, (rows, cols)), shape=(n_rows, n_cols)), iso],
                       format="csr")
    c = np.concatenate([-problem.value[free], np.zeros(n_w), np.full(n_y, problem.penalty)])
    integrality = np.concatenate([np.ones(n), np.zeros(n_w + n_y)])
    constraints = LinearConstraint(matrix, np.concatenate([lower, iso_lower]),
                                   np.concatenate([upper, np.full(n_y, np.inf)]))
    return c, integrality, Bounds(np.zeros(n_cols), np.ones(n_cols)), constraints


def _isolation_rows(problem: _Problem, free: IntArray, y_start: int
                    ) -> tuple[sp.csr_array, FloatArray]:
    """Rows ``y_j + x_j − Σ_{k ∈ N(j), free} x_k ≥ 1 − |N(j) free|`` (see the module text).

    The ``x`` columns are the first ``free.size``; row ``r``'s ``y`` is column
    ``y_start + r``.
    """
    n_free = free.size
    nb = problem.neighbours
    if nb is None or problem.penalty == 0:
        return sp.csr_array((0, y_start)), np.zeros(0)
    excluded = (~problem.free & ~problem.forced).astype(np.float64)
    degree = np.diff(nb.indptr)
    free_nb = nb @ problem.free.astype(np.float64)
    rows = np.flatnonzero((degree > 0) & ~problem.forced & (nb @ excluded == 0)
                          & (problem.free | (free_nb > 0)))
    n_y = rows.size
    column = np.full(problem.area.size, -1)
    column[free] = np.arange(n_free)
    part = nb[rows][:, free].tocoo()
    self_rows = np.flatnonzero(problem.free[rows])
    matrix = sp.coo_array(
        (np.concatenate([-part.data, np.ones(self_rows.size), np.ones(n_y)]),
         (np.concatenate([part.row, self_rows, np.arange(n_y)]),
          np.concatenate([part.col, column[rows[self_rows]], y_start + np.arange(n_y)]))),
        shape=(n_y, y_start + n_y))
    return matrix.tocsr(), 1.0 - free_nb[rows]


def _fragments(selected: Mask, neighbours: sp.csr_array | None) -> int:
    """Number of unselected parcels (with neighbours) whose neighbours are all selected."""
    if neighbours is None:
        return 0
    degree = np.diff(neighbours.indptr)
    unselected_nb = neighbours @ (~selected).astype(np.float64)
    return int(np.count_nonzero(~selected & (degree > 0) & (unselected_nb == 0)))


def _result(problem: _Problem, selected: Mask, method: str, status: str,
            optimal: bool) -> Selection:
    """Assemble the :class:`Selection` of a selected mask."""
    reached = float(problem.area[selected].sum())
    total = float(problem.value[selected].sum())
    fragments = _fragments(selected, problem.neighbours)
    reason = np.full(selected.size, "", dtype=_REASON_DTYPE)
    reason[selected] = SCORE
    reason[selected & problem.triggered] = TRIGGERED
    reason[selected & problem.locked_in] = LOCKED_IN
    return Selection(selected=selected, reached_ha=reached, target_ha=problem.target,
                     overshoot_ha=max(reached - problem.target, 0.0), total_score=total,
                     method=method, status=status + problem.note, optimal=optimal,
                     reason=reason, fragments=fragments,
                     objective=total - problem.penalty * fragments)
