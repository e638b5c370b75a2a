"""Per-mine plans (一矿一策): areas by damage grade and mode, earth balance, costs and bonds."""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd
import pytest
import yaml

from zoning import columns as col
from zoning import mineplan
from zoning.mineplan import (
    BOND_FACTOR,
    BOND_YUAN,
    COST_YUAN,
    PONDED_HA,
    WORST_RISK,
    cost_column,
    damage_column,
    mine_plans,
    mode_column,
)
from zoning.outputs.tables import write_table
from zoning.rules.models import DamageRules
from zoning.rules.ruleset import default_rule_paths, load_rules


def _parcels(**columns: list) -> pd.DataFrame:
    """A parcel table with what mine_plans reads; ``columns`` override the defaults."""
    n = len(next(iter(columns.values())))
    base = {col.MINE_ID: ["M1"] * n, col.MINE_STAGE: ["closed"] * n,
            col.MINE_TYPE: ["underground"] * n, col.AREA_HA: [1.0] * n,
            col.DAMAGE_GRADE: ["light"] * n, col.PONDED_SHARE: [0.0] * n,
            col.RESTORATION_MODE: ["keep_as_is"] * n, col.POND_AREA_HA: [None] * n,
            col.FIELD_AREA_HA: [None] * n, col.EARTH_VOLUME_M3: [None] * n,
            col.STRATEGY: ["post_closure"] * n, col.MONITORING: ["long_term"] * n,
            col.SAFETY_RISK: ["low"] * n}
    base.update(columns)
    return pd.DataFrame(base, index=[f"p{i}" for i in range(n)])


def _costs(tmp_path: Path, **changes: object) -> Path:
    spec = yaml.safe_load(default_rule_paths()["costs"].read_text(encoding="utf-8"))
    for key, value in changes.items():
        spec[key] = value
    path = tmp_path / "costs.yaml"
    path.write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def rules():
    return load_rules()


@pytest.fixture(scope="module")
def demo_plans(demo_result):
    return demo_result.tables[mineplan.TABLE].set_index(col.MINE_ID)


def test_demo_has_a_plan_per_mine_with_areas_that_add_up(demo_result, demo_plans):
    parcels = demo_result.parcels
    assert list(demo_plans.index) == ["M1", "M2", "M3", "M4"]
    grades = [damage_column(g) for g in
              demo_result.prepared.rules.get("damage", DamageRules).grades]
    totals = parcels.groupby(col.MINE_ID)[col.AREA_HA].sum()
    pd.testing.assert_series_equal(demo_plans[col.AREA_HA], totals, check_names=False)
    pd.testing.assert_series_equal(demo_plans[grades].sum(axis=1), totals, check_names=False)
    modes = [c for c in demo_plans.columns if c.startswith("mode_")]
    pd.testing.assert_series_equal(demo_plans[modes].sum(axis=1), totals, check_names=False)
    assert demo_plans[col.AREA_HA].round(1).to_dict() == {
        "M1": 1059.1, "M2": 887.5, "M3": 661.2, "M4": 957.8}
    assert demo_plans[col.MINE_STAGE].to_dict() == {
        "M1": "producing", "M2": "closed", "M3": "closed", "M4": "closed"}
    assert demo_plans.loc["M1", col.STRATEGY] == "producing_underground"
    volumes = parcels.groupby(col.MINE_ID)[col.EARTH_VOLUME_M3].sum()
    pd.testing.assert_series_equal(demo_plans[col.EARTH_VOLUME_M3], volumes, check_names=False)
    assert (volumes > 1e5).all()  # every demo mine has dig-deep-fill-shallow earthworks


def test_demo_costs_are_the_sum_of_the_parcel_costs(demo_result, demo_plans):
    parcels = demo_result.parcels
    by_mine = parcels.groupby(col.MINE_ID)[col.RESTORATION_COST_YUAN].sum()
    pd.testing.assert_series_equal(demo_plans[COST_YUAN], by_mine, check_names=False)
    assert demo_plans[BOND_YUAN].to_numpy() == pytest.approx(
        (demo_plans[COST_YUAN] * demo_plans[BOND_FACTOR]).to_numpy())
    outside = parcels[parcels[col.MINE_ID].isna()]
    assert (outside[col.RESTORATION_COST_YUAN] >= 0).all()
    assert demo_plans[COST_YUAN].sum() < parcels[col.RESTORATION_COST_YUAN].sum()


def test_costs_are_unit_cost_times_area_by_hand(rules):
    # levelling_reclamation: landform 60000 + soil 45000 yuan/ha; dig-deep-fill-shallow:
    # landform + soil + landscape 60000 yuan/ha, plus 1000 m³ × 15 yuan/m³
    parcels = _parcels(
        **{col.AREA_HA: [2.0, 0.5, 3.0],
           col.RESTORATION_MODE: ["levelling_reclamation", "dig_deep_fill_shallow", "keep_as_is"],
           col.EARTH_VOLUME_M3: [None, 1000.0, None],
           col.DAMAGE_GRADE: ["moderate", "severe", "none"],
           col.PONDED_SHARE: [0.0, 0.4, None]})
    plan = mine_plans(parcels, rules).loc["M1"]
    assert plan[cost_column("landform")] == pytest.approx(60000 * 2.5)
    assert plan[cost_column("soil")] == pytest.approx(45000 * 2.5)
    assert plan[cost_column("landscape")] == pytest.approx(60000 * 0.5)
    assert plan[cost_column("earthwork")] == pytest.approx(15000.0)
    assert plan[cost_column("vegetation")] == 0.0
    assert plan[COST_YUAN] == pytest.approx(150000 + 112500 + 30000 + 15000)
    assert plan[PONDED_HA] == pytest.approx(0.2)
    assert plan[damage_column("moderate")] == 2.0
    assert plan[damage_column("severe")] == 0.5
    assert plan[damage_column("none")] == 3.0
    assert plan[mode_column("keep_as_is")] == 3.0
    assert plan[col.EARTH_VOLUME_M3] == 1000.0


def test_bond_factor_by_the_worst_safety_risk(rules):
    parcels = _parcels(**{col.MINE_ID: ["A", "A", "B", "B", "C"],
                          col.SAFETY_RISK: ["low", "high", "medium", "low", "low"],
                          col.RESTORATION_MODE: ["levelling_reclamation"] * 5})
    plans = mine_plans(parcels, rules)
    assert plans[WORST_RISK].to_dict() == {"A": "high", "B": "medium", "C": "low"}
    assert plans[BOND_FACTOR].to_dict() == {"A": 1.5, "B": 1.2, "C": 1.0}
    assert plans[BOND_YUAN].to_dict() == pytest.approx(
        {"A": 1.5 * 210000, "B": 1.2 * 210000, "C": 105000.0})


def test_bond_factor_weighted_by_area(tmp_path: Path):
    spec = yaml.safe_load(default_rule_paths()["costs"].read_text(encoding="utf-8"))
    spec["bond"]["basis"] = "area_weighted"
    rules = load_rules({"costs": _costs(tmp_path, bond=spec["bond"])})
    parcels = _parcels(**{col.AREA_HA: [3.0, 1.0], col.SAFETY_RISK: ["low", "high"]})
    assert mine_plans(parcels, rules).loc["M1", BOND_FACTOR] == pytest.approx(
        (3 * 1.0 + 1 * 1.5) / 4)


def test_a_mine_without_parcels_gets_zeros(rules):
    parcels = _parcels(**{col.AREA_HA: [2.0], col.RESTORATION_MODE: ["levelling_reclamation"]})
    mines = pd.DataFrame({col.MINE_ID: ["M1", "M9"], col.MINE_STAGE: ["closed", "new"],
                          col.MINE_TYPE: ["underground", "open_pit"]})
    plans = mine_plans(parcels, rules, mines)
    assert list(plans.index) == ["M1", "M9"]
    empty = plans.loc["M9"]
    assert (empty[col.MINE_STAGE], empty[col.MINE_TYPE]) == ("new", "open_pit")
    assert (empty["parcels"], empty[col.AREA_HA], empty[COST_YUAN], empty[BOND_YUAN]) == (
        0, 0.0, 0.0, 0.0)
    assert pd.isna(empty[BOND_FACTOR]) and pd.isna(empty[WORST_RISK])
    assert plans.loc["M1", COST_YUAN] == pytest.approx(210000.0)


def test_parcels_outside_every_mine_are_left_out(rules):
    parcels = _parcels(**{col.MINE_ID: ["M1", None, None], col.AREA_HA: [1.0, 5.0, 7.0],
                          col.SAFETY_RISK: ["low", "high", "high"],
                          col.RESTORATION_MODE: ["levelling_reclamation"] * 3})
    plans = mine_plans(parcels, rules)
    assert list(plans.index) == ["M1"]
    assert plans.loc["M1", col.AREA_HA] == 1.0
    assert plans.loc["M1", BOND_FACTOR] == 1.0
    assert mine_plans(parcels[parcels[col.MINE_ID].isna()], rules).empty


def test_strategy_and_monitoring_listed_by_area(rules):
    parcels = _parcels(**{col.AREA_HA: [1.0, 4.0],
                          col.STRATEGY: ["post_closure", "conventional"],
                          col.MONITORING: ["deformation", "deformation"]})
    plan = mine_plans(parcels, rules).loc["M1"]
    assert plan[col.STRATEGY] == "conventional; post_closure"
    assert plan[col.MONITORING] == "deformation"


def test_illustrative_costs_are_warned(demo_result, caplog):
    prepared = demo_result.prepared
    with caplog.at_level(logging.WARNING, logger="zoning.mineplan"):
        mineplan.run(demo_result.parcels, prepared.rules, prepared.layers)
    warned = [r.getMessage() for r in caplog.records if "illustrative" in r.getMessage()]
    assert len(warned) == 1 and warned[0].startswith("costs: 9 number(s)")


def test_report_has_the_mine_plans(demo_result):
    from zoning.outputs.report import render_report
    html = render_report(demo_result, {})
    assert 'id="mines"' in html and "M4" in html and 'id="city-strategy"' in html
    assert "衰退型" in html


def test_mines_csv_has_plain_decimals(demo_result, tmp_path: Path) -> None:
    table = demo_result.tables[mineplan.TABLE]
    text = write_table(tmp_path / "mines.csv", table).read_text(encoding="utf-8-sig")
    assert "e+" not in text and "e-" not in text  # was 1.03552e+08 and the like
    read = pd.read_csv(tmp_path / "mines.csv", dtype=str).set_index(col.MINE_ID)
    m1 = table.set_index(col.MINE_ID).loc["M1"]
    assert read.loc["M1", "cost_yuan"] == f"{round(m1['cost_yuan'])}"  # whole yuan
    assert read.loc["M1", col.AREA_HA] == f"{m1[col.AREA_HA]:.4f}"
    assert read.loc["M1", "earth_volume_m3"] == f"{m1['earth_volume_m3']:.1f}"
    assert read.loc["M1", "parcels"] == str(m1["parcels"])
