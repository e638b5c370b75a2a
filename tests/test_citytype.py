"""City types drive the reduction strategy: quota, which land retires first, target uses, values."""

from __future__ import annotations

from dataclasses import replace

import pytest

from zoning import columns as col
from zoning.engine import STAGES
from zoning.reduction import stage as reduction_stage
from zoning.reduction.citytype import STRATEGY_TABLE, check
from zoning.rules._reduction import ReductionRules

CITY_TYPES = ("growing", "mature", "declining", "regenerating")


@pytest.fixture(scope="module")
def runs(demo_result):
    """The demo's reduction stage run once per city type (the shipped rules)."""
    upto = STAGES.index(reduction_stage.STAGE)
    prepared = demo_result.prepared
    names = [c for s in STAGES[upto:] for c in s.columns(prepared.rules)]
    parcels = demo_result.parcels.drop(columns=names)
    return {city: reduction_stage.run(parcels, prepared.rules,
                                      replace(prepared.layers, city_type=city))
            for city in CITY_TYPES}


def _selected(output) -> list[str]:
    columns = output.columns
    return sorted(columns.index[columns[col.REDUCE_SELECTED]])


def test_declining_to_growing_changes_quota_and_what_retires_first(runs):
    declining, growing = runs["declining"], runs["growing"]
    d = declining.tables[reduction_stage.SUMMARY_TABLE].iloc[0]
    g = growing.tables[reduction_stage.SUMMARY_TABLE].iloc[0]
    assert d["eligible_ha"] == pytest.approx(g["eligible_ha"])
    # the quota: 20 % of the eligible land against 3 %
    assert d["target_ha"] == pytest.approx(0.2 * d["eligible_ha"])
    assert g["target_ha"] == pytest.approx(0.03 * g["eligible_ha"])
    assert d["target_ha"] == pytest.approx(100.968, abs=1e-3)
    assert g["target_ha"] == pytest.approx(15.145, abs=1e-3)
    assert (d["parcels"], g["parcels"]) == (263, 4)
    # closed-mine land is triggered (retired first) in a declining city only
    d_trig = declining.columns[col.REDUCE_TRIGGERS].fillna("")
    g_trig = growing.columns[col.REDUCE_TRIGGERS].fillna("")
    assert d_trig.str.contains("closed_mine_land").sum() == 25
    assert g_trig.str.contains("closed_mine_land").sum() == 0
    assert d["triggered_ha"] == pytest.approx(100.950, abs=1e-3)
    assert g["triggered_ha"] == pytest.approx(76.553, abs=1e-3)
    # the order of retirement by score changes with the weights
    d_rank = declining.columns[col.REDUCE_SCORE].sort_values(ascending=False, kind="stable")
    g_rank = growing.columns[col.REDUCE_SCORE].sort_values(ascending=False, kind="stable")
    assert list(d_rank.index[:5]) == ["JW001657", "JW001280", "JW001624", "JW001284",
                                      "JW001717"]
    assert list(g_rank.index[:5]) == ["JW001657", "JW001280", "JW001717", "JW001624",
                                      "JW001284"]
    assert set(_selected(growing)) < set(_selected(declining))
    # the summary names the type-specific rules that fired, with their parcel counts
    assert (d["city_triggers"], d["city_target_rules"]) == (
        "closed_mine_land: 25", "declining_ecological_first: 171")
    assert (g["city_triggers"], g["city_target_rules"]) == ("", "")
    r = runs["regenerating"].tables[reduction_stage.SUMMARY_TABLE].iloc[0]
    assert r["city_target_rules"] == "regenerating_green_near_town: 9"


def test_target_uses_follow_the_city_type(runs):
    rules = {city: runs[city].columns.loc[runs[city].columns[col.REDUCE_SELECTED],
                                         col.REDUCE_TARGET_RULE].value_counts().to_dict()
             for city in CITY_TYPES}
    assert rules["declining"].get("declining_ecological_first", 0) > 0
    assert not any("declining" in r for city in ("growing", "mature", "regenerating")
                   for r in rules[city])
    assert not any(r.startswith("growing") for city in ("mature", "declining", "regenerating")
                   for r in rules[city])


@pytest.mark.parametrize("city", CITY_TYPES)
def test_each_type_sets_its_quota_weights_and_values(runs, demo_result, city):
    output = runs[city]
    model = demo_result.prepared.rules.get("reduction", ReductionRules)
    preset = model.city_types[city]
    summary = output.tables[reduction_stage.SUMMARY_TABLE].iloc[0]
    assert summary["city_type"] == city
    assert summary["target_ha"] == pytest.approx(preset.target.share * summary["eligible_ha"])
    assert summary["reached_ha"] >= summary["target_ha"] - 1e-9
    assert (output.columns[col.CITY_TYPE] == city).all()
    strategy = output.tables[STRATEGY_TABLE].set_index("city_type")
    assert strategy["applied"].to_dict() == {c: c == city for c in CITY_TYPES}
    assert strategy.loc[city, "value_preferences"] == ", ".join(preset.value_preferences)
    weights = output.tables[reduction_stage.WEIGHTS_TABLE].set_index("indicator")
    for indicator, factor in preset.weight_multipliers.items():
        assert weights.loc[indicator, "multiplier"] == factor
    assert weights["weight"].sum() == pytest.approx(1.0)
    assert check(demo_result.prepared.layers.parcels, demo_result.prepared.rules,
                 replace(demo_result.prepared.layers, city_type=city)) == []


def test_multipliers_shift_weight_as_stated(runs):
    declining = runs["declining"].tables[reduction_stage.WEIGHTS_TABLE].set_index("indicator")
    mature = runs["mature"].tables[reduction_stage.WEIGHTS_TABLE].set_index("indicator")
    # idle ×2 against far ×1.5: the idle/ecological_gain ratio doubles from mature to declining
    ratio = (declining.loc["idle", "weight"] / declining.loc["ecological_gain", "weight"]) / (
        mature.loc["idle", "weight"] / mature.loc["ecological_gain", "weight"])
    assert ratio == pytest.approx(2.0)


def test_every_preset_and_target_use_rule_has_a_source(demo_result):
    model = demo_result.prepared.rules.get("reduction", ReductionRules)
    assert all(p.source for p in model.city_types.values())
    assert all(r.source for r in model.target_use_rules)
    assert all(t.source for t in model.triggers)
    assert model.selection.source
