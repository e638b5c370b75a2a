"""The Jiawang indicator system verbatim (Table 1 of Ma et al. 2026, Resources Science 48(1)).

Its 18 indicators, directions and published weights, entered directly (``weight:``).
"""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd
import pytest
import yaml

from zoning import assess
from zoning.cli import main
from zoning.engine import prepare

TABLE_1 = {  # indicator id: (target, criterion, weight, direction) as printed in Table 1
    "unemployment_rate": ("social", "vulnerability", 0.206, "-"),
    "gdp_per_capita": ("social", "vulnerability", 0.202, "+"),
    "social_security_share": ("social", "vulnerability", 0.204, "+"),
    "secondary_share": ("social", "vulnerability", 0.192, "-"),
    "mining_share": ("social", "vulnerability", 0.205, "-"),
    "disposable_income": ("social", "resilience", 0.197, "+"),
    "fiscal_spending": ("social", "resilience", 0.205, "+"),
    "road_length": ("social", "resilience", 0.198, "+"),
    "tertiary_share": ("social", "resilience", 0.199, "+"),
    "tech_renovation_share": ("social", "resilience", 0.201, "+"),
    "subsided_area_per_person": ("ecological", "vulnerability", 0.257, "-"),
    "cultivated_per_person": ("ecological", "vulnerability", 0.250, "+"),
    "industrial_wastewater": ("ecological", "vulnerability", 0.248, "-"),
    "energy_per_gdp": ("ecological", "vulnerability", 0.255, "-"),
    "afforestation_area": ("ecological", "resilience", 0.257, "+"),
    "erosion_treated_area": ("ecological", "resilience", 0.243, "+"),
    "eco_governance_spending": ("ecological", "resilience", 0.249, "+"),
    "land_reclamation_ratio": ("ecological", "resilience", 0.251, "+"),
}
NAMES_ZH = {"land_reclamation_ratio": "土地垦殖率", "eco_governance_spending": "生态环境治理支出"}


@pytest.fixture(scope="module")
def jiawang() -> assess.Assessment:
    return assess.assess(rules="jiawang")


def test_weights_table_is_table_1(jiawang: assess.Assessment) -> None:
    table = jiawang.weights.set_index("indicator")
    assert list(table.index) == list(TABLE_1)
    expected = pd.DataFrame(TABLE_1, index=["target", "criterion", "given_weight", "direction"]).T
    assert table["given_weight"].tolist() == expected["given_weight"].tolist()  # exactly
    labels = ["target", "criterion", "direction"]
    assert table[labels].to_dict("index") == expected[labels].to_dict("index")
    for indicator, name in NAMES_ZH.items():  # the two the engine set substitutes
        assert table.loc[indicator, "name_zh"] == name
    assert table[["entropy_weight", "ahp_weight"]].isna().all().all()


def test_weights_used_are_the_published_ones_over_their_sum(jiawang: assess.Assessment) -> None:
    table = jiawang.weights
    sums = table.groupby(["target", "criterion"])["given_weight"].sum()
    assert sums.to_dict() == pytest.approx({("ecological", "resilience"): 1.0,
                                            ("ecological", "vulnerability"): 1.010,
                                            ("social", "resilience"): 1.0,
                                            ("social", "vulnerability"): 1.009})
    group_sum = table.groupby(["target", "criterion"])["given_weight"].transform("sum")
    ratio = (table["given_weight"] / group_sum).to_numpy()
    assert table["combined_weight"].to_numpy() == pytest.approx(ratio, rel=1e-15)


def test_unrounded_sums_are_warned(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="zoning.assess"):
        assess.assess(rules="jiawang")
    warned = [r.getMessage() for r in caplog.records if "weights entered sum to" in r.message]
    assert len(warned) == 2
    assert any("social.vulnerability" in m and "1.009" in m for m in warned)


def test_cli_selects_the_rule_set_by_name(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert main(["assess", "--rules", "jiawang", "--out", str(out)]) == 0
    weights = pd.read_csv(out / "weights.csv").set_index("indicator")
    assert weights["given_weight"].to_dict() == {k: v[2] for k, v in TABLE_1.items()}
    engine = tmp_path / "engine"
    assert main(["assess", "--out", str(engine)]) == 0
    assert pd.read_csv(engine / "weights.csv")["given_weight"].isna().all()


def test_engine_rule_set_remains_the_default() -> None:
    assert assess.rules_path(None) == assess.rules_path("engine")
    assert assess.default_rules_path().name == "assessment.yaml"


def test_a_project_names_the_rule_set(tiny_project: Path) -> None:
    data = yaml.safe_load(tiny_project.read_text(encoding="utf-8"))
    data["assessment"] = {"table": str(assess.illustrative_table("jiawang")),
                          "rules": "jiawang", "illustrative": True}
    tiny_project.write_text(yaml.safe_dump(data), encoding="utf-8")
    found = prepare(tiny_project).assessment
    assert found is not None and found.rules_path.name == "assessment_jiawang.yaml"
    assert found.weighting() == ("权重为直接输入值", "weights entered directly")
    assert assess.assess().weighting()[1] == "weights combining entropy and AHP"
