"""The shipped modes rules on small parcel tables: one parcel per situation (issue 15).

Safety first (mapped hazard areas), strategies by mine stage and type after Zhao (002),
treatments by water depth and area share after Ma et al. 2026 (000), rights where rights are
created after Wang et al. 2026 (001), and reasons that state what the condition tested.
"""

from __future__ import annotations

import re

import geopandas as gpd
import pandas as pd
import pytest
import shapely
import yaml
from pydantic import ValidationError
from pyproj import CRS

from zoning import columns as col
from zoning import modes
from zoning._resources import rules_dir
from zoning.assess._assessment import load_assessment_rules
from zoning.layers import LayerSet
from zoning.rules._base import RuleFileBase
from zoning.rules._tables import Rule
from zoning.rules.models import LandUseRules, ModesRules
from zoning.rules.ruleset import RuleSet, load_rules

BASE = {
    col.LAND_CLASS: "paddy", col.IS_CONSTRUCTION: False, col.AREA_HA: 2.0,
    col.GANGUE_SHARE: 0.0, col.GEOHAZARD_SHARE: 0.0, col.DAMAGE_GRADE: "none",
    col.DAMAGE_FACTOR: "outside_basin", col.BUILDING_GRADE: None, col.STABLE: True,
    col.MINE_STAGE: None, col.MINE_TYPE: None, col.CITY_TYPE: "mature",
    col.DIST_TOWN_M: 10_000.0,
    col.DIST_ROAD_M: 5_000.0, col.PONDED_SHARE: 0.0, col.POND_DEPTH_M: 0.0,
    col.SEASONAL_SHARE: 0.0, col.REDUCE_SELECTED: False, col.SUBS_MAX_M: 0.0,
    "subs_share_0_to_0p1m": 1.0, "subs_share_0p1_to_0p5m": 0.0, "subs_share_0p5_to_1p5m": 0.0,
    "subs_share_1p5_to_3m": 0.0, "subs_share_3_to_5m": 0.0, "subs_share_over_5m": 0.0,
}
NEAR = {col.DIST_TOWN_M: 1_000.0}
"""Within 3 km of a town: good market access."""


@pytest.fixture(scope="module")
def rules() -> RuleSet:
    return load_rules()


def decide(rules: RuleSet, *rows: dict) -> pd.DataFrame:
    """Run the modes stage on one parcel per row (no grids: no earth balance)."""
    table = pd.DataFrame([{**BASE, **row} for row in rows])
    table.index = [f"p{i}" for i in range(len(table))]
    parcels = gpd.GeoDataFrame(table, geometry=[shapely.box(0, 0, 100, 200)] * len(table),
                               crs="EPSG:4548")
    layers = LayerSet(crs=CRS.from_epsg(4548), parcels=parcels)
    return modes.run(parcels, rules, layers).join(table)


def one(rules: RuleSet, **row: object) -> pd.Series:
    return decide(rules, row).iloc[0]


# --- strategies by mine stage and type (Zhao, 002) -----------------------------------------


@pytest.mark.parametrize(("stage", "kind", "stable", "strategy", "monitoring"), [
    ("new", "open_pit", True, "new_open_pit", "deformation"),
    ("new", "underground", True, "new_underground", "deformation"),
    ("new", None, True, "new_underground", "deformation"),
    ("producing", "open_pit", True, "producing_open_pit", "deformation"),
    ("producing", "underground", False, "producing_underground", "deformation"),
    ("closed", "open_pit", True, "closed_open_pit", "long_term"),
    ("closed", "open_pit", False, "closed_open_pit", "deformation"),
    ("closed", "underground", True, "closed_underground", "long_term"),
    ("closed", "underground", False, "closed_underground", "deformation"),
    (None, None, True, "conventional", "none"),
    (None, None, False, "conventional", "deformation"),
])
def test_stage_and_type_select_the_strategy(rules, stage, kind, stable, strategy, monitoring):
    got = one(rules, **{col.MINE_STAGE: stage, col.MINE_TYPE: kind, col.STABLE: stable})
    assert (got[col.STRATEGY], got[col.MONITORING]) == (strategy, monitoring)


def test_stage_labels_follow_the_governance_paper(rules):
    strategies = rules.get("modes", ModesRules).strategies
    assert "边开采边修复边防控" in strategies["new_underground"].label.zh
    assert "历史欠账治理与安全改造同步" in strategies["producing_open_pit"].label.zh
    assert "长期监测与后评估" in strategies["closed_underground"].label.zh


# --- treatments by water depth and area share (Ma et al. 2026) -------------------------------


@pytest.mark.parametrize(("row", "mode"), [
    ({col.PONDED_SHARE: 0.4, col.POND_DEPTH_M: 3.2}, "wetland_lake"),
    ({col.PONDED_SHARE: 0.4, col.POND_DEPTH_M: 3.0}, "wetland_lake"),  # at the limit: deep
    ({col.PONDED_SHARE: 0.4, col.POND_DEPTH_M: 2.9}, "fishery_pv"),
    ({col.PONDED_SHARE: 0.4, col.POND_DEPTH_M: 1.5}, "fishery_pv"),
    ({col.PONDED_SHARE: 0.4, col.POND_DEPTH_M: 1.4, **NEAR}, "island_landscape"),
    ({col.PONDED_SHARE: 0.4, col.POND_DEPTH_M: 1.4}, "dig_deep_fill_shallow"),
    # less than 30 % ponded: the deep cell does not decide for the parcel
    ({col.PONDED_SHARE: 0.29, col.POND_DEPTH_M: 3.5}, "keep_as_is"),
    # deep but dry: cut high, fill low
    ({"subs_share_0_to_0p1m": 0.5, "subs_share_1p5_to_3m": 0.5, col.DAMAGE_GRADE: "moderate"},
     "cut_high_fill_low"),
    ({col.PONDED_SHARE: 0.1, col.SEASONAL_SHARE: 0.2, col.DAMAGE_GRADE: "moderate",
      "subs_share_0_to_0p1m": 0.5, "subs_share_0p5_to_1p5m": 0.5}, "dig_deep_fill_shallow"),
    # shallow light damage: farmland again beyond the noise floor only
    ({col.DAMAGE_GRADE: "light", "subs_share_0_to_0p1m": 0.6, "subs_share_0p1_to_0p5m": 0.4},
     "levelling_reclamation"),
    ({col.DAMAGE_GRADE: "light", "subs_share_0_to_0p1m": 0.8, "subs_share_0p1_to_0p5m": 0.2},
     "keep_as_is"),
])
def test_water_depth_and_share_decide_the_treatment(rules, row, mode):
    assert one(rules, **row)[col.RESTORATION_MODE] == mode


# --- safety first, and rights where rights are created (Wang et al. 2026) ---------------------


def test_a_mapped_hazard_area_overrides_the_market(rules):
    islands = {col.PONDED_SHARE: 0.4, col.POND_DEPTH_M: 1.0, **NEAR}
    inside, partly, clear = decide(rules, {**islands, col.GEOHAZARD_SHARE: 0.5},
                                   {**islands, col.GEOHAZARD_SHARE: 0.2}, islands).itertuples()
    assert (inside.safety_risk, inside.value_mode, inside.rights_kind) == (
        "high", "safety_baseline", "none")
    assert (partly.safety_risk, partly.value_mode) == ("medium", "primitive_ecological")
    assert (clear.safety_risk, clear.value_mode) == ("low", "industry_integration")


def test_unstable_ground_raises_the_risk(rules):
    moving = one(rules, **{col.STABLE: False, col.DAMAGE_GRADE: "moderate"})
    assert moving[col.SAFETY_RISK] == "high"
    assert one(rules, **{col.STABLE: False, col.DAMAGE_GRADE: "light"})[col.SAFETY_RISK] == (
        "medium")


LEVELLED = {col.DAMAGE_GRADE: "light", "subs_share_0_to_0p1m": 0.0,
            "subs_share_0p1_to_0p5m": 1.0}


@pytest.mark.parametrize(("row", "kind", "area", "value"), [
    # retired construction land: linked quota (增减挂钩)
    ({col.LAND_CLASS: "rural_homestead", col.IS_CONSTRUCTION: True, col.REDUCE_SELECTED: True},
     "linked_quota", 2.0, "property_rights"),
    # damaged cropland levelled: restored, no new cropland quota
    ({**LEVELLED, col.LAND_CLASS: "dryland"}, "none", 0.0, "primitive_ecological"),
    # garden land levelled into cropland: new cropland (占补平衡)
    ({**LEVELLED, col.LAND_CLASS: "garden"}, "balance_credit", 2.0, "property_rights"),
    # damaged forest replanted: carbon-sink rights, valued as an ecological product
    ({**LEVELLED, col.LAND_CLASS: "forest"}, "carbon_sink", 2.0, "primitive_ecological"),
    # a gangue pile: high risk, no rights before it is safe
    ({col.GANGUE_SHARE: 0.5, col.LAND_CLASS: "garden"}, "none", 0.0, "safety_baseline"),
])
def test_rights_where_rights_are_created(rules, row, kind, area, value):
    got = one(rules, **row)
    assert (got[col.RIGHTS_KIND], got[col.RIGHTS_AREA_HA], got[col.VALUE_MODE]) == (
        kind, area, value)


# --- city types favour value modes (004 city types, Wang et al. 2026) -------------------------

FOREST = {col.LAND_CLASS: "forest"}
"""Forest kept as it is, far from towns and roads (poor market access)."""
CREDIT = {**LEVELLED, col.LAND_CLASS: "garden", **NEAR}
"""Garden land levelled into new cropland near a town: a balance credit, low risk."""
CROP = {**LEVELLED, col.LAND_CLASS: "dryland", **NEAR}
"""Damaged cropland levelled near a town: no quota, low risk."""


@pytest.mark.parametrize(("city", "row", "value", "rule"), [
    # a declining city values kept ecological land away from markets as ecological products
    ("declining", FOREST, "primitive_ecological", "declining_ecological_products"),
    ("declining", {**FOREST, col.DIST_TOWN_M: 5_000.0}, "primitive_ecological",
     "declining_ecological_products"),
    ("mature", FOREST, "current_use", "not_restored"),
    ("declining", {**FOREST, **NEAR}, "current_use", "not_restored"),
    ("declining", {**FOREST, col.GEOHAZARD_SHARE: 0.6}, "safety_baseline", "unresolved_hazard"),
    # new cropland near a town: a mature city puts industry before the quota, growing and
    # declining ones trade the quota
    ("mature", CREDIT, "industry_integration", "mature_industry_first"),
    ("growing", CREDIT, "property_rights", "quota_created"),
    ("declining", CREDIT, "property_rights", "quota_created"),
    # levelled cropland near a town with no quota: industry in growing and mature cities
    ("growing", CROP, "industry_integration", "growing_industry"),
    ("mature", CROP, "industry_integration", "mature_industry_first"),
    ("declining", CROP, "primitive_ecological", "ecological"),
    # a regenerating city: restored land within 3 km of a town serves the town, at low risk only
    ("regenerating", CROP, "industry_integration", "regenerating_near_town"),
    ("regenerating", {**CROP, col.DIST_TOWN_M: 4_000.0, col.DIST_ROAD_M: 100.0},
     "primitive_ecological", "ecological"),
    ("regenerating", {**CROP, col.GEOHAZARD_SHARE: 0.2}, "primitive_ecological", "ecological"),
])
def test_the_city_type_favours_its_value_modes(rules, city, row, value, rule):
    got = one(rules, **{**row, col.CITY_TYPE: city})
    assert (got[col.VALUE_MODE], got[col.VALUE_RULE]) == (value, rule)


def test_value_rules_by_city_type_assign_modes_the_type_prefers(rules):
    from zoning.rules._reduction import ReductionRules

    presets = rules.get("reduction", ReductionRules).city_types
    typed = {}
    for rule in rules.get("modes", ModesRules).value_rules:
        found = re.search(r"city_type == '(\w+)'", rule.when)
        if found:
            typed[rule.id] = found.group(1)
            assert rule.assign[col.VALUE_MODE] in presets[found.group(1)].value_preferences
            assert "safety_risk == 'low'" in rule.when or rule.assign[col.VALUE_MODE] not in (
                "industry_integration", "property_rights")
            assert "004" in rule.source and "Wang et al. 2026" in rule.source
    assert sorted(typed.values()) == ["declining", "growing", "mature", "regenerating"]


@pytest.mark.parametrize("city", ["growing", "mature", "declining", "regenerating"])
def test_no_city_type_takes_a_hazard_area_to_the_market(rules, city):
    islands = {col.PONDED_SHARE: 0.4, col.POND_DEPTH_M: 1.0, **NEAR, col.CITY_TYPE: city}
    rows = [{**islands, col.GEOHAZARD_SHARE: 0.5}, {**CREDIT, col.GEOHAZARD_SHARE: 0.5,
                                                    col.CITY_TYPE: city},
            {**CROP, col.GANGUE_SHARE: 0.3, col.CITY_TYPE: city}]
    got = decide(rules, *rows)
    assert list(got[col.VALUE_MODE]) == ["safety_baseline"] * 3


# --- sources and reasons ----------------------------------------------------------------------


def test_a_rule_without_a_source_is_rejected():
    with pytest.raises(ValidationError, match="source"):
        Rule(id="r", when="true", assign={"zone": "a"}, reason="because")
    with pytest.raises(ValidationError, match="at least 1 character"):
        Rule(id="r", when="true", assign={"zone": "a"}, reason="because", source="")


def test_the_land_use_code_table_names_its_standard(rules):
    landuse = rules.get("landuse", LandUseRules)
    assert landuse.standard == "GB/T 21010-2017"
    assert len(landuse.codes) > 70


def _unsourced(node: object, path: str) -> list[str]:
    """Paths of every model with an empty ``source`` field under ``node``."""
    from pydantic import BaseModel

    if isinstance(node, BaseModel):
        fields = type(node).model_fields
        found = [path] if "source" in fields and not str(node.source).strip() else []
        return found + [p for k in fields for p in _unsourced(getattr(node, k), f"{path}.{k}")]
    if isinstance(node, dict):
        return [p for k, v in node.items() for p in _unsourced(v, f"{path}.{k}")]
    if isinstance(node, list | tuple):
        return [p for i, v in enumerate(node) for p in _unsourced(v, f"{path}[{i}]")]
    return []


SHIPPED = sorted(p.name for p in rules_dir().glob("*.yaml"))
"""Every rule file the engine ships: a new file is covered without editing this test."""


def _shipped(rules: RuleSet, name: str) -> RuleFileBase:
    """The validated model of the shipped rule file ``name``."""
    path = rules_dir() / name
    kind = yaml.safe_load(path.read_text(encoding="utf-8"))["kind"]
    if kind == "assessment":
        return load_assessment_rules(path)[0]
    assert rules.path(kind) == path
    return rules.models[kind]


def test_the_shipped_files_are_all_walked():
    assert len(SHIPPED) == 13
    assert {"landuse.yaml", "reduction.yaml", "costs.yaml", "assessment_jiawang.yaml"} <= set(
        SHIPPED)


@pytest.mark.parametrize("name", SHIPPED)
def test_every_source_field_of_the_shipped_files_is_filled(rules, name):
    assert _unsourced(_shipped(rules, name), name) == []


def _plain_numbers(node: object, path: str, covered: bool = False) -> list[str]:
    """Key paths of numbers under ``node`` that no ``source`` field of theirs covers."""
    from pydantic import BaseModel

    def join(key: object) -> str:
        return f"{path}.{key}" if path else str(key)

    if isinstance(node, BaseModel):
        own = covered or "source" in type(node).model_fields
        return [p for k in type(node).model_fields if k not in ("schema_version",
                                                                 "number_sources")
                for p in _plain_numbers(getattr(node, k), join(k), own)]
    if isinstance(node, dict):
        return [p for k, v in node.items() for p in _plain_numbers(v, join(k), covered)]
    if isinstance(node, list | tuple):
        if node and all(isinstance(x, int | float) and not isinstance(x, bool) for x in node):
            return [] if covered else [path]
        return [p for v in node for p in _plain_numbers(v, path, covered)]
    number = isinstance(node, int | float) and not isinstance(node, bool)
    return [path] if number and not covered else []


@pytest.mark.parametrize("name", SHIPPED)
def test_every_number_of_the_shipped_files_states_its_source(rules, name):
    model = _shipped(rules, name)
    cited = list(model.number_sources)
    bare = [p for p in _plain_numbers(model, "")
            if not any(p == c or p.startswith(f"{c}.") for c in cited)]
    assert bare == []


def test_reasons_quote_only_the_thresholds_their_condition_tests(rules):
    model = rules.get("modes", ModesRules)
    quoted = 0
    for key, table in model.all_rules().items():
        for rule in table:
            for name in re.findall(r"\{(\w+)\}", rule.reason):
                assert re.search(rf"\b{name}\b", rule.when), f"{key}.{rule.id} quotes {name}"
                quoted += 1
    assert quoted >= 12


def test_reasons_state_the_numbers_of_the_condition(rules):
    got = one(rules, **{col.PONDED_SHARE: 0.4, col.POND_DEPTH_M: 2.0})
    assert got[col.MODE_REASON] == ("at least 30% of the parcel ponded, with water 1.5 m to 3 m "
                                    "deep: fish ponds")
    hazard = one(rules, **{col.GEOHAZARD_SHARE: 0.7})
    assert hazard[col.SAFETY_REASON] == ("at least 50% of the parcel inside a mapped "
                                         "geological-hazard area")
