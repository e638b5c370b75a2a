import pytest

from zoning import columns as col
from zoning.cli import main
from zoning.engine import prepare, run_stages
from zoning.errors import ZoningError
from zoning.explain import explain
from zoning.rules._valuation import CarbonRules, EsvRules


def test_explain_lists_every_rule_in_order(tiny_project, capsys):
    assert main(["-q", "explain", "c", str(tiny_project)]) == 0
    text = capsys.readouterr().out
    # parcel c: rural homestead with 3 m subsidence over its whole area, water table 2.5 m
    assert "subs_max_m = 3" in text
    # construction land without deformation values: graded by the land factors, worst wins
    assert "* gw_after_m = -0.5 m < 0.5 m: severe" in text
    # ... with the source of the factor that decided under the grade
    assert ("gw_after_m = -0.5 m < 0.5 m: severe)\n     source: TD/T 1031.3-2011, same table:"
            in text)
    # a retired parcel: the trigger that fired, and the target-use rule that decided
    assert ("  trigger unstable_ground: damage_grade == 'severe' or (not stable and subs_max_m >= "
            "1.5)\n     source: TD/T 1031.3 severe damage") in text
    assert " * ponded_to_water: matched [ponded_share=1] -> reduce_target_use=water" in text
    assert "damage_grade = severe (by gw_after_m" in text
    # ponded half a metre deep, far from markets: water wins over relocation (issue 15: shallow
    # water becomes ponds and raised fields); the hazard sets the value mode
    assert "* shallow_water_fields: matched" in text and "+ subsided_village: matched" in text
    assert ("(at least 30% of the parcel under water shallower than 1.5 m, away from markets"
            in text)
    # the source of the rule that decided is shown under it
    assert "     source: Ma et al. 2026 (挖深垫浅: ponds and restored farmland)" in text
    assert "* severe_construction: matched" in text
    assert "* unresolved_hazard: matched [safety_risk=high]" in text
    assert text.index("damage_grade = severe") < text.index("shallow_water_fields") < text.index(
        "* ponded: matched")
    # suitability: every factor with its score and weight, the N veto on cultivated land
    assert "cultivated: N (index" in text
    assert "groundwater = -0.5: score 0 × weight 0.297  veto → at best N\n       source: " in text


def test_explain_unknown_parcel(tiny_project):
    result = run_stages(prepare(tiny_project), progress=False)
    with pytest.raises(ZoningError, match="no parcel with id 'zz'"):
        explain("zz", result=result)


# --- the minimum mapping unit and the valuation, on the demo -------------------------------

MMU_PARCEL = "JW001301"   # 1.12 ha of industry integration among three other zones
WAITING_PARCEL = "JW004425"   # a 4-parcel fragment that waits for a smaller one, then merges
RECLAIMED_PARCEL = "JW000350"   # facility agriculture reclaimed as dry cropland (挖深垫浅)


def test_explain_shows_which_neighbour_absorbed_a_small_fragment(demo_result):
    row = demo_result.parcels.loc[MMU_PARCEL]
    assert row[col.ZONE_RULE] == col.ZONE_RULE_MMU
    text = explain(MMU_PARCEL, result=demo_result).to_text()
    assert ("minimum mapping unit (2 ha): zone_before_mmu = industry_integration -> "
            "zone = farmland_consolidation") in text
    # the neighbouring zones with their shared boundaries, longest first: the longest wins
    assert ("round 1: fragment of 1 parcel(s), 1.12 ha, zone industry_integration < 2 ha; "
            "shared boundary with farmland_consolidation 180 m, ecological_restoration 171 m, "
            "ecological_protection 67 m") in text
    assert "* merged into farmland_consolidation (longest shared boundary 180 m)" in text
    # the replay agrees with what the stage recorded on the parcel
    assert row[col.ZONE_REASON] == ("fragment of 1.12 ha < 2 ha merged into "
                                    "farmland_consolidation (longest shared boundary 180 m)")
    assert text.index("zones.rules:") < text.index("minimum mapping unit") < text.index(
        "esv.after_rules:")


def test_explain_shows_a_fragment_waiting_for_a_smaller_one(demo_result):
    trace = explain(WAITING_PARCEL, result=demo_result).mmu
    assert trace is not None and [r.round for r in trace.rounds][:2] == [1, 2]
    first, second = trace.rounds[:2]
    assert first.waiting and first.merged_into is None and first.parcels == 4
    assert set(first.neighbours) == {"farmland_consolidation", "urban_restoration"}
    assert not second.waiting and second.merged_into == "farmland_consolidation"
    assert second.merged_into == demo_result.parcels.loc[WAITING_PARCEL, col.ZONE]
    assert not trace.rounds[-1].small  # it ends in a fragment above the unit
    text = trace.lines()
    assert any("waits: it touches a smaller fragment below the unit" in line for line in text)


def test_explain_of_a_parcel_the_unit_kept(demo_result):
    trace = explain(RECLAIMED_PARCEL, result=demo_result).mmu
    assert trace is not None and trace.zone_before == trace.zone == "farmland_consolidation"
    assert len(trace.rounds) == 1 and not trace.rounds[0].small
    assert trace.lines()[1].endswith(">= 2 ha: kept")


def test_explain_traces_the_land_class_after_and_the_values(demo_result):
    rules = demo_result.prepared.rules
    row = demo_result.parcels.loc[RECLAIMED_PARCEL]
    assert (row[col.LAND_CLASS], row[col.LAND_CLASS_AFTER]) == ("facility_agriculture",
                                                                "dryland")
    out = explain(RECLAIMED_PARCEL, result=demo_result)
    text = out.to_text()
    assert "* reclaimed_to_cropland: matched [restoration_mode=dig_deep_fill_shallow]" in text
    assert "   cropland_kept: no [land_class=facility_agriculture" in text
    assert ("land_class facility_agriculture -> land_class_after dryland (by "
            "reclaimed_to_cropland: levelling or dig-deep-fill-shallow reclaims cropland)") in text
    esv = rules.get("esv", EsvRules)
    dryland = sum(esv.equivalents_per_ha("dryland").values())
    value = esv.equivalent_value_yuan_ha.value
    assert ("ESV before: facility_agriculture counts as none (no service value): 0.00 "
            "equivalents/ha") in text
    assert (f"ESV after: dryland counts as dryland: {dryland:.2f} equivalents/ha × "
            f"{value:.2f} yuan × {row[col.AREA_HA]:.3g} ha = "
            f"{row[col.ESV_AFTER_YUAN]:,.0f} yuan/yr") in text
    assert out.valuation is not None
    assert out.valuation.esv_yuan == (0.0, pytest.approx(row[col.AREA_HA] * dryland * value))
    carbon = rules.get("carbon", CarbonRules).densities
    assert out.valuation.carbon_t == (
        pytest.approx(row[col.AREA_HA] * carbon["facility_agriculture"].total()),
        pytest.approx(row[col.AREA_HA] * carbon["dryland"].total()))
    assert f"= {row[col.CARBON_AFTER_T]:,.1f} t C" in text
    assert text.index("esv.after_rules:") < text.index("valuation (equivalent factors")


def test_explain_names_the_planning_unit_and_its_size(demo_result):
    parcels = demo_result.parcels
    unit = parcels.loc[MMU_PARCEL, col.PLANNING_UNIT]
    members = parcels[parcels[col.PLANNING_UNIT] == unit]
    text = explain(MMU_PARCEL, result=demo_result).to_text()
    line = next(s for s in text.splitlines() if s.startswith("planning unit:"))
    assert unit in line and f"{len(members)} parcel(s)" in line
    assert f"{members[col.AREA_HA].sum():.2f} ha" in line and "about 50 ha" in line


RETIRED_PARCEL = "JW001657"   # closed mine land with gangue, retired first in a declining city


def test_explain_names_the_sources_of_the_reduction_rules_that_decided(demo_result):
    text = explain(RETIRED_PARCEL, result=demo_result).to_text()
    assert "reduction (rules/reduction.yaml, declining city): retired" in text
    assert ("  trigger closed_mine_land: city_type in ['declining', 'regenerating'] and "
            "land_class == 'mining' and mine_stage == 'closed'\n     source: "
            "中国资源型城市的高质量发展") in text
    assert "  trigger geohazard: geohazard_share >= 0.3\n     source: geological hazard" in text
    # every target-use rule tried, the one that decided with its source
    assert ("reduction.target_use_rules:\n   ponded_to_water: no [ponded_share=0] -> "
            "reduce_target_use=water") in text
    assert (" * declining_ecological_first: matched [city_type=declining, "
            "suit_cultivated_class=N, suit_forest_class=S1] -> reduce_target_use=forest") in text
    assert ("\n     source: 中国资源型城市的高质量发展：困境与突破: shrinking cities strengthen "
            "ecological construction") in text
    # a veto that holds shows where it comes from
    assert ("gangue = 1: score 0 × weight 0.082  veto → at best N\n       source: engine default: "
            "gangue piles need slope and pollution control first") in text
    # outside the basin: the source of the basin edge
    assert "outside the subsidence basin)\n     source: " in text
    # every decision table's deciding rule carries a source line
    decided = [line for line in text.splitlines() if line.startswith(" * ")]
    lines = text.splitlines()
    assert len(decided) >= 8
    assert all(lines[lines.index(d) + 1].startswith("     source: ") for d in decided)
