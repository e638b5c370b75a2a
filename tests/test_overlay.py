import math

import geopandas as gpd
import numpy as np
import pytest
import shapely
from affine import Affine
from pyproj import CRS
from rasterio.features import rasterize

from zoning import columns as col
from zoning.layers.grid import Grid
from zoning.overlay import (
    area_share,
    depth_from_grid,
    depth_from_polygons,
    flatten_depth_polygons,
)
from zoning.rules.models import band_column

BANDS = [0.5, 1.5, 3.0]
SHARES = [band_column(lo, hi) for lo, hi in [(0, 0.5), (0.5, 1.5), (1.5, 3.0), (3.0, math.inf)]]


def parcels():
    # three 100 m squares side by side
    return gpd.GeoSeries([shapely.box(i * 100, 0, (i + 1) * 100, 100) for i in range(3)],
                         crs="EPSG:4548")


def contours():
    # nested contours: >= 1 m over x in [50, 300), >= 3 m over x in [200, 300)
    return gpd.GeoDataFrame({"depth_m": [1.0, 3.0]},
                            geometry=[shapely.box(50, 0, 300, 100), shapely.box(200, 0, 300, 100)],
                            crs="EPSG:4548")


def test_nested_contours_flatten_to_bands():
    flat = flatten_depth_polygons(contours())
    assert sorted(flat["depth_m"]) == [1.0, 3.0]
    assert flat.area.sum() == pytest.approx(250 * 100)  # no overlap left
    assert flat.loc[flat["depth_m"] == 1.0].area.sum() == pytest.approx(150 * 100)


def test_depth_statistics_by_hand():
    out = depth_from_polygons(parcels(), contours(), BANDS, {col.PONDED_SHARE: 2.5})
    assert out[col.SUBS_MAX_M].tolist() == [1.0, 1.0, 3.0]
    assert out[col.SUBS_MEAN_M].tolist() == pytest.approx([0.5, 1.0, 3.0])
    assert out[SHARES[0]].tolist() == pytest.approx([0.5, 0.0, 0.0])
    assert out[SHARES[1]].tolist() == pytest.approx([0.5, 1.0, 0.0])
    assert out[SHARES[3]].tolist() == pytest.approx([0.0, 0.0, 1.0])
    assert out[col.PONDED_SHARE].tolist() == pytest.approx([0.0, 0.0, 1.0])
    # band shares partition each parcel
    assert out[SHARES].sum(axis=1).tolist() == pytest.approx([1.0, 1.0, 1.0])


def test_area_share_counts_overlaps_once():
    cover = gpd.GeoSeries([shapely.box(0, 0, 150, 100), shapely.box(100, 0, 150, 100)])
    assert area_share(parcels(), cover).tolist() == pytest.approx([1.0, 0.5, 0.0])


def test_raster_gives_the_polygon_statistics_within_a_cell():
    # rasterise the contours at 10 m and read them back: same maxima, same shares
    transform = Affine(10, 0, -50, 0, -10, 150)
    flat = flatten_depth_polygons(contours())
    values = rasterize(zip(flat.geometry, flat["depth_m"], strict=True), out_shape=(20, 40),
                       transform=transform, fill=0.0, dtype="float64")
    grid = Grid(values, transform, CRS.from_epsg(4548))
    from_grid = depth_from_grid(parcels(), grid, BANDS, {col.PONDED_SHARE: 2.5})
    from_poly = depth_from_polygons(parcels(), contours(), BANDS, {col.PONDED_SHARE: 2.5})
    np.testing.assert_allclose(from_grid[col.SUBS_MAX_M], from_poly[col.SUBS_MAX_M])
    np.testing.assert_allclose(from_grid[SHARES], from_poly[SHARES], atol=0.1)
    np.testing.assert_allclose(from_grid[col.PONDED_SHARE], from_poly[col.PONDED_SHARE])


def test_parcel_smaller_than_a_cell_samples_the_raster():
    grid = Grid(np.full((2, 2), 2.0), Affine(100, 0, 0, 0, -100, 200), CRS.from_epsg(4548))
    tiny = gpd.GeoSeries([shapely.box(10, 10, 20, 20)], crs="EPSG:4548")
    out = depth_from_grid(tiny, grid, BANDS, {col.PONDED_SHARE: 1.0})
    assert out[col.SUBS_MAX_M].iloc[0] == 2.0
    assert out[col.PONDED_SHARE].iloc[0] == 1.0
