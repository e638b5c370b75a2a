"""Land use after restoration, ecosystem service value (equivalent factors) and carbon."""

import logging
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import yaml
from conftest import boxes

from zoning import columns as col
from zoning import valuation
from zoning._resources import rules_dir
from zoning.errors import ValidationFailed
from zoning.layers import LayerSet
from zoning.rules._valuation import EsvRules
from zoning.rules.models import LandUseRules
from zoning.rules.ruleset import load_rules

EQUIVALENT_YUAN = 3406.50  # Xie et al. 2015, one standard equivalent in 2010
# Xie et al. 2015 equivalents per hectare, services in the paper's order (food ... aesthetic)
PADDY = [1.36, 0.09, -2.63, 1.11, 0.57, 0.17, 2.72, 0.01, 0.19, 0.21, 0.09]
DRYLAND = [0.85, 0.40, 0.02, 0.67, 0.36, 0.10, 0.27, 1.03, 0.12, 0.13, 0.06]
WETLAND = [0.51, 0.50, 2.59, 1.90, 3.60, 3.60, 24.23, 2.31, 0.18, 7.87, 4.73]
HYDROLOGICAL = 6  # index of hydrological regulation in the lists above


@pytest.fixture(scope="module")
def rules():
    return load_rules()


def hand_parcels(rows: list[dict]) -> gpd.GeoDataFrame:
    """Parcels with just the columns the valuation rules read."""
    defaults = {col.REDUCE_SELECTED: False, col.REDUCE_TARGET_USE: None,
                col.RESTORATION_MODE: "keep_as_is", col.POND_DEPTH_M: 0.0,
                col.BEST_USE: "cultivated"}
    frame = pd.DataFrame([{**defaults, **row} for row in rows])
    frame.index = pd.Index([f"p{i}" for i in range(len(rows))], name=col.PARCEL_ID)
    return gpd.GeoDataFrame(frame, geometry=boxes(len(rows)), crs="EPSG:4548")


def layers_of(parcels: gpd.GeoDataFrame) -> LayerSet:
    return LayerSet(crs=parcels.crs, parcels=parcels)


def run(parcels: gpd.GeoDataFrame, rules) -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
    output = valuation.run(parcels, rules, layers_of(parcels))
    return output.columns, output.tables


def test_esv_of_a_hand_built_parcel_is_area_times_equivalents_times_value(rules):
    parcels = hand_parcels([{col.LAND_CLASS: "paddy", col.AREA_HA: 2.5}])
    out, tables = run(parcels, rules)
    expected = 2.5 * sum(PADDY) * EQUIVALENT_YUAN
    assert out[col.ESV_BEFORE_YUAN].iloc[0] == pytest.approx(expected)
    assert out[col.LAND_CLASS_AFTER].iloc[0] == "paddy"  # keep_as_is: unchanged
    assert out[col.ESV_AFTER_YUAN].iloc[0] == pytest.approx(expected)
    by_service = tables[col.ESV_BY_SERVICE].set_index("service")
    assert by_service.loc["hydrological_regulation", "before"] == pytest.approx(
        2.5 * PADDY[HYDROLOGICAL] * EQUIVALENT_YUAN)
    assert by_service.loc["water_supply", "before"] < 0  # paddy consumes water (Xie 2015)


def test_construction_land_has_no_esv(rules):
    parcels = hand_parcels([{col.LAND_CLASS: c, col.AREA_HA: 1.0}
                            for c in ("rural_homestead", "industrial", "transport")])
    out, _ = run(parcels, rules)
    assert (out[col.ESV_BEFORE_YUAN] == 0).all() and (out[col.ESV_AFTER_YUAN] == 0).all()
    assert (out[col.CARBON_BEFORE_T] > 0).all()  # sealed soil still holds some carbon


def test_retired_homestead_turned_cropland_gains_esv_and_carbon(rules):
    parcels = hand_parcels([{col.LAND_CLASS: "rural_homestead", col.AREA_HA: 0.8,
                             col.REDUCE_SELECTED: True, col.REDUCE_TARGET_USE: "cultivated",
                             col.RESTORATION_MODE: "demolish_reclaim"}])
    out, _ = run(parcels, rules)
    row = out.iloc[0]
    assert row[col.LAND_CLASS_AFTER] == "dryland"
    assert row[col.LAND_CLASS_AFTER_RULE] == "retired_to_cropland"
    assert row[col.LAND_CLASS_AFTER_NAME_ZH] == "旱地"
    assert row[col.ESV_BEFORE_YUAN] == 0
    assert row[col.ESV_AFTER_YUAN] == pytest.approx(0.8 * sum(DRYLAND) * EQUIVALENT_YUAN)
    assert row[col.CARBON_AFTER_T] > row[col.CARBON_BEFORE_T]


@pytest.mark.parametrize(("given", "after"), [
    ({col.LAND_CLASS: "irrigated", col.RESTORATION_MODE: "levelling_reclamation"}, "irrigated"),
    ({col.LAND_CLASS: "idle", col.RESTORATION_MODE: "levelling_reclamation"}, "dryland"),
    ({col.LAND_CLASS: "pond", col.RESTORATION_MODE: "dig_deep_fill_shallow"}, "pond"),
    ({col.LAND_CLASS: "paddy", col.RESTORATION_MODE: "wetland_lake",
      col.POND_DEPTH_M: 4.0}, "lake"),
    ({col.LAND_CLASS: "paddy", col.RESTORATION_MODE: "wetland_lake",
      col.POND_DEPTH_M: 1.0}, "wetland"),
    ({col.LAND_CLASS: "dryland", col.RESTORATION_MODE: "fishery_pv"}, "pond"),
    ({col.LAND_CLASS: "lake", col.RESTORATION_MODE: "wetland_lake"}, "lake"),
    ({col.LAND_CLASS: "barren", col.RESTORATION_MODE: "vegetation_rebuilding",
      col.BEST_USE: "forest"}, "forest"),
    ({col.LAND_CLASS: "shrub", col.RESTORATION_MODE: "vegetation_rebuilding",
      col.BEST_USE: "cultivated"}, "shrub"),
    ({col.LAND_CLASS: "barren", col.RESTORATION_MODE: "slope_stabilization",
      col.BEST_USE: "construction"}, "grassland"),
    ({col.LAND_CLASS: "mining", col.RESTORATION_MODE: "demolish_reclaim",
      col.BEST_USE: "fishery"}, "pond"),
    ({col.LAND_CLASS: "industrial", col.RESTORATION_MODE: "redevelopment"}, "industrial"),
])
def test_land_class_after_follows_the_rules(rules, given, after):
    out, _ = run(hand_parcels([{col.AREA_HA: 1.0, **given}]), rules)
    assert out[col.LAND_CLASS_AFTER].iloc[0] == after


def test_wetland_after_values_as_wetland(rules):
    parcels = hand_parcels([{col.LAND_CLASS: "dryland", col.AREA_HA: 3.0,
                             col.RESTORATION_MODE: "wetland_lake", col.POND_DEPTH_M: 1.0}])
    out, _ = run(parcels, rules)
    assert out[col.ESV_AFTER_YUAN].iloc[0] == pytest.approx(3.0 * sum(WETLAND) * EQUIVALENT_YUAN)


def test_planners_change_the_after_table_and_the_equivalent_value(tmp_path: Path):
    data = yaml.safe_load((rules_dir() / "esv.yaml").read_text(encoding="utf-8"))
    data["after_rules"][0]["assign"] = {col.LAND_CLASS_AFTER: "paddy"}
    data["equivalent_value_yuan_ha"]["value"] = 1000.0
    path = tmp_path / "esv.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    rules = load_rules({"esv": path})
    parcels = hand_parcels([{col.LAND_CLASS: "rural_homestead", col.AREA_HA: 2.0,
                             col.REDUCE_SELECTED: True, col.REDUCE_TARGET_USE: "cultivated",
                             col.RESTORATION_MODE: "demolish_reclaim"}])
    out, _ = run(parcels, rules)
    assert out[col.LAND_CLASS_AFTER].iloc[0] == "paddy"
    assert out[col.ESV_AFTER_YUAN].iloc[0] == pytest.approx(2.0 * sum(PADDY) * 1000.0)


def test_a_rule_assigning_an_unknown_class_is_refused(tmp_path: Path):
    data = yaml.safe_load((rules_dir() / "esv.yaml").read_text(encoding="utf-8"))
    data["after_rules"][0]["assign"] = {col.LAND_CLASS_AFTER: "paddies"}
    path = tmp_path / "esv.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ValidationFailed, match="paddies"):
        load_rules({"esv": path})


@pytest.mark.parametrize(("edit", "message"), [
    (lambda d: d["ecosystems"]["paddy"]["equivalents"].pop("food"), "missing \\['food'\\]"),
    (lambda d: d["land_classes"].update(paddy="rice"), "undefined ecosystems \\['rice'\\]"),
])
def test_inconsistent_equivalent_tables_are_refused(tmp_path: Path, edit, message):
    data = yaml.safe_load((rules_dir() / "esv.yaml").read_text(encoding="utf-8"))
    edit(data)
    path = tmp_path / "esv.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ValidationFailed, match=message):
        load_rules({"esv": path})


def test_every_land_class_needs_a_value_and_a_density(tmp_path: Path, rules):
    parcels = hand_parcels([{col.LAND_CLASS: "paddy", col.AREA_HA: 1.0}])
    assert valuation.check(parcels, rules, layers_of(parcels)) == []
    data = yaml.safe_load((rules_dir() / "carbon.yaml").read_text(encoding="utf-8"))
    del data["densities"]["pond"]  # a landuse class, and one the after rules assign
    data["densities"]["moon"] = {"above": 0, "below": 0, "soil": 0, "dead": 0}  # unused: fine
    path = tmp_path / "carbon.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    broken = load_rules({"carbon": path})
    problems = [p.message for p in valuation.check(parcels, broken, layers_of(parcels))]
    assert len(problems) == 1 and "['pond']" in problems[0]


def test_a_short_landuse_file_names_classes_after_by_their_ids(tmp_path: Path):
    landuse = yaml.safe_load((rules_dir() / "landuse.yaml").read_text(encoding="utf-8"))
    landuse["land_classes"] = {"rural_homestead": landuse["land_classes"]["rural_homestead"]}
    landuse["construction_classes"] = ["rural_homestead"]
    landuse["codes"] = [c for c in landuse["codes"] if c["land_class"] == "rural_homestead"]
    path = tmp_path / "landuse.yaml"
    path.write_text(yaml.safe_dump(landuse, allow_unicode=True), encoding="utf-8")
    rules = load_rules({"landuse": path})
    parcels = hand_parcels([{col.LAND_CLASS: "rural_homestead", col.AREA_HA: 1.0,
                             col.REDUCE_SELECTED: True, col.REDUCE_TARGET_USE: "forest"}])
    assert valuation.check(parcels, rules, layers_of(parcels)) == []
    out, _ = run(parcels, rules)
    assert out[col.LAND_CLASS_AFTER_NAME_EN].iloc[0] == "forest"
    assert out[col.ESV_AFTER_YUAN].iloc[0] > 0
    carbon = yaml.safe_load((rules_dir() / "carbon.yaml").read_text(encoding="utf-8"))
    del carbon["densities"]["forest"]  # not a class of this landuse file, but assigned after
    (tmp_path / "carbon.yaml").write_text(yaml.safe_dump(carbon), encoding="utf-8")
    rules = load_rules({"landuse": path, "carbon": tmp_path / "carbon.yaml"})
    problems = [p.message for p in valuation.check(parcels, rules, layers_of(parcels))]
    assert len(problems) == 1 and "['forest']" in problems[0]


def test_demo_totals_equal_the_sums_over_parcels(demo_result):
    parcels = demo_result.parcels
    esv = demo_result.tables[col.ESV_BY_SERVICE]
    carbon = demo_result.tables[col.CARBON_BY_POOL]
    assert len(esv) == 11 and list(carbon["pool"]) == ["above", "below", "soil", "dead"]
    assert esv["before"].sum() == pytest.approx(parcels[col.ESV_BEFORE_YUAN].sum())
    assert esv["after"].sum() == pytest.approx(parcels[col.ESV_AFTER_YUAN].sum())
    assert carbon["before"].sum() == pytest.approx(parcels[col.CARBON_BEFORE_T].sum())
    assert carbon["after"].sum() == pytest.approx(parcels[col.CARBON_AFTER_T].sum())
    assert (esv["change"] == esv["after"] - esv["before"]).all()


def test_demo_land_use_after(demo_result, rules):
    parcels = demo_result.parcels
    known = set(rules.get("landuse", LandUseRules).land_classes)
    for name in valuation.STAGE.columns(rules):
        assert parcels[name].notna().all(), name
    assert set(parcels[col.LAND_CLASS_AFTER]) <= known
    retired = parcels[parcels[col.REDUCE_SELECTED]]
    assert len(retired) > 0
    construction = set(rules.get("landuse", LandUseRules).construction_classes)
    assert not retired[col.LAND_CLASS_AFTER].isin(construction).any()
    assert (retired[col.ESV_AFTER_YUAN] > retired[col.ESV_BEFORE_YUAN]).all()
    kept = parcels[col.RESTORATION_MODE].isin(["keep_as_is", "redevelopment"])
    assert (parcels.loc[kept, col.LAND_CLASS_AFTER] == parcels.loc[kept, col.LAND_CLASS]).all()
    assert (parcels.loc[kept, col.ESV_AFTER_YUAN] == parcels.loc[kept, col.ESV_BEFORE_YUAN]).all()


# Xie et al. 2015 as reproduced in later studies; rules/esv.yaml says what could and could not
# be confirmed against the paper. Pinned so that changing a coefficient is a deliberate edit.
PINNED_EQUIVALENTS = {
    ("paddy", "food"): 1.36, ("paddy", "water_supply"): -2.63,
    ("paddy", "hydrological_regulation"): 2.72, ("dryland", "food"): 0.85,
    ("dryland", "soil_conservation"): 1.03, ("broadleaf_forest", "climate_regulation"): 6.50,
    ("broadleaf_forest", "hydrological_regulation"): 4.74, ("shrubland", "gas_regulation"): 1.41,
    ("meadow", "climate_regulation"): 3.02, ("wetland", "hydrological_regulation"): 24.23,
    ("wetland", "biodiversity"): 7.87, ("water", "water_supply"): 8.29,
    ("water", "hydrological_regulation"): 102.24, ("bare", "purification"): 0.10,
    ("glacier", "hydrological_regulation"): 7.13,
}


def test_the_equivalent_table_is_pinned(rules):
    model = rules.get("esv", EsvRules)
    for (ecosystem, service), value in PINNED_EQUIVALENTS.items():
        assert model.ecosystems[ecosystem].equivalents[service] == value, (ecosystem, service)
    assert model.equivalent_value_yuan_ha.value == EQUIVALENT_YUAN
    for name, row in (("paddy", PADDY), ("dryland", DRYLAND), ("wetland", WETLAND)):
        assert list(model.ecosystems[name].equivalents.values()) == row, name
    assert list(model.services) == ["food", "raw_materials", "water_supply", "gas_regulation",
                                    "climate_regulation", "purification",
                                    "hydrological_regulation", "soil_conservation",
                                    "nutrient_cycling", "biodiversity", "aesthetic"]
    # the file says where the numbers come from and that they were not confirmed
    text = (rules_dir() / "esv.yaml").read_text(encoding="utf-8")
    assert "自然资源学报" in text and "30(8): 1243–1254" in text and "NOT confirmed" in text


def test_unchanged_default_carbon_densities_are_warned_about(rules, tmp_path: Path, caplog):
    parcels = hand_parcels([{col.LAND_CLASS: "paddy", col.AREA_HA: 1.0}])
    assert valuation.uses_default_carbon(rules)
    with caplog.at_level(logging.WARNING, logger="zoning.valuation"):
        run(parcels, rules)
    assert valuation.DEFAULT_CARBON_WARNING in caplog.text
    data = yaml.safe_load((rules_dir() / "carbon.yaml").read_text(encoding="utf-8"))
    data["densities"]["paddy"]["soil"] = 71.5  # a local survey value
    path = tmp_path / "carbon.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    local = load_rules({"carbon": path})
    assert not valuation.uses_default_carbon(local)
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="zoning.valuation"):
        out, _ = run(parcels, local)
    assert valuation.DEFAULT_CARBON_WARNING not in caplog.text
    assert out[col.CARBON_BEFORE_T].iloc[0] == pytest.approx(5.0 + 1.0 + 71.5 + 0.5)
