"""The resistance surface: factor scores from parcels, rasters and distances, combined."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
import yaml
from affine import Affine
from pyproj import CRS

from zoning import columns as col
from zoning.corridors.resistance import resistance_surface
from zoning.errors import ValidationFailed
from zoning.layers import LayerSet
from zoning.layers.grid import Grid
from zoning.rules.ruleset import default_rule_paths, load_rules

CRS_ = CRS(4548)
X0, Y0 = 536_100.0, 3_807_000.0  # on multiples of 30 m and 50 m


def _rules(tmp_path: Path, **changes: object):
    spec = yaml.safe_load(default_rule_paths()["corridors"].read_text(encoding="utf-8"))
    spec.update(changes)
    path = tmp_path / "corridors.yaml"
    path.write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    return load_rules({"corridors": path})


def _parcels(classes: list[str]) -> gpd.GeoDataFrame:
    """A row of 300 m square parcels, one per class."""
    geoms = [shapely.box(X0 + 300 * i, Y0, X0 + 300 * (i + 1), Y0 + 300)
             for i in range(len(classes))]
    return gpd.GeoDataFrame({col.LAND_CLASS: classes}, geometry=geoms, crs=CRS_,
                            index=[f"p{i}" for i in range(len(classes))])


def _landuse_only(weight_roads: float | None = None) -> dict:
    landuse = {"id": "landuse", "label": {"zh": "地类", "en": "Land use"}, "value": "land_class",
               "score": {"function": "categorical", "scores": {"forest": 0.0, "dryland": 0.5,
                                                               "industrial": 1.0}},
               "weight": 1.0, "missing": "barrier", "source": "test"}
    factors = [landuse]
    if weight_roads is not None:
        factors.append({"id": "roads", "label": {"zh": "道路", "en": "Roads"},
                        "distance_to": "roads",
                        "score": {"function": "linear", "minimum": 300, "maximum": 0},
                        "weight": weight_roads, "missing": 0.0, "source": "test"})
    return {"scale": [1, 101], "factors": factors}


def test_landuse_scores_stretch_to_the_scale(tmp_path):
    rules = _rules(tmp_path, resistance=_landuse_only())
    parcels = _parcels(["forest", "dryland", "industrial"])
    surface = resistance_surface(parcels, rules, LayerSet(crs=CRS_, parcels=parcels))
    values = surface.grid.values
    assert values.shape == (10, 30)                      # 300 m × 900 m at 30 m
    assert np.allclose(values[:, :10], 1.0)             # score 0 → low
    assert np.allclose(values[:, 10:20], 51.0)          # score 0.5 → middle
    assert np.allclose(values[:, 20:], 101.0)           # score 1 → high


def test_unscored_class_is_a_barrier_and_outside_is_nodata(tmp_path):
    rules = _rules(tmp_path, resistance=_landuse_only(), resolution_m=50)
    parcels = _parcels(["forest", "pond", "forest"])
    surface = resistance_surface(parcels, rules, LayerSet(crs=CRS_, parcels=parcels))
    assert np.isnan(surface.grid.values[:, 6:12]).all()  # 'pond' has no score, no default
    assert np.isfinite(surface.grid.values[:, :6]).all()
    assert surface.grid.values.shape == (6, 18)


def test_barrier_expression_makes_parcels_impassable(tmp_path):
    spec = {**_landuse_only(), "barrier": "land_class == 'industrial'"}
    rules = _rules(tmp_path, resistance=spec)
    parcels = _parcels(["forest", "industrial", "forest"])
    values = resistance_surface(parcels, rules, LayerSet(crs=CRS_, parcels=parcels)).grid.values
    assert np.isnan(values[:, 10:20]).all() and np.isfinite(values[:, :10]).all()


def test_road_distance_weighted_sum(tmp_path):
    rules = _rules(tmp_path, resistance=_landuse_only(weight_roads=1.0))
    parcels = _parcels(["forest", "forest", "forest"])
    road = gpd.GeoDataFrame(geometry=[shapely.LineString([(X0 + 15, Y0), (X0 + 15, Y0 + 300)])],
                            crs=CRS_)
    layers = LayerSet(crs=CRS_, parcels=parcels, vectors={"roads": road})
    surface = resistance_surface(parcels, rules, layers)
    row = surface.grid.values[5]
    # forest scores 0; the road factor scores 1 on the road's column, falling to 0 at 300 m;
    # the weighted mean of the two is stretched to 1..101
    assert row[0] == pytest.approx(1 + 100 * 0.5)
    assert row[5] == pytest.approx(1 + 100 * 0.5 * (1 - 150 / 300))
    assert np.allclose(row[10:], 1.0)
    assert np.allclose(surface.scores["roads"][5, :11], np.maximum(0, 1 - 30 * np.arange(11) /
                                                                  300))


def test_missing_roads_layer_scores_missing(tmp_path):
    rules = _rules(tmp_path, resistance=_landuse_only(weight_roads=1.0))
    parcels = _parcels(["industrial"])
    surface = resistance_surface(parcels, rules, LayerSet(crs=CRS_, parcels=parcels))
    assert np.allclose(surface.grid.values, 1 + 100 * 0.5)   # (1·1 + 1·0) / 2


def _with_grid_factor(factor: str, zh: str, en: str, grid: str, maximum: float) -> dict:
    """The land-use-only resistance plus a linear score (0 → ``maximum``) of a grid."""
    spec = _landuse_only()
    spec["factors"].append({"id": factor, "label": {"zh": zh, "en": en}, "grid": grid,
                            "score": {"function": "linear", "minimum": 0, "maximum": maximum},
                            "weight": 1.0, "missing": 0.0, "source": "test"})
    return spec


def test_grid_factor_resampled_onto_the_resistance_grid(tmp_path):
    rules = _rules(tmp_path, resistance=_with_grid_factor("subsidence", "沉陷", "Subsidence",
                                                          "subsidence", 4))
    parcels = _parcels(["forest", "forest"])
    depth = Grid(np.full((60, 120), 2.0), Affine(5, 0, X0, 0, -5, Y0 + 300), CRS_)
    layers = LayerSet(crs=CRS_, parcels=parcels, grids={"subsidence": depth})
    values = resistance_surface(parcels, rules, layers).grid.values
    assert np.allclose(values, 1 + 100 * (0 + 0.5) / 2)


def test_zero_low_end_of_scale_is_rejected(tmp_path):
    with pytest.raises(ValidationFailed, match="short-circuit"):
        _rules(tmp_path, resistance={**_landuse_only(), "scale": [0, 100]})


def test_barrier_factor_naming_an_absent_raster_is_reported(tmp_path, tiny_project):
    spec = _landuse_only()
    spec["factors"].append({"id": "ndvi", "label": {"zh": "植被", "en": "NDVI"}, "grid": "ndvi",
                            "score": {"function": "linear", "minimum": 0, "maximum": 1},
                            "weight": 1.0, "missing": "barrier", "source": "test"})
    rules_path = tmp_path / "corridors_ndvi.yaml"
    base = yaml.safe_load(default_rule_paths()["corridors"].read_text(encoding="utf-8"))
    rules_path.write_text(yaml.safe_dump({**base, "resistance": spec}, allow_unicode=True),
                          encoding="utf-8")
    project = yaml.safe_load(tiny_project.read_text(encoding="utf-8"))
    project["rules"] = {"corridors": str(rules_path)}
    tiny_project.write_text(yaml.safe_dump(project), encoding="utf-8")
    from zoning.engine import prepare
    with pytest.raises(ValidationFailed, match="names raster 'ndvi'"):
        prepare(tiny_project)


def test_project_dem_gives_a_slope_factor(tmp_path, tiny_project):
    import rasterio

    # a plane rising 1 m per 10 m eastwards: slope atan(0.1) everywhere
    values = np.tile(np.arange(40, dtype="float32"), (20, 1))
    profile = {"driver": "GTiff", "width": 40, "height": 20, "count": 1, "dtype": "float32",
               "crs": "EPSG:4548", "transform": Affine(10, 0, 535_950, 0, -10, 3_807_150)}
    with rasterio.open(tiny_project.parent / "dem.tif", "w", **profile) as dst:
        dst.write(values, 1)
    project = yaml.safe_load(tiny_project.read_text(encoding="utf-8"))
    project["rasters"] = {"dem": {"path": "dem.tif"}}
    tiny_project.write_text(yaml.safe_dump(project), encoding="utf-8")
    from zoning.engine import prepare
    prepared = prepare(tiny_project)
    slope = prepared.layers.grids["slope_deg"].values
    assert np.allclose(slope[2:-2, 2:-2], np.degrees(np.arctan(0.1)))
    rules = _rules(tmp_path, resistance=_with_grid_factor("slope", "坡度", "Slope", "slope_deg",
                                                          25))
    parcels = prepared.layers.parcels.assign(**{col.LAND_CLASS: "forest"})
    values = resistance_surface(parcels, rules, prepared.layers).grid.values
    expected = 1 + 100 * (np.degrees(np.arctan(0.1)) / 25) / 2
    assert np.nanmedian(values) == pytest.approx(expected, rel=1e-3)


def test_project_raster_may_not_take_an_engine_name(tiny_project):
    project = yaml.safe_load(tiny_project.read_text(encoding="utf-8"))
    project["rasters"] = {"slope_deg": {"path": "x.tif"}}
    tiny_project.write_text(yaml.safe_dump(project), encoding="utf-8")
    from zoning.engine import prepare
    with pytest.raises(ValidationFailed, match="made by the engine"):
        prepare(tiny_project)
