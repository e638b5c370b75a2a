"""Suitability: index sum of weighted factor scores, vetoes, weights, limiting factors."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from zoning import columns as col
from zoning import weights
from zoning._resources import rules_dir
from zoning.errors import ValidationFailed
from zoning.rules.models import SuitabilityRules
from zoning.rules.ruleset import load_rules
from zoning.suitability.scoring import best_use, score_use
from zoning.suitability.sensitivity import perturbed, sensitivity

TWO_FACTORS = {
    "schema_version": 1, "kind": "suitability",
    "classes": {"S1": 0.8, "S2": 0.6, "S3": 0.4},
    "tie_break": ["crop", "water"],
    "uses": {
        "crop": {
            "label": {"zh": "耕", "en": "crop"},
            "factors": [
                {"id": "depth", "label": {"zh": "深", "en": "depth"}, "value": "gw",
                 "score": {"function": "linear", "minimum": 0.0, "maximum": 2.0},
                 "weight": 3, "veto": {"N": "gw < 0.5", "S3": "gw < 1.0"}, "source": "test"},
                {"id": "soil", "label": {"zh": "土", "en": "soil"}, "value": "soil",
                 "score": {"function": "categorical", "default": 0.0,
                           "groups": [{"score": 1.0, "values": ["loam"]},
                                      {"score": 0.5, "values": ["sand"]}]},
                 "weight": 1, "source": "test"},
            ],
        },
        "water": {
            "label": {"zh": "水", "en": "water"},
            "factors": [
                {"id": "wet", "label": {"zh": "湿", "en": "wet"}, "value": "2 - gw",
                 "score": {"function": "linear", "minimum": 0.0, "maximum": 2.0},
                 "weight": 1, "missing": 0.0, "source": "test"},
            ],
        },
    },
}

PARCELS = pd.DataFrame({"gw": [2.0, 1.0, 0.4, 1.6, np.nan],
                        "soil": ["loam", "sand", "loam", "clay", "sand"]},
                       index=["a", "b", "c", "d", "e"])


def _rules(tmp_path: Path, doc: dict):
    path = tmp_path / "suitability.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    return load_rules({"suitability": path})


def _scored(tmp_path, doc=TWO_FACTORS, use="crop", parcels=PARCELS):
    rules = _rules(tmp_path, doc)
    spec = rules.get("suitability", SuitabilityRules).uses[use]
    return score_use(use, spec, parcels, rules)


def test_index_is_the_weighted_mean_of_scores(tmp_path):
    s = _scored(tmp_path)
    # depth scores gw / 2; soil loam 1, sand 0.5, clay 0 (default); weights 3 : 1
    expected = [(3 * 1.0 + 1.0) / 4, (3 * 0.5 + 0.5) / 4, (3 * 0.2 + 1.0) / 4,
                (3 * 0.8 + 0.0) / 4, 0.5]  # e: depth missing → skipped, soil alone
    assert s.index == pytest.approx(expected)
    assert s.weights.values == pytest.approx([0.75, 0.25])


def test_veto_caps_the_class_whatever_the_sum(tmp_path):
    s = _scored(tmp_path)
    grades = [col.SUIT_CLASSES[g] for g in s.grade]
    # a: 1.0 → S1; b: 0.5 → S3 by the sum; c: sum 0.4 (S3) but gw < 0.5 vetoes N;
    # d: 0.6 → S2; e: 0.5 → S3, no veto on a missing value
    assert grades == ["S1", "S3", "N", "S2", "S3"]
    high = PARCELS.assign(soil="loam", gw=[2.0, 0.45, 0.9, 2.0, 2.0])
    s = _scored(tmp_path, parcels=high)
    # index of the second parcel is 0.4375 + 0.25 = 0.59 (S3) and the N veto holds
    assert [col.SUIT_CLASSES[g] for g in s.grade][:3] == ["S1", "N", "S3"]


def test_index_exactly_at_a_cut_point_takes_the_better_class(tmp_path):
    doc = yaml.safe_load(yaml.safe_dump(TWO_FACTORS))
    doc["uses"]["crop"]["factors"][1]["weight"] = 3  # equal weights
    parcels = pd.DataFrame({"gw": [1.2], "soil": ["loam"]}, index=["x"])  # (0.6 + 1) / 2
    s = _scored(tmp_path, doc, parcels=parcels)
    assert s.index[0] == pytest.approx(0.8)
    assert col.SUIT_CLASSES[s.grade[0]] == "S1"


def test_missing_score_is_used_when_given(tmp_path):
    s = _scored(tmp_path, use="water")
    assert s.index[-1] == 0.0  # missing: 0.0
    assert s.index[0] == 0.0 and s.index[1] == pytest.approx(0.5)


def test_limiting_factors_by_obstacle_degree_and_veto(tmp_path):
    from zoning.suitability.scoring import limiting
    s = _scored(tmp_path)
    names = limiting(s.scores, s.weights.values, s.caps, s.grade, ["depth", "soil"], 2)
    # a: perfect → none; b: obstacles 0.75·0.5 vs 0.25·0.5 → depth, soil;
    # c: N veto on depth first; d: depth 0.75·0.2 = 0.15 < soil 0.25·1 → soil, depth
    assert names[:4] == ["", "depth,soil", "depth", "soil,depth"]  # c: loam has no obstacle


def test_best_use_by_class_then_index_then_tie_break():
    index = {"a": np.array([0.9, 0.7, 0.5]), "b": np.array([0.95, 0.7, 0.9])}
    grade = {"a": np.array([0, 1, 2]), "b": np.array([0, 1, 3])}
    use, klass = best_use(index, grade, ["a", "b"])
    assert use.tolist() == ["b", "a", "a"]  # higher index; equal → tie_break; better class
    assert klass.tolist() == [0, 1, 2]


def test_ahp_matrix_in_the_rule_file_gives_its_weights(tmp_path):
    doc = yaml.safe_load(yaml.safe_dump(TWO_FACTORS))
    for f in doc["uses"]["crop"]["factors"]:
        del f["weight"]
    doc["uses"]["crop"]["weights"] = {"ahp": {"matrix": [[1, 3], ["1/3", 1]], "ri": "saaty1980",
                                              "source": "test"}}
    s = _scored(tmp_path, doc)
    assert s.weights.values == pytest.approx([0.75, 0.25])
    assert s.weights.method.startswith("ahp")


def test_inconsistent_ahp_matrix_is_reported_with_its_worst_pair(tmp_path):
    doc = yaml.safe_load(yaml.safe_dump(TWO_FACTORS))
    factors = doc["uses"]["crop"]["factors"]
    for f in factors:
        del f["weight"]
    factors.append({**factors[1], "id": "slope", "value": "gw"})
    doc["uses"]["crop"]["weights"] = {"ahp": {
        "matrix": [[1, 9, "1/9"], ["1/9", 1, 9], [9, "1/9", 1]], "ri": "saaty1980",
        "source": "test"}}
    with pytest.raises(ValidationFailed) as info:
        _rules(tmp_path, doc)
    text = str(info.value)
    assert "inconsistent: CR =" in text and "most inconsistent judgement" in text
    assert "suitability.yaml:" in text


def test_entropy_combined_with_ahp_by_a_named_rule(tmp_path):
    doc = yaml.safe_load(yaml.safe_dump(TWO_FACTORS))
    for f in doc["uses"]["crop"]["factors"]:
        del f["weight"]
    doc["uses"]["crop"]["weights"] = {
        "ahp": {"matrix": [[1, 3], ["1/3", 1]], "ri": "saaty1980", "source": "test"},
        "entropy": {"normalisation": "minmax", "shift": 0.01},
        "combine": {"rule": "linear", "alpha": 0.5}}
    s = _scored(tmp_path, doc)
    complete = s.scores[~np.isnan(s.scores).any(axis=1)]
    ent = weights.entropy(complete, normalisation="minmax", directions=["+", "+"], shift=0.01)
    assert s.weights.values == pytest.approx(0.5 * np.array([0.75, 0.25]) + 0.5 * ent.weights)
    doc["uses"]["crop"]["weights"].pop("combine")
    with pytest.raises(ValidationFailed, match="`combine` is needed"):
        _rules(tmp_path, doc)


def test_rule_file_problems_are_all_reported(tmp_path):
    doc = yaml.safe_load(yaml.safe_dump(TWO_FACTORS))
    doc["uses"]["crop"]["factors"][0]["score"] = {"function": "linear", "minimun": 0}
    del doc["uses"]["water"]["factors"][0]["weight"]
    with pytest.raises(ValidationFailed) as info:
        _rules(tmp_path, doc)
    text = str(info.value)
    assert "unknown parameter 'minimun'" in text
    assert "have no `weight`" in text


def test_perturbed_weights_renormalise():
    w = perturbed(np.array([0.2, 0.3, 0.5]), 2, -0.1)
    assert w.sum() == pytest.approx(1.0)
    assert w[2] / w[0] == pytest.approx(0.45 / 0.2)


def test_sensitivity_counts_parcels_that_change_class(tmp_path):
    doc = yaml.safe_load(yaml.safe_dump(TWO_FACTORS))
    doc["uses"]["crop"]["factors"][0]["veto"] = {}
    rules = _rules(tmp_path, doc)
    model = rules.get("suitability", SuitabilityRules)
    # parcel index (3·s + soil)/4 with soil = 0: sits at 0.6 when s = 0.8 (gw = 1.6)
    parcels = pd.DataFrame({"gw": [1.6, 2.0], "soil": ["clay", "loam"]}, index=["p", "q"])
    scored = {u: score_use(u, spec, parcels, rules) for u, spec in model.uses.items()}
    table = sensitivity(scored, model).set_index(["use", "factor", "direction"])
    # lowering depth's weight moves p below 0.6 (S2 → S3); raising it moves p up, no change
    assert table.loc[("crop", "depth", "-"), "class_changed_share"] == 0.5
    assert table.loc[("crop", "depth", "+"), "class_changed_share"] == 0.0
    assert table.loc[("crop", "soil", "+"), "class_changed_share"] == 0.5
    assert set(table["best_use_changed_share"]) <= {0.0, 0.5}


def test_shipped_rules_give_every_factor_a_source():
    model = load_rules().get("suitability", SuitabilityRules)
    assert all(f.source for use in model.uses.values() for f in use.factors)
    assert (rules_dir() / "suitability.yaml").exists()


@pytest.mark.slow
def test_demo_every_parcel_is_classed(demo_result):
    parcels, tables = demo_result.parcels, demo_result.tables
    model = demo_result.prepared.rules.get("suitability", SuitabilityRules)
    for use, spec in model.uses.items():
        assert parcels[col.suit_class(use)].isin(col.SUIT_CLASSES).all(), use
        assert parcels[col.suit_score(use)].between(0, 1).all(), use
        for f in spec.factors:
            assert col.suit_factor(use, f.id) in parcels
    assert parcels[col.BEST_USE].isin(list(model.uses)).all()
    w = tables["suitability_weights"]
    assert w.groupby("use")["weight"].sum().to_numpy() == pytest.approx(1.0)
    cultivated = w[w["use"] == "cultivated"]
    assert cultivated["cr"].iloc[0] < 0.1
    s = tables["suitability_sensitivity"]
    assert len(s) == 2 * sum(len(u.factors) for u in model.uses.values())
    assert s["class_changed_share"].between(0, 1).all()


@pytest.mark.slow
def test_demo_ponded_parcels_are_not_cultivable(demo_result):
    p = demo_result.parcels
    ponded = p[p[col.GW_AFTER_M] < 0.5]
    assert len(ponded) > 0
    assert (ponded[col.suit_class("cultivated")] == "N").all()
    deep = p[p[col.PONDED_SHARE] >= 0.5]
    assert deep[col.BEST_USE].isin(["fishery", "wetland"]).mean() > 0.9
