import dataclasses
import doctest
import itertools

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.optimize import OptimizeResult

import zoning.reduction._quota as quota
from zoning.errors import ReductionError, ZoningError
from zoning.reduction._quota import AREA_EPS_HA, Selection, select, target_from

TOL = 1e-9


def strip(n: int) -> list[list[int]]:
    """Neighbour lists of a 1 × n strip of parcels."""
    return [[k for k in (j - 1, j + 1) if 0 <= k < n] for j in range(n)]


def fragments(selected: np.ndarray, lists: list[list[int]]) -> int:
    return sum(1 for j, nb in enumerate(lists)
               if nb and not selected[j] and all(selected[k] for k in nb))


def split(area, target, trig, lin, lout):
    """The planner's rule, written independently: forced and free parcels."""
    trig = trig & ~lout & ~lin
    if area[lin].sum() + area[trig].sum() <= target + TOL:
        forced = lin | trig
        return forced, ~forced & ~lout
    return lin, trig


def assert_rules(s: Selection, area, target, trig=None, lin=None, lout=None) -> None:
    n = len(area)
    none = np.zeros(n, dtype=bool)
    trig, lin, lout = (none if m is None else m for m in (trig, lin, lout))
    forced, free = split(area, target, trig, lin, lout)
    assert not (s.selected & lout).any()
    assert s.selected[forced].all()
    assert not (s.selected & ~forced & ~free).any()
    assert s.reached_ha == pytest.approx(area[s.selected].sum())
    assert s.reached_ha >= target - TOL
    for i in np.flatnonzero(s.selected & free):
        assert s.reached_ha - area[i] < target, f"parcel {i} could be removed"


def brute_force(area, score, target, trig, lin, lout, lists=None, penalty=0.0) -> float:
    """Best objective over every subset of the free parcels that obeys the rules."""
    forced, free = split(area, target, trig, lin, lout)
    free_idx = np.flatnonzero(free)
    best = -np.inf
    for k in range(free_idx.size + 1):
        for combo in itertools.combinations(free_idx, k):
            sel = forced.copy()
            sel[list(combo)] = True
            reached = area[sel].sum()
            if reached < target - TOL:
                continue
            if any(reached - area[i] >= target for i in combo):
                continue
            value = score[sel].sum()
            if lists is not None:
                value -= penalty * fragments(sel, lists)
            best = max(best, value)
    return best


def random_case(rng: np.random.Generator, n: int):
    area = rng.lognormal(np.log(0.5), 0.8, n)
    score = rng.uniform(0, 1, n)
    trig = rng.random(n) < 0.15
    lout = rng.random(n) < 0.1
    lin = (rng.random(n) < 0.1) & ~lout
    selectable = area[~lout].sum()
    target = rng.uniform(0.05, 0.9) * selectable
    return area, score, target, trig, lin, lout


def test_docstring_examples_run():
    assert doctest.testmod(quota).failed == 0


def test_knapsack_case_where_greedy_takes_one_big_parcel():
    area = np.array([4.0, 1.0, 1.0, 1.0, 1.0])
    score = np.array([1.0, 0.9, 0.9, 0.9, 0.9])
    greedy = select(area, score, 4.0, method="greedy")
    best = select(area, score, 4.0)
    assert greedy.selected.tolist() == [True, False, False, False, False]
    assert best.selected.tolist() == [False, True, True, True, True]
    assert best.total_score == pytest.approx(3.6)
    assert best.optimal and best.method == "milp"
    assert not greedy.optimal and greedy.method == "greedy"


def test_exact_target_hits():
    for method in ("milp", "greedy"):
        exact = select([1.0, 2.0, 3.0, 4.0], [0.5, 0.1, 0.1, 0.5], 5.0, method=method)
        assert exact.selected.tolist() == [True, False, False, True]
        assert exact.reached_ha == 5.0 and exact.overshoot_ha == 0.0
        # 0.1 + 0.2 is 5.6e-17 above 0.3: float noise counts as reached, not as short
        noisy = select([0.3, 0.5], [1.0, 0.0], 0.1 + 0.2, method=method)
        assert noisy.selected.tolist() == [True, False] and noisy.overshoot_ha == 0.0


def test_overshoot_boundary_is_strict_and_eps_keeps_sets_just_inside():
    # {0, 1} overshoots by exactly area[0]: parcel 0 could be removed, so it is not allowed
    at = select([1.0, 2.0, 3.0], [5.0, 1.0, 1.0], 2.0)
    assert at.selected.tolist() in ([False, True, False], [False, False, True])
    for method in ("milp", "greedy"):
        assert_rules(select([1.0, 2.0, 3.0], [5.0, 1.0, 1.0], 2.0, method=method),
                     np.array([1.0, 2.0, 3.0]), 2.0)
    # 10 ε inside the boundary the set is allowed: both methods find it
    area = np.array([1.0, 2.0 - 10 * AREA_EPS_HA, 3.0])
    for method in ("milp", "greedy"):
        inside = select(area, [5.0, 1.0, 1.0], 2.0, method=method)
        assert inside.selected.tolist() == [True, True, False]
        assert_rules(inside, area, 2.0)


def test_staircase_does_not_cut_off_sets_with_very_different_areas():
    # a huge parcel next to tiny ones: steps from 0.01 to 250 ha in the overshoot row
    area = np.array([500.0, 0.01, 0.02, 0.03, 250.0, 0.5])
    score = np.array([0.2, 0.9, 0.8, 0.7, 0.1, 0.6])
    target = 250.05
    none = np.zeros(area.size, dtype=bool)
    s = select(area, score, target)
    assert s.total_score == pytest.approx(brute_force(area, score, target, none, none, none))
    assert_rules(s, area, target)


@pytest.mark.parametrize("seed", range(60))
def test_milp_matches_brute_force_on_small_random_cases(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(4, 11))
    area, score, target, trig, lin, lout = random_case(rng, n)
    lists = strip(n)
    penalty = float(rng.choice([0.0, 0.3, 2.0]))
    kwargs = dict(triggered=trig, locked_in=lin, locked_out=lout, neighbours=lists,
                  isolation_penalty=penalty)
    best = select(area, score, target, **kwargs)
    greedy = select(area, score, target, method="greedy", **kwargs)
    for s in (best, greedy):
        assert_rules(s, area, target, trig, lin, lout)
        assert s.fragments == fragments(s.selected, lists)
        assert s.objective == pytest.approx(s.total_score - penalty * s.fragments)
    expected = brute_force(area, score, target, trig, lin, lout, lists, penalty)
    assert best.method == "milp"
    assert best.objective == pytest.approx(expected, abs=1e-9)
    assert best.objective >= greedy.objective - 1e-9


@pytest.mark.parametrize("seed", range(40))
def test_milp_is_never_worse_than_greedy_on_larger_random_cases(seed):
    rng = np.random.default_rng(1000 + seed)
    n = int(rng.integers(30, 300))
    area, score, target, trig, lin, lout = random_case(rng, n)
    kwargs = dict(triggered=trig, locked_in=lin, locked_out=lout)
    best = select(area, score, target, **kwargs)
    greedy = select(area, score, target, method="greedy", **kwargs)
    assert_rules(best, area, target, trig, lin, lout)
    assert_rules(greedy, area, target, trig, lin, lout)
    assert best.method == "milp" and best.optimal
    assert best.total_score >= greedy.total_score - 1e-9


def test_locks():
    area = np.ones(5)
    score = np.array([1.0, 0.9, 0.8, 0.0, 0.5])
    lout = np.array([True, False, False, False, False])
    lin = np.array([False, False, False, True, False])
    for method in ("milp", "greedy"):
        s = select(area, score, 2.0, locked_in=lin, locked_out=lout, method=method)
        assert s.selected.tolist() == [False, True, False, True, False]
        assert s.reason.tolist() == ["", "score", "", "locked_in", ""]
        assert_rules(s, area, 2.0, lin=lin, lout=lout)


def test_locked_in_and_out_overlap_is_an_error_naming_the_count():
    both = np.array([True, True, False])
    with pytest.raises(ReductionError, match="2 parcel"):
        select(np.ones(3), np.ones(3), 1.0, locked_in=both, locked_out=both)


def test_triggered_parcels_come_first_and_the_rest_by_score():
    area = np.array([1.0, 1.0, 1.0, 1.0, 1.0])
    score = np.array([0.0, 0.1, 0.9, 0.8, 0.2])
    trig = np.array([True, True, False, False, False])
    lout = np.array([False, True, False, False, False])  # locked out beats triggered
    for method in ("milp", "greedy"):
        s = select(area, score, 3.0, triggered=trig, locked_out=lout, method=method)
        assert s.selected.tolist() == [True, False, True, True, False]
        assert s.reason.tolist() == ["triggered", "", "score", "score", ""]


def test_triggered_parcels_exceeding_the_target_are_chosen_among_by_score():
    area = np.array([2.0, 2.0, 2.0, 1.0])
    score = np.array([0.1, 0.9, 0.5, 1.0])
    trig = np.array([True, True, True, False])
    for method in ("milp", "greedy"):
        s = select(area, score, 3.0, triggered=trig, method=method)
        assert s.selected.tolist() == [False, True, True, False]
        assert s.reason.tolist() == ["", "triggered", "triggered", ""]
        assert "triggered parcels only" in s.status
        assert_rules(s, area, 3.0, trig=trig)


def test_locked_in_alone_exceeding_the_target_is_reported():
    lin = np.array([True, True, False])
    trig = np.array([False, False, True])
    s = select([3.0, 3.0, 1.0], [0, 0, 1], 4.0, locked_in=lin, triggered=trig)
    assert s.selected.tolist() == [True, True, False]
    assert s.overshoot_ha == pytest.approx(2.0)
    assert "overshooting it by 2 ha" in s.status and s.optimal


def test_isolation_penalty_keeps_the_middle_of_a_strip_from_being_left_alone():
    area = np.ones(5)
    score = np.array([1.0, 0.99, 0.9, 1.0, 0.95])
    plain = select(area, score, 3.0, neighbours=strip(5))
    assert plain.selected.tolist() == [True, True, False, True, False]
    assert plain.fragments == 2  # the middle parcel and the right end are left alone
    penalised = select(area, score, 3.0, neighbours=strip(5), isolation_penalty=0.5)
    assert penalised.selected.tolist() == [True, False, False, True, True]
    assert penalised.fragments == 0
    assert penalised.objective == pytest.approx(2.95)
    none = np.zeros(5, dtype=bool)
    assert penalised.objective == pytest.approx(
        brute_force(area, score, 3.0, none, none, none, strip(5), 0.5))
    greedy = select(area, score, 3.0, neighbours=strip(5), isolation_penalty=0.5,
                    method="greedy")
    assert greedy.selected.tolist() == plain.selected.tolist()
    assert greedy.objective == pytest.approx(1.99)


def test_sparse_neighbours_give_the_same_answer_as_lists():
    lists = strip(5)
    rows = [j for j, nb in enumerate(lists) for _ in nb]
    cols = [k for nb in lists for k in nb]
    matrix = sp.csr_matrix((np.full(len(rows), 2.0), (rows, cols)), shape=(5, 5))
    args = (np.ones(5), [1.0, 0.99, 0.9, 1.0, 0.95], 3.0)
    by_list = select(*args, neighbours=lists, isolation_penalty=0.5)
    by_matrix = select(*args, neighbours=matrix, isolation_penalty=0.5)
    assert by_list.selected.tolist() == by_matrix.selected.tolist()
    assert by_matrix.fragments == 0


def test_fragments_forced_by_locks_are_counted_but_do_not_block_the_solver():
    # parcel 1 is locked out between two locked-in parcels: an unavoidable fragment
    lin = np.array([True, False, True, False])
    lout = np.array([False, True, False, False])
    s = select(np.ones(4), np.ones(4), 3.0, locked_in=lin, locked_out=lout,
               neighbours=strip(4), isolation_penalty=1.0)
    assert s.selected.tolist() == [True, False, True, True]
    assert s.fragments == 1 and s.optimal


def test_milp_failure_falls_back_to_greedy(monkeypatch):
    monkeypatch.setattr(quota, "milp", lambda *a, **k: OptimizeResult(
        x=None, status=4, message="boom", mip_gap=None))
    s = select([4.0, 1.0, 1.0, 1.0, 1.0], [1.0, 0.9, 0.9, 0.9, 0.9], 4.0)
    assert s.method == "greedy (milp failed: boom)"
    assert s.selected.tolist() == [True, False, False, False, False]
    assert not s.optimal


@pytest.mark.parametrize(("incumbent", "method"), [
    ([0, 0, 0, 0, 0, 1], "greedy (better than the milp answer)"),
    ([0, 1, 1, 1, 1, 0], "milp"),
])
def test_time_limit_reports_the_gap_and_keeps_the_better_of_incumbent_and_greedy(
        monkeypatch, incumbent, method):
    x = np.array([*incumbent, 1.0], dtype=float)  # the x, then m
    monkeypatch.setattr(quota, "milp", lambda *a, **k: OptimizeResult(
        x=x, status=1, message="Time limit reached", mip_gap=0.25))
    area = np.array([4.0, 1.0, 1.0, 1.0, 1.0, 4.0])
    s = select(area, [1.0, 0.8, 0.9, 0.9, 0.9, 0.1], 4.0, time_limit_s=0.1)
    assert s.method == method and not s.optimal
    assert "gap 25.000%" in s.status
    assert_rules(s, area, 4.0)


def test_repair_of_a_solver_answer_that_breaks_the_rules(monkeypatch):
    # everything selected: the drop pass must restore the no-removable rule
    monkeypatch.setattr(quota, "milp", lambda *a, **k: OptimizeResult(
        x=np.array([1.0, 1.0, 1.0, 0.0]), status=0, message="ok", mip_gap=0.0))
    area = np.array([1.0, 2.0, 3.0])
    s = select(area, [0.5, 0.4, 0.3], 2.0)
    assert_rules(s, area, 2.0)
    assert "repaired" in s.status and not s.optimal


def test_target_zero_and_target_equal_to_everything():
    area = np.array([1.0, 2.0, 3.0])
    assert not select(area, [1, 1, 1], 0.0).selected.any()
    everything = target_from(1.0, None, float(area.sum()))
    for method in ("milp", "greedy"):
        assert select(area, [0.1, 0.2, 0.3], everything, method=method).selected.all()


def test_inputs_are_not_mutated():
    rng = np.random.default_rng(5)
    area, score, target, trig, lin, lout = random_case(rng, 50)
    inputs = [area, score, trig, lin, lout]
    for array in inputs:
        array.flags.writeable = False
    copies = [a.copy() for a in inputs]
    lists = strip(50)
    for method in ("milp", "greedy"):
        s = select(area, score, target, triggered=trig, locked_in=lin, locked_out=lout,
                   neighbours=lists, isolation_penalty=0.1, method=method)
        s.selected[:] = True  # the result is the caller's own array
    for array, copy in zip(inputs, copies, strict=True):
        np.testing.assert_array_equal(array, copy)
    assert lists == strip(50)


def test_selection_is_frozen():
    s = select([1.0], [1.0], 1.0)
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.reached_ha = 0.0  # type: ignore[misc]


@pytest.mark.parametrize(("kwargs", "message"), [
    (dict(target_ha=-1.0), "target_ha must be a finite number ≥ 0, found -1.0"),
    (dict(target_ha=7.0), r"target_ha 7 ha is larger than the selectable area 6 ha"),
    (dict(target_ha=5.5, locked_out=[True, False, False]),
     r"larger than the selectable area 5 ha .*1 ha are locked out.*unlock"),
    (dict(area_ha=[1.0, np.nan, 3.0]), r"area_ha has 1 NaN .*parcel 1"),
    (dict(area_ha=[1.0, -2.0, 3.0]), r"area_ha has 1 negative value\(s\) \(smallest -2\)"),
    (dict(score=[0.1, -0.5, 0.2]), r"score has 1 negative"),
    (dict(score=[0.1, 0.2]), r"score has 2 entries but area_ha has 3"),
    (dict(triggered=[True, False]), r"triggered has 2 entries but area_ha has 3"),
    (dict(locked_in=[0, 2, 1]), r"locked_in must hold booleans"),
    (dict(area_ha=[[1.0, 2.0, 3.0]]), r"1-D"),
    (dict(method="simplex"), r"method must be one of \('milp', 'greedy'\)"),
    (dict(time_limit_s=0.0), r"time_limit_s must be a positive"),
    (dict(isolation_penalty=-1.0), r"isolation_penalty must be a finite number ≥ 0"),
    (dict(neighbours=[[1], [0, 5], []]), r"neighbour indices must be in \[0, 2\]"),
    (dict(neighbours=[[1], [0]]), r"neighbours has 2 entries"),
    (dict(neighbours=sp.eye(4, format="csr")), r"3 × 3 matrix"),
])
def test_bad_input_errors_say_what_was_found(kwargs, message):
    args = dict(area_ha=[1.0, 2.0, 3.0], score=[0.1, 0.2, 0.3], target_ha=2.0) | kwargs
    with pytest.raises(ReductionError, match=message):
        select(**args)


def test_reduction_error_is_a_zoning_error():
    assert issubclass(ReductionError, ZoningError)


def test_target_from():
    assert target_from(0.25, None, 80.0) == 20.0
    assert target_from(1.0, None, 80.0) == 80.0
    assert target_from(None, 12.5, 80.0) == 12.5


@pytest.mark.parametrize(("share", "hectares", "eligible", "message"), [
    (None, None, 10.0, "exactly one of 'share'.*found neither"),
    (0.5, 3.0, 10.0, r"found both \(share=0.5, hectares=3.0\)"),
    (1.5, None, 10.0, r"'share' must be in \(0, 1\].*found 1.5"),
    (0.0, None, 10.0, r"'share' must be in \(0, 1\].*found 0.0"),
    (None, 12.0, 10.0, r"'hectares' must be in \(0, 10\].*found 12.0"),
    (None, -1.0, 10.0, r"'hectares' must be in .*found -1.0"),
    (0.5, None, float("nan"), r"eligible area must be a finite number"),
])
def test_target_from_errors(share, hectares, eligible, message):
    with pytest.raises(ReductionError, match=message):
        target_from(share, hectares, eligible)


def test_by_area_retires_the_hectares_of_highest_score():
    area, score = [3.0, 1.0, 1.0, 1.0], [0.9, 0.5, 0.5, 0.5]
    plain = select(area, score, 3.0)
    weighted = select(area, score, 3.0, by_area=True)
    assert plain.selected.tolist() == [False, True, True, True]   # Σ s: 1.5 beats 0.9
    assert weighted.selected.tolist() == [True, False, False, False]  # Σ s·a: 2.7 beats 1.5
    assert weighted.total_score == pytest.approx(2.7)
    greedy = select(area, score, 3.0, by_area=True, method="greedy")
    assert weighted.total_score >= greedy.total_score - 1e-9
