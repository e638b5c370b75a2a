"""Bad-input catalogue of rule sources (issue 15, item 1): decision rules must cite."""

from __future__ import annotations

import pytest
import yaml
from _bad import inputs_unchanged, outcome
from test_bad_modes import _edited

from zoning._resources import rules_dir
from zoning.assess._assessment import load_assessment_rules
from zoning.errors import ValidationFailed
from zoning.rules.ruleset import load_rules


@outcome("problem")
def test_a_zones_rule_without_a_source(tmp_path):
    path = _edited(tmp_path, "zones", ('    source: "', '    sourc: "'))
    with inputs_unchanged(tmp_path), pytest.raises(ValidationFailed) as info:
        load_rules({"zones": path})
    text = str(info.value)
    assert text.startswith("2 problem(s) found:")
    assert f"{path}:51:5: rules.0.source: required key is missing" in text
    assert "rules.0.sourc: unknown key" in text


@outcome("problem")
def test_a_value_rule_with_an_empty_source(tmp_path):
    path = _edited(tmp_path, "modes", (
        'source: "engine default: land left as it is keeps the use and value it already has"',
        'source: ""'))
    with inputs_unchanged(tmp_path), pytest.raises(ValidationFailed) as info:
        load_rules({"modes": path})
    text = str(info.value)
    assert text.startswith("1 problem(s) found:")
    assert f"{path}:" in text
    assert "value_rules.2.source: String should have at least 1 character" in text


@outcome("problem")
def test_a_target_use_rule_without_a_source(tmp_path):
    path = _edited(tmp_path, "reduction", (
        '    source: "engine default: grass cover where nothing else suits"\n', ""))
    with inputs_unchanged(tmp_path), pytest.raises(ValidationFailed) as info:
        load_rules({"reduction": path})
    assert "target_use_rules.6.source: required key is missing" in str(info.value)


@outcome("problem")
def test_a_land_use_table_naming_no_standard(tmp_path):
    path = _edited(tmp_path, "landuse", ("standard: GB/T 21010-2017", 'standard: ""'))
    with inputs_unchanged(tmp_path), pytest.raises(ValidationFailed) as info:
        load_rules({"landuse": path})
    assert f"{path}:" in str(info.value)
    assert "standard: String should have at least 1 character" in str(info.value)


@outcome("correct")
def test_a_user_assessment_file_may_leave_indicator_sources_out(tmp_path):
    data = yaml.safe_load((rules_dir() / "assessment.yaml").read_text(encoding="utf-8"))
    for target in data["targets"].values():
        for criterion in ("vulnerability", "resilience"):
            for indicator in target[criterion]["indicators"]:
                del indicator["source"]
    path = tmp_path / "assessment.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with inputs_unchanged(tmp_path):
        model, _ = load_assessment_rules(path)
    indicators = [i for t in model.targets.values() for g in t.groups().values()
                  for i in g.indicators]
    assert len(indicators) == 18
    assert {i.source for i in indicators} == {""}
