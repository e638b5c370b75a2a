"""Damage grading by the worst factor: land (TD/T 1031.3 style) and buildings (I–IV).

Limits of the shipped rules/damage.yaml: land, medium/high water table — strain 8/16 mm/m,
additional tilt 20/40 mm/m, subsidence 2/5 m, water-table depth after subsidence 1.5/0.5 m
(lower is worse); buildings (brick-concrete) — strain 2/4/6 mm/m, curvature 0.2/0.4/0.6 1/km,
tilt 3/6/10 mm/m. A value exactly at a limit belongs to the milder grade.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from zoning import columns as col
from zoning import damage
from zoning._resources import rules_dir
from zoning.errors import ValidationFailed
from zoning.rules.ruleset import RuleSet, load_rules

NAN = np.nan
DEFORMATION = (col.STRAIN_MAX_MM_M, col.TILT_MAX_MM_M, col.CURV_MAX_PER_KM)


@pytest.fixture(scope="module")
def rules() -> RuleSet:
    return load_rules()


def parcels(*rows: dict) -> pd.DataFrame:
    """Parcels with every factor column; what a row does not give is missing (NaN)."""
    base = {col.SUBS_MAX_M: NAN, col.GW_AFTER_M: NAN, col.STRAIN_MAX_MM_M: NAN,
            col.TILT_MAX_MM_M: NAN, col.CURV_MAX_PER_KM: NAN, col.IS_CONSTRUCTION: False}
    table = pd.DataFrame([{**base, **row} for row in rows])
    table.index = [f"p{i}" for i in range(len(table))]
    return table


def one(rules: RuleSet, **row) -> pd.Series:
    return damage.grade(parcels(row), rules).iloc[0]


# --- land ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("row", "grade", "factor"), [
    # each factor alone decides (subsidence 0.5 m: inside the basin, light)
    ({col.SUBS_MAX_M: 0.5, col.STRAIN_MAX_MM_M: 10.0}, "moderate", col.STRAIN_MAX_MM_M),
    ({col.SUBS_MAX_M: 0.5, col.STRAIN_MAX_MM_M: 17.0}, "severe", col.STRAIN_MAX_MM_M),
    ({col.SUBS_MAX_M: 0.5, col.TILT_MAX_MM_M: 25.0}, "moderate", col.TILT_MAX_MM_M),
    ({col.SUBS_MAX_M: 0.5, col.TILT_MAX_MM_M: 41.0}, "severe", col.TILT_MAX_MM_M),
    ({col.SUBS_MAX_M: 3.0}, "moderate", col.SUBS_MAX_M),
    ({col.SUBS_MAX_M: 5.5}, "severe", col.SUBS_MAX_M),
    ({col.SUBS_MAX_M: 0.5, col.GW_AFTER_M: 1.0}, "moderate", col.GW_AFTER_M),
    ({col.SUBS_MAX_M: 0.5, col.GW_AFTER_M: 0.3}, "severe", col.GW_AFTER_M),
    ({col.SUBS_MAX_M: 0.5}, "light", col.SUBS_MAX_M),
])
def test_each_factor_alone_decides(rules, row, grade, factor):
    got = one(rules, **row)
    assert (got[col.DAMAGE_GRADE], got[col.DAMAGE_FACTOR]) == (grade, factor)


def test_the_worst_factor_wins_and_is_named(rules):
    got = one(rules, **{col.SUBS_MAX_M: 3.0, col.GW_AFTER_M: 1.0, col.STRAIN_MAX_MM_M: 20.0,
                        col.TILT_MAX_MM_M: 5.0})
    assert got[col.DAMAGE_GRADE] == "severe"
    assert got[col.DAMAGE_FACTOR] == col.STRAIN_MAX_MM_M
    assert got[col.DAMAGE_REASON] == "strain_max_mm_m = 20 mm/m > 16 mm/m: severe"


def test_ties_go_to_the_factor_listed_first(rules):
    # file order: strain, tilt, subsidence, groundwater
    got = one(rules, **{col.SUBS_MAX_M: 3.0, col.GW_AFTER_M: 1.0})
    assert (got[col.DAMAGE_GRADE], got[col.DAMAGE_FACTOR]) == ("moderate", col.SUBS_MAX_M)
    got = one(rules, **{col.SUBS_MAX_M: 3.0, col.GW_AFTER_M: 1.0, col.TILT_MAX_MM_M: 30.0})
    assert got[col.DAMAGE_FACTOR] == col.TILT_MAX_MM_M


@pytest.mark.parametrize(("gw", "grade"), [
    (3.0, "light"), (1.5, "light"), (1.49, "moderate"), (1.0, "moderate"), (0.5, "moderate"),
    (0.49, "severe"), (0.0, "severe"), (-2.0, "severe"),
])
def test_a_lower_water_table_depth_is_worse(rules, gw, grade):
    got = one(rules, **{col.SUBS_MAX_M: 0.5, col.GW_AFTER_M: gw})
    assert got[col.DAMAGE_GRADE] == grade


def test_groundwater_reason_reads_as_in_the_table(rules):
    got = one(rules, **{col.SUBS_MAX_M: 0.5, col.GW_AFTER_M: 0.3})
    assert got[col.DAMAGE_REASON] == "gw_after_m = 0.3 m < 0.5 m: severe"
    got = one(rules, **{col.SUBS_MAX_M: 0.5, col.GW_AFTER_M: 1.0})
    assert got[col.DAMAGE_REASON] == "gw_after_m = 1 m in [0.5, 1.5) m: moderate"


@pytest.mark.parametrize(("column", "value", "grade"), [
    # exactly at a limit: the milder grade
    (col.STRAIN_MAX_MM_M, 8.0, "light"), (col.STRAIN_MAX_MM_M, 8.001, "moderate"),
    (col.STRAIN_MAX_MM_M, 16.0, "moderate"), (col.STRAIN_MAX_MM_M, 16.001, "severe"),
    (col.TILT_MAX_MM_M, 20.0, "light"), (col.TILT_MAX_MM_M, 40.0, "moderate"),
    (col.TILT_MAX_MM_M, 40.001, "severe"),
    (col.SUBS_MAX_M, 2.0, "light"), (col.SUBS_MAX_M, 2.001, "moderate"),
    (col.SUBS_MAX_M, 5.0, "moderate"), (col.SUBS_MAX_M, 5.001, "severe"),
])
def test_a_value_at_a_limit_belongs_to_the_milder_grade(rules, column, value, grade):
    row = {col.SUBS_MAX_M: 0.5, column: value}
    assert one(rules, **row)[col.DAMAGE_GRADE] == grade


def test_missing_factors_are_skipped(rules):
    table = parcels(
        {col.SUBS_MAX_M: 0.5},                                   # strain, tilt, water unknown
        {col.SUBS_MAX_M: 0.5, col.GW_AFTER_M: 0.2},              # water known: it decides
        {col.SUBS_MAX_M: 6.0, col.STRAIN_MAX_MM_M: NAN},
    )
    got = damage.grade(table, rules)
    assert got[col.DAMAGE_GRADE].tolist() == ["light", "severe", "severe"]
    assert got[col.DAMAGE_FACTOR].tolist() == [col.SUBS_MAX_M, col.GW_AFTER_M, col.SUBS_MAX_M]


def test_outside_the_basin_is_none_whatever_the_factors(rules):
    got = one(rules, **{col.SUBS_MAX_M: 0.005, col.GW_AFTER_M: 0.2, col.STRAIN_MAX_MM_M: 1.0})
    assert (got[col.DAMAGE_GRADE], got[col.DAMAGE_FACTOR]) == ("none", damage.OUTSIDE_BASIN)
    assert got[col.DAMAGE_REASON] == "subs_max_m = 0.005 m < 0.01 m: outside the subsidence basin"
    # 10 mm itself is inside the basin
    assert one(rules, **{col.SUBS_MAX_M: 0.01})[col.DAMAGE_GRADE] == "light"


def test_no_value_at_all_is_none_and_says_so(rules):
    got = one(rules)
    assert (got[col.DAMAGE_GRADE], got[col.DAMAGE_FACTOR]) == ("none", damage.NO_DATA)
    assert "not graded" in got[col.DAMAGE_REASON]


def test_inside_the_basin_without_factor_values_is_the_mildest_grade(tmp_path):
    # a rule file whose land factors leave out subsidence: the basin alone says light
    text = (rules_dir() / "damage.yaml").read_text(encoding="utf-8")
    start = text.index("    - column: subs_max_m")
    end = text.index("    - column: gw_after_m")
    path = tmp_path / "damage.yaml"
    path.write_text(text[:start] + text[end:], encoding="utf-8")
    rules = load_rules({"damage": path})
    got = one(rules, **{col.SUBS_MAX_M: 3.0})
    assert (got[col.DAMAGE_GRADE], got[col.DAMAGE_FACTOR]) == ("light", damage.INSIDE_BASIN)


def test_agrees_with_a_row_by_row_reference(rules):
    """The vectorised grading equals a plain per-parcel reading of the table, ties included."""
    rng = np.random.default_rng(7)
    n = 2000
    raw = {
        col.STRAIN_MAX_MM_M: rng.choice([2.0, 8.0, 12.0, 16.0, 30.0, NAN], n),
        col.TILT_MAX_MM_M: rng.choice([5.0, 20.0, 30.0, 40.0, 50.0, NAN], n),
        col.SUBS_MAX_M: rng.choice([0.0, 0.01, 1.0, 2.0, 3.0, 5.0, 7.0, NAN], n),
        col.GW_AFTER_M: rng.choice([-1.0, 0.3, 0.5, 1.0, 1.5, 2.5, NAN], n),
    }
    table = parcels(*[dict(zip(raw, values, strict=True)) for values in zip(*raw.values(),
                                                                        strict=True)])
    got = damage.grade(table, rules)
    limits = [(col.STRAIN_MAX_MM_M, (8, 16), 1), (col.TILT_MAX_MM_M, (20, 40), 1),
              (col.SUBS_MAX_M, (2, 5), 1), (col.GW_AFTER_M, (1.5, 0.5), -1)]
    names = ["light", "moderate", "severe"]
    for i, (_, row) in enumerate(table.iterrows()):
        best, decider = -1, None
        for column, (a, b), sign in limits:
            v = row[column]
            if np.isnan(v):
                continue
            k = (v > a) + (v > b) if sign > 0 else (v < a) + (v < b)
            if k > best:
                best, decider = k, column
        subs = row[col.SUBS_MAX_M]
        if subs < 0.01:
            want = ("none", damage.OUTSIDE_BASIN)
        elif best < 0:
            want = ("light", damage.INSIDE_BASIN) if subs >= 0.01 else ("none", damage.NO_DATA)
        else:
            want = (names[best], decider)
        assert (got[col.DAMAGE_GRADE].iloc[i], got[col.DAMAGE_FACTOR].iloc[i]) == want, row


# --- buildings ------------------------------------------------------------------------------


@pytest.mark.parametrize(("strain", "curv", "tilt", "grade", "factor"), [
    # the brick-concrete building table: I ≤ 2.0 / 0.2 / 3.0; II ≤ 4.0 / 0.4 / 6.0;
    # III ≤ 6.0 / 0.6 / 10.0; IV above
    (1.0, 0.1, 1.0, "I", col.STRAIN_MAX_MM_M),
    (2.0, 0.2, 3.0, "I", col.STRAIN_MAX_MM_M),       # all at the I limits: still I
    (2.5, 0.1, 1.0, "II", col.STRAIN_MAX_MM_M),
    (1.0, 0.3, 1.0, "II", col.CURV_MAX_PER_KM),
    (1.0, 0.1, 4.0, "II", col.TILT_MAX_MM_M),
    (4.0, 0.4, 6.0, "II", col.STRAIN_MAX_MM_M),
    (5.0, 0.1, 1.0, "III", col.STRAIN_MAX_MM_M),
    (1.0, 0.5, 1.0, "III", col.CURV_MAX_PER_KM),
    (1.0, 0.1, 10.0, "III", col.TILT_MAX_MM_M),
    (6.0, 0.6, 10.0, "III", col.STRAIN_MAX_MM_M),
    (6.5, 0.1, 1.0, "IV", col.STRAIN_MAX_MM_M),
    (1.0, 0.7, 1.0, "IV", col.CURV_MAX_PER_KM),
    (1.0, 0.1, 10.5, "IV", col.TILT_MAX_MM_M),
    (NAN, NAN, 7.0, "III", col.TILT_MAX_MM_M),       # tilt alone (a raster gives no strain)
])
def test_building_grades_follow_the_regulation(rules, strain, curv, tilt, grade, factor):
    got = one(rules, **{col.IS_CONSTRUCTION: True, col.SUBS_MAX_M: 1.0,
                        col.STRAIN_MAX_MM_M: strain, col.CURV_MAX_PER_KM: curv,
                        col.TILT_MAX_MM_M: tilt})
    assert (got[col.BUILDING_GRADE], got[col.BUILDING_FACTOR]) == (grade, factor)


def test_construction_land_takes_the_grade_its_building_grade_counts_as(rules):
    table = parcels(*[{col.IS_CONSTRUCTION: True, col.SUBS_MAX_M: 1.0, col.STRAIN_MAX_MM_M: s}
                      for s in (1.0, 3.0, 5.0, 7.0)])
    got = damage.grade(table, rules)
    assert got[col.BUILDING_GRADE].tolist() == ["I", "II", "III", "IV"]
    assert got[col.DAMAGE_GRADE].tolist() == ["light", "light", "moderate", "severe"]
    assert set(got[col.DAMAGE_FACTOR]) == {damage.BUILDING}
    assert got[col.DAMAGE_REASON].iloc[2] == (
        "building grade III (strain_max_mm_m = 5 mm/m in (4, 6] mm/m: III) counts as moderate")


def test_no_deformation_value_means_no_building_grade(rules):
    table = parcels({col.IS_CONSTRUCTION: True, col.SUBS_MAX_M: 3.0, col.GW_AFTER_M: 0.2},
                    {col.IS_CONSTRUCTION: False, col.SUBS_MAX_M: 3.0, col.STRAIN_MAX_MM_M: 5.0})
    got = damage.grade(table, rules)
    assert got[col.BUILDING_GRADE].isna().all()          # missing, not guessed
    assert got[col.BUILDING_FACTOR].isna().all()
    # the construction parcel falls back to the land factors, and its reason says so
    first = got.iloc[0]
    assert (first[col.DAMAGE_GRADE], first[col.DAMAGE_FACTOR]) == ("severe", col.GW_AFTER_M)
    assert first[col.DAMAGE_REASON].startswith("no building grade; by the land factors: ")


def test_construction_land_outside_the_basin_is_none(rules):
    got = one(rules, **{col.IS_CONSTRUCTION: True, col.SUBS_MAX_M: 0.002,
                        col.STRAIN_MAX_MM_M: 0.01, col.TILT_MAX_MM_M: 0.01,
                        col.CURV_MAX_PER_KM: 0.0})
    assert (got[col.DAMAGE_GRADE], got[col.DAMAGE_FACTOR]) == ("none", damage.OUTSIDE_BASIN)
    assert got[col.BUILDING_GRADE] == "I"


def test_the_stage_declares_its_columns_and_expressions(rules):
    assert damage.STAGE.columns(rules) == list(damage.grade(parcels({}), rules).columns)
    texts = {site.text for site in damage.sites(rules)}
    assert {"not is_construction", "is_construction", col.STRAIN_MAX_MM_M, col.GW_AFTER_M,
            col.CURV_MAX_PER_KM, col.SUBS_MAX_M} <= texts


# --- the rule file --------------------------------------------------------------------------


def _edited(tmp_path: Path, name: str, *edits: tuple[str, str]) -> Path:
    text = (rules_dir() / name).read_text(encoding="utf-8")
    for old, new in edits:
        assert old in text, old
        text = text.replace(old, new, 1)
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_bad_limits_are_reported_with_file_and_factor(tmp_path):
    path = _edited(
        tmp_path, "damage.yaml",
        ("      limits: [2.0, 5.0]", "      limits: [5.0, 2.0]"),          # land: not increasing
        ("      limits: [0.2, 0.4, 0.6]", "      limits: [0.2, 0.4]"),      # buildings: too few
    )
    zones = _edited(tmp_path, "zones.yaml", ("min_mapping_unit_ha:", "min_mapping_unit_hectares:"))
    with pytest.raises(ValidationFailed) as info:
        load_rules({"damage": path, "zones": zones})
    text = str(info.value)
    assert str(path) in text
    assert "'subs_max_m' (higher_is_worse): limits must strictly increase" in text
    assert "[5.0, 2.0]" in text
    assert "buildings factor 'curv_max_per_km': 2 limit(s) [0.2, 0.4] for the 4 grades" in text
    assert str(zones) in text                       # collected with the other files' problems
    assert len(info.value.problems) == 3
    located = next(p.where for p in info.value.problems if "subs_max_m" in p.message)
    line = path.read_text(encoding="utf-8").splitlines().index("      limits: [5.0, 2.0]") + 1
    assert located.startswith(f"{path}:{line}:")


def test_lower_is_worse_limits_must_decrease(tmp_path):
    path = _edited(tmp_path, "damage.yaml", ("limits: [1.5, 0.5]", "limits: [0.5, 1.5]"))
    with pytest.raises(ValidationFailed, match=r"'gw_after_m' \(lower_is_worse\): limits must "
                                               r"strictly decrease"):
        load_rules({"damage": path})


def test_undefined_damage_grade_is_reported(tmp_path):
    path = _edited(tmp_path, "damage.yaml", ("damage_grade: moderate", "damage_grade: medium"))
    with pytest.raises(ValidationFailed, match=r"damage grade\(s\) \['medium'\] are not defined"):
        load_rules({"damage": path})


def test_misspelt_columns_are_found_before_the_run(tmp_path):
    path = _edited(tmp_path, "damage.yaml",
                   ('applies_to: "not is_construction"', 'applies_to: "not is_constructon"'),
                   ("- column: tilt_max_mm_m", "- column: tilt_max"))
    rules = load_rules({"damage": path})
    known = {col.IS_CONSTRUCTION, col.SUBS_MAX_M, col.GW_AFTER_M, *DEFORMATION, *_shares(0.0)}
    problems = rules.check_expressions(damage.sites(rules), known)
    messages = " | ".join(str(p) for p in problems)
    assert len(problems) == 2, messages
    assert "unknown column 'is_constructon' (did you mean 'is_construction'?)" in messages
    assert "unknown column 'tilt_max' (did you mean 'tilt_max_mm_m'?)" in messages
    assert all(p.where.startswith(str(path)) for p in problems)


# --- extent: the area-share gate (issue 15) -------------------------------------------------


def _shares(below_floor: float, deep: float = 0.0) -> dict:
    """Band shares: ``below_floor`` under 0.1 m, ``deep`` over 5 m, the rest 0.5-1.5 m."""
    return {"subs_share_0_to_0p1m": below_floor, "subs_share_0p1_to_0p5m": 0.0,
            "subs_share_0p5_to_1p5m": 1.0 - below_floor - deep, "subs_share_1p5_to_3m": 0.0,
            "subs_share_3_to_5m": 0.0, "subs_share_over_5m": deep}


def test_too_little_area_beyond_the_noise_floor_is_not_damage(rules):
    # the worst cell says severe (6 m), but 98 % of the parcel subsided less than 0.1 m
    got = one(rules, **{col.SUBS_MAX_M: 6.0, col.GW_AFTER_M: -3.5, **_shares(0.98, deep=0.02)})
    assert (got[col.DAMAGE_GRADE], got[col.DAMAGE_FACTOR]) == ("none", damage.BELOW_EXTENT)
    assert got[col.DAMAGE_REASON].startswith("2 % of the parcel subsided 0.1 m or more, less "
                                             "than 30%")


def test_enough_area_beyond_the_noise_floor_is_graded_by_the_worst_factor(rules):
    got = one(rules, **{col.SUBS_MAX_M: 6.0, col.GW_AFTER_M: -3.5, **_shares(0.7, deep=0.3)})
    assert (got[col.DAMAGE_GRADE], got[col.DAMAGE_FACTOR]) == ("severe", col.SUBS_MAX_M)
    got = one(rules, **{col.SUBS_MAX_M: 0.3, **_shares(0.69)})  # 31 % beyond 0.1 m
    assert got[col.DAMAGE_GRADE] == "light"


def test_centimetres_of_insar_subsidence_are_not_damage(rules):
    # 4 cm over the whole parcel: inside the basin (10 mm) but within the noise floor
    got = one(rules, **{col.SUBS_MAX_M: 0.04, **_shares(1.0)})
    assert got[col.DAMAGE_GRADE] == "none" and got[col.DAMAGE_FACTOR] == damage.BELOW_EXTENT


def test_noise_floor_must_be_a_band_edge(tmp_path):
    text = (rules_dir() / "damage.yaml").read_text(encoding="utf-8")
    path = tmp_path / "damage.yaml"
    path.write_text(text.replace("depth_bands_m: [0.1, 0.5,", "depth_bands_m: [0.5,"),
                    encoding="utf-8")
    with pytest.raises(ValidationFailed, match=r"noise_floor_m 0\.1 must be one of depth_bands_m"):
        load_rules({"damage": path})
