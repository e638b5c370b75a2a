"""Restoration, value and strategy modes on the demo, and the guarantees of the modes stage."""

from pathlib import Path

import geopandas as gpd
import pytest
import yaml

from zoning import columns as col
from zoning import modes
from zoning._resources import rules_dir
from zoning.engine import STAGES, prepare, run_stages
from zoning.errors import ValidationFailed, ZoningError
from zoning.rules.models import ModesRules

pytestmark = pytest.mark.slow


def test_every_parcel_gets_every_mode_with_its_rule(demo_result):
    p = demo_result.parcels
    for value, rule in ((col.SAFETY_RISK, col.SAFETY_RULE), (col.MARKET_ACCESS, col.MARKET_RULE),
                        (col.RESTORATION_MODE, col.MODE_RULE), (col.VALUE_MODE, col.VALUE_RULE),
                        (col.STRATEGY, col.STRATEGY_RULE), (col.MONITORING, col.MONITORING_RULE)):
        assert p[value].notna().all() and p[rule].notna().all(), value
    model = demo_result.prepared.rules.get("modes", ModesRules)
    assert p[col.RESTORATION_MODE].isin(list(model.restoration_modes)).all()
    assert p[col.VALUE_MODE].isin(list(model.value_modes)).all()


def test_deep_ponding_becomes_water_and_light_dry_damage_cropland(demo_result):
    p = demo_result.parcels
    ponded = p[(p[col.PONDED_SHARE] >= 0.5) & ~p[col.LAND_CLASS].isin(
        ["river", "reservoir", "hydraulic", "transport"])]
    assert len(ponded) > 20
    assert ponded[col.RESTORATION_MODE].isin(["wetland_lake", "fishery_pv"]).all()
    light = p[(p[col.DAMAGE_GRADE] == "light") & (p[col.PONDED_SHARE] == 0)
              & p[col.LAND_CLASS].isin(["paddy", "irrigated", "dryland"])
              & (p[col.GANGUE_SHARE] < 0.3)]
    assert len(light) > 20
    assert (light[col.RESTORATION_MODE] == "levelling_reclamation").all()


def test_safety_comes_first(demo_result):
    p = demo_result.parcels
    gangue = p[p[col.GANGUE_SHARE] >= 0.3]
    assert len(gangue) > 0
    assert (gangue[col.VALUE_MODE] == "safety_baseline").all()
    assert (gangue[col.RESTORATION_MODE] == "slope_stabilization").all()
    high = p[p[col.SAFETY_RISK] == "high"]
    assert (high[col.VALUE_MODE] == "safety_baseline").all()


def test_mine_stage_selects_the_strategy(demo_result):
    p = demo_result.parcels
    mines = gpd.read_file(Path(demo_result.prepared.project.folder) / "mines.gpkg")
    producing = set(mines.loc[mines["stage"] == "producing", "mine"])
    in_producing = p[p[col.MINE_ID].isin(producing)]
    assert len(in_producing) > 0
    assert (in_producing[col.MINE_STAGE] == "producing").all()
    assert (in_producing[col.STRATEGY] == "concurrent").all()
    closed = p[p[col.MINE_STAGE] == "closed"]
    assert (closed[col.STRATEGY] == "post_closure").all()
    assert p.loc[p[col.MINE_ID].isna(), col.STRATEGY].isin(["conventional"]).all()
    moving = p[~p[col.STABLE].astype(bool)]
    assert (moving[col.MONITORING] != col.NO_MONITORING).all()


def test_earth_balance_of_dig_deep_fill_shallow(demo_result):
    p = demo_result.parcels
    model = demo_result.prepared.rules.get("modes", ModesRules)
    dug = p[p[col.RESTORATION_MODE] == model.earthwork.mode]
    other = p[p[col.RESTORATION_MODE] != model.earthwork.mode]
    assert other[col.EARTHWORK_STATUS].isna().all()
    balanced = dug[dug[col.EARTHWORK_STATUS] == "balanced"]
    assert len(balanced) > 20
    target = model.earthwork.field_height_m.value
    assert balanced[col.FIELD_HEIGHT_M].to_numpy() == pytest.approx(target, abs=1e-6)
    assert (balanced[col.EARTH_VOLUME_M3] > 0).all()
    assert (balanced[col.POND_AREA_HA] > 0).all()
    covered = balanced[col.POND_AREA_HA] + balanced[col.FIELD_AREA_HA]
    assert (covered <= balanced[col.AREA_HA] * 1.5 + 0.02).all()  # cells by centre


def _demo_with_modes(demo_copy: Path, old: str, new: str) -> Path:
    text = (rules_dir() / "modes.yaml").read_text(encoding="utf-8")
    assert old in text
    (demo_copy.parent / "modes.yaml").write_text(text.replace(old, new), encoding="utf-8")
    project = yaml.safe_load(demo_copy.read_text(encoding="utf-8"))
    project["rules"] = {"modes": "modes.yaml"}
    demo_copy.write_text(yaml.safe_dump(project, allow_unicode=True), encoding="utf-8")
    return demo_copy


def test_unstable_ground_without_monitoring_is_refused(demo_copy):
    path = _demo_with_modes(demo_copy, "assign: {strategy: concurrent, monitoring: deformation}",
                            "assign: {strategy: concurrent, monitoring: none}")
    upto_modes = STAGES[:STAGES.index(modes.STAGE) + 1]  # the error is the modes stage's
    with pytest.raises(ZoningError, match=r"not stable.*'producing_mine'"):
        run_stages(prepare(path), progress=False, stages=upto_modes)


def test_unknown_mine_stage_is_reported(demo_copy):
    mines_path = demo_copy.parent / "mines.gpkg"
    mines = gpd.read_file(mines_path)
    mines.loc[0, "stage"] = "active"
    mines.to_file(mines_path, layer="mines")
    with pytest.raises(ValidationFailed, match=r"field 'stage' has value\(s\) \['active'\]"):
        prepare(demo_copy)
