from itertools import pairwise

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from affine import Affine
from pyproj import CRS

from zoning.columns import (
    EARTH_VOLUME_M3,
    EARTHWORK_STATUS,
    FIELD_HEIGHT_M,
    POND_AREA_HA,
    POND_SHARE,
)
from zoning.earthwork import (
    BALANCED,
    COLUMNS,
    INSUFFICIENT_CUT,
    NO_CELLS,
    NO_FILL_NEEDED,
    NO_GROUNDWATER,
    balance,
    earth_balance,
)
from zoning.errors import ZoningError
from zoning.layers.grid import Grid

CRS_M = CRS(4548)
STEPS = np.repeat([3.0, 1.5], 10)  # ten cells subsided 3 m, ten 1.5 m
RAMP = 0.5 + 0.1 * np.arange(20)  # 0.5, 0.6, ..., 2.4 m


def cut_and_fill(depths, area, g, h, d, b):
    """Cut and fill recomputed from the pond area alone: the deepest cells are pond."""
    g = np.broadcast_to(g, depths.shape)
    order = np.argsort(-depths, kind="stable")
    w, g = depths[order], g[order]
    k = b.pond_area_ha * 1e4 / area
    pond = np.clip(k - np.arange(w.size), 0, 1)  # pond fraction of each cell
    cut = (pond * np.maximum(g + d - w, 0)).sum() * area
    fill = ((1 - pond) * np.maximum(h - g + w, 0)).sum() * area
    return cut, fill


def test_two_flat_steps_by_hand():
    # deep cells: cut 2 + 2 - 3 = 1 m, fill 1 - 2 + 3 = 2 m; shallow: cut 2.5 m, fill 0.5 m.
    # k deep cells dug: 100 k = 100 (2 (10 - k)) + 500  ->  k = 25 / 3
    b = balance(STEPS, 100.0, 2.0, field_height_m=1.0, pond_depth_m=2.0)
    assert b.status == BALANCED
    assert b.pond_area_ha == pytest.approx(25 / 3 * 100 / 1e4, rel=1e-12)
    assert b.field_area_ha == pytest.approx((20 - 25 / 3) * 100 / 1e4, rel=1e-12)
    assert b.pond_share == pytest.approx(25 / 3 / 20, rel=1e-12)
    assert b.earth_volume_m3 == pytest.approx(2500 / 3, rel=1e-12)
    assert b.field_height_m == 1.0
    assert b.pond_edge_subs_m == 3.0


def test_linear_ramp_by_hand():
    # every cell lies between g - h = 0.5 and g + d = 3.5, so cut + fill = h + d = 3 m per
    # cell: pond cells = total fill / 3 = 0.1 * 190 / 3 = 19 / 3, i.e. the six deepest cells
    # and a third of the seventh (W = 1.8); cut = 8.1 + 1.7 / 3 = 26 / 3 m per m² of cell
    b = balance(RAMP, 100.0, 1.5, field_height_m=1.0, pond_depth_m=2.0)
    assert b.pond_area_ha * 1e4 == pytest.approx(19 / 3 * 100, rel=1e-12)
    assert b.earth_volume_m3 == pytest.approx(26 / 3 * 100, rel=1e-12)
    assert b.pond_edge_subs_m == pytest.approx(1.8)
    shuffled = balance(np.random.default_rng(0).permutation(RAMP), 100.0, 1.5, 1.0, 2.0)
    assert shuffled.pond_area_ha == pytest.approx(b.pond_area_ha, rel=1e-12)


def test_bulking_by_hand():
    # 1.2 * 100 k = 2500 - 200 k  ->  k = 7.8125 cells; fill placed = 1.2 * cut
    b = balance(STEPS, 100.0, 2.0, field_height_m=1.0, pond_depth_m=2.0, bulking=1.2)
    assert b.pond_area_ha * 1e4 == pytest.approx(781.25, rel=1e-12)
    assert b.earth_volume_m3 == pytest.approx(781.25, rel=1e-12)


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("bulking", [1.0, 1.3])
def test_cut_equals_fill_on_random_parcels(seed, bulking):
    rng = np.random.default_rng(seed)
    depths = rng.gamma(2.0, 1.0, 300)
    g = rng.uniform(0.5, 3.0, 300)
    b = balance(depths, 25.0, g, field_height_m=0.8, pond_depth_m=1.5, bulking=bulking)
    cut, fill = cut_and_fill(depths, 25.0, g, 0.8, 1.5, b)
    assert b.status == BALANCED
    assert bulking * cut == pytest.approx(fill, rel=1e-9)
    assert b.earth_volume_m3 == pytest.approx(cut, rel=1e-9)
    assert b.field_height_m == 0.8
    # the pond is the deepest ground: every cell deeper than its edge, part of the edge
    k = b.pond_area_ha * 1e4 / 25.0
    assert (depths > b.pond_edge_subs_m).sum() <= k <= (depths >= b.pond_edge_subs_m).sum()
    assert (b.pond_area_ha + b.field_area_ha) * 1e4 == pytest.approx(300 * 25.0)


def test_no_fill_needed_keeps_the_ground():
    b = balance(np.array([0.0, 0.5, 0.2]), 100.0, 2.0, field_height_m=1.0, pond_depth_m=2.0)
    assert b.status == NO_FILL_NEEDED
    assert (b.pond_area_ha, b.earth_volume_m3, b.pond_share) == (0.0, 0.0, 0.0)
    assert b.field_area_ha == pytest.approx(0.03)
    assert b.field_height_m == 1.5  # lowest ground, 2 - 0.5 m above the water table


def test_insufficient_cut_when_all_ground_is_below_the_pond_bottom():
    b = balance(np.array([4.0, 5.0, 6.0]), 100.0, 2.0, field_height_m=1.0, pond_depth_m=2.0)
    assert b.status == INSUFFICIENT_CUT
    assert (b.pond_share, b.field_area_ha, b.earth_volume_m3) == (1.0, 0.0, 0.0)
    assert np.isnan(b.field_height_m)


def test_deep_ground_without_spoil_becomes_pond_first():
    # five cells 5 m deep (no cut, fill 4 m) and five at 1 m (exactly 1 m above the water):
    # ponding the deep half balances with no earth moved
    b = balance(np.repeat([5.0, 1.0], 5), 100.0, 2.0, field_height_m=1.0, pond_depth_m=2.0)
    assert b.status == BALANCED
    assert b.pond_share == 0.5
    assert b.earth_volume_m3 == 0.0
    assert b.field_height_m == 1.0


def square_grid(values, size=10.0):
    rows, _ = values.shape
    return Grid(values, Affine(size, 0, 0, 0, -size, rows * size), CRS_M)


def random_case(seed):
    rng = np.random.default_rng(seed)
    rows, cols = 60, 80
    y, x = np.mgrid[0:rows, 0:cols]
    bowl = 4 * np.exp(-((x - 40) ** 2 + (y - 30) ** 2) / 400)
    subs = bowl + rng.uniform(0, 0.3, (rows, cols))
    subs[5, 5] = np.nan  # missing: counts as 0 m
    gw = rng.uniform(1.0, 3.0, (rows, cols))
    gw[50:52, 70:72] = np.nan
    # a tartan of non-overlapping rectangles 1 to ~20 cells wide, then a parcel smaller than
    # a cell and one outside the grid
    xs = np.unique(np.r_[0, rng.choice(np.arange(1, cols), 9, replace=False), cols]) * 10
    ys = np.unique(np.r_[0, rng.choice(np.arange(1, rows), 7, replace=False), rows]) * 10
    boxes = [shapely.box(x0, y0, x1, y1) for x0, x1 in pairwise(xs)
             for y0, y1 in pairwise(ys)]
    boxes += [shapely.box(101, 101, 104, 104), shapely.box(5000, 5000, 5100, 5100)]
    index = [f"p{i}" for i in range(len(boxes))]
    return (gpd.GeoSeries(boxes, index=index, crs=CRS_M), square_grid(subs), square_grid(gw),
            rng.random(len(boxes)) < 0.8)


@pytest.mark.parametrize("seed", range(3))
def test_earth_balance_equals_balance_per_parcel(seed):
    parcels, subs, gw, mask = random_case(seed)
    mask[-2:] = True
    out = earth_balance(parcels, subs, gw, field_height_m=1.0, pond_depth_m=2.0, mask=mask,
                        bulking=1.1)
    assert list(out.columns) == list(COLUMNS)
    assert out.index.equals(parcels.index)
    ys, xs = np.mgrid[0:60, 0:80]
    cx, cy = xs.ravel() * 10 + 5.0, 600 - (ys.ravel() * 10 + 5.0)
    checked = 0
    for name, geom, selected in zip(parcels.index, parcels.values, mask, strict=True):
        row = out.loc[name]
        if not selected:
            assert pd.isna(row[EARTHWORK_STATUS]) and np.isnan(row[POND_AREA_HA])
            continue
        inside = np.flatnonzero(shapely.contains_xy(geom, cx, cy))
        if inside.size == 0:
            assert row[EARTHWORK_STATUS] == NO_CELLS
            continue
        g = gw.values.ravel()[inside]
        if np.isnan(g).any():
            assert row[EARTHWORK_STATUS] == NO_GROUNDWATER
            continue
        w = np.nan_to_num(subs.values.ravel()[inside])
        one = balance(w, 100.0, g, field_height_m=1.0, pond_depth_m=2.0, bulking=1.1)
        assert row[EARTHWORK_STATUS] == one.status
        for column in COLUMNS[:-1]:
            assert row[column] == pytest.approx(getattr(one, column), rel=1e-9, abs=1e-12,
                                                nan_ok=True)
        checked += 1
    assert checked > 40
    assert set(out[EARTHWORK_STATUS].dropna()) >= {BALANCED, NO_CELLS, NO_GROUNDWATER}


def test_groundwater_grid_equals_constant_when_constant():
    parcels, subs, _, _ = random_case(1)
    constant = earth_balance(parcels, subs, 1.7, 1.0, 2.0)
    grid = earth_balance(parcels, subs, square_grid(np.full(subs.values.shape, 1.7)), 1.0, 2.0)
    assert grid.equals(constant)
    assert (constant[EARTHWORK_STATUS] == BALANCED).sum() > 40


def test_inputs_not_mutated():
    parcels, subs, gw, mask = random_case(2)
    before = (parcels.copy(), subs.values.copy(), gw.values.copy(), mask.copy())
    earth_balance(parcels, subs, gw, 1.0, 2.0, mask=mask)
    depths, g = RAMP.copy(), np.full(20, 1.5)
    balance(depths, 100.0, g, 1.0, 2.0)
    assert parcels.equals(before[0])
    np.testing.assert_array_equal(subs.values, before[1])
    np.testing.assert_array_equal(gw.values, before[2])
    np.testing.assert_array_equal(mask, before[3])
    np.testing.assert_array_equal(depths, RAMP)
    np.testing.assert_array_equal(g, 1.5)


@pytest.mark.parametrize(("kwargs", "name"), [
    ({"depths": -STEPS}, "depths"),
    ({"depths": np.array([1.0, np.nan])}, "depths"),
    ({"depths": np.array([])}, "depths"),
    ({"field_height_m": 0.0}, "field_height_m"),
    ({"field_height_m": -1.0}, "field_height_m"),
    ({"pond_depth_m": 0.0}, "pond_depth_m"),
    ({"pond_depth_m": float("nan")}, "pond_depth_m"),
    ({"bulking": 0.0}, "bulking"),
    ({"cell_area_m2": 0.0}, "cell_area_m2"),
    ({"groundwater_m": -2.0}, "groundwater_m"),
    ({"groundwater_m": np.ones(3)}, "groundwater_m"),
])
def test_balance_errors_name_the_parameter(kwargs, name):
    args = {"depths": STEPS, "cell_area_m2": 100.0, "groundwater_m": 2.0,
            "field_height_m": 1.0, "pond_depth_m": 2.0} | kwargs
    with pytest.raises(ZoningError, match=rf"^{name}: expected"):
        balance(**args)


def test_earth_balance_errors_name_the_parameter():
    parcels, subs, gw, _ = random_case(0)
    with pytest.raises(ZoningError, match=r"^parcels: expected the CRS"):
        earth_balance(parcels.to_crs(4326), subs, 2.0, 1.0, 2.0)
    shifted = Grid(gw.values, Affine(10, 0, 1, 0, -10, 600), CRS_M)
    with pytest.raises(ZoningError, match=r"^groundwater_m: expected a grid on the cells"):
        earth_balance(parcels, subs, shifted, 1.0, 2.0)
    with pytest.raises(ZoningError, match=r"^groundwater_m: expected finite"):
        earth_balance(parcels, subs, square_grid(-gw.values), 1.0, 2.0)
    with pytest.raises(ZoningError, match=r"^subsidence: expected subsidence positive"):
        earth_balance(parcels, square_grid(-subs.values), 2.0, 1.0, 2.0)
    geographic = Grid(subs.values, Affine(0.001, 0, 117, 0, -0.001, 34.5), CRS(4326))
    with pytest.raises(ZoningError, match=r"^subsidence: expected a grid in a projected CRS"):
        earth_balance(parcels.to_crs(4326), geographic, 2.0, 1.0, 2.0)
    with pytest.raises(ZoningError, match=r"^mask: expected a boolean array"):
        earth_balance(parcels, subs, 2.0, 1.0, 2.0, mask=np.ones(3, dtype=bool))
    with pytest.raises(ZoningError, match=r"^field_height_m: expected"):
        earth_balance(parcels, subs, 2.0, 0.0, 2.0)


def test_statuses_and_shares_over_a_region():
    parcels, subs, gw, _ = random_case(0)
    out = earth_balance(parcels, subs, gw, field_height_m=1.0, pond_depth_m=2.0)
    known = out[out[EARTHWORK_STATUS].isin([BALANCED, NO_FILL_NEEDED, INSUFFICIENT_CUT])]
    assert ((known[POND_SHARE] >= 0) & (known[POND_SHARE] <= 1)).all()
    balanced = out[out[EARTHWORK_STATUS] == BALANCED]
    assert (balanced[FIELD_HEIGHT_M] == 1.0).all()
    assert (balanced[EARTH_VOLUME_M3] > 0).all()


def test_balance_closes_on_a_small_parcel_after_a_large_one():
    # running sums over a whole region carry its rounding; a parcel with little earth to
    # move after one with a lot must still close to 1e-9
    rng = np.random.default_rng(4)
    subs = np.column_stack([rng.uniform(0, 12, (300, 299)), 1 + 1e-3 * rng.random((300, 1))])
    grid = square_grid(subs)
    parcels = gpd.GeoSeries([shapely.box(0, 0, 2990, 3000), shapely.box(2990, 0, 3000, 3000)],
                            crs=CRS_M)
    out = earth_balance(parcels, grid, 2.0, field_height_m=1.0, pond_depth_m=2.0)
    small = balance(subs[:, -1], 100.0, 2.0, field_height_m=1.0, pond_depth_m=2.0)
    assert small.status == BALANCED
    cut, fill = cut_and_fill(subs[:, -1], 100.0, 2.0, 1.0, 2.0, small)
    assert cut == pytest.approx(fill, rel=1e-12)
    assert out[EARTH_VOLUME_M3].iloc[1] == pytest.approx(small.earth_volume_m3, rel=1e-12)
    assert out[POND_AREA_HA].iloc[1] == pytest.approx(small.pond_area_ha, rel=1e-12)
