"""The demo end to end: outputs exist, are whole, and every parcel is assigned."""

import json
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
import rasterio

import zoning
from zoning import columns as col
from zoning.assess._write import FILES as ASSESSMENT_FILES
from zoning.cli import main
from zoning.outputs.guard import MARKER

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo_out(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("out")
    assert main(["-q", "run", "--out", str(out)]) == 0
    return out / "demo"


def test_outputs_are_written(demo_out: Path):
    names = {p.name for p in demo_out.iterdir()}
    assert {"result.gpkg", "parcels.csv", "map.html", "zoning.png", "manifest.json",
            "run.log"} <= names
    assert not [p for p in demo_out.parent.iterdir() if p.name.startswith(".")]  # no staging left


def test_every_parcel_is_assigned(demo_out: Path):
    parcels = gpd.read_file(demo_out / "result.gpkg", layer="parcels")
    assert 5000 <= len(parcels) <= 10_000
    for column in (col.ZONE, col.ZONE_RULE, col.RESTORATION_MODE, col.MODE_RULE, col.VALUE_MODE,
                   col.VALUE_RULE, col.DAMAGE_GRADE, col.BEST_USE):
        assert parcels[column].notna().all() and (parcels[column] != "").all(), column
    assert parcels[col.PARCEL_ID].is_unique
    layers = set(pyogrio.list_layers(demo_out / "result.gpkg")[:, 0])
    assert {"parcels", "zones", "subsidence"} <= layers


def test_zones_conserve_area(demo_out: Path):
    parcels = gpd.read_file(demo_out / "result.gpkg", layer="parcels")
    zones = gpd.read_file(demo_out / "result.gpkg", layer="zones")
    assert zones.area.sum() == pytest.approx(parcels.area.sum(), rel=1e-4)
    assert sorted(zones[col.ZONE]) == sorted(parcels[col.ZONE].unique())


def test_csv_has_one_row_per_parcel(demo_out: Path):
    table = pd.read_csv(demo_out / "parcels.csv", encoding="utf-8-sig", dtype={col.PARCEL_ID: str})
    manifest = json.loads((demo_out / "manifest.json").read_text(encoding="utf-8"))
    assert len(table) == manifest["parcels"]
    assert table[col.PARCEL_ID].is_unique
    assert {col.ZONE, col.RESTORATION_MODE, col.VALUE_MODE, "x", "y"} <= set(table.columns)


def test_map_has_zones_and_popups(demo_out: Path):
    html = (demo_out / "map.html").read_text(encoding="utf-8")
    assert "生态保护区" in html or "农田综合整治区" in html
    assert "Zones" in html
    assert col.MODE_REASON in html
    assert "SYNTHETIC" in html


def test_manifest_records_inputs_and_timings(demo_out: Path):
    manifest = json.loads((demo_out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["crs"]["epsg"] == 4548
    assert len(manifest["inputs"]["parcels"]["sha256"]) == 64
    assert set(manifest["rules"]) == {"landuse", "subsidence", "damage", "suitability",
                                      "corridors", "reduction", "modes", "zones", "esv",
                                      "carbon", "costs", "assessment"}
    assert len(manifest["inputs"]["assessment_table"]["sha256"]) == 64
    assert {"derive", "subsidence", "damage", "suitability", "modes", "zones", "units",
            "write_assessment"} <= set(manifest["timings_s"])
    assert sorted(p.name for p in (demo_out / "assessment").iterdir()) == sorted(
        [*ASSESSMENT_FILES, MARKER])  # the marker: the assessment is written like any output
    assert manifest["project"]["synthetic"] is True


def test_subsidence_outputs(demo_out: Path):
    layers = set(pyogrio.list_layers(demo_out / "result.gpkg")[:, 0])
    assert {"parcels", "zones", "subsidence_contours", "ponding"} <= layers
    with rasterio.open(demo_out / "subsidence.tif") as src:
        assert src.crs.to_epsg() == 4548
        w = src.read(1)
    parcels = gpd.read_file(demo_out / "result.gpkg", layer="parcels")
    # the grid drawn from the contour polygons reaches the same deepest level
    assert w.max() == pytest.approx(parcels[col.SUBS_MAX_M].max())
    assert ((parcels[col.PONDED_SHARE] + parcels[col.SEASONAL_SHARE]) <= 1 + 1e-9).all()


def test_demo_plan_is_plausible(demo_out: Path):
    parcels = gpd.read_file(demo_out / "result.gpkg", layer="parcels")
    deep = parcels[(parcels[col.PONDED_SHARE] >= 0.5) & (parcels[col.SUBS_MAX_M] >= 3)
                   & ~parcels[col.LAND_CLASS].isin(["river", "transport"])]
    assert len(deep) > 0
    # issue 15: water depth decides (lake from 3 m of water, fish ponds from 1.5 m, islands or
    # ponds with raised fields in shallower water)
    assert deep[col.RESTORATION_MODE].isin(
        ["wetland_lake", "fishery_pv", "island_landscape", "dig_deep_fill_shallow",
         "slope_stabilization"]).all()
    lakes = parcels[parcels[col.RESTORATION_MODE] == "wetland_lake"]
    assert len(lakes) > 0 and (lakes[col.POND_DEPTH_M] >= 3).all()
    light = parcels[(parcels[col.DAMAGE_GRADE] == "light")
                    & parcels[col.LAND_CLASS].isin(["paddy", "irrigated", "dryland"])]
    assert len(light) > 0
    assert (light[col.RESTORATION_MODE] == "levelling_reclamation").mean() > 0.9
    gangue = parcels[parcels[col.GANGUE_SHARE] >= 0.3]
    assert len(gangue) > 0 and (gangue[col.VALUE_MODE] == "safety_baseline").all()


def test_write_of_a_result_gives_the_files_of_a_run(demo_result, demo_out: Path, tmp_path):
    timings = dict(demo_result.timings)
    out = zoning.write(demo_result, tmp_path)
    assert out == tmp_path / "demo"
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in demo_out.iterdir())
    assert demo_result.timings == timings  # the shared result is not changed
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert "write_report" in manifest["timings_s"] and "units" in manifest["timings_s"]


def test_mine_plans_and_city_strategy_are_written(demo_out: Path):
    mines = pd.read_csv(demo_out / "mines.csv", encoding="utf-8-sig")
    parcels = gpd.read_file(demo_out / "result.gpkg", layer="parcels")
    assert mines[col.MINE_ID].tolist() == ["M1", "M2", "M3", "M4"]
    grades = [c for c in mines.columns if c.startswith("damage_") and c.endswith("_ha")]
    assert len(grades) == 4
    assert mines[grades].sum(axis=1).to_numpy() == pytest.approx(mines[col.AREA_HA].to_numpy(),
                                                                rel=1e-5)  # written to 6 digits
    inside = parcels[parcels[col.MINE_ID].notna()]
    assert mines["cost_yuan"].sum() == pytest.approx(inside[col.RESTORATION_COST_YUAN].sum(),
                                                     rel=1e-5)
    strategy = pd.read_csv(demo_out / "city_strategy.csv", encoding="utf-8-sig")
    assert strategy.loc[strategy["applied"], "city_type"].tolist() == ["declining"]
