"""The city type changes the value modes of the demo (issue 15, item 9).

The demo (Jiawang, a declining city) is run again as a growing city. The value rules of
rules/modes.yaml follow each type's `value_preferences` (rules/reduction.yaml): a declining city
values ecological land kept as it is away from markets as ecological products, a growing one
feeds reclaimed land near markets to industry. Safety first holds for every type.
"""

from __future__ import annotations

import shutil
from dataclasses import replace

import pandas as pd
import pytest

from zoning import columns as col
from zoning import modes
from zoning._resources import demo_project
from zoning.engine import STAGES, prepare, run_stages

CITY_TYPES = ("growing", "mature", "declining", "regenerating")
MARKET_MODES = ("industry_integration", "property_rights")
"""Market-led value modes: never on a parcel half or more inside a mapped hazard area."""


@pytest.fixture(scope="module")
def growing(tmp_path_factory) -> pd.DataFrame:
    """The demo's parcels when the project says `city_type: growing`."""
    folder = tmp_path_factory.mktemp("growing") / "demo"
    shutil.copytree(demo_project().parent, folder)
    project = folder / "project.yaml"
    text = project.read_text(encoding="utf-8")
    assert "\ncity_type: declining\n" in text
    project.write_text(text.replace("\ncity_type: declining\n", "\ncity_type: growing\n"),
                       encoding="utf-8")
    return run_stages(prepare(project), progress=False).parcels


@pytest.fixture(scope="module")
def by_type(demo_result) -> dict[str, pd.DataFrame]:
    """The demo's modes stage alone, once per city type (the same reduction before it), with the
    grids the run made (the subsidence surface the earth balance needs)."""
    prepared = demo_result.prepared
    layers = replace(prepared.layers, grids={**prepared.layers.grids, **demo_result.grids})
    later = {c for s in STAGES[STAGES.index(modes.STAGE):] for c in s.columns(prepared.rules)}
    parcels = demo_result.parcels.drop(columns=[c for c in demo_result.parcels if c in later])
    out = {}
    for city in CITY_TYPES:
        typed = parcels.assign(**{col.CITY_TYPE: city})
        out[city] = modes.run(typed, prepared.rules, layers).join(
            typed[[col.AREA_HA, col.GEOHAZARD_SHARE]])
    return out


def _areas(parcels: pd.DataFrame, by: str = col.VALUE_MODE) -> pd.Series:
    return parcels.groupby(by)[col.AREA_HA].sum().round(1)


def test_the_demo_is_declining_and_the_copy_growing(demo_result, growing):
    assert set(demo_result.parcels[col.CITY_TYPE]) == {"declining"}
    assert set(growing[col.CITY_TYPE]) == {"growing"}


def test_switching_the_city_type_moves_value_mode_areas(demo_result, growing):
    declining = _areas(demo_result.parcels)
    grown = _areas(growing)
    # declining: kept ecological land away from markets becomes ecological products
    assert declining["primitive_ecological"] > grown["primitive_ecological"]
    assert declining["current_use"] < grown["current_use"]
    # growing: reclaimed land near markets joins industry (and retires less: the reduction
    # quota is 3 % instead of 20 %, so more restored water and redeveloped land stays)
    assert grown["industry_integration"] > declining["industry_integration"]
    assert (declining["primitive_ecological"], grown["primitive_ecological"]) == (726.2, 254.3)
    assert (declining["industry_integration"], grown["industry_integration"]) == (164.2, 197.2)
    assert demo_result.parcels[col.VALUE_RULE].eq("declining_ecological_products").sum() > 0
    assert growing[col.VALUE_RULE].eq("declining_ecological_products").sum() == 0
    assert demo_result.parcels[col.VALUE_RULE].eq("growing_industry").sum() == 0


@pytest.mark.parametrize("which", ["declining", "growing"])
def test_no_hazard_parcel_goes_to_the_market(demo_result, growing, which):
    parcels = demo_result.parcels if which == "declining" else growing
    in_hazard = parcels[col.GEOHAZARD_SHARE] >= 0.5
    assert in_hazard.sum() > 0
    assert not parcels.loc[in_hazard, col.VALUE_MODE].isin(MARKET_MODES).any()


def test_each_city_type_moves_value_modes_on_the_same_parcels(by_type, demo_result):
    areas = {city: _areas(by_type[city]) for city in CITY_TYPES}
    rules = {city: _areas(by_type[city], col.VALUE_RULE) for city in CITY_TYPES}
    # the demo's own type, run alone, gives what the full run gave
    assert by_type["declining"][col.VALUE_MODE].equals(demo_result.parcels[col.VALUE_MODE])
    assert (areas["declining"]["primitive_ecological"], areas["growing"]["primitive_ecological"]
            ) == (726.2, 248.8)
    # safety first does not depend on the city type
    assert {areas[c]["safety_baseline"] for c in CITY_TYPES} == {887.6}
    # declining: 468.8 ha of kept ecological land away from markets become ecological products
    assert rules["declining"]["declining_ecological_products"] == pytest.approx(468.8)
    assert areas["declining"]["current_use"] == pytest.approx(
        areas["growing"]["current_use"] - 468.8, abs=0.2)
    assert areas["declining"]["primitive_ecological"] > max(
        areas[c]["primitive_ecological"] for c in ("growing", "mature", "regenerating"))
    # industry: mature and regenerating put it before quotas, growing after them
    assert rules["mature"]["mature_industry_first"] == pytest.approx(187.9)
    assert rules["regenerating"]["regenerating_near_town"] == pytest.approx(176.1)
    assert rules["growing"]["growing_industry"] == pytest.approx(8.6)
    industry = {c: areas[c]["industry_integration"] for c in CITY_TYPES}
    assert industry["mature"] > industry["growing"] > industry["declining"]
    assert areas["growing"]["property_rights"] > areas["mature"]["property_rights"]


@pytest.mark.parametrize("city", CITY_TYPES)
def test_no_city_type_takes_a_hazard_parcel_to_the_market(by_type, city):
    parcels = by_type[city]
    in_hazard = parcels[col.GEOHAZARD_SHARE] >= 0.5
    assert in_hazard.sum() > 0
    assert not parcels.loc[in_hazard, col.VALUE_MODE].isin(MARKET_MODES).any()
