"""The land-reduction stage: candidates, triggers, score, quota, target use, release."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import yaml

from zoning import columns as col
from zoning.engine import STAGES, prepare, run_stages
from zoning.errors import ReductionError, ValidationFailed
from zoning.reduction import stage as reduction_stage
from zoning.rules.ruleset import default_rule_paths, load_rules


def _spec(method: str | None = None) -> dict:
    """The shipped reduction rules; ``method`` overrides the selection method.

    Tests of what is settled before the selection (the target, the weights, which indicators
    count) pass ``"greedy"``: the target and the weights are the same for both methods
    (``test_milp_scores_at_least_greedy`` checks the target), and the MILP costs seconds
    per run on the demo.
    """
    spec = yaml.safe_load(default_rule_paths()["reduction"].read_text(encoding="utf-8"))
    if method is not None:
        spec["selection"]["method"] = method
    return spec


def _write(tmp_path: Path, spec: dict) -> Path:
    path = tmp_path / "reduction.yaml"
    path.write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def before(demo_result):
    """The demo's parcels as the reduction stage sees them, and its layers."""
    upto = STAGES.index(reduction_stage.STAGE)
    names = [c for s in STAGES[upto:] for c in s.columns(demo_result.prepared.rules)]
    return demo_result.parcels.drop(columns=names), demo_result.prepared


def _rerun(before, tmp_path, spec, city_type=None):
    parcels, prepared = before
    rules = load_rules({"reduction": _write(tmp_path, spec)})
    layers = replace(prepared.layers, city_type=city_type)
    return reduction_stage.run(parcels, rules, layers)


def test_demo_reaches_the_target_without_a_parcel_to_spare(demo_result):
    parcels = demo_result.parcels
    summary = demo_result.tables[reduction_stage.SUMMARY_TABLE].iloc[0]
    chosen = parcels[parcels[col.REDUCE_SELECTED]]
    reached = chosen[col.AREA_HA].sum()
    assert reached == pytest.approx(summary["reached_ha"])
    assert reached >= summary["target_ha"] - 1e-9
    # triggered parcels are retired whatever the quota; among the parcels chosen by score,
    # none could be left out and the target still be reached
    free = chosen[chosen[col.REDUCE_REASON].str.startswith("score")]
    assert len(free) > 0  # the score fills what the triggers leave
    assert reached - summary["target_ha"] < free[col.AREA_HA].min()
    eligible = parcels[parcels[col.REDUCE_SCORE].notna()]
    share = {"growing": 0.03, "mature": 0.05, "declining": 0.2, "regenerating": 0.08}
    assert summary["target_ha"] == pytest.approx(
        share[summary["city_type"]] * eligible[col.AREA_HA].sum())


def test_every_retired_parcel_says_why_and_what_it_becomes(demo_result):
    parcels = demo_result.parcels
    chosen = parcels[parcels[col.REDUCE_SELECTED]]
    assert len(chosen) > 0
    assert chosen[col.REDUCE_REASON].str.match(r"^(locked_in|triggered: \w|score \d)").all()
    assert chosen[col.REDUCE_TARGET_USE].isin(["cultivated", "forest", "grassland",
                                               "water"]).all()
    assert parcels.loc[~parcels[col.REDUCE_SELECTED], col.REDUCE_TARGET_USE].isna().all()
    # retired land is restored: demolished and reclaimed, or the mode its ground calls for
    assert not chosen[col.RESTORATION_MODE].isin(["redevelopment", "keep_as_is"]).any()
    assert (chosen[col.RESTORATION_MODE] == "demolish_reclaim").mean() > 0.5
    assert chosen[col.REDUCE_CANDIDATE].all()


def test_triggered_parcels_come_first_and_locked_out_never_appear(demo_result):
    parcels = demo_result.parcels
    eligible = parcels[parcels[col.REDUCE_SCORE].notna()]
    triggered = eligible[(eligible[col.REDUCE_TRIGGERS] != "") & eligible[col.REDUCE_CANDIDATE]]
    summary = demo_result.tables[reduction_stage.SUMMARY_TABLE].iloc[0]
    if triggered[col.AREA_HA].sum() <= summary["target_ha"]:
        assert triggered[col.REDUCE_SELECTED].all()
    locked_out = eligible[~eligible[col.REDUCE_CANDIDATE]]
    assert len(locked_out) == 0 or not locked_out[col.REDUCE_SELECTED].any()


def test_release_totals_the_retired_area(demo_result):
    release = demo_result.tables[reduction_stage.RELEASE_TABLE]
    total = release[release["by"] == "total"].iloc[0]
    chosen = demo_result.parcels[demo_result.parcels[col.REDUCE_SELECTED]]
    assert total["area_ha"] == pytest.approx(chosen[col.AREA_HA].sum())
    assert total["population"] == pytest.approx(chosen["POP"].sum())
    villages = release[release["by"] == "QSDWMC"]
    assert villages["area_ha"].sum() == pytest.approx(total["area_ha"])


def test_milp_scores_at_least_greedy(before, tmp_path):
    spec = _spec()
    spec["selection"]["isolation_penalty"] = 0.0
    milp = _rerun(before, tmp_path, spec).tables[reduction_stage.SUMMARY_TABLE].iloc[0]
    spec["selection"]["method"] = "greedy"
    greedy = _rerun(before, tmp_path, spec).tables[reduction_stage.SUMMARY_TABLE].iloc[0]
    assert milp["method"] == "milp" and greedy["method"] == "greedy"
    assert milp["total_score"] >= greedy["total_score"] - 1e-9
    assert milp["target_ha"] == pytest.approx(greedy["target_ha"])


def test_city_type_sets_the_quota(before, tmp_path):
    spec = _spec("greedy")
    growing = _rerun(before, tmp_path, spec, "growing").tables[reduction_stage.SUMMARY_TABLE]
    declining = _rerun(before, tmp_path, spec, "declining").tables[
        reduction_stage.SUMMARY_TABLE]
    assert growing.iloc[0]["city_type"] == "growing"
    assert declining.iloc[0]["target_ha"] == pytest.approx(
        growing.iloc[0]["target_ha"] * 0.2 / 0.03)
    spec["target"] = {"hectares": 12.0}   # the rule file overrides the city type
    fixed = _rerun(before, tmp_path, spec, "declining").tables[reduction_stage.SUMMARY_TABLE]
    assert fixed.iloc[0]["target_ha"] == pytest.approx(12.0)


def test_locked_in_and_locked_out(before, tmp_path):
    parcels, _ = before
    spec = _spec()
    spec["locked_in"] = "land_class == 'mining' and area_ha >= 2"
    spec["locked_out"] = "land_class == 'rural_homestead'"
    out = _rerun(before, tmp_path, spec).columns
    mining = (parcels[col.LAND_CLASS] == "mining") & (parcels[col.AREA_HA] >= 2)
    assert out.loc[mining, col.REDUCE_SELECTED].all()
    assert (out.loc[mining, col.REDUCE_REASON] == "locked_in").all()
    homestead = parcels[col.LAND_CLASS] == "rural_homestead"
    assert not out.loc[homestead, col.REDUCE_SELECTED].any()
    assert not out.loc[homestead, col.REDUCE_CANDIDATE].any()


def test_target_beyond_the_eligible_land_is_refused(before, tmp_path):
    spec = _spec()
    spec["target"] = {"hectares": 1e6}
    with pytest.raises(ReductionError, match=r"reduction\.yaml .*eligible area"):
        _rerun(before, tmp_path, spec)


@pytest.mark.parametrize("target, message", [({"share": 1.5}, "less than or equal to 1"),
                                             ({"hectares": -3}, "greater than 0"),
                                             ({"share": 0.1, "hectares": 5}, "exactly one")])
def test_bad_quota_is_a_validation_error(tmp_path, target, message):
    spec = _spec()
    spec["target"] = target
    with pytest.raises(ValidationFailed, match=message):
        load_rules({"reduction": _write(tmp_path, spec)})


def test_optional_indicator_without_its_field_is_left_out(before, tmp_path):
    spec = _spec("greedy")
    spec["score"]["indicators"][0]["value"] = "NO_SUCH_FIELD / area_ha"
    out = _rerun(before, tmp_path, spec)
    weights = out.tables[reduction_stage.WEIGHTS_TABLE].set_index("indicator")
    assert "NO_SUCH_FIELD" in weights.loc["output_per_ha", "left_out"]
    assert weights["weight"].sum() == pytest.approx(1.0)


def test_required_indicator_without_its_field_fails_validation(tiny_project, tmp_path):
    spec = _spec()
    spec["score"]["indicators"][0]["value"] = "NO_SUCH_FIELD / area_ha"
    spec["score"]["indicators"][0]["optional"] = False
    project = yaml.safe_load(tiny_project.read_text(encoding="utf-8"))
    project["rules"] = {"reduction": str(_write(tmp_path, spec))}
    tiny_project.write_text(yaml.safe_dump(project), encoding="utf-8")
    with pytest.raises(ValidationFailed, match="NO_SUCH_FIELD"):
        prepare(tiny_project)


def test_city_type_multipliers_shift_the_weights(before, tmp_path):
    spec = _spec("greedy")
    mature = _rerun(before, tmp_path, spec, "mature").tables[reduction_stage.WEIGHTS_TABLE]
    regen = _rerun(before, tmp_path, spec, "regenerating").tables[reduction_stage.WEIGHTS_TABLE]
    m = mature.set_index("indicator")["weight"]
    r = regen.set_index("indicator")["weight"]
    assert r["ecological_gain"] > m["ecological_gain"]
    assert np.isclose(r.sum(), 1.0) and np.isclose(m.sum(), 1.0)


def test_demo_runs_every_stage(tiny_project):
    result = run_stages(prepare(tiny_project), progress=False)
    assert col.REDUCE_SELECTED in result.parcels
