"""Survey or InSAR points interpolated to a subsidence raster, and the 'points' form."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import rasterio
import shapely

from tests.test_subsidence_forms import demo_variant, subsidence_columns
from zoning import columns as col
from zoning._resources import demo_project
from zoning.errors import LayerError, ValidationFailed
from zoning.subsidence import interpolate_points


def points(xy: np.ndarray, values: np.ndarray, crs: str = "EPSG:4548") -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"depth_m": values}, geometry=shapely.points(xy), crs=crs)


def cell_centres(grid):
    rows, cols = np.indices(grid.values.shape)
    return grid.transform.c + (cols + 0.5) * grid.transform.a, \
        grid.transform.f + (rows + 0.5) * grid.transform.e


def test_linear_reproduces_a_plane_exactly():
    rng = np.random.default_rng(1)
    xy = rng.uniform(0, 1000, (200, 2))
    plane = lambda x, y: 0.3 + 0.002 * x - 0.001 * y  # noqa: E731
    grid = interpolate_points(points(xy, plane(xy[:, 0], xy[:, 1])), buffer_m=0)
    x, y = cell_centres(grid)
    inside = ~np.isnan(grid.values)
    assert inside.sum() > 5000
    np.testing.assert_allclose(grid.values[inside], plane(x, y)[inside], atol=1e-9)


def test_idw_is_exact_at_a_point_and_bounded_by_the_data():
    xy = np.array([[5.0, 5.0], [105.0, 5.0], [5.0, 105.0], [305.0, 205.0]])
    values = np.array([1.0, 2.0, 3.0, 4.0])
    grid = interpolate_points(points(xy, values), method="idw", resolution_m=10, buffer_m=50)
    assert grid.values[~np.isnan(grid.values)].min() >= 1.0
    assert np.nanmax(grid.values) <= 4.0
    col0, row0 = ~grid.transform @ (5.0, 5.0)
    assert grid.values[int(row0), int(col0)] == pytest.approx(1.0)


def test_gaussian_bowl_is_recovered_from_scattered_points():
    rng = np.random.default_rng(2)
    bowl = lambda x, y: 3.0 * np.exp(-((x - 1000) ** 2 + (y - 1000) ** 2) / 400**2)  # noqa: E731
    xy = rng.uniform(0, 2000, (400, 2))
    # measured (seed 2): linear mean 0.016 m, 95 % 0.059 m, max 0.44 m (near the peak,
    # between points ~100 m apart); idw mean 0.040, 95 % 0.18, max 0.62
    for method, mean_tol, p95_tol in (("linear", 0.02, 0.07), ("idw", 0.05, 0.2)):
        grid = interpolate_points(points(xy, bowl(xy[:, 0], xy[:, 1])), method=method,
                                  resolution_m=20, buffer_m=0)
        x, y = cell_centres(grid)
        inside = ~np.isnan(grid.values)
        error = np.abs(grid.values - bowl(x, y))[inside]
        assert error.mean() < mean_tol and np.percentile(error, 95) < p95_tol, method


def test_cells_beyond_the_buffer_are_missing():
    xy = np.array([[0.0, 0.0], [1000.0, 0.0], [0.0, 1000.0]])
    grid = interpolate_points(points(xy, np.ones(3)), buffer_m=100)
    x, y = cell_centres(grid)
    hull = shapely.Polygon(xy)
    distance = shapely.distance(hull, shapely.points(x.ravel(), y.ravel())).reshape(x.shape)
    assert np.isnan(grid.values[distance > 110]).all()
    assert not np.isnan(grid.values[distance < 90]).any()


def test_millimetres_are_scaled():
    xy = np.array([[0.0, 0.0], [100.0, 0.0], [0.0, 100.0]])
    grid = interpolate_points(points(xy, np.full(3, 500.0)), scale=0.001)
    assert np.nanmax(grid.values) == pytest.approx(0.5)


@pytest.mark.parametrize(("frame", "message"), [
    (points(np.array([[0.0, 0], [1, 0], [0, 1]]), np.ones(3)).rename(
        columns={"depth_m": "depth"}), r"'depth_m' not found.*depth"),
    (points(np.array([[0.0, 0], [1, 0], [0, 1]]), np.array([1.0, np.nan, 2])),
     r"1 point\(s\) have a missing"),
    (points(np.array([[0.0, 0], [1, 0]]), np.ones(2)), "at least 3 points"),
    (points(np.array([[0.0, 0], [1, 1], [2, 2]]), np.ones(3)), "on one line"),
    (points(np.array([[117.0, 34], [117.1, 34], [117, 34.1]]), np.ones(3), "EPSG:4326"),
     "projected CRS"),
])
def test_bad_points_are_explained(frame, message):
    with pytest.raises(LayerError, match=message):
        interpolate_points(frame)


@pytest.mark.slow
def test_points_form_on_the_demo_agrees_with_the_raster(tmp_path):
    demo = demo_project().parent
    with rasterio.open(demo / "subsidence.tif") as src:
        w, transform = src.read(1), src.transform
    rng = np.random.default_rng(3)
    rows, cols = rng.integers(0, w.shape[0], 6000), rng.integers(0, w.shape[1], 6000)
    x, y = transform @ (cols + 0.5, rows + 0.5)
    survey = points(np.column_stack([x, y]), w[rows, cols] * 1000)
    survey.rename(columns={"depth_m": "W_mm"}).to_file(tmp_path / "levelling.gpkg")
    project = demo_variant(tmp_path, {"form": "points", "path": str(tmp_path / "levelling.gpkg"),
                                      "depth_field": "W_mm", "units": "mm"}, "points")
    from_points = subsidence_columns(project)
    raster = subsidence_columns(demo_variant(
        tmp_path, {"form": "raster", "path": str(demo / "subsidence.tif")}, "raster"))
    big = raster[col.AREA_HA] > 1.0
    error = (from_points[col.SUBS_MAX_M] - raster[col.SUBS_MAX_M]).abs()[big]
    assert error.median() < 0.05
    assert error.quantile(0.95) < 0.5


def test_points_form_rejects_polygons(tmp_path):
    project = demo_variant(tmp_path, {"form": "points", "path": str(
        demo_project().parent / "subsidence.gpkg"), "layer": "contours"}, "bad")
    from zoning.engine import prepare

    with pytest.raises(ValidationFailed, match=r"expects.*Point.*found"):
        prepare(project)
