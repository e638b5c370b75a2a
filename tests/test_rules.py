import doctest
import json
import re
from pathlib import Path

import pytest

from zoning._resources import rules_dir
from zoning.errors import ValidationFailed
from zoning.rules import expressions, models, ruleset
from zoning.rules.loader import load_yaml
from zoning.rules.models import RULE_MODELS
from zoning.rules.ruleset import load_rules
from zoning.schema import json_schema, schema_text


def test_shipped_rules_load():
    rules = load_rules()
    assert set(rules.models) == set(RULE_MODELS)


@pytest.mark.parametrize("module", [ruleset, models, expressions])
def test_docstring_examples_run(module):
    outcome = doctest.testmod(module)
    assert outcome.failed == 0 and outcome.attempted > 0


def test_committed_schema_is_the_generated_one():
    committed = (rules_dir() / "schema.json").read_text(encoding="utf-8")
    assert committed == schema_text(), "run `zoning schema --write rules/schema.json`"
    assert "restoration_modes" in json.dumps(json_schema()["kinds"]["modes"])


def _broken_modes(tmp_path: Path, old: str, new: str) -> Path:
    text = (rules_dir() / "modes.yaml").read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "modes.yaml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def _line_of(path: Path, needle: str) -> int:
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(i for i, line in enumerate(lines, 1) if needle in line)


def test_unknown_key_and_undefined_mode_are_located(tmp_path):
    path = _broken_modes(tmp_path, "    reason: \"no treatment rule above applies",
                         "    reasn: \"typo")
    with pytest.raises(ValidationFailed) as info:
        load_rules({"modes": path})
    text = str(info.value)
    assert f"{path}:{_line_of(path, 'reasn')}" in text
    assert "unknown key" in text
    assert "required key is missing" in text  # `reason` is now missing


def test_assigning_an_undefined_mode_is_named(tmp_path):
    path = _broken_modes(tmp_path, "assign: {restoration_mode: wetland_lake}",
                         "assign: {restoration_mode: wetland_lak}")
    with pytest.raises(ValidationFailed) as info:
        load_rules({"modes": path})
    assert "unknown restoration_mode 'wetland_lak'" in str(info.value)
    assert f"{path}:{_line_of(path, 'wetland_lak}')}" in str(info.value)


def test_expression_errors_point_at_line_and_column(tmp_path):
    path = _broken_modes(tmp_path, 'when: "ponded_share >= min_share and pond_depth_m >= lake',
                         'when: "ponded_share >= min_share and subs_max >= lake')
    rules = load_rules({"modes": path})
    from zoning.modes import sites

    problems = rules.check_expressions(sites(rules), {"ponded_share", "subs_max_m"} | {
        "land_class", "gangue_share", "damage_grade", "damage_factor", "is_construction",
        "dist_town_m", "dist_road_m", "area_ha", "building_grade", "stable", "mine_type",
        "mine_stage", "reduce_selected", "geohazard_share", "pond_depth_m", "market_access",
        "city_type",
        "seasonal_share", "subs_share_0_to_0p1m", "subs_share_1p5_to_3m", "subs_share_3_to_5m",
        "subs_share_over_5m", "field_area_ha"})
    assert len(problems) == 1
    line = _line_of(path, "subs_max >= lake")
    column = path.read_text(encoding="utf-8").splitlines()[line - 1].index("subs_max >=") + 1
    assert problems[0].where == f"{path}:{line}:{column}"
    assert "subs_max_m" in problems[0].message  # the closest existing column


def test_invalid_yaml_names_the_line(tmp_path):
    path = tmp_path / "zones.yaml"
    path.write_text("schema_version: 1\nkind: zones\nzones: [unclosed\n", encoding="utf-8")
    with pytest.raises(ValidationFailed) as info:
        load_rules({"zones": path})
    assert re.search(rf"{re.escape(str(path))}:\d+:\d+: not valid YAML", str(info.value))


def test_wrong_kind_is_reported(tmp_path):
    path = tmp_path / "zones.yaml"
    path.write_text("schema_version: 1\nkind: modes\n", encoding="utf-8")
    with pytest.raises(ValidationFailed, match="expected `kind: zones`"):
        load_rules({"zones": path})


def test_positions_of_quoted_values(tmp_path):
    path = tmp_path / "x.yaml"
    path.write_text('a:\n  - when: "x > 1"\n  - when: y\n', encoding="utf-8")
    doc = load_yaml(path)
    assert doc.where(("a", 0, "when"), 2) == f"{path}:2:14"
    assert doc.where(("a", 1, "when")) == f"{path}:3:11"
