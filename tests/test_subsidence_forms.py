"""The four subsidence input forms give consistent per-parcel columns on the demo region."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
import shapely
import yaml

from zoning import columns as col
from zoning._resources import demo_project
from zoning.damage import STAGE as DAMAGE
from zoning.engine import STAGES, prepare, run_stages
from zoning.layers.grid import Grid, snapped_grid
from zoning.subsidence.stage import rasterize_depths

pytestmark = pytest.mark.slow


def demo_variant(tmp_path: Path, subsidence: dict, name: str,
                 groundwater: dict | None = None) -> Path:
    """The demo project with another subsidence (and groundwater) entry, on the demo layers."""
    demo = demo_project()
    spec = yaml.safe_load(demo.read_text(encoding="utf-8"))
    for layer in spec["layers"].values():
        layer["path"] = str(demo.parent / layer["path"])
    spec.pop("assessment")  # the social-ecological table plays no part in subsidence
    spec["layers"]["subsidence"] = subsidence
    spec["name"] = name
    spec["groundwater"] = groundwater or spec["groundwater"]
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    return path


UP_TO_DAMAGE = STAGES[: STAGES.index(DAMAGE) + 1]
"""derive, subsidence and damage: every column these tests compare comes from them."""


def subsidence_columns(project: Path) -> pd.DataFrame:
    """The parcel table after the stages up to damage (the later ones only read it)."""
    result = run_stages(prepare(project), progress=False, stages=UP_TO_DAMAGE)
    return result.parcels


@pytest.fixture(scope="module")
def from_polygons(demo_result) -> pd.DataFrame:
    """The demo as shipped (subsidence polygons): the session's whole run, not a copy."""
    return demo_result.parcels


def test_raster_made_from_the_polygons_gives_the_same_maxima(tmp_path, demo_result,
                                                             from_polygons):
    prepared = demo_result.prepared  # read only
    grid = rasterize_depths(prepared.layers.vectors["subsidence"],
                            snapped_grid(prepared.layers.parcels.total_bounds, 5.0),
                            prepared.layers.crs)
    grid.write(tmp_path / "w.tif")
    raster = subsidence_columns(demo_variant(
        tmp_path, {"form": "raster", "path": str(tmp_path / "w.tif")}, "raster"))
    poly_max, grid_max = from_polygons[col.SUBS_MAX_M], raster[col.SUBS_MAX_M]
    # a parcel's deepest band can be thinner than a cell: then the raster sees the band
    # next to it, one contour level (0.5-1 m) shallower; that is the cell tolerance
    same = np.isclose(poly_max, grid_max)
    assert same.mean() > 0.9
    big = from_polygons[col.AREA_HA] > 1.0
    assert (same | ~big).mean() > 0.97
    assert (grid_max <= poly_max + 1e-9).all()
    np.testing.assert_allclose(raster[col.SUBS_MEAN_M], from_polygons[col.SUBS_MEAN_M],
                               atol=0.15)
    assert raster[col.TILT_MAX_MM_M].notna().all()
    assert from_polygons[col.TILT_MAX_MM_M].isna().all()


def test_prediction_from_the_demo_panels(tmp_path, from_polygons):
    predicted = subsidence_columns(demo_variant(tmp_path, {"form": "panels"}, "panels"))
    for column in (col.SUBS_MAX_M, col.TILT_MAX_MM_M, col.CURV_MAX_PER_KM,
                   col.STRAIN_MAX_MM_M):
        assert predicted[column].notna().all(), column
    # same panels as the generator's basins, default parameters: similar basins
    basin = from_polygons[col.SUBS_MAX_M] > 0.5
    overlap = (predicted[col.SUBS_MAX_M] > 0.5) & basin
    assert overlap.sum() > 0.7 * basin.sum()
    assert predicted[col.SUBS_MAX_M].max() == pytest.approx(from_polygons[col.SUBS_MAX_M].max(),
                                                            rel=0.25)
    assert set(predicted[col.DAMAGE_GRADE]) >= {"none", "light", "moderate", "severe"}


def test_stability_from_panel_end_years(from_polygons):
    years = from_polygons[col.YEARS_SINCE_MINING]
    assert years.notna().any() and (years.dropna() >= 0).all()
    recent = years < 3
    assert (from_polygons.loc[recent, col.STABLE] == False).all()  # noqa: E712
    assert from_polygons.loc[years.isna(), col.STABLE].all()


def test_points_sampled_from_the_demo_raster_give_its_maxima(tmp_path):
    demo = demo_project().parent
    with rasterio.open(demo / "subsidence.tif") as src:
        w, transform = src.read(1), src.transform
    rng = np.random.default_rng(3)
    rows, cols = rng.integers(0, w.shape[0], 6000), rng.integers(0, w.shape[1], 6000)
    x, y = transform @ (cols + 0.5, rows + 0.5)
    survey = gpd.GeoDataFrame({"W_mm": w[rows, cols] * 1000}, geometry=shapely.points(x, y),
                              crs="EPSG:4548")
    survey.to_file(tmp_path / "levelling.gpkg")
    from_points = subsidence_columns(demo_variant(
        tmp_path, {"form": "points", "path": str(tmp_path / "levelling.gpkg"),
                   "depth_field": "W_mm", "units": "mm", "sign": "down_positive"}, "points"))
    raster = subsidence_columns(demo_variant(
        tmp_path, {"form": "raster", "path": str(demo / "subsidence.tif")}, "raster"))
    big = raster[col.AREA_HA] > 1.0
    error = (from_points[col.SUBS_MAX_M] - raster[col.SUBS_MAX_M]).abs()[big]
    assert error.median() < 0.05
    assert error.quantile(0.95) < 0.5


def test_constant_groundwater_raster_gives_the_columns_of_depth_m(tmp_path, demo_result,
                                                                  from_polygons):
    prepared = demo_result.prepared  # read only
    transform, shape = snapped_grid(prepared.layers.parcels.total_bounds, 50.0)
    Grid(np.full(shape, 2.5), transform, prepared.layers.crs).write(tmp_path / "gw.tif")
    raster = subsidence_columns(demo_variant(
        tmp_path, {"form": "polygons", "path": str(demo_project().parent / "subsidence.gpkg"),
                   "layer": "contours"}, "gw_raster",
        {"path": str(tmp_path / "gw.tif")}))
    # the raster's shares are counted on the stage's 10 m cells, the constant's are exact
    # areas of the depth polygons: they differ by the cells a band's edge cuts
    area, cell_ha = from_polygons[col.AREA_HA], 0.01  # the stage's cells are 10 m
    for column in (col.PONDED_SHARE, col.SEASONAL_SHARE):
        cells_off = (raster[column] - from_polygons[column]).abs() * area / cell_ha
        assert (cells_off <= 2).mean() > 0.99, column
        assert cells_off.max() < 10, column
        assert (raster[column] * area).sum() == pytest.approx((from_polygons[column] * area).sum(),
                                                              rel=0.01), column
    np.testing.assert_allclose(raster[col.GW_BEFORE_M], 2.5)
    # gw_after is 2.5 m minus the deepest subsidence the grid sees, which may miss a deepest
    # band thinner than a cell (see the raster test above)
    after, exact_after = raster[col.GW_AFTER_M], from_polygons[col.GW_AFTER_M]
    assert (after >= exact_after - 1e-9).all()
    assert np.isclose(after, exact_after).mean() > 0.9
    np.testing.assert_allclose(raster[col.POND_DEPTH_M], (-after).clip(0))
