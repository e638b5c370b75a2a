"""Conefor indices (IIC, PC, dIIC, dPC and fractions) and edge-to-edge distances."""

from __future__ import annotations

import doctest
import math
import warnings
from itertools import product

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
import shapely

from zoning.corridors import _conefor, _distances
from zoning.corridors._conefor import IIC_COLUMNS, PC_COLUMNS, connectivity
from zoning.corridors._distances import edge_distances, raster_edge_distances
from zoning.errors import CorridorError

HALF_AT_1000 = {"distance": 1000.0, "probability": 0.5}
K_HALF_AT_1000 = math.log(2) / 1000


def line(*gaps: float) -> np.ndarray:
    """Distances between patches on a line, ``gaps`` apart (edge distances add up)."""
    x = np.concatenate([[0.0], np.cumsum(gaps)])
    return np.abs(x[:, None] - x[None, :])


def random_landscape(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 5000, (n, 2))
    centres = np.hypot(*(xy[:, None] - xy[None, :]).transpose(2, 0, 1))
    radius = rng.uniform(20, 300, n)
    # edge distance of discs; the triangle inequality fails, so stepping stones matter
    d = np.clip(centres - radius[:, None] - radius[None, :], 0, None)
    np.fill_diagonal(d, 0)
    return np.pi * radius**2, d


# --- hand-computed cases -----------------------------------------------------------------


def test_two_connected_patches_iic_and_pc() -> None:
    d = line(800)
    r = connectivity([2.0, 3.0], d, threshold=1000, **HALF_AT_1000, landscape_area=10)
    assert r.iic == pytest.approx((4 + 9 + 2 * 6 / 2) / 100)
    p12 = 0.5**0.8
    assert r.pc == pytest.approx((4 + 9 + 2 * 6 * p12) / 100)
    assert r.eca == pytest.approx(math.sqrt(4 + 9 + 12 * p12))
    assert r.ec_iic == pytest.approx(math.sqrt(19))
    num = 13 + 12 * p12
    # removing patch 0 leaves a_1² = 9: dPC_0 = 100 (num - 9) / num
    assert r.table.loc[0, "dPC"] == pytest.approx(100 * (num - 9) / num)
    assert r.table.loc[0, "dPC_intra"] == pytest.approx(100 * 4 / num)
    assert r.table.loc[0, "dPC_flux"] == pytest.approx(100 * 12 * p12 / num)
    assert r.table.loc[0, "dPC_connector"] == pytest.approx(0, abs=1e-12)
    assert r.table.loc[1, "varPC"] == pytest.approx(num - 4)
    assert r.table["dA"].tolist() == pytest.approx([40, 60])


def test_two_patches_beyond_threshold_are_unconnected() -> None:
    r = connectivity([2.0, 3.0], line(1001), threshold=1000, landscape_area=10)
    assert r.iic == pytest.approx(13 / 100)
    assert r.table["dIIC_flux"].tolist() == [0, 0]
    assert r.table["dIIC"].tolist() == pytest.approx([100 * 4 / 13, 100 * 9 / 13])


def test_threshold_is_inclusive() -> None:
    assert connectivity([1, 1], line(1000), threshold=1000).iic == pytest.approx(3 / 4)


def test_k_from_distance_and_probability() -> None:
    by_pair = connectivity([1, 1], line(2000), **HALF_AT_1000, landscape_area=2)
    by_k = connectivity([1, 1], line(2000), k=K_HALF_AT_1000, landscape_area=2)
    assert by_pair.pc == pytest.approx((2 + 2 * 0.25) / 4)
    assert by_k.pc == pytest.approx(by_pair.pc)
    pd.testing.assert_frame_equal(by_k.table, by_pair.table)


def test_stepping_stone_pc_takes_the_best_product_path() -> None:
    # patches 0 and 2 are 1500 apart directly but 600 + 600 via the stepping stone 1
    d = line(600, 600)
    d[0, 2] = d[2, 0] = 1500
    r = connectivity([1.0, 1.0, 1.0], d, k=K_HALF_AT_1000)
    p01 = 0.5**0.6
    p02_star = p01 * p01  # 0.5**1.2 beats the direct 0.5**1.5
    num = 3 + 4 * p01 + 2 * p02_star
    assert r.eca**2 == pytest.approx(num)
    stone = r.table.loc[1]
    assert stone["dPC_intra"] == pytest.approx(100 / num)
    assert stone["dPC_flux"] == pytest.approx(100 * 4 * p01 / num)
    # without the stone, 0 and 2 fall back on their direct link
    assert stone["dPC_connector"] == pytest.approx(100 * 2 * (p02_star - 0.5**1.5) / num)
    assert r.table.loc[0, "dPC_connector"] == pytest.approx(0, abs=1e-12)


def test_stepping_stone_iic_splits_the_network() -> None:
    r = connectivity([1.0, 1.0, 1.0], line(600, 600), threshold=700)
    num = 3 + 4 / 2 + 2 / 3  # nl = 1 for 0-1, 1-2; nl = 2 for 0-2
    assert r.ec_iic**2 == pytest.approx(num)
    stone = r.table.loc[1]
    assert stone["dIIC_connector"] == pytest.approx(100 * (2 / 3) / num)
    assert stone["dIIC"] == pytest.approx(100 * (num - 2) / num)  # 0 and 2 left alone
    assert r.table.loc[0, "dIIC_connector"] == pytest.approx(0, abs=1e-12)


def test_touching_patches_have_probability_one() -> None:
    d = line(0, 0)
    d[0, 2] = d[2, 0] = 5000  # the direct link is poor; the chain of touching ones is not
    r = connectivity([1.0, 1.0, 1.0], d, k=K_HALF_AT_1000, landscape_area=3)
    assert r.pc == pytest.approx(1.0)
    assert r.table.loc[1, "dPC_connector"] == pytest.approx(100 * 2 * (1 - 0.5**5) / 9)


def test_single_patch_is_all_intra() -> None:
    r = connectivity([4.0], np.zeros((1, 1)), threshold=1, k=1.0, landscape_area=8)
    assert r.iic == pytest.approx(0.25) and r.pc == pytest.approx(0.25)
    assert r.table.loc[0, ["dPC", "dPC_intra", "dIIC", "dIIC_intra"]].tolist() == [100] * 4


@pytest.mark.parametrize("k", [1.0, 0.0])
def test_infinite_distance_means_no_link(k: float) -> None:
    d = line(0, 0)
    d[:2, 2] = d[2, :2] = np.inf
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r = connectivity([1.0, 3.0, 2.0], d, k=k, threshold=10)
    assert r.eca**2 == pytest.approx(16 + 4) and r.ec_iic**2 == pytest.approx(10 + 3 + 4)
    assert r.table.loc[2, "dPC"] == pytest.approx(100 * 4 / 20)


# --- invariants ----------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [1, 2])
def test_fractions_add_up_and_sum_rules(seed: int) -> None:
    a, d = random_landscape(40, seed)
    r = connectivity(a, d, threshold=400, k=K_HALF_AT_1000 * 2)
    for total, intra, flux, connector, _ in (IIC_COLUMNS, PC_COLUMNS):
        t = r.table
        np.testing.assert_allclose(t[total], t[intra] + t[flux] + t[connector], atol=1e-9)
        assert (t[connector] >= -1e-9).all()
        assert (t[connector] > 1e-6).any()  # the landscape has stepping stones
        # Σ_k intra = 100 Σa²/num, Σ_k flux = 200 (num - Σa²)/num
        assert t[intra].sum() * 2 + t[flux].sum() == pytest.approx(200)


def test_isolated_patch_only_adds_its_intra_fraction() -> None:
    a, d = random_landscape(15, 3)
    base = connectivity(a, d, threshold=400, k=K_HALF_AT_1000)
    far = np.full((16, 16), np.inf)
    far[:15, :15] = d
    far[15, 15] = 0
    more = connectivity([*a, 5e4], far, threshold=400, k=K_HALF_AT_1000)
    isolated = more.table.iloc[-1]
    for total, intra, flux, connector, var in (IIC_COLUMNS, PC_COLUMNS):
        assert isolated[flux] == 0 and isolated[connector] == 0
        assert isolated[total] == pytest.approx(isolated[intra])
        assert isolated[var] == pytest.approx(5e4**2)
        np.testing.assert_allclose(more.table[var].iloc[:-1], base.table[var], rtol=1e-12)
    assert more.eca**2 == pytest.approx(base.eca**2 + 5e4**2)


def test_landscape_area_scales_indices_but_not_importances() -> None:
    a, d = random_landscape(20, 4)
    small = connectivity(a, d, threshold=300, k=K_HALF_AT_1000)
    big = connectivity(a, d, threshold=300, k=K_HALF_AT_1000, landscape_area=10 * a.sum())
    assert small.landscape_area == pytest.approx(a.sum())
    assert big.pc == pytest.approx(small.pc / 100)
    assert big.iic == pytest.approx(small.iic / 100)
    assert big.eca == pytest.approx(small.eca)
    pd.testing.assert_frame_equal(big.table, small.table)


def test_patch_order_does_not_matter() -> None:
    a, d = random_landscape(25, 5)
    ids = [f"p{i}" for i in range(25)]
    r = connectivity(a, d, threshold=350, k=K_HALF_AT_1000, ids=ids)
    perm = np.random.default_rng(0).permutation(25)
    shuffled = connectivity(
        a[perm], d[np.ix_(perm, perm)], threshold=350, k=K_HALF_AT_1000, ids=[ids[i] for i in perm]
    )
    assert shuffled.pc == pytest.approx(r.pc) and shuffled.iic == pytest.approx(r.iic)
    pd.testing.assert_frame_equal(shuffled.table.loc[ids], r.table, rtol=1e-9)


def _brute_force(a: np.ndarray, d: np.ndarray, threshold: float, k: float) -> pd.DataFrame:
    """dIIC and dPC by removing each patch and recomputing every path with networkx."""
    n = a.size

    def numerators(keep: list[int]) -> tuple[float, float]:
        binary, prob = nx.Graph(), nx.Graph()
        binary.add_nodes_from(keep)
        prob.add_nodes_from(keep)
        for i, j in product(keep, keep):
            if i < j and d[i, j] <= threshold:
                binary.add_edge(i, j)
            if i < j:
                prob.add_edge(i, j, weight=k * d[i, j])
        nl = dict(nx.all_pairs_shortest_path_length(binary))
        cost = dict(nx.all_pairs_dijkstra_path_length(prob))
        iic = sum(a[i] * a[j] / (1 + nl[i][j]) for i in keep for j in keep if j in nl[i])
        pc = sum(a[i] * a[j] * math.exp(-cost[i][j]) for i in keep for j in keep)
        return iic, pc

    everyone = list(range(n))
    iic, pc = numerators(everyone)
    rows = []
    for node in everyone:
        without = numerators([i for i in everyone if i != node])
        rows.append({"dIIC": 100 * (iic - without[0]) / iic, "dPC": 100 * (pc - without[1]) / pc})
    return pd.DataFrame(rows, index=pd.RangeIndex(n, name="patch"))


def test_matches_removal_by_brute_force() -> None:
    a, d = random_landscape(30, 6)
    r = connectivity(a, d, threshold=500, k=K_HALF_AT_1000 * 3)
    expected = _brute_force(a, d, 500, K_HALF_AT_1000 * 3)
    assert (r.table["dPC_connector"] > 1e-3).sum() >= 3
    assert (r.table["dIIC_connector"] > 1e-3).sum() >= 3
    pd.testing.assert_frame_equal(r.table[["dIIC", "dPC"]], expected, rtol=1e-9, atol=1e-9)


def test_inputs_are_not_mutated() -> None:
    a, d = random_landscape(10, 7)
    a_before, d_before = a.copy(), d.copy()
    connectivity(a, d, threshold=300, k=1e-3)
    np.testing.assert_array_equal(a, a_before)
    np.testing.assert_array_equal(d, d_before)


# --- validation ----------------------------------------------------------------------------

GOOD_D = line(100, 100)


@pytest.mark.parametrize(
    ("areas", "distances", "options", "message"),
    [
        ([1, -1, 1], GOOD_D, {"k": 1.0}, r"areas must be finite and >= 0; .* position 1 has -1"),
        ([1, np.nan, 1], GOOD_D, {"k": 1.0}, "areas must be finite"),
        ([0, 0, 0], GOOD_D, {"k": 1.0}, "must not all be 0"),
        ([1, 1], GOOD_D, {"k": 1.0}, r"\(2, 2\) matrix for 2 areas; got \(3, 3\)"),
        ([1, 1, 1], -GOOD_D, {"k": 1.0}, r"distances must be >= 0; d\[0, 1\] = -100"),
        ([1, 1, 1], GOOD_D + np.triu(np.ones((3, 3)), 1), {"k": 1.0}, "must be symmetric"),
        ([1, 1, 1], np.where(GOOD_D == 200, np.nan, GOOD_D), {"k": 1.0}, "use inf for no link"),
        ([1, 1, 1], GOOD_D, {}, "needs a threshold .* and/or k"),
        ([1, 1, 1], GOOD_D, {"k": 1.0, "distance": 10.0, "probability": 0.5}, "not both"),
        ([1, 1, 1], GOOD_D, {"distance": 10.0}, "go together"),
        ([1, 1, 1], GOOD_D, {"distance": 10.0, "probability": 1.5}, r"in \(0, 1\]; got 1.5"),
        ([1, 1, 1], GOOD_D, {"k": -1.0}, "k must be finite and >= 0"),
        ([1, 1, 1], GOOD_D, {"threshold": -1.0}, "threshold must be"),
        ([1, 1, 1], GOOD_D, {"k": 1.0, "landscape_area": 2.0}, "at least the total patch area 3"),
        ([1, 1, 1], GOOD_D, {"k": 1.0, "ids": ["a", "a", "b"]}, r"unique; repeated: \['a'\]"),
        ([1, 1, 1], GOOD_D, {"k": 1.0, "ids": ["a"]}, r"one id per area \(3\); got 1"),
    ],
)
def test_invalid_input_is_explained(areas, distances, options, message) -> None:
    with pytest.raises(CorridorError, match=message):
        connectivity(areas, distances, **options)


# --- edge-to-edge distances ------------------------------------------------------------


def test_edge_distances_of_boxes() -> None:
    boxes = [shapely.box(0, 0, 1, 1), shapely.box(3, 0, 4, 1), shapely.box(1, 2, 2, 3)]
    d = edge_distances(boxes)
    expected = np.array([[0, 2, 1], [2, 0, math.sqrt(2)], [1, math.sqrt(2), 0]])
    np.testing.assert_allclose(d, expected)


def test_edge_distances_take_a_geoseries() -> None:
    boxes = gpd.GeoSeries([shapely.box(0, 0, 1, 1), shapely.box(0, 4, 1, 5)], index=[7, 3])
    np.testing.assert_allclose(edge_distances(boxes), [[0, 3], [3, 0]])


def test_edge_distances_with_a_max_distance() -> None:
    rng = np.random.default_rng(8)
    discs = shapely.buffer(shapely.points(rng.uniform(0, 1000, (60, 2))), rng.uniform(5, 30, 60))
    full = edge_distances(discs)
    near = edge_distances(discs, max_distance=150)
    within = full <= 150
    np.testing.assert_allclose(near[within], full[within])
    assert np.isinf(near[~within]).all() and (~within).any()
    np.testing.assert_array_equal(near, near.T)


@pytest.mark.parametrize(
    ("geoms", "message"),
    [
        ([shapely.box(0, 0, 1, 1), None], "position 1 is None"),
        ([shapely.box(0, 0, 1, 1), shapely.Polygon()], "position 1"),
    ],
)
def test_edge_distances_reject_missing_geometries(geoms, message) -> None:
    with pytest.raises(CorridorError, match=message):
        edge_distances(geoms)


def test_raster_edge_distances_between_cell_edges() -> None:
    labels = np.array(
        [
            [5, 5, 0, 0, 2],
            [5, 5, 2, 0, 0],
            [0, 0, 0, 0, 0],
            [0, 0, 0, 0, 9],
        ]
    )
    d = raster_edge_distances(labels, cell_size=10.0)
    # order of np.unique: 2, 5, 9. 5-2 touch side by side: 0 apart; the cell (1, 2) of 2 and
    # 9 at (3, 4) leave a gap of one row and one column; 5's (1, 1) and 9: one row, two columns
    expected = np.array(
        [
            [0, 0, 10 * math.hypot(1, 1)],
            [0, 0, 10 * math.hypot(1, 2)],
            [10 * math.hypot(1, 1), 10 * math.hypot(1, 2), 0],
        ]
    )
    np.testing.assert_allclose(d, expected)
    # corner to corner is touching too
    np.testing.assert_allclose(raster_edge_distances(np.array([[1, 0], [0, 2]]), 3.0),
                               np.zeros((2, 2)))


def _random_labels(seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.integers(1, 7, (30, 30)) * (rng.random((30, 30)) < 0.08)


def test_raster_edge_distances_match_all_cell_pairs() -> None:
    labels = _random_labels(9)
    d = raster_edge_distances(labels, cell_size=2.5)
    ids = np.unique(labels[labels > 0])
    cells = {i: np.argwhere(labels == i) for i in ids}
    for (p, i), (q, j) in product(enumerate(ids), enumerate(ids)):
        # the gap between two unit squares: one fewer than the row and column offsets
        offset = np.abs(cells[i][:, None] - cells[j][None, :]).transpose(2, 0, 1)
        gap = np.hypot(*np.maximum(offset - 1, 0))
        assert d[p, q] == pytest.approx(0 if i == j else 2.5 * gap.min())
    capped = raster_edge_distances(labels, cell_size=2.5, max_distance=10)
    np.testing.assert_allclose(np.where(d <= 10, d, np.inf), capped)


def test_raster_edge_distances_equal_those_of_the_cells_as_polygons() -> None:
    labels = _random_labels(10)
    ids = np.unique(labels[labels > 0])
    rows, cols = np.mgrid[0 : labels.shape[0], 0 : labels.shape[1]]
    squares = shapely.box(cols * 2.5, -(rows + 1) * 2.5, (cols + 1) * 2.5, -rows * 2.5)
    patches = [shapely.union_all(squares[labels == i]) for i in ids]
    np.testing.assert_allclose(raster_edge_distances(labels, cell_size=2.5),
                               edge_distances(patches), atol=1e-9)


@pytest.mark.parametrize(
    ("labels", "options", "message"),
    [
        (np.zeros((3, 3), dtype=int), {}, "no patch"),
        (np.ones((3, 3)), {}, "integer array; got 2-D of dtype float64"),
        (np.ones(3, dtype=int), {}, "2-D integer array; got 1-D"),
        (np.ones((3, 3), dtype=int), {"cell_size": 0.0}, "cell_size must be finite and > 0"),
        (np.ones((3, 3), dtype=int), {"max_distance": -1.0}, "max_distance must be >= 0"),
    ],
)
def test_raster_edge_distances_reject_bad_input(labels, options, message) -> None:
    with pytest.raises(CorridorError, match=message):
        raster_edge_distances(labels, **({"cell_size": 1.0} | options))


@pytest.mark.parametrize("module", [_conefor, _distances])
def test_docstring_examples_run(module) -> None:
    outcome = doctest.testmod(module)
    assert outcome.failed == 0 and outcome.attempted > 0
