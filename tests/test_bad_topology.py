"""Bad-input catalogue: parcel layers whose topology is broken (overlaps, gaps, duplicates)."""

from __future__ import annotations

import logging
from pathlib import Path

import geopandas as gpd
import pytest
import shapely
import yaml
from _bad import inputs_unchanged, outcome
from conftest import boxes

from zoning import columns as col
from zoning.engine import prepare
from zoning.errors import ValidationFailed
from zoning.runner import run

X0, Y0 = 536_000.0, 3_807_000.0


def _parcels(project: Path, ids: list[str], shapes: list[shapely.Geometry]) -> None:
    """Replace the tiny project's parcels (land use 0101 for all)."""
    gpd.GeoDataFrame({"BSM": ids, "DLBM": ["0101"] * len(ids)}, geometry=shapes,
                     crs="EPSG:4548").to_file(project.parent / "parcels.gpkg", layer="parcels")


def _qc(project: Path, **options: object) -> None:
    data = yaml.safe_load(project.read_text(encoding="utf-8"))
    data["qc"] = options
    project.write_text(yaml.safe_dump(data), encoding="utf-8")


def _tiers(project: Path) -> None:
    """A parent farm (3 ha) held together with its two portions (1 and 2 ha)."""
    farm = shapely.box(X0, Y0, X0 + 300, Y0 + 100)
    _parcels(project, ["farm", "farm-1", "farm-2"],
             [farm, *boxes(1), shapely.box(X0 + 100, Y0, X0 + 300, Y0 + 100)])


def _problems(project: Path) -> list[str]:
    with inputs_unchanged(project.parent), pytest.raises(ValidationFailed) as caught:
        prepare(project)
    return [str(p) for p in caught.value.problems]


@outcome("problem")
def test_overlapping_tiers_are_a_problem(tiny_project: Path):
    _tiers(tiny_project)
    problems = _problems(tiny_project)
    assert len(problems) == 1
    text = problems[0]
    assert text.startswith(f"layers.parcels: {tiny_project.parent / 'parcels.gpkg'}: parcels "
                           "overlap: their areas sum to 6.00 ha but they cover 3.00 ha; "
                           "2 pair(s) overlap")
    assert "(0 duplicate geometr(ies), 2 parcel(s) inside another), 3 ha in total" in text
    assert "largest farm/farm-2 2 ha (contained), farm/farm-1 1 ha (contained)" in text
    assert "keep one tier" in text and "`qc: {accept_overlaps: true}`" in text
    assert f"To see where they are, run `zoning qc {tiny_project}`: it writes them" in text


@outcome("warning")
def test_accepted_overlaps_warn_and_the_run_goes_on(tiny_project: Path, caplog):
    _tiers(tiny_project)
    _qc(tiny_project, accept_overlaps=True)
    with inputs_unchanged(tiny_project.parent), caplog.at_level(logging.WARNING, "zoning"):
        out = run(tiny_project, tiny_project.parent / "out", progress=False)
    warnings = [r.getMessage() for r in caplog.records if "parcels overlap" in r.getMessage()]
    assert len(warnings) == 1
    assert "sum to 6.00 ha but they cover 3.00 ha; 2 pair(s)" in warnings[0]
    assert "Accepted (qc.accept_overlaps: true)" in warnings[0]
    overlaps = gpd.read_file(out / "result.gpkg", layer="qc_overlaps")
    assert sorted(overlaps[col.QC_PARCEL_B]) == ["farm-1", "farm-2"]
    assert overlaps[col.QC_OVERLAP_HA].sum() == pytest.approx(3.0)
    assert gpd.read_file(out / "result.gpkg", layer="parcels")[col.AREA_HA].sum() == (
        pytest.approx(6.0))  # the totals count the overlap twice, as the warning says


@outcome("correct")
def test_a_sliver_overlap_below_tolerance_is_counted_only(tiny_project: Path, caplog):
    # parcel a reaches 0.2 m into b over 100 m: 20 m² = 0.002 ha, 0.07 % of the 3 ha
    a, b, c = boxes()
    _parcels(tiny_project, ["a", "b", "c"], [shapely.box(*a.bounds[:2], X0 + 100.2, Y0 + 100),
                                             b, c])
    with inputs_unchanged(tiny_project.parent), caplog.at_level(logging.INFO, "zoning"):
        prepared = prepare(tiny_project)
    assert prepared.topology is not None
    summary = prepared.topology.summary().set_index("item")
    assert summary.loc["overlaps", "count"] == 0
    assert summary.loc["overlap_slivers", "count"] == 1
    assert summary.loc["overlap_slivers", col.QC_AREA_HA] == pytest.approx(0.002)
    assert "1 sliver overlap(s) below tolerance, 0.002 ha" in caplog.text
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING
                and "overlap" in r.getMessage()]


@outcome("warning")
def test_a_gap_inside_the_study_area_is_a_warning(tiny_project: Path, caplog):
    # eight 100 m squares around an empty one: a 1 ha hole no parcel covers
    shapes = [shapely.box(X0 + 100 * i, Y0 + 100 * j, X0 + 100 * (i + 1), Y0 + 100 * (j + 1))
              for i in range(3) for j in range(3) if (i, j) != (1, 1)]
    _parcels(tiny_project, [f"p{k}" for k in range(8)], shapes)
    with inputs_unchanged(tiny_project.parent), caplog.at_level(logging.WARNING, "zoning"):
        prepared = prepare(tiny_project)
    warnings = [r.getMessage() for r in caplog.records if "gap(s)" in r.getMessage()]
    assert len(warnings) == 1
    assert "parcels.gpkg: 1 gap(s) of more than qc.gap_tolerance_ha = 0.01 ha" in warnings[0]
    assert f"1 ha in total; largest #1 1 ha at ({X0 + 150:.0f}, " in warnings[0]
    assert warnings[0] in prepared.layers.notes
    assert prepared.topology is not None and len(prepared.topology.gaps) == 1


@outcome("problem")
def test_the_same_parcel_twice_under_two_ids_is_a_problem(tiny_project: Path):
    a, b, c = boxes()
    _parcels(tiny_project, ["a", "b", "c", "b-copy"], [a, b, c, b])
    problems = _problems(tiny_project)
    assert len(problems) == 1
    assert "sum to 4.00 ha but they cover 3.00 ha; 1 pair(s)" in problems[0]
    assert "(1 duplicate geometr(ies), 0 parcel(s) inside another)" in problems[0]
    assert "largest b/b-copy 1 ha (duplicate)" in problems[0]


@outcome("problem")
def test_duplicate_parcel_ids_are_a_problem(tiny_project: Path):
    _parcels(tiny_project, ["a", "b", "b", "c", "c"], [*boxes(5)])
    problems = _problems(tiny_project)
    assert problems == [
        f"{tiny_project.parent / 'parcels.gpkg'}:BSM: 2 id(s) are used by more than one "
        "parcel, e.g. b, c; ids must be unique"]
