"""Social-ecological assessment: set pair analysis, weights, table checks, outputs, CLI."""

from __future__ import annotations

import doctest
import hashlib
import json
from fractions import Fraction
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import shared
from PIL import Image

import zoning
from zoning import weights
from zoning.assess import _assessment, _setpair, _table, assess, degrees, set_pair, write
from zoning.assess._write import FILES
from zoning.cli import main
from zoning.errors import AssessmentError
from zoning.outputs.guard import MARKER

RULES = Path(__file__).resolve().parents[1] / "rules" / "assessment.yaml"


def _spec() -> dict:
    return yaml.safe_load(RULES.read_text(encoding="utf-8"))


def _raw() -> pd.DataFrame:
    """The illustrative table as text cells (row 0 is the unit row)."""
    return pd.read_csv(zoning.assess.illustrative_table(), dtype=str, keep_default_na=False)


# --- set pair analysis by hand -----------------------------------------------------------


def test_three_by_two_by_hand():
    # X benefit: 2, 4, 8 -> M = 8, m = 2, M + m = 10, M·m = 16
    #   a_k = d / 10: 0.2, 0.4, 0.8;  c_k = 16 / (10 d): 0.8, 0.4, 0.2
    # Y cost: 6, 3, 2 -> M = 6, m = 2, M + m = 8, M·m = 12
    #   a_k = 12 / (8 d): 0.25, 0.5, 0.75;  c_k = d / 8: 0.75, 0.375, 0.25
    # weights 0.6, 0.4:
    #   2000: a = 0.12 + 0.10 = 0.22, c = 0.48 + 0.30 = 0.78, b = 0,    r = 0.22
    #   2001: a = 0.24 + 0.20 = 0.44, c = 0.24 + 0.15 = 0.39, b = 0.17, r = 0.44 / 0.83
    #   2002: a = 0.48 + 0.30 = 0.78, c = 0.12 + 0.10 = 0.22, b = 0,    r = 0.78
    m = pd.DataFrame({"x": [2.0, 4.0, 8.0], "y": [6.0, 3.0, 2.0]},
                     index=pd.Index([2000, 2001, 2002], name="year"))
    out = set_pair(m, [0.6, 0.4], ["+", "-"])
    assert list(out.columns) == ["a", "b", "c", "r"]
    assert list(out.index) == [2000, 2001, 2002] and out.index.name == "year"
    np.testing.assert_allclose(out["a"], [0.22, 0.44, 0.78])
    np.testing.assert_allclose(out["c"], [0.78, 0.39, 0.22])
    np.testing.assert_allclose(out["b"], [0.0, 0.17, 0.0], atol=1e-12)
    np.testing.assert_allclose(out["r"], [0.22, 0.44 / 0.83, 0.78])


def test_two_by_two_numpy_by_hand():
    # column 1 benefit 1, 3: M + m = 4, M·m = 3 -> a_k 0.25, 0.75; c_k 0.75, 0.25
    # column 2 cost 4, 2: M + m = 6, M·m = 8 -> a_k 8/24 = 1/3, 8/12 = 2/3; c_k 2/3, 1/3
    # equal weights: a = (0.25 + 1/3) / 2 = 7/24, c = 17/24 for row 0; mirrored for row 1
    out = set_pair(np.array([[1.0, 4.0], [3.0, 2.0]]), np.array([0.5, 0.5]), ["+", "-"])
    assert list(out.index) == [0, 1]
    np.testing.assert_allclose(out["a"], [7 / 24, 17 / 24])
    np.testing.assert_allclose(out["c"], [17 / 24, 7 / 24])
    np.testing.assert_allclose(out["b"], 0.0, atol=1e-12)


def test_a_row_at_every_best_value_has_b_zero():
    rng = np.random.default_rng(7)
    data = rng.uniform(1, 100, size=(12, 5))
    directions = ["+", "-", "+", "-", "-"]
    best = np.where(np.array(directions) == "+", data.max(axis=0), data.min(axis=0))
    data = np.vstack([data, best])
    w = rng.dirichlet(np.ones(5))
    out = set_pair(data, w, directions)
    assert out["b"].iloc[-1] == pytest.approx(0.0, abs=1e-12)
    high, low = data.max(axis=0), data.min(axis=0)
    # a_k = M / (M + m) for benefit at M, and M·m / (m (M + m)) = M / (M + m) for cost at m
    assert out["a"].iloc[-1] == pytest.approx(float(w @ (high / (high + low))))
    assert (out["r"].iloc[-1] >= out["r"]).all()
    assert (out["b"].iloc[:-1] > 1e-6).any()  # the others are not all on the boundary


def test_invariants_on_random_tables():
    rng = np.random.default_rng(11)
    for _ in range(20):
        n = int(rng.integers(1, 7))
        data = rng.lognormal(2, 1, size=(int(rng.integers(2, 15)), n))
        w = rng.dirichlet(np.ones(n))
        out = set_pair(data, w, list(rng.choice(["+", "-"], size=n)))
        np.testing.assert_allclose(out["a"] + out["b"] + out["c"], 1.0)
        assert (out["b"] >= 0).all() and (out["a"] > 0).all() and (out["c"] > 0).all()
        assert ((out["r"] >= 0) & (out["r"] <= 1)).all()
        np.testing.assert_allclose(out["r"], out["a"] / (out["a"] + out["c"]))


def test_swapping_a_direction_swaps_a_and_c_for_that_column():
    data = pd.DataFrame({"p": [3.0, 5.0, 9.0, 4.0], "q": [1.0, 2.0, 2.5, 7.0]})
    a1, c1 = degrees(data, ["+", "-"])
    a2, c2 = degrees(data, ["-", "-"])
    pd.testing.assert_series_equal(a1["p"], c2["p"])
    pd.testing.assert_series_equal(c1["p"], a2["p"])
    pd.testing.assert_series_equal(a1["q"], a2["q"])
    one = set_pair(data, [1.0, 0.0], ["+", "-"])
    swapped = set_pair(data, [1.0, 0.0], ["-", "-"])
    np.testing.assert_allclose(one["a"], swapped["c"])
    np.testing.assert_allclose(one["c"], swapped["a"])
    np.testing.assert_allclose(one["r"], 1 - swapped["r"])


def test_set_pair_rejects_non_positive_and_unknown_direction():
    data = pd.DataFrame({"x": [1.0, 0.0, 2.0], "y": [3.0, 2.0, -1.0]},
                        index=pd.Index([2010, 2011, 2012], name="year"))
    with pytest.raises(AssessmentError) as info:
        set_pair(data, [0.5, 0.5], ["+", "+"], source="t.csv")
    text = str(info.value)
    assert "t.csv: indicator 'x', row 2011: value 0 is not positive" in text
    assert "indicator 'y', row 2012: value -1 is not positive" in text
    with pytest.raises(AssessmentError, match=r"indicator 'y': unknown direction '\*'"):
        set_pair(data.abs() + 1, [0.5, 0.5], ["+", "*"])
    with pytest.raises(AssessmentError, match="sum to 1"):
        set_pair(data.abs() + 1, [40, 60], ["+", "+"])


def test_doctests_of_the_assess_modules():
    for module in (zoning.assess, _setpair, _assessment, _table):
        outcome = doctest.testmod(module)
        assert outcome.failed == 0, module.__name__
    assert doctest.testmod(_setpair).attempted >= 2


# --- the assessment of a table -----------------------------------------------------------


@pytest.fixture(scope="module")
def illustrative():
    return assess()


def test_weights_table_equals_zoning_weights_applied_directly(illustrative):
    spec = _assessment.load_assessment_rules()[0]
    data = illustrative.table.values
    table = illustrative.weights.set_index("indicator")
    for target in spec.targets.values():
        for group in target.groups().values():
            ids = [i.id for i in group.indicators]
            signs = [i.sign for i in group.indicators]
            ent = weights.entropy(data[ids], normalisation="minmax", directions=signs,
                                  shift=group.weights.entropy.shift).weights
            ahp = weights.ahp(group.weights.ahp.matrix, ri=group.weights.ahp.ri)
            combined = weights.combine(ahp.weights, ent.to_numpy(),
                                       rule="min_information_entropy")
            np.testing.assert_allclose(table.loc[ids, "entropy_weight"], ent.to_numpy())
            np.testing.assert_allclose(table.loc[ids, "ahp_weight"], ahp.weights)
            np.testing.assert_allclose(table.loc[ids, "combined_weight"], combined)
            np.testing.assert_allclose(table.loc[ids, "ahp_cr"], ahp.cr)
            assert table.loc[ids, "combined_weight"].sum() == pytest.approx(1.0)
    assert list(table.columns[:7]) == ["name_zh", "name_en", "target", "criterion", "factor",
                                       "direction", "unit"]


def test_indices_follow_the_orientation_and_set_pair(illustrative):
    idx = illustrative.indices
    assert len(idx) == 25 * 4
    assert illustrative.orientation == {"vulnerability": "less_vulnerable",
                                        "resilience": "more_resilient"}
    v = idx[(idx.target == "social") & (idx.criterion == "vulnerability")].set_index("year")
    r = idx[(idx.target == "social") & (idx.criterion == "resilience")].set_index("year")
    np.testing.assert_allclose(v["degree"], 1 - v["r"])
    np.testing.assert_allclose(r["degree"], r["r"])
    np.testing.assert_allclose(illustrative.difference["social"], v["degree"] - r["degree"])
    assert set(idx["larger_r_means"]) == {"less_vulnerable", "more_resilient"}
    spec = _assessment.load_assessment_rules()[0]
    group = spec.targets["social"].vulnerability
    ids = [i.id for i in group.indicators]
    w = illustrative.weights.set_index("indicator").loc[ids, "combined_weight"]
    direct = set_pair(illustrative.table.values[ids], w, [i.sign for i in group.indicators])
    np.testing.assert_allclose(v["r"], direct["r"])
    wide = illustrative.wide()
    assert "ecological_resilience_degree" in wide and "social_difference" in wide


def test_flipping_the_orientation_flips_the_degree(tmp_path, illustrative):
    spec = _spec()
    spec["criteria"]["vulnerability"]["larger_r_means"] = "more_vulnerable"
    path = tmp_path / "assessment.yaml"
    path.write_text(yaml.safe_dump(spec, allow_unicode=True, sort_keys=False), encoding="utf-8")
    flipped = assess(rules=path)
    assert flipped.orientation["vulnerability"] == "more_vulnerable"
    np.testing.assert_allclose(flipped.indices["r"], illustrative.indices["r"])
    vul = flipped.indices.criterion == "vulnerability"
    np.testing.assert_allclose(flipped.indices.loc[vul, "degree"],
                               1 - illustrative.indices.loc[vul, "degree"])


def test_excel_table_gives_the_same_result(tmp_path, illustrative):
    path = tmp_path / "table.xlsx"
    _raw().to_excel(path, index=False)
    result = assess(path)
    pd.testing.assert_frame_equal(result.indices, illustrative.indices)


def test_published_weights_are_reproduced_through_the_assessment(tmp_path):
    xu = pd.read_csv(shared("methods", "entropy_xu2004_EJOR156.csv"), index_col=0, dtype=str)
    data = xu.loc[xu.index.str.match(r"A\d+$")].astype(float)
    drinks = pd.read_csv(shared("methods", "ahp_saaty2008_drinks_matrix.csv"), index_col=0,
                         dtype=str)
    expected = pd.read_csv(shared("methods", "ahp_saaty2008_drinks_expected.csv"), dtype=str)
    items = list(drinks.index)
    label = {"zh": "x", "en": "x"}

    def ind(i):
        return {"id": i.lower(), "label": label, "factor": "f", "unit": "1", "direction": "+"}

    spec = {
        "schema_version": 1, "kind": "assessment", "factors": {"f": label},
        "criteria": {"vulnerability": {"larger_r_means": "less_vulnerable"},
                     "resilience": {"larger_r_means": "more_resilient"}},
        "targets": {"t": {
            "label": label,
            "vulnerability": {"weights": {"entropy": {"normalisation": "sum"}},
                              "indicators": [ind(c) for c in data.columns]},
            "resilience": {"weights": {"ahp": {"matrix": drinks.to_numpy().tolist(),
                                               "ri": "saaty2005", "source": "Saaty 2008"}},
                           "indicators": [ind(i) for i in items]}}},
    }
    (tmp_path / "rules.yaml").write_text(yaml.safe_dump(spec), encoding="utf-8")
    table = data.rename(columns=str.lower).reset_index(drop=True)
    for k, item in enumerate(items):
        table[item] = [1.0 + k, 2.0, 3.0 + k, 4.0]
    table.insert(0, "year", [2001, 2002, 2003, 2004])
    table.to_csv(tmp_path / "table.csv", index=False)
    result = assess(tmp_path / "table.csv", tmp_path / "rules.yaml").weights.set_index("indicator")
    published = xu.loc["expected_weight_published"]
    for column in data.columns:
        printed = published[column]
        digits = len(printed.split(".")[1]) if "." in printed else 0
        assert round(result.loc[column.lower(), "combined_weight"], digits) == float(printed)
    for item, printed in zip(expected["item"][:7], expected["ahp_weight_published"][:7],
                             strict=True):
        assert round(result.loc[item, "ahp_weight"], 3) == float(printed), item
    direct = weights.ahp(drinks.map(lambda c: float(Fraction(c))), ri="saaty2005")
    assert result.loc[items[0], "ahp_cr"] == pytest.approx(direct.cr)
    assert round(direct.cr, 3) == 0.022


# --- bad input, named precisely ---------------------------------------------------------


def test_every_table_problem_is_reported_at_once(tmp_path):
    raw = _raw()
    raw.loc[raw.year == "2003", "gdp_per_capita"] = "0"
    raw.loc[raw.year == "2007", "road_length"] = "-12"
    raw.loc[raw.year.isin(["2005", "2006"]), "reclamation_rate"] = ""
    raw.loc[raw.year == "2009", "tertiary_share"] = "abc"
    raw.loc[0, "energy_per_gdp"] = "kgce/yuan"
    raw = raw.drop(columns=["afforestation_area"]).rename(columns={"mining_share": "minig_share"})
    path = tmp_path / "bad.csv"
    raw.to_csv(path, index=False)
    with pytest.raises(AssessmentError) as info:
        assess(path)
    text = str(info.value)
    src = str(path)
    assert f"{src}: indicator 'gdp_per_capita': zero or negative value in year 2003 (line 6: 0)" \
        in text
    assert "indicator 'road_length': zero or negative value in year 2007 (line 10: -12)" in text
    assert "indicator 'reclamation_rate': missing value in year 2005, 2006" in text
    assert "indicator 'tertiary_share': not a number in year 2009 (line 12: 'abc')" in text
    assert f"{src}:2: indicator 'energy_per_gdp': unit 'kgce/yuan'" in text
    assert "'tce/1e4 yuan'" in text
    assert "unknown column 'minig_share'" in text and "did you mean 'mining_share'" in text
    assert "missing indicator column(s) ['mining_share', 'afforestation_area']" in text
    assert info.value.problems and len(info.value.problems) == 7


def test_duplicate_years_and_missing_file(tmp_path):
    raw = _raw()
    raw.loc[3, "year"] = "2001"
    path = tmp_path / "dup.csv"
    raw.to_csv(path, index=False)
    with pytest.raises(AssessmentError, match=r"year \['2001'\] appear"):
        assess(path)
    with pytest.raises(AssessmentError, match=r"nope\.csv: file not found"):
        assess(tmp_path / "nope.csv")


def test_unknown_direction_in_the_rules_names_file_line_and_indicator(tmp_path):
    text = RULES.read_text(encoding="utf-8").replace(
        'factor: economy, unit: yuan/person, direction: "+"',
        'factor: economy, unit: yuan/person, direction: "up"')
    path = tmp_path / "assessment.yaml"
    path.write_text(text, encoding="utf-8")
    line = next(i for i, t in enumerate(text.splitlines(), 1) if '"up"' in t)
    with pytest.raises(AssessmentError) as info:
        assess(rules=path)
    message = str(info.value)
    assert f"{path}:{line}:" in message
    assert "indicator 'gdp_per_capita': unknown direction 'up'" in message


def test_rule_file_errors_are_located(tmp_path):
    spec = _spec()
    spec["targets"]["social"]["resilience"]["weights"]["ahp"]["matrix"][0][1] = 1 / 9
    spec["targets"]["social"]["resilience"]["weights"]["ahp"]["matrix"][1][0] = 9
    spec["colour"] = "red"
    path = tmp_path / "assessment.yaml"
    path.write_text(yaml.safe_dump(spec, allow_unicode=True, sort_keys=False), encoding="utf-8")
    with pytest.raises(AssessmentError) as info:
        zoning.assess.load_assessment_rules(path)
    message = str(info.value)
    assert "colour: unknown key" in message
    assert "targets.social.resilience: Value error, ahp.matrix is " \
        "inconsistent: CR = 0.258" in message
    assert "disposable_income vs fiscal_spending" in message
    assert len(info.value.problems) == 2
    spec = _spec()
    spec["targets"]["social"]["vulnerability"]["indicators"][0]["factor"] = "jobs"
    path.write_text(yaml.safe_dump(spec, allow_unicode=True, sort_keys=False), encoding="utf-8")
    with pytest.raises(AssessmentError, match="indicator 'unemployment_rate': factor 'jobs' is "
                                              "not defined in factors"):
        zoning.assess.load_assessment_rules(path)
    with pytest.raises(AssessmentError, match="expected `kind: assessment`"):
        zoning.assess.load_assessment_rules(RULES.with_name("zones.yaml"))


# --- outputs and the command line --------------------------------------------------------


def test_cli_writes_every_output(tmp_path, capsys):
    table = tmp_path / "input.csv"
    _raw().to_csv(table, index=False)
    out = tmp_path / "result"
    assert main(["assess", str(table), "--rules", str(RULES), "--out", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == sorted([*FILES, MARKER])
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no staging left
    with Image.open(out / "assessment.png") as image:
        image.verify()
    with Image.open(out / "assessment.png") as image:
        assert image.format == "PNG" and image.width >= 1200 and image.height >= 500
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    digest = hashlib.sha256(table.read_bytes()).hexdigest()
    assert manifest["inputs"]["table"]["sha256"] == digest
    assert manifest["inputs"]["rules"]["sha256"] == hashlib.sha256(RULES.read_bytes()).hexdigest()
    assert manifest["orientation"]["vulnerability"] == "less_vulnerable"
    assert manifest["illustrative"] is False and "zoning" in manifest["versions"]
    page = (out / "assessment.html").read_text(encoding="utf-8")
    assert 'src="data:image/png;base64,' in page and "larger r = less vulnerable" in page
    assert "ILLUSTRATIVE" not in page
    wide = pd.read_csv(out / "assessment.csv", index_col=0, encoding="utf-8-sig")
    assert list(wide.index) == list(range(2000, 2025))
    assert "social_vulnerability_b" in wide.columns
    assert set(wide["vulnerability_larger_r_means"]) == {"less_vulnerable"}
    indices = pd.read_csv(out / "indices.csv", encoding="utf-8-sig")
    assert set(indices["larger_r_means"]) == {"less_vulnerable", "more_resilient"}
    diff = pd.read_csv(out / "difference.csv", encoding="utf-8-sig")
    assert len(diff) == 50 and set(diff["resilience_larger_r_means"]) == {"more_resilient"}
    np.testing.assert_allclose(diff["difference"],
                               diff["vulnerability_degree"] - diff["resilience_degree"],
                               atol=2e-6)  # written with 6 significant digits
    social = diff[diff["target"] == "social"].set_index("year")["difference"]
    np.testing.assert_allclose(social, wide["social_difference"], rtol=1e-5)
    w = pd.read_csv(out / "weights.csv", encoding="utf-8-sig")
    assert {"entropy_weight", "ahp_weight", "combined_weight", "ahp_cr"} <= set(w.columns)
    assert "outputs written to" in capsys.readouterr().out


def test_cli_without_table_runs_the_illustrative_table(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["-q", "assess"]) == 0
    out = tmp_path / "out" / "assessment"
    page = (out / "assessment.html").read_text(encoding="utf-8")
    assert "ILLUSTRATIVE" in page
    assert json.loads((out / "manifest.json").read_text(encoding="utf-8"))["illustrative"]


def test_cli_reports_problems_and_exits_1(tmp_path, capsys):
    raw = _raw()
    raw.loc[raw.year == "2010", "unemployment_rate"] = "0"
    path = tmp_path / "bad.csv"
    raw.to_csv(path, index=False)
    assert main(["assess", str(path), "--out", str(tmp_path / "o")]) == 1
    err = capsys.readouterr().err
    assert "unemployment_rate" in err and "2010" in err and str(path) in err
    assert not (tmp_path / "o").exists()


def test_write_replaces_an_old_output_whole(tmp_path, illustrative):
    out = tmp_path / "o"
    write(illustrative, out)  # an earlier output: it carries the engine's marker
    (out / "stale.txt").write_text("old", encoding="utf-8")
    write(illustrative, out)
    assert not (out / "stale.txt").exists() and (out / "assessment.png").is_file()


def test_public_api_and_schema():
    assert zoning.assess.set_pair is set_pair and "assess" in zoning.__all__
    from zoning.schema import json_schema, schema_text

    assert "assessment" in json_schema()["kinds"]
    committed = (RULES.parent / "schema.json").read_text(encoding="utf-8")
    assert committed == schema_text()


def test_an_unquoted_minus_is_a_located_yaml_error(tmp_path):
    text = RULES.read_text(encoding="utf-8")
    # `direction: -` unquoted starts a YAML list: the loader stops at that line
    broken = text.replace("schema_version: 1\n", "schema_version: 1\nx:\n  direction: -\n", 1)
    path = tmp_path / "assessment.yaml"
    path.write_text(broken, encoding="utf-8")
    line = broken.splitlines().index("  direction: -") + 1
    with pytest.raises(AssessmentError, match=rf"assessment\.yaml:{line}:\d+: not valid YAML"):
        zoning.assess.load_assessment_rules(path)


# --- an assessment named by a project ------------------------------------------------------


def test_demo_project_assesses_the_illustrative_table(demo_result):
    found = demo_result.prepared.assessment
    assert found is not None and demo_result.prepared.project.assessment.illustrative
    direct = assess()
    pd.testing.assert_frame_equal(found.indices, direct.indices)


def test_a_bad_project_table_is_reported_with_the_other_project_problems(demo_copy):
    table = demo_copy.parent / "broken.csv"
    raw = _raw()
    raw.iloc[3, 2] = "-4"
    raw.to_csv(table, index=False)
    project = yaml.safe_load(demo_copy.read_text(encoding="utf-8"))
    project["assessment"] = {"table": "broken.csv"}
    project["layers"]["parcels"]["fields"]["id"] = "NO_SUCH_FIELD"
    demo_copy.write_text(yaml.safe_dump(project, allow_unicode=True), encoding="utf-8")
    with pytest.raises(zoning.ValidationFailed) as failed:
        zoning.prepare(demo_copy)
    message = str(failed.value)
    assert "broken.csv" in message and "NO_SUCH_FIELD" in message
    assert str(raw.iloc[3, 0]) in message  # the year of the negative value
