"""Raster statistics per parcel: slope from a DEM, any project raster's mean / max / shares."""

from __future__ import annotations

import json
import math
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import rasterio
import shapely
import yaml
from _rasters import SHAPE, X0, centres_x, write_raster
from affine import Affine
from conftest import shared

from zoning import columns as col
from zoning._resources import rules_dir
from zoning.engine import prepare, run_stages
from zoning.errors import ValidationFailed
from zoning.suitability import STAGE as SUITABILITY


def run_to(project: Path, last: str = "rasters"):
    """The parcel table after the project's stages up to the one named ``last``."""
    prepared = prepare(project)
    names = [s.name for s in prepared.stages]
    return run_stages(prepared, progress=False,
                      stages=prepared.stages[: names.index(last) + 1]).parcels


def with_rasters(project: Path, rasters: dict[str, dict[str, object]], **extra: object) -> Path:
    data = yaml.safe_load(project.read_text(encoding="utf-8"))
    data["rasters"] = rasters
    data.update(extra)
    project.write_text(yaml.safe_dump(data), encoding="utf-8")
    return project


@pytest.mark.parametrize("gradient", [0.0, 0.1, 0.5, 1.0, 2.0])
def test_slope_of_a_plane_is_atan_of_its_gradient(tiny_project: Path, gradient: float) -> None:
    write_raster(tiny_project.parent / "dem.tif", gradient * (centres_x() - X0))
    with_rasters(tiny_project, {"dem": {"path": "dem.tif"}})
    parcels = run_to(tiny_project)
    expected = math.degrees(math.atan(gradient))
    assert parcels[col.SLOPE_MEAN_DEG].to_numpy() == pytest.approx([expected] * 3, abs=1e-9)
    assert parcels[col.SLOPE_MAX_DEG].to_numpy() == pytest.approx([expected] * 3, abs=1e-9)
    assert (parcels["slope_share_gt_15"] == float(expected > 15)).all()
    assert (parcels["slope_share_gt_25"] == float(expected > 25)).all()
    # the DEM itself is a raster like any other: its mean over parcel a (x 0..100 m) is a·150
    assert parcels.loc["a", "dem_mean"] == pytest.approx(gradient * 150.0)
    assert parcels.loc["a", "dem_max"] == pytest.approx(gradient * 195.0)


def test_ndvi_like_raster_gives_exact_means_maxima_and_shares(tiny_project: Path) -> None:
    rng = np.random.default_rng(7)
    values = rng.uniform(0, 1, SHAPE)
    values[12, 12] = np.nan  # a nodata cell inside parcel a is left out
    write_raster(tiny_project.parent / "ndvi.tif", values)
    with_rasters(tiny_project, {"ndvi": {"path": "ndvi.tif", "shares": [0.3, 0.6]}})
    parcels = run_to(tiny_project)
    for i, pid in enumerate("abc"):  # parcel i covers columns 10+10i .. 19+10i, rows 10..19
        cells = values[10:20, 10 + 10 * i: 20 + 10 * i]
        cells = cells[~np.isnan(cells)]
        assert parcels.loc[pid, "ndvi_mean"] == pytest.approx(cells.mean(), rel=1e-12)
        assert parcels.loc[pid, "ndvi_max"] == cells.max()
        assert parcels.loc[pid, "ndvi_share_gt_0p3"] == pytest.approx((cells > 0.3).mean())
        assert parcels.loc[pid, "ndvi_share_gt_0p6"] == pytest.approx((cells > 0.6).mean())
    assert parcels[list(col.SLOPE_COLUMNS)].isna().all().all()  # no DEM: no slope


def _forest_with_ndvi(folder: Path) -> Path:
    rules = yaml.safe_load((rules_dir() / "suitability.yaml").read_text(encoding="utf-8"))
    rules["uses"]["forest"]["factors"].append({
        "id": "ndvi", "label": {"zh": "植被指数", "en": "NDVI"}, "value": "ndvi_mean",
        "score": {"function": "linear", "minimum": 0.2, "maximum": 0.8}, "weight": 0.2,
        "source": "test"})
    path = folder / "suitability_ndvi.yaml"
    path.write_text(yaml.safe_dump(rules, allow_unicode=True), encoding="utf-8")
    return path


def test_raster_columns_validate_in_rule_files(tiny_project: Path) -> None:
    write_raster(tiny_project.parent / "ndvi.tif", np.full(SHAPE, 0.5))
    rules = {"suitability": _forest_with_ndvi(tiny_project.parent).name}
    with_rasters(tiny_project, {}, rules=rules)
    with pytest.raises(ValidationFailed) as failed:
        prepare(tiny_project)
    assert "ndvi_mean" in str(failed.value)
    with_rasters(tiny_project, {"ndvi": {"path": "ndvi.tif"}}, rules=rules)
    parcels = run_to(tiny_project, SUITABILITY.name)
    assert parcels[col.suit_factor("forest", "ndvi")].tolist() == pytest.approx([0.5] * 3)


def test_a_steep_dem_takes_s1_cropland_away(tiny_project: Path) -> None:
    flat = run_to(tiny_project, SUITABILITY.name)
    cultivated = col.suit_class("cultivated")
    assert flat.loc["a", cultivated] == "S1"  # paddy, no subsidence, no DEM
    tilt = math.tan(math.radians(20.0))  # a 20° hillside: grade 15-25°
    write_raster(tiny_project.parent / "dem.tif", tilt * (centres_x() - X0))
    with_rasters(tiny_project, {"dem": {"path": "dem.tif"}})
    steep = run_to(tiny_project, SUITABILITY.name)
    assert steep[col.SLOPE_MEAN_DEG].to_numpy() == pytest.approx([20.0] * 3)
    assert (steep[cultivated] != "S1").all()
    assert steep.loc["a", cultivated] == "S3"  # capped by the 15° veto
    assert steep.loc["a", col.suit_factor("cultivated", "slope")] == pytest.approx(0.3)
    assert steep.loc["a", col.suit_score("cultivated")] < flat.loc["a", col.suit_score(
        "cultivated")]


# --- real terrain: the eo-learn test patch (Sentinel-2 NDVI and a DEM, about 1 km² in Slovenia) ---

def _eo_rasters(folder: Path) -> tuple[np.ndarray, np.ndarray, Affine]:
    """DEM (m) and the first NDVI date of the eo-learn patch, written as GeoTIFFs in EPSG:32633."""
    patch = shared("eo", "TestEOPatch")
    dem = np.load(patch / "data_timeless" / "DEM.npy")[:, :, 0].astype("float64")
    ndvi = np.load(patch / "data" / "NDVI.npy")[0, :, :, 0].astype("float64")
    ring = json.loads((patch / "bbox.geojson").read_text(encoding="utf-8"))["coordinates"][0]
    (x0, y0), (x1, y1) = np.min(ring, axis=0), np.max(ring, axis=0)
    transform = Affine((x1 - x0) / dem.shape[1], 0, x0, 0, -(y1 - y0) / dem.shape[0], y1)
    for name, values in (("dem", dem), ("ndvi", ndvi)):
        with rasterio.open(folder / f"{name}.tif", "w", driver="GTiff", width=values.shape[1],
                           height=values.shape[0], count=1, dtype="float64", crs="EPSG:32633",
                           transform=transform) as dst:
            dst.write(values, 1)
    return dem, ndvi, transform


@pytest.mark.realdata
def test_real_dem_and_ndvi_per_parcel(tmp_path: Path) -> None:
    dem, ndvi, transform = _eo_rasters(tmp_path)
    x0, y1 = transform.c + 50, transform.f - 50  # 4 × 4 dryland parcels of 200 m, 50 m inside
    squares = [shapely.box(x0 + 200 * i, y1 - 200 * (j + 1), x0 + 200 * (i + 1), y1 - 200 * j)
               for j in range(4) for i in range(4)]
    gpd.GeoDataFrame({"BSM": [f"p{k}" for k in range(16)], "DLBM": ["0103"] * 16},
                     geometry=squares, crs="EPSG:32633").to_file(tmp_path / "parcels.gpkg")
    project = {"schema_version": 1, "name": "eo", "title": "eo-learn patch", "crs": "auto",
               "layers": {"parcels": {"path": "parcels.gpkg",
                                      "fields": {"id": "BSM", "landuse": "DLBM"}}}}
    (tmp_path / "project.yaml").write_text(yaml.safe_dump(project), encoding="utf-8")
    flat = run_to(tmp_path / "project.yaml", SUITABILITY.name)
    with_rasters(tmp_path / "project.yaml", {"dem": {"path": "dem.tif"},
                                            "ndvi": {"path": "ndvi.tif", "shares": [0.5]}})
    hilly = run_to(tmp_path / "project.yaml", SUITABILITY.name)
    # the same statistics computed here independently: cells whose centres lie in the square
    dy, dx = np.gradient(dem, abs(transform.e), transform.a)
    slope = np.degrees(np.arctan(np.hypot(dx, dy)))
    cols, rows = np.meshgrid(np.arange(dem.shape[1]) + 0.5, np.arange(dem.shape[0]) + 0.5)
    xs, ys = transform * (cols, rows)
    for k, square in enumerate(squares):
        a, b, c, d = square.bounds
        inside = (xs > a) & (xs < c) & (ys > b) & (ys < d)
        row = hilly.loc[f"p{k}"]
        assert row[col.SLOPE_MEAN_DEG] == pytest.approx(slope[inside].mean(), rel=1e-12)
        assert row[col.SLOPE_MAX_DEG] == pytest.approx(slope[inside].max(), rel=1e-12)
        assert row["slope_share_gt_15"] == pytest.approx((slope[inside] > 15).mean())
        assert row["ndvi_mean"] == pytest.approx(ndvi[inside].mean(), rel=1e-12)
        assert row["ndvi_share_gt_0p5"] == pytest.approx((ndvi[inside] > 0.5).mean())
    cultivated = col.suit_class("cultivated")
    assert (flat[cultivated] == "S1").all()  # no DEM: nothing tells the hills from a plain
    steep = hilly[col.SLOPE_MEAN_DEG] > 6  # the S2 cap of the 6-15° grade and above
    assert 0 < steep.sum() < 16, hilly[col.SLOPE_MEAN_DEG].describe()
    assert (hilly.loc[~steep, cultivated] == "S1").all()
    assert (hilly.loc[steep, cultivated] != "S1").all()
