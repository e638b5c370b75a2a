"""Bad-input catalogue: city types, restoration unit costs, bond factors, mines without parcels."""

from __future__ import annotations

import logging
from pathlib import Path

import geopandas as gpd
import pytest
import shapely
import yaml

from zoning import columns as col
from zoning import mineplan
from zoning.engine import prepare, run_stages
from zoning.errors import ValidationFailed
from zoning.rules.ruleset import default_rule_paths

try:
    from tests._bad import inputs_unchanged, outcome
except ImportError:  # tests/ on the path instead of the repository root
    from _bad import inputs_unchanged, outcome  # type: ignore[no-redef]


def _shipped(kind: str) -> dict:
    return yaml.safe_load(default_rule_paths()[kind].read_text(encoding="utf-8"))


def _with(project: Path, *, rules: dict[str, dict] | None = None, **fields: object) -> Path:
    """Write rule files beside ``project`` and name them (and ``fields``) in it."""
    spec = yaml.safe_load(project.read_text(encoding="utf-8"))
    for kind, data in (rules or {}).items():
        path = project.parent / f"my_{kind}.yaml"
        path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
        spec.setdefault("rules", {})[kind] = path.name
    spec.update(fields)
    project.write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    return project


def _problems(project: Path) -> list[str]:
    with inputs_unchanged(project.parent), pytest.raises(ValidationFailed) as caught:
        prepare(project)
    return [str(p) for p in caught.value.problems]


@outcome("problem")
def test_unknown_city_type(tiny_project: Path):
    problems = _problems(_with(tiny_project, city_type="boomtown"))
    assert len(problems) == 1
    assert "project.yaml" in problems[0] and "city_type" in problems[0]
    assert "'declining'" in problems[0]


@outcome("problem")
def test_city_type_without_a_preset(tiny_project: Path):
    reduction = _shipped("reduction")
    del reduction["city_types"]["growing"]
    problems = _problems(_with(tiny_project, rules={"reduction": reduction},
                               city_type="growing"))
    assert len(problems) == 1
    assert "my_reduction.yaml" in problems[0]
    assert "city_type 'growing' has no preset" in problems[0]
    assert "['declining', 'mature', 'regenerating']" in problems[0]


@outcome("problem")
def test_value_preference_not_a_value_mode(tiny_project: Path):
    reduction = _shipped("reduction")
    reduction["city_types"]["declining"]["value_preferences"] = ["safety_baseline", "tourism"]
    problems = _problems(_with(tiny_project, rules={"reduction": reduction}))
    assert len(problems) == 1
    assert "my_reduction.yaml" in problems[0]
    assert "unknown value mode(s) ['tourism']" in problems[0]


@outcome("problem")
def test_negative_unit_cost(tiny_project: Path):
    costs = _shipped("costs")
    costs["measures"]["soil"]["yuan_per_ha"] = -45000
    costs["earthwork"]["yuan_per_m3"] = -1
    problems = _problems(_with(tiny_project, rules={"costs": costs}))
    assert len(problems) == 2
    assert all("my_costs.yaml" in p for p in problems)
    assert any("measures.soil.yuan_per_ha" in p and "greater than or equal to 0" in p
               for p in problems)
    assert any("earthwork.yuan_per_m3" in p for p in problems)


@outcome("problem")
def test_missing_cost_for_a_measure_used(tiny_project: Path):
    costs = _shipped("costs")
    del costs["measures"]["geohazard"]
    problems = _problems(_with(tiny_project, rules={"costs": costs}))
    assert len(problems) == 1
    assert "my_costs.yaml" in problems[0]
    assert "no unit cost for measure 'geohazard'" in problems[0]
    assert "['slope_stabilization']" in problems[0]


@outcome("problem")
def test_bond_factor_below_one(tiny_project: Path):
    costs = _shipped("costs")
    costs["bond"]["factors"]["low"]["value"] = 0.8
    problems = _problems(_with(tiny_project, rules={"costs": costs}))
    assert len(problems) == 1
    assert "my_costs.yaml" in problems[0]
    assert "bond.factors.low.value" in problems[0]
    assert "greater than or equal to 1" in problems[0]


@outcome("problem")
def test_bond_factor_missing_for_a_safety_level(tiny_project: Path):
    costs = _shipped("costs")
    del costs["bond"]["factors"]["medium"]
    problems = _problems(_with(tiny_project, rules={"costs": costs}))
    assert len(problems) == 1
    assert "no bond factor for safety level(s) ['medium']" in problems[0]


@pytest.fixture
def tiny_with_mines(tiny_project: Path) -> Path:
    """The tiny project with two mines: M1 over parcels a and b, M2 over no parcel."""
    mines = gpd.GeoDataFrame(
        {"mine": ["M1", "M2"], "stage": ["closed", "new"], "type": ["underground", "open_pit"]},
        geometry=[shapely.box(536_000, 3_807_000, 536_200, 3_807_100),
                  shapely.box(540_000, 3_807_000, 540_100, 3_807_100)], crs="EPSG:4548")
    mines.to_file(tiny_project.parent / "mines.gpkg", layer="mines")
    spec = yaml.safe_load(tiny_project.read_text(encoding="utf-8"))
    spec["layers"]["mines"] = {"path": "mines.gpkg", "layer": "mines"}
    tiny_project.write_text(yaml.safe_dump(spec), encoding="utf-8")
    return tiny_project


@outcome("correct")
def test_mine_without_parcels_and_parcels_outside(tiny_with_mines: Path):
    with inputs_unchanged(tiny_with_mines.parent):
        result = run_stages(prepare(tiny_with_mines), progress=False)
    plans = result.tables[mineplan.TABLE].set_index(col.MINE_ID)
    parcels = result.parcels
    assert list(plans.index) == ["M1", "M2"]
    assert plans.loc["M1", "parcels"] == 2
    assert plans.loc["M1", col.AREA_HA] == pytest.approx(2.0)  # two 1-ha parcels; c is outside
    assert plans.loc["M2", ["parcels", col.AREA_HA, mineplan.COST_YUAN]].tolist() == [0, 0, 0]
    assert plans.loc["M2", col.MINE_TYPE] == "open_pit"
    assert plans.loc["M1", mineplan.COST_YUAN] == pytest.approx(
        parcels.loc[["a", "b"], col.RESTORATION_COST_YUAN].sum())


@outcome("warning")
def test_illustrative_unit_costs_warned(tiny_project: Path, caplog):
    with inputs_unchanged(tiny_project.parent), caplog.at_level(logging.WARNING):
        run_stages(prepare(tiny_project), progress=False)
    warned = [r.getMessage() for r in caplog.records
              if r.name == "zoning.mineplan" and r.levelno == logging.WARNING]
    assert len(warned) == 1
    assert warned[0].startswith("costs: 9 number(s)")
    assert "bond.factors.high" in warned[0]
