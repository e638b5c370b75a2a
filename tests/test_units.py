"""Planning units: compact contiguous groups of parcels inside each zone."""

from __future__ import annotations

import doctest
import re
from itertools import pairwise

import geopandas as gpd
import numpy as np
import pytest
import shapely
import yaml

from zoning import columns as col
from zoning import units
from zoning._resources import rules_dir
from zoning.engine import prepare
from zoning.errors import ValidationFailed
from zoning.mmu import fragments, shared_boundaries
from zoning.rules.models import PlanningUnits, ZonesRules
from zoning.rules.ruleset import load_rules


def _zone_pieces(parcels: gpd.GeoDataFrame) -> np.ndarray:
    codes = parcels[col.ZONE].factorize()[0].astype(np.int64)
    i, j, _ = shared_boundaries(parcels.geometry.to_numpy())
    return fragments(codes, i, j)


def test_every_parcel_has_one_unit_inside_one_zone_and_units_are_contiguous(demo_result):
    parcels = demo_result.parcels
    unit = parcels[col.PLANNING_UNIT]
    assert unit.notna().all()
    assert (parcels.groupby(col.PLANNING_UNIT)[col.ZONE].nunique() == 1).all()
    assert unit.map(lambda u: bool(re.fullmatch(r"[a-z_]+-\d{3}", u))).all()
    assert (unit.str.rsplit("-", n=1).str[0] == parcels[col.ZONE]).all()
    # contiguous: the connected groups of same-unit neighbours are exactly the units
    codes = unit.factorize()[0].astype(np.int64)
    i, j, _ = shared_boundaries(parcels.geometry.to_numpy())
    assert len(np.unique(fragments(codes, i, j))) == unit.nunique()


def test_units_meet_the_minimum_unless_a_whole_zone_piece_is_smaller(demo_result):
    parcels = demo_result.parcels
    spec = demo_result.prepared.rules.get("zones", ZonesRules).planning_units
    assert spec is not None
    piece = _zone_pieces(parcels)
    area = parcels.groupby(col.PLANNING_UNIT)[col.AREA_HA].sum()
    pieces_of_unit = parcels.assign(piece=piece).groupby(col.PLANNING_UNIT)["piece"]
    assert (pieces_of_unit.nunique() == 1).all()  # a unit never spans two zone pieces
    piece_area = parcels.groupby(piece)[col.AREA_HA].sum()
    small = area[area < spec.min_area_ha].index
    whole = piece_area.loc[pieces_of_unit.first().loc[small]].to_numpy()
    assert np.allclose(whole, area.loc[small].to_numpy())
    # large pieces are cut near the target: median within a factor of 1.5
    big = piece_area[piece_area >= 1.5 * spec.target_area_ha].index
    in_big = area[pieces_of_unit.first().isin(big)]
    assert len(in_big) > 50
    assert spec.target_area_ha / 1.5 < in_big.median() < spec.target_area_ha * 1.5
    assert in_big.max() <= units.SPLIT_ABOVE * spec.target_area_ha + parcels[col.AREA_HA].max()


def test_unit_layer_conserves_area_and_names_the_main_mode(demo_result):
    layer = demo_result.layers[units.LAYER]
    parcels = demo_result.parcels
    assert set(layer[col.PLANNING_UNIT]) == set(parcels[col.PLANNING_UNIT])
    assert layer[col.AREA_HA].sum() == pytest.approx(parcels[col.AREA_HA].sum(), rel=1e-9)
    assert layer.area.sum() / 1e4 == pytest.approx(parcels.area.sum() / 1e4, rel=1e-4)
    assert layer["parcels"].sum() == len(parcels)
    assert (shapely.get_num_geometries(layer.geometry.values) == 1).all()  # drawn whole
    first = layer.iloc[0]
    members = parcels[parcels[col.PLANNING_UNIT] == first[col.PLANNING_UNIT]]
    main = members.groupby(col.RESTORATION_MODE)[col.AREA_HA].sum().idxmax()
    assert first[col.RESTORATION_MODE] == main


def _strips(edges: list[float], zones: list[str]) -> gpd.GeoDataFrame:
    strips = [shapely.box(a, 0, b, 100) for a, b in pairwise(edges)]
    frame = gpd.GeoDataFrame({col.ZONE: zones}, geometry=strips, crs="EPSG:32650")
    frame[col.AREA_HA] = frame.area / 1e4
    return frame


def test_hand_case_cuts_at_the_widest_gap_and_follows_the_attribute():
    # six strips, centroids at x = 25, 75, 125, 250, 375, 425 m (4.5 ha, two units): the
    # wide fourth strip joins the right pair (Ward cost 2·1/3·150² < 3·1/4·175²); a depth
    # step after the second strip, weighted strongly, moves the cut there
    parcels = _strips([0, 50, 100, 150, 350, 400, 450], ["a"] * 6)
    spec = PlanningUnits(target_area_ha=2.25, min_area_ha=0.5)
    plain = units.planning_units(parcels, spec).tolist()
    assert plain == ["a-001"] * 3 + ["a-002"] * 3
    depth = gpd.pd.DataFrame({"d": [0, 0, 5, 5, 5, 5]}, index=parcels.index)
    weighted = PlanningUnits(target_area_ha=2.25, min_area_ha=0.5, attributes={"d": 5.0})
    assert units.planning_units(parcels, weighted, depth).tolist() == (
        ["a-001"] * 2 + ["a-002"] * 4)


def test_unit_below_the_minimum_merges_into_its_neighbour_in_the_same_zone():
    # zone a: strips of 1, 1 and 0.2 ha, the last one much deeper, so Ward cuts it off as a
    # unit of its own; below the 0.5 ha minimum it merges back. Zone b (0.1 ha) touches it
    # but a unit never crosses a zone.
    parcels = _strips([0, 100, 200, 220, 230], ["a", "a", "a", "b"])
    depth = gpd.pd.DataFrame({"d": [0.0, 0.0, 10.0, 10.0]}, index=parcels.index)
    loose = PlanningUnits(target_area_ha=1, min_area_ha=0, attributes={"d": 5.0})
    assert units.planning_units(parcels, loose, depth).tolist() == [
        "a-001", "a-001", "a-002", "b-001"]
    strict = PlanningUnits(target_area_ha=1, min_area_ha=0.5, attributes={"d": 5.0})
    assert units.planning_units(parcels, strict, depth).tolist() == [
        "a-001", "a-001", "a-001", "b-001"]


def test_rules_refuse_a_minimum_above_the_target_and_negative_weights(tmp_path):
    spec = yaml.safe_load((rules_dir() / "zones.yaml").read_text(encoding="utf-8"))
    path = tmp_path / "zones.yaml"
    path.write_text(yaml.safe_dump({**spec, "planning_units": {
        "target_area_ha": 5, "min_area_ha": 10}}, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ValidationFailed, match=r"min_area_ha \(10\) is above target_area_ha"):
        load_rules({"zones": path})
    path.write_text(yaml.safe_dump({**spec, "planning_units": {
        "target_area_ha": 50, "attributes": {"subs_max_m": -1}}}, allow_unicode=True),
        encoding="utf-8")
    with pytest.raises(ValidationFailed, match="attribute weights must be 0 or more"):
        load_rules({"zones": path})


def test_without_a_units_block_the_units_are_missing_and_no_layer_is_drawn(demo_result, tmp_path):
    spec = yaml.safe_load((rules_dir() / "zones.yaml").read_text(encoding="utf-8"))
    spec.pop("planning_units")
    path = tmp_path / "zones.yaml"
    path.write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    rules = load_rules({"zones": path})
    out = units.run(demo_result.parcels, rules, demo_result.prepared.layers)
    assert list(out.columns) == units.STAGE.columns(rules) == [col.PLANNING_UNIT]
    assert out[col.PLANNING_UNIT].isna().all() and out.index.equals(demo_result.parcels.index)
    assert units.unit_polygons(demo_result.parcels, rules) == {}


def test_units_are_deterministic_and_leave_the_input_alone(demo_result):
    parcels = demo_result.parcels.drop(columns=[col.PLANNING_UNIT])
    before = parcels.copy()
    rules = demo_result.prepared.rules
    first = units.run(parcels, rules, demo_result.prepared.layers)
    assert first[col.PLANNING_UNIT].equals(demo_result.parcels[col.PLANNING_UNIT])
    assert parcels.equals(before)


def test_unknown_attribute_column_is_named_before_the_run(demo_copy):
    rules_file = demo_copy.parent / "zones.yaml"
    spec = yaml.safe_load((rules_dir() / "zones.yaml").read_text(encoding="utf-8"))
    spec["planning_units"]["attributes"] = {"subs_maxx_m": 1.0}
    rules_file.write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    project = yaml.safe_load(demo_copy.read_text(encoding="utf-8"))
    project.setdefault("rules", {})["zones"] = "zones.yaml"
    demo_copy.write_text(yaml.safe_dump(project, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ValidationFailed) as failed:
        prepare(demo_copy)
    message = str(failed.value)
    assert "subs_maxx_m" in message and "subs_max_m" in message and "zones.yaml" in message


def test_docstring_example_holds():
    outcome = doctest.testmod(units)
    assert outcome.attempted > 0 and outcome.failed == 0
