"""Bad-input catalogue of the modes and damage rules (issue 15): thresholds, quoted reasons,
market-led modes, the noise floor."""

from __future__ import annotations

from _bad import edited_rule_file, inputs_unchanged, outcome, rule_file_problems

from zoning import columns as col
from zoning.rules.ruleset import load_rules


@outcome("problem")
def test_reason_quoting_an_undefined_threshold(tmp_path):
    path, text = rule_file_problems(tmp_path, "modes", (
        "with water {lake_water_m} deep or more",
        "with water {lake_depth} deep or more"))
    assert str(path) in text
    assert "rule 'deep_water_lake': its reason quotes ['lake_depth']" in text
    assert "not thresholds" in text


@outcome("problem")
def test_market_led_mode_that_is_not_a_value_mode(tmp_path):
    path, text = rule_file_problems(tmp_path, "modes", (
        "market_led_value_modes: [property_rights, ",
        "market_led_value_modes: [property_right, "))
    assert str(path) in text
    assert "market_led_value_modes names undefined value modes ['property_right']" in text


@outcome("problem")
def test_rights_kinds_without_none(tmp_path):
    _, text = rule_file_problems(tmp_path, "modes", (
        "  none:\n    label: {zh: 无新增权益",
        "  nothing:\n    label: {zh: 无新增权益"))
    assert "rights_kinds must define 'none'" in text


@outcome("problem")
def test_noise_floor_that_is_no_band_edge(tmp_path):
    path, text = rule_file_problems(tmp_path, "damage", (
        "depth_bands_m: [0.1, 0.5,",
        "depth_bands_m: [0.2, 0.5,"))
    assert str(path) in text
    assert "noise_floor_m 0.1 must be one of depth_bands_m [0.2, 0.5, 1.5, 3.0, 5.0]" in text


@outcome("correct")
def test_a_planner_raises_the_share_threshold(tmp_path):
    # one number, stated once, moves every rule that names it and every reason that quotes it
    from test_modes_rules import decide

    path = edited_rule_file(tmp_path, "modes",
                            ("  min_share:\n    value: 0.3", "  min_share:\n    value: 0.5"))
    with inputs_unchanged(tmp_path):
        rules = load_rules({"modes": path})
    got = decide(rules, {col.PONDED_SHARE: 0.4, col.POND_DEPTH_M: 2.0},
                 {col.PONDED_SHARE: 0.5, col.POND_DEPTH_M: 2.0})
    assert got[col.RESTORATION_MODE].tolist() == ["keep_as_is", "fishery_pv"]
    assert got[col.MODE_REASON].iloc[1].startswith("at least 50% of the parcel ponded")


@outcome("problem")
def test_number_source_for_a_key_the_file_lacks(tmp_path):
    path, text = rule_file_problems(tmp_path, "zones", (
        "  min_mapping_unit_ha: \"engine default",
        "  min_mapping_unit: \"engine default"))
    assert str(path) in text
    assert "number_sources: ['min_mapping_unit'] name no key of this file" in text
