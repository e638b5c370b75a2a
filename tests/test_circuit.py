"""Circuit solver on small grids whose answers are known by hand (series, parallel, grounds)."""

from __future__ import annotations

import doctest

import numpy as np
import pytest

from zoning.corridors import _ascgrid, _circuit, _circuit_sources, circuitscape
from zoning.corridors._circuit import pairwise
from zoning.corridors._circuit_graph import build_circuit, conductance_grid, node_map
from zoning.corridors._circuit_solve import GroundedSystem
from zoning.corridors._circuit_sources import advanced, all_to_one, one_to_all
from zoning.errors import CorridorError


def strip(n: int, value: float = 1.0) -> np.ndarray:
    return np.full((1, n), value)


def ends(n: int) -> np.ndarray:
    focal = np.zeros((1, n), dtype=int)
    focal[0, 0], focal[0, -1] = 1, 2
    return focal


@pytest.mark.parametrize("n", [2, 5, 17])
def test_series_strip_resistance_is_n_minus_one(n):
    result = pairwise(strip(n), ends(n), connect=4)
    assert result.resistances.loc[1, 2] == pytest.approx(n - 1, abs=1e-12)
    assert result.resistances.loc[2, 1] == pytest.approx(n - 1, abs=1e-12)


def test_series_strip_with_unequal_cells_average_resistance_and_conductance():
    r = np.array([[1.0, 2.0, 3.0, 4.0]])
    by_resistance = pairwise(r, ends(4), connect=4, average="resistance")
    assert by_resistance.resistances.loc[1, 2] == pytest.approx(1.5 + 2.5 + 3.5)
    by_conductance = pairwise(r, ends(4), connect=4, average="conductance")
    g = 1 / r[0]
    expected = sum(1 / ((g[k] + g[k + 1]) / 2) for k in range(3))
    assert by_conductance.resistances.loc[1, 2] == pytest.approx(expected)


def test_conductance_input_halves_resistance():
    result = pairwise(strip(5, 2.0), ends(5), connect=4, is_resistance=False)
    assert result.resistances.loc[1, 2] == pytest.approx(2.0)


def test_two_parallel_strips_halve_resistance_focal_regions():
    grid = np.ones((2, 6))
    focal = np.zeros((2, 6), dtype=int)
    focal[:, 0], focal[:, -1] = 1, 2
    result = pairwise(grid, focal, connect=4)
    assert result.resistances.loc[1, 2] == pytest.approx(5 / 2)
    # each strip carries half the amp; the regions carry the whole amp on each cell
    assert result.currents[(1, 2)][:, 2].tolist() == pytest.approx([0.5, 0.5])
    assert result.currents[(1, 2)][:, 0].tolist() == pytest.approx([1.0, 1.0])


def test_eight_neighbours_diagonal_divided_by_sqrt2():
    focal = np.array([[1, 0], [0, 2]])
    result = pairwise(np.ones((2, 2)), focal, connect=8)
    # diagonal 1/sqrt(2) in parallel with two 2-ohm paths; the anti-diagonal carries nothing
    assert result.resistances.loc[1, 2] == pytest.approx(1 / (1 + 1 / np.sqrt(2)))
    four = pairwise(np.ones((2, 2)), focal, connect=4)
    assert four.resistances.loc[1, 2] == pytest.approx(1.0)


def test_voltages_have_first_id_at_zero_and_currents_one_amp():
    result = pairwise(strip(4), ends(4), connect=4)
    np.testing.assert_allclose(result.voltages[(1, 2)], [[0.0, 1.0, 2.0, 3.0]], atol=1e-9)
    np.testing.assert_allclose(result.currents[(1, 2)], [[1.0, 1.0, 1.0, 1.0]], atol=1e-9)


def test_cumulative_and_maximum_maps():
    focal = np.array([[1, 0, 2, 3]])
    result = pairwise(strip(4), focal, connect=4)
    # pairs (1,2): cells 0-2; (1,3): cells 0-3; (2,3): cells 2-3
    np.testing.assert_allclose(result.cumulative, [[2.0, 2.0, 3.0, 2.0]], atol=1e-9)
    np.testing.assert_allclose(result.maximum, [[1.0, 1.0, 1.0, 1.0]], atol=1e-9)
    assert result.resistances.loc[1, 3] == pytest.approx(3.0)
    assert result.resistances.loc[2, 3] == pytest.approx(1.0)


def test_disconnected_pairs_nodata_focal_and_same_node():
    grid = np.array([[1.0, 1.0, np.nan, 1.0, 1.0, np.nan]])
    focal = np.array([[1, 4, 0, 2, 0, 3]])
    polygons = np.array([[5, 5, 0, 0, 0, 0]])
    result = pairwise(grid, focal, connect=4, polygons=polygons)
    r = result.resistances
    assert r.loc[1, 2] == -1.0  # different components
    assert r.loc[1, 3] == -1.0  # 3 sits on NODATA
    assert r.loc[1, 4] == 0.0   # one short-circuit region
    assert r.loc[3, 3] == 0.0
    assert (1, 2) not in result.voltages


def test_only_requested_pairs_are_solved():
    focal = np.array([[1, 0, 2, 3]])
    result = pairwise(strip(4), focal, connect=4, pairs=[(3, 1)])
    assert result.resistances.loc[1, 3] == pytest.approx(3.0)
    assert result.resistances.loc[1, 2] == -1.0
    assert list(result.voltages) == [(1, 3)]


def test_short_circuit_region_removes_its_resistance():
    polygons = np.array([[0, 7, 7, 7, 0]])
    result = pairwise(strip(5), ends(5), connect=4, polygons=polygons)
    assert result.resistances.loc[1, 2] == pytest.approx(2.0)
    np.testing.assert_allclose(result.currents[(1, 2)], [[1.0] * 5], atol=1e-9)


def test_region_cells_on_nodata_join_the_region_node():
    grid = np.array([[1.0, np.nan, 1.0]])
    polygons = np.array([[3, 3, 3]])
    nodes = node_map(conductance_grid(grid), polygons)
    assert nodes.tolist() == [[0, 0, 0]]


def test_grid_laplacian_rows_sum_to_zero_and_edges_count():
    cond = conductance_grid(np.ones((3, 4)))
    circuit = build_circuit(cond, node_map(cond), connect=8)
    # 3x4 grid: 3*3 + 2*4 straight edges, 2*(2*3) diagonals
    assert circuit.head.size == 17 + 12
    assert np.abs(np.asarray(circuit.laplacian.sum(axis=1))).max() < 1e-12


def test_direct_and_amg_solvers_agree():
    rng = np.random.default_rng(3)
    grid = rng.uniform(1, 10, (30, 40))
    focal = np.zeros(grid.shape, dtype=int)
    focal[2, 3], focal[25, 30], focal[10, 38] = 1, 2, 3
    direct = pairwise(grid, focal, solver="direct")
    amg = pairwise(grid, focal, solver="amg")
    assert np.abs(direct.resistances.to_numpy() - amg.resistances.to_numpy()).max() < 1e-8
    assert ((direct.cumulative - amg.cumulative) ** 2).sum() < 1e-12


def test_grounded_system_closed_form():
    import scipy.sparse as sp

    laplacian = sp.csr_matrix(np.array([[1.0, -1.0], [-1.0, 1.0]]))
    system = GroundedSystem(laplacian, np.array([False, False]), np.array([0.0, 0.5]))
    assert system.solve(np.array([1.0, 0.0])).tolist() == pytest.approx([3.0, 2.0])


def test_one_to_all_conserves_current():
    rng = np.random.default_rng(7)
    grid = rng.uniform(1, 5, (8, 9))
    focal = np.zeros(grid.shape, dtype=int)
    focal[0, 0], focal[7, 8], focal[3, 5] = 1, 2, 3
    out = one_to_all(grid, focal, strengths={1: 2.0})
    assert out.currents[1][0, 0] == pytest.approx(2.0)
    assert out.currents[1][7, 8] + out.currents[1][3, 5] == pytest.approx(2.0)
    assert out.currents[2][7, 8] == pytest.approx(1.0)
    assert out.voltages[2][7, 8] == pytest.approx(out.resistances[2])
    assert out.resistances[1] == pytest.approx(out.voltages[1][0, 0] / 2.0)


def test_one_to_all_strip_resistance_to_grounded_rest():
    out = one_to_all(strip(5), np.array([[1, 0, 2, 0, 3]]), connect=4)
    # 2 sees 1 and 3 in parallel; 1 and 3 reach only 2 (the grounded 2 shields the far end)
    assert out.resistances.tolist() == pytest.approx([2.0, 1.0, 2.0])
    np.testing.assert_allclose(out.cumulative, [[1.5, 1.5, 3.0, 1.5, 1.5]], atol=1e-9)


def test_all_to_one_ground_takes_every_source():
    rng = np.random.default_rng(11)
    grid = rng.uniform(1, 5, (6, 7))
    focal = np.zeros(grid.shape, dtype=int)
    focal[0, 0], focal[5, 6], focal[2, 3], focal[4, 1] = 1, 2, 3, 4
    out = all_to_one(grid, focal)
    assert out.currents[2][5, 6] == pytest.approx(3.0)
    assert out.voltages[2][5, 6] == pytest.approx(0.0)
    assert out.resistances.tolist() == [0.0, 0.0, 0.0, 0.0]


def test_focal_on_nodata_is_not_solved_in_one_to_all():
    grid = np.array([[1.0, 1.0, np.nan]])
    out = one_to_all(grid, np.array([[1, 2, 3]]), connect=4)
    assert out.resistances[3] == -1.0
    assert out.resistances[1] == pytest.approx(1.0)
    assert 3 not in out.currents and 3 not in out.voltages


def test_advanced_finite_and_direct_grounds():
    sources = np.array([[2.0, 0.0, 0.0]])
    direct = advanced(strip(3), sources, np.array([[0, 0, np.inf]]), connect=4)
    np.testing.assert_allclose(direct.voltages, [[4.0, 2.0, 0.0]], atol=1e-9)
    np.testing.assert_allclose(direct.currents, [[2.0, 2.0, 2.0]], atol=1e-9)
    # a 2-ohm ground at the right end, given as a resistance
    finite = advanced(strip(3), sources, np.array([[np.nan, np.nan, 2.0]]), connect=4,
                      ground_is_resistance=True)
    np.testing.assert_allclose(finite.voltages, [[8.0, 6.0, 4.0]], atol=1e-9)
    tied = advanced(strip(3), sources, np.array([[np.nan, np.nan, 2.0]]), connect=4,
                    direct_grounds=True, unit_currents=True)
    np.testing.assert_allclose(tied.voltages, [[2.0, 1.0, 0.0]], atol=1e-9)


@pytest.mark.parametrize(("policy", "volts"), [
    ("keepall", [4.0, 3.0, 2.0]),
    ("rmvsrc", [3.0, 2.0, 1.0]),
    ("rmvgnd", [0.0, 0.0, 0.0]),
    ("rmvall", [0.0, 0.0, 0.0]),
])
def test_advanced_conflict_policies(policy, volts):
    sources = np.array([[1.0, 0.0, 1.0]])
    grounds = np.array([[0.0, 0.0, 1.0]])
    out = advanced(strip(3), sources, grounds, connect=4, policy=policy)
    np.testing.assert_allclose(out.voltages, [volts], atol=1e-9)


def test_advanced_ground_current_counts_in_node_current():
    out = advanced(strip(3), np.array([[1.0, 0.0, 1.0]]), np.array([[0.0, 0.0, 1.0]]),
                   connect=4)
    # the right node gets 1 A from the branch and sends 2 A to ground
    np.testing.assert_allclose(out.currents, [[1.0, 1.0, 2.0]], atol=1e-9)


def test_bad_inputs_raise_corridor_errors():
    with pytest.raises(CorridorError, match="zero resistance"):
        pairwise(np.array([[1.0, 0.0]]), np.array([[1, 2]]))
    with pytest.raises(CorridorError, match="negative"):
        pairwise(np.array([[1.0, -1.0]]), np.array([[1, 2]]))
    with pytest.raises(CorridorError, match="connect"):
        pairwise(strip(2), ends(2), connect=6)
    with pytest.raises(CorridorError, match="remove_src_or_gnd"):
        advanced(strip(2), np.array([[1.0, 0]]), np.array([[0, 1.0]]), policy="drop")


def test_inputs_are_not_mutated():
    grid = np.array([[1.0, np.nan, 2.0, 3.0]])
    focal = np.array([[1, 0, 2, 3]])
    polygons = np.array([[0, 0, 4, 4]])
    copies = grid.copy(), focal.copy(), polygons.copy()
    pairwise(grid, focal, connect=4, polygons=polygons)
    one_to_all(grid, focal, connect=4, polygons=polygons)
    np.testing.assert_array_equal(grid, copies[0])
    np.testing.assert_array_equal(focal, copies[1])
    np.testing.assert_array_equal(polygons, copies[2])


def test_focal_regions_are_short_circuited_only_in_their_own_pairs():
    focal = np.array([[1, 0, 3, 3, 3, 0, 2]])
    result = pairwise(strip(7), focal, connect=4)
    assert result.resistances.loc[1, 2] == pytest.approx(6.0)  # region 3 not merged here
    assert result.resistances.loc[1, 3] == pytest.approx(2.0)
    assert result.resistances.loc[2, 3] == pytest.approx(2.0)
    # one-to-all merges every region: 1 sees the grounded region 3 two links away
    assert one_to_all(strip(7), focal, connect=4).resistances[1] == pytest.approx(2.0)


def test_nested_dissection_is_a_permutation_and_solves_match_minimum_degree():
    from zoning.corridors._circuit_solve import nested_dissection

    rng = np.random.default_rng(5)
    coords = np.column_stack(np.divmod(np.arange(50 * 40), 40))
    order = nested_dissection(coords, leaf=16)
    assert sorted(order.tolist()) == list(range(50 * 40))
    grid = rng.uniform(1, 9, (50, 40))
    cond = conductance_grid(grid)
    circuit = build_circuit(cond, node_map(cond), connect=8)
    fixed = np.zeros(circuit.n, dtype=bool)
    fixed[0] = True
    b = np.zeros(circuit.n)
    b[-1] = 1.0
    nd = GroundedSystem(circuit.laplacian, fixed, solver="direct",
                        coordinates=circuit.coordinates).solve(b)
    mmd = GroundedSystem(circuit.laplacian, fixed, solver="direct").solve(b)
    assert np.abs(nd - mmd).max() < 1e-10
    assert nd[-1] > 0


def test_three_column_table():
    result = pairwise(strip(4), np.array([[1, 0, 2, 3]]), connect=4)
    table = result.three_columns()
    assert table[["a", "b"]].to_numpy().tolist() == [[1, 2], [1, 3], [2, 3]]
    np.testing.assert_allclose(table["resistance"], [2.0, 3.0, 1.0])


@pytest.mark.parametrize("module", [_ascgrid, _circuit, _circuit_sources, circuitscape])
def test_docstring_examples_run(module, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    outcome = doctest.testmod(module)
    assert outcome.failed == 0 and outcome.attempted > 0
