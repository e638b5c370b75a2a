import doctest
import math

import numpy as np
import pandas as pd
import pytest
from affine import Affine
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import dijkstra

from zoning.corridors import _barriers, _cost, _linkage, raster_edge_distances
from zoning.corridors._barriers import barrier_improvement, ring_footprint
from zoning.corridors._cost import cost_allocation, cost_distance, least_cost_path
from zoning.corridors._linkage import (
    CROSSES_CORE,
    LINK_COLUMNS,
    TOO_LONG_COST,
    TOO_LONG_EUCLIDEAN,
    UNREACHABLE,
    linkage,
    zone_adjacency,
)
from zoning.errors import CorridorError

SQRT2 = math.sqrt(2)


def random_resistance(shape, seed=0, nodata_share=0.0):
    rng = np.random.default_rng(seed)
    res = rng.uniform(1.0, 20.0, shape)
    res[rng.random(shape) < nodata_share] = np.nan
    return res


def three_cores(shape=(30, 40)):
    """Cores 1, 2, 3 spread over the grid, none touching."""
    cores = np.zeros(shape, dtype=int)
    cores[2:5, 2:5] = 1
    cores[20:24, 30:34] = 2
    cores[25:28, 3:6] = 3
    return cores


def in_a_row(length=31, rows=5):
    """Cores 1, 2, 3 across a strip, 2 in the middle blocking it from top to bottom."""
    cores = np.zeros((rows, length), dtype=int)
    cores[:, 0], cores[:, length // 2], cores[:, -1] = 1, 2, 3
    return cores


def step_cost(res, r0, c0, r1, c1, cell):
    diagonal = r0 != r1 and c0 != c1
    return cell * (SQRT2 if diagonal else 1.0) * (res[r0, c0] + res[r1, c1]) / 2


# --- cost-weighted distance -------------------------------------------------------------

@pytest.mark.parametrize("connectivity", [8, 4])
def test_uniform_resistance_gives_chamfer_distance(connectivity):
    cell, src = 2.5, (7, 5)
    shape = (15, 17)
    sources = np.zeros(shape, dtype=bool)
    sources[src] = True
    cwd = cost_distance(np.ones(shape), sources, cell, connectivity=connectivity)
    dr, dc = np.abs(np.indices(shape) - np.array(src)[:, None, None])
    hi, lo = np.maximum(dr, dc), np.minimum(dr, dc)
    expected = cell * (hi - lo + SQRT2 * lo) if connectivity == 8 else cell * (dr + dc)
    np.testing.assert_allclose(cwd, expected, rtol=1e-12)


def graph_cost_distance(res, sources, cell):
    """Dijkstra on an explicit graph: 8 neighbours, step length times mean resistance."""
    rows, cols = res.shape
    index = np.arange(res.size).reshape(res.shape)
    heads, tails, weights = [], [], []
    for dr, dc in [(0, 1), (1, 0), (1, 1), (1, -1)]:
        for r in range(rows - dr):
            for c in range(max(0, -dc), cols - max(0, dc)):
                w = step_cost(res, r, c, r + dr, c + dc, cell)
                if np.isfinite(w):
                    heads.append(index[r, c])
                    tails.append(index[r + dr, c + dc])
                    weights.append(w)
    graph = coo_matrix((weights, (heads, tails)), shape=(res.size, res.size)).tocsr()
    dist = dijkstra(graph, directed=False, indices=np.flatnonzero(sources), min_only=True)
    dist = dist.reshape(res.shape)
    return np.where(np.isfinite(dist) & np.isfinite(res), dist, np.nan)


def test_cost_distance_matches_an_explicit_graph():
    res = random_resistance((25, 30), seed=8, nodata_share=0.15)
    sources = np.zeros(res.shape, dtype=bool)
    sources[3:6, 4:6] = sources[20, 25] = True
    res[sources] = 2.0
    np.testing.assert_allclose(cost_distance(res, sources, 30.0),
                               graph_cost_distance(res, sources, 30.0), rtol=1e-12)


def test_step_cost_is_length_times_mean_resistance():
    strip = np.array([[1.0, 3.0, 5.0]])
    cwd = cost_distance(strip, np.array([[True, False, False]]), 10.0)
    np.testing.assert_allclose(cwd, [[0.0, 10.0 * 2, 10.0 * (2 + 4)]])
    # a diagonal step costs sqrt(2) * cell * mean, when the orthogonal detour is dearer
    square = np.array([[1.0, 100.0], [100.0, 3.0]])
    cwd = cost_distance(square, np.array([[True, False], [False, False]]), 10.0)
    assert cwd[1, 1] == pytest.approx(SQRT2 * 10.0 * 2)


def test_max_cost_masks_far_cells():
    sources = np.zeros((1, 6), dtype=bool)
    sources[0, 0] = True
    cwd = cost_distance(np.ones((1, 6)), sources, 1.0, max_cost=3.0)
    np.testing.assert_array_equal(np.isnan(cwd), [[False] * 4 + [True] * 2])
    _, alloc = cost_allocation(np.ones((1, 6)), sources.astype(int), 1.0, max_cost=3.0)
    np.testing.assert_array_equal(alloc, [[1, 1, 1, 1, 0, 0]])


@pytest.mark.parametrize("bad", [0.0, -2.0])
def test_zero_or_negative_resistance_is_refused_with_count_and_cell(bad):
    res = np.ones((4, 5))
    res[1, 3] = bad
    res[2, 0] = bad
    with pytest.raises(CorridorError, match=r"2 resistance cell.*\(1, 3\).*short circuit"):
        cost_distance(res, res > 10, 1.0)


def test_nodata_is_never_entered_and_a_wall_cuts_off():
    res = np.ones((5, 7))
    res[:, 3] = np.nan
    sources = np.zeros(res.shape, dtype=bool)
    sources[2, 0] = True
    cwd = cost_distance(res, sources, 1.0)
    assert np.isnan(cwd[:, 3:]).all()
    assert np.isfinite(cwd[:, :3]).all()


def test_bad_options_are_refused():
    ones = np.ones((3, 3))
    with pytest.raises(CorridorError, match="connectivity"):
        cost_distance(ones, ones > 0, 1.0, connectivity=6)
    with pytest.raises(CorridorError, match="cell_size"):
        cost_distance(ones, ones > 0, 0.0)
    with pytest.raises(CorridorError, match="shape"):
        cost_distance(ones, np.ones((2, 3), dtype=bool), 1.0)
    with pytest.raises(CorridorError, match="integer"):
        cost_allocation(ones, ones, 1.0)


def test_allocation_is_the_cheapest_core():
    res = random_resistance((30, 40), seed=1, nodata_share=0.05)
    cores = three_cores()
    res[cores > 0] = 1.0
    cwd, alloc = cost_allocation(res, cores, 30.0)
    each = np.stack([cost_distance(res, cores == k, 30.0) for k in (1, 2, 3)])
    each = np.where(np.isnan(each), np.inf, each)
    reached = np.isfinite(each).any(axis=0)
    np.testing.assert_allclose(cwd[reached], each.min(axis=0)[reached])
    np.testing.assert_array_equal(alloc[reached], each.argmin(axis=0)[reached] + 1)
    assert (alloc[~reached] == 0).all()
    assert np.isnan(cwd[~reached]).all()


def test_inputs_are_not_mutated():
    res = random_resistance((30, 40), seed=2, nodata_share=0.05)
    cores = three_cores()
    res_copy, cores_copy = res.copy(), cores.copy()
    result = linkage(res, cores, 1.0, width=50.0)
    barrier_improvement(res, cores, result, 1.0, [2.0])
    np.testing.assert_array_equal(res, res_copy)
    np.testing.assert_array_equal(cores, cores_copy)


# --- least-cost paths ------------------------------------------------------------------

def test_lcd_is_symmetric_and_equals_the_path_cost():
    res = random_resistance((30, 40), seed=3, nodata_share=0.1)
    cores = three_cores()
    res[cores > 0] = 1.0
    ab = least_cost_path(res, cores, 1, 2, 5.0)
    ba = least_cost_path(res, cores, 2, 1, 5.0)
    assert ab.cost == pytest.approx(ba.cost, rel=1e-12)
    steps = list(zip(ab.rows[:-1], ab.cols[:-1], ab.rows[1:], ab.cols[1:], strict=True))
    assert all(max(abs(r1 - r0), abs(c1 - c0)) == 1 for r0, c0, r1, c1 in steps)
    assert ab.cost == pytest.approx(sum(step_cost(res, *s, 5.0) for s in steps))
    n_diag = sum(r0 != r1 and c0 != c1 for r0, c0, r1, c1 in steps)
    assert ab.length == pytest.approx(5.0 * (len(steps) - n_diag + SQRT2 * n_diag))
    assert cores[ab.rows[0], ab.cols[0]] == 1
    assert cores[ab.rows[-1], ab.cols[-1]] == 2
    assert (cores[ab.rows[1:-1], ab.cols[1:-1]] != 2).all()
    assert np.isfinite(res[ab.rows, ab.cols]).all()


def test_four_neighbour_paths_only_step_orthogonally():
    res = random_resistance((20, 20), seed=4)
    cores = np.zeros(res.shape, dtype=int)
    cores[0, 0], cores[19, 19] = 1, 2
    path = least_cost_path(res, cores, 1, 2, 1.0, connectivity=4)
    assert (np.abs(np.diff(path.rows)) + np.abs(np.diff(path.cols)) == 1).all()
    assert path.length == len(path.rows) - 1


def test_unreachable_core_gives_an_empty_path_of_infinite_cost():
    res = np.ones((5, 9))
    res[:, 4] = np.nan
    cores = np.zeros(res.shape, dtype=int)
    cores[:, 0], cores[:, -1] = 1, 3
    path = least_cost_path(res, cores, 1, 3, 1.0)
    assert path.cost == math.inf and path.length == math.inf and len(path.rows) == 0
    with pytest.raises(CorridorError, match="core 2"):
        least_cost_path(res, cores, 1, 2, 1.0)


# --- linkage ---------------------------------------------------------------------------

def test_adjacency_links_only_neighbouring_cores():
    result = linkage(np.ones((5, 31)), in_a_row(), 1.0)
    assert list(result.links.columns) == list(LINK_COLUMNS)
    assert result.links[["core_a", "core_b"]].to_numpy().tolist() == [[1, 2], [2, 3]]
    assert not result.links["dropped"].any()
    assert result.links["lcd"].tolist() == pytest.approx([15.0, 15.0])


def test_all_pairs_drop_the_link_through_a_third_core():
    result = linkage(np.ones((5, 31)), in_a_row(), 1.0, candidates="all")
    table = result.links.set_index(["core_a", "core_b"])
    assert table.loc[(1, 3), "dropped"]
    assert table.loc[(1, 3), "drop_reason"] == CROSSES_CORE
    assert table.loc[(1, 3), "crossed_cores"] == (2,)
    assert not table.loc[[(1, 2), (2, 3)], "dropped"].any()
    kept = linkage(np.ones((5, 31)), in_a_row(), 1.0, candidates="all", drop_crossing=False)
    assert not kept.links["dropped"].any()


def test_a_nodata_wall_makes_the_link_unreachable():
    res = np.ones((5, 21))
    res[:, 10] = np.nan
    cores = np.zeros(res.shape, dtype=int)
    cores[:, 0], cores[:, -1] = 1, 2
    result = linkage(res, cores, 1.0, candidates="all")
    row = result.links.iloc[0]
    assert row["dropped"] and row["drop_reason"] == UNREACHABLE
    assert row["lcd"] == math.inf
    assert result.paths == {}
    assert np.isnan(result.corridor).all()


def test_distance_limits_drop_long_links():
    cores = in_a_row()
    by_euclid = linkage(np.ones((5, 31)), cores, 1.0, max_euclidean_distance=10.0)
    assert (by_euclid.links["drop_reason"] == TOO_LONG_EUCLIDEAN).all()
    res = np.ones((5, 31))
    res[:, 20:] = 3.0  # the 2-3 link costs more than the 1-2 link
    by_cost = linkage(res, cores, 1.0, max_cost_distance=20.0)
    assert by_cost.links["drop_reason"].tolist() == ["", TOO_LONG_COST]


def test_link_table_distances_and_ratios():
    cell = 10.0
    res = random_resistance((30, 40), seed=5)
    result = linkage(res, three_cores(), cell, candidates="all", drop_crossing=False)
    for row in result.links.itertuples():
        path = result.paths[(row.core_a, row.core_b)]
        assert row.lcd == pytest.approx(path.cost)
        assert row.path_length == pytest.approx(path.length)
        assert row.cwd_to_euclid == pytest.approx(row.lcd / row.euclidean)
        assert row.cwd_to_path == pytest.approx(row.lcd / row.path_length)
        assert row.path_length >= row.euclidean  # a path runs centre to centre, cells apart
    # cores 1 (rows 2-4, cols 2-4) and 3 (rows 25-27, cols 3-5): a 20-row gap, columns overlap
    assert result.links.set_index(["core_a", "core_b"]).loc[(1, 3), "euclidean"] == 200.0


def test_edge_distances_are_between_cell_edges():
    cores = np.zeros((8, 8), dtype=int)
    cores[0, 0], cores[3, 4], cores[3, 5], cores[7, 7], cores[0, 7] = 1, 2, 3, 4, 5
    matrix = raster_edge_distances(cores, 2.0)  # what linkage reports as "euclidean"
    dist = {(a, b): matrix[a - 1, b - 1] for a in range(1, 6) for b in range(a + 1, 6)}
    assert dist[(1, 2)] == pytest.approx(2.0 * math.hypot(2, 3))  # gaps of 2 rows, 3 cols
    assert dist[(1, 3)] == pytest.approx(2.0 * math.hypot(2, 4))
    assert dist[(2, 3)] == 0.0  # side by side
    assert dist[(2, 4)] == pytest.approx(2.0 * math.hypot(3, 2))  # 4 lies down-right
    assert dist[(3, 4)] == pytest.approx(2.0 * math.hypot(3, 1))
    assert dist[(4, 5)] == pytest.approx(2.0 * 6)  # 5 lies straight up, 6 rows between


def test_zone_adjacency_by_neighbourhood():
    zones = np.array([[1, 0], [0, 2]])
    assert zone_adjacency(zones, 8) == {(1, 2)}
    assert zone_adjacency(zones, 4) == set()
    assert zone_adjacency(np.array([[0, 3], [4, 0]]), 8) == {(3, 4)}


def test_nlcc_is_zero_on_the_path_and_never_negative():
    res = random_resistance((30, 40), seed=6, nodata_share=0.05)
    cores = three_cores()
    res[cores > 0] = 1.0
    result = linkage(res, cores, 1.0)
    kept = result.kept()
    assert len(kept) >= 2
    finite = np.isfinite(result.corridor)
    assert (result.corridor[finite] >= 0).all()
    assert np.isnan(result.corridor[np.isnan(res)]).all()
    for row in kept.itertuples():
        path = result.paths[(row.core_a, row.core_b)]
        assert np.isfinite(res[path.rows, path.cols]).all()
        np.testing.assert_allclose(result.corridor[path.rows, path.cols], 0.0, atol=1e-9)
        nlcc = result.cwd[row.core_a] + result.cwd[row.core_b] - row.lcd
        ok = np.isfinite(nlcc)
        assert (result.corridor[ok] <= nlcc[ok] + 1e-9).all()


def test_truncation_keeps_only_cells_within_width():
    res = random_resistance((30, 40), seed=7)
    cores = three_cores()
    full = linkage(res, cores, 1.0).corridor
    width = float(np.unique(full[np.isfinite(full)])[50])  # a value some cell has exactly
    cut = linkage(res, cores, 1.0, width=width).corridor
    inside = full <= width
    assert inside.any() and (~inside).any()
    np.testing.assert_array_equal(cut[inside], full[inside])
    assert np.isnan(cut[~inside]).all()
    with pytest.raises(CorridorError, match="width"):
        linkage(res, cores, 1.0, width=-1.0)


def test_path_lines_run_through_cell_centres():
    result = linkage(np.ones((5, 31)), in_a_row(), 1.0)
    transform = Affine(30.0, 0.0, 1000.0, 0.0, -30.0, 5000.0)
    line = result.path_lines(transform)[(1, 2)]
    path = result.paths[(1, 2)]
    x0, y0 = line.coords[0]
    assert (x0, y0) == (1000.0 + 30.0 * (path.cols[0] + 0.5), 5000.0 - 30.0 * (path.rows[0] + 0.5))
    assert line.length == pytest.approx(30.0 * path.length)


def test_adjacency_follows_the_connectivity():
    res = np.array([[1.0, np.nan], [np.nan, 1.0]])  # only a diagonal step joins the cores
    cores = np.array([[1, 0], [0, 2]])
    assert len(linkage(res, cores, 1.0, connectivity=8).kept()) == 1
    assert len(linkage(res, cores, 1.0, connectivity=4).links) == 0


def test_core_cells_on_nodata_are_ignored(caplog):
    res = np.ones((3, 9))
    res[0, 0] = np.nan
    cores = np.zeros(res.shape, dtype=int)
    cores[:, 0], cores[:, -1] = 1, 2
    with caplog.at_level("WARNING"):
        result = linkage(res, cores, 1.0)
    assert "1 core cell(s) lie on NODATA" in caplog.text
    assert np.isnan(result.cwd[1][0, 0]) and result.cwd[1][1, 0] == 0.0
    res[:, 0] = np.nan
    with pytest.raises(CorridorError, match=r"core\(s\) \[1\] lie entirely on NODATA"):
        linkage(res, cores, 1.0)


def test_linkage_refuses_bad_options():
    with pytest.raises(CorridorError, match="candidates"):
        linkage(np.ones((5, 31)), in_a_row(), 1.0, candidates="nearest")  # type: ignore[arg-type]
    with pytest.raises(CorridorError, match="two cores"):
        linkage(np.ones((3, 3)), np.eye(3, dtype=int), 1.0)


# --- barrier improvement ---------------------------------------------------------------

def wall_corridor(wall=100.0):
    """A 9-row strip between core 1 (left) and core 2 (right), a thin wall across it."""
    res = np.ones((9, 41))
    res[:, 20] = wall
    cores = np.zeros(res.shape, dtype=int)
    cores[:, 0], cores[:, -1] = 1, 2
    return res, cores


def test_barrier_improvement_peaks_on_a_thin_wall():
    res, cores = wall_corridor()
    result = linkage(res, cores, 1.0)
    score = barrier_improvement(res, cores, result, 1.0, [1.0, 2.0, 3.0])
    cols = np.nonzero(score == score.max())[1]
    assert set(cols.tolist()) == {20}
    far = np.abs(np.arange(41) - 20) > 3 + 1  # the largest disc cannot reach the wall
    assert (score[:, far] == 0).all()
    assert score.max() > 10


def test_barrier_improvement_is_zero_when_nothing_changes():
    res, cores = wall_corridor(wall=1.0)
    score = barrier_improvement(res, cores, linkage(res, cores, 1.0), 1.0, [1.0, 2.0, 4.0])
    assert (score == 0).all()


def test_barrier_score_is_the_ring_formula():
    res, cores = wall_corridor()
    res[2, 25] = 7.0
    radius, cell = 3.0, 1.0
    result = linkage(res, cores, cell)
    score = barrier_improvement(res, cores, result, cell, [radius], per_unit=False)
    lcd = result.links["lcd"].iloc[0]
    ring = np.argwhere(ring_footprint(radius, cell)) - int(radius)
    for r, c in [(4, 20), (4, 18), (1, 21), (7, 25)]:
        cells = [(r + dr, c + dc) for dr, dc in ring
                 if 0 <= r + dr < res.shape[0] and 0 <= c + dc < res.shape[1]]
        ring_a = min(result.cwd[1][p] for p in cells)
        ring_b = min(result.cwd[2][p] for p in cells)
        assert score[r, c] == pytest.approx(max(0.0, lcd - ring_a - ring_b - 2 * radius))
    per_unit = barrier_improvement(res, cores, result, cell, [radius])
    np.testing.assert_allclose(per_unit * 2 * radius, score)


def test_barrier_skips_dropped_and_unreachable_links():
    res, cores = wall_corridor()
    dropped = pd.DataFrame({"core_a": [1], "core_b": [2], "dropped": [True]})
    assert (barrier_improvement(res, cores, dropped, 1.0, [2.0]) == 0).all()
    res[:, 20] = np.nan
    score = barrier_improvement(res, cores, pd.DataFrame({"core_a": [1], "core_b": [2]}),
                                1.0, [2.0])
    assert (score == 0).all()


def test_barrier_from_a_table_matches_the_linkage():
    res, cores = wall_corridor()
    result = linkage(res, cores, 1.0)
    table = pd.DataFrame({"core_a": [1], "core_b": [2]})
    np.testing.assert_allclose(barrier_improvement(res, cores, table, 1.0, [2.0]),
                               barrier_improvement(res, cores, result, 1.0, [2.0]))


def test_ring_footprint_and_radius_checks():
    ring = ring_footprint(2.0, 1.0)
    # the cells more than 1 and at most 2 cells away: (±1, ±1) at 1.41, (0, ±2) and (±2, 0)
    expected = np.zeros((5, 5), dtype=bool)
    expected[[1, 1, 3, 3, 0, 4, 2, 2], [1, 3, 1, 3, 2, 2, 0, 4]] = True
    np.testing.assert_array_equal(ring, expected)
    assert ring_footprint(60.0, 30.0).sum() == 8  # the same ring in map units
    np.testing.assert_array_equal(ring_footprint(0.3, 0.1), ring_footprint(3.0, 1.0))
    res, cores = wall_corridor()
    with pytest.raises(CorridorError, match="cell size"):
        barrier_improvement(res, cores, linkage(res, cores, 10.0), 10.0, [5.0])
    with pytest.raises(CorridorError, match="lacks"):
        barrier_improvement(res, cores, pd.DataFrame({"a": [1]}), 1.0, [1.0])


# --- progress and docstring examples ----------------------------------------------------

def test_progress_bar_counts_the_cost_runs(capsys):
    linkage(np.ones((5, 31)), in_a_row(), 1.0, progress=True)
    err = capsys.readouterr().err
    assert "cost distance per core" in err and "3/3" in err
    linkage(np.ones((5, 31)), in_a_row(), 1.0)
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize("module", [_cost, _linkage, _barriers])
def test_docstring_examples_run(module):
    outcome = doctest.testmod(module)
    assert outcome.failed == 0 and outcome.attempted > 0
