"""Parcel topology QC: overlaps and gaps measured exactly, judged by the project's tolerances."""

from __future__ import annotations

import doctest
import logging
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely
import yaml

from zoning import columns as col
from zoning import topology
from zoning._resources import demo_project
from zoning.engine import prepare
from zoning.errors import ValidationFailed
from zoning.project import QualityControl
from zoning.topology import (
    GAPS_LAYER,
    OVERLAPS_LAYER,
    TopologyReport,
    check_topology,
    parcel_topology,
)

X0, Y0 = 536_000.0, 3_807_000.0


def _frame(shapes: dict[str, shapely.Geometry]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(geometry=list(shapes.values()),
                            index=pd.Index(list(shapes), name=col.PARCEL_ID), crs="EPSG:4548")


def _box(x: float, y: float, w: float, h: float) -> shapely.Geometry:
    return shapely.box(X0 + x, Y0 + y, X0 + x + w, Y0 + y + h)


def _summary(found: TopologyReport) -> dict[str, tuple[object, float]]:
    return {row.item: (row.count, row.area_ha) for row in found.summary().itertuples()}


def _check(found: TopologyReport, caplog: pytest.LogCaptureFixture,
           **options: object) -> tuple[list, list[str]]:
    notes: list[str] = []
    with caplog.at_level(logging.INFO, logger="zoning"):
        problems = check_topology(found, QualityControl(**options), "parcels.gpkg", notes)
    return problems, notes


def test_two_squares_overlapping_by_a_known_area():
    # 100 m squares shifted by 60 m: they share a 40 m x 100 m strip, 0.4 ha
    found = parcel_topology(_frame({"a": _box(0, 0, 100, 100), "b": _box(60, 0, 100, 100)}))
    assert len(found.overlaps) == 1
    pair = found.overlaps.iloc[0]
    assert (pair[col.QC_PARCEL_A], pair[col.QC_PARCEL_B]) == ("a", "b")
    assert pair[col.QC_OVERLAP_HA] == pytest.approx(0.4)
    assert pair[col.QC_KIND] == "partial" and pair[col.QC_SIGNIFICANT]
    assert pair.geometry.area == pytest.approx(4000)
    assert found.parcels_ha == pytest.approx(2.0) and found.union_ha == pytest.approx(1.6)
    assert found.gaps.empty


def test_neighbours_sharing_an_edge_do_not_overlap():
    found = parcel_topology(_frame({"a": _box(0, 0, 100, 100), "b": _box(100, 0, 100, 100),
                                    "c": _box(0, 100, 200, 50)}))
    assert found.overlaps.empty and found.gaps.empty
    assert found.parcels_ha == pytest.approx(found.union_ha) == pytest.approx(3.0)


def _ring(hole_island: bool = False) -> dict[str, shapely.Geometry]:
    """Eight 100 m squares around an empty 100 m square (a 1 ha hole)."""
    shapes = {f"r{i}{j}": _box(100 * i, 100 * j, 100, 100)
              for i in range(3) for j in range(3) if (i, j) != (1, 1)}
    if hole_island:  # a 20 m x 30 m parcel standing alone in the hole
        shapes["island"] = _box(140, 130, 20, 30)
    return shapes


def test_a_ring_of_parcels_around_a_known_hole():
    found = parcel_topology(_frame(_ring()))
    assert found.overlaps.empty
    assert len(found.gaps) == 1
    gap = found.gaps.iloc[0]
    assert gap[col.QC_GAP_ID] == 1
    assert gap[col.QC_AREA_HA] == pytest.approx(1.0)
    assert gap[col.QC_SIGNIFICANT]
    assert X0 + 100 < gap[col.QC_X] < X0 + 200 and Y0 + 100 < gap[col.QC_Y] < Y0 + 200
    assert len(gap[col.QC_BORDERING].split(", ")) == 5  # the first five of the eight around
    assert found.union_ha == pytest.approx(8.0)  # the hole is not covered


def test_a_parcel_island_inside_the_hole_is_not_gap():
    found = parcel_topology(_frame(_ring(hole_island=True)))
    assert len(found.gaps) == 1
    assert found.gaps.iloc[0][col.QC_AREA_HA] == pytest.approx(1.0 - 0.06)
    assert found.gaps.iloc[0].geometry.area == pytest.approx(10_000 - 600)


def test_nested_rings_give_two_gaps_each_counted_once():
    # 7 x 7 squares of 1 ha: the outer ring and the ring around the centre kept; the ring
    # between them (16 ha) and the centre (1 ha) are gaps
    shapes = {f"q{i}{j}": _box(100 * i, 100 * j, 100, 100) for i in range(7) for j in range(7)
              if max(abs(i - 3), abs(j - 3)) in (1, 3)}
    found = parcel_topology(_frame(shapes))
    assert found.gaps[col.QC_AREA_HA].tolist() == pytest.approx([16.0, 1.0])
    assert found.union_ha == pytest.approx(49 - 17)


def test_the_outer_boundary_is_no_gap():
    # an L of three squares has a concave outline but encloses nothing
    found = parcel_topology(_frame({"a": _box(0, 0, 100, 100), "b": _box(100, 0, 100, 100),
                                    "c": _box(0, 100, 100, 100)}))
    assert found.gaps.empty


def _tiers() -> gpd.GeoDataFrame:
    """Like the tester's cadastre: two parent farms and their portions in one layer."""
    return _frame({
        "farm1": _box(0, 0, 400, 250),                   # 10 ha
        "farm1-p1": _box(0, 0, 100, 250),                # 2.5 ha
        "farm1-p2": _box(100, 0, 300, 250),              # 7.5 ha
        "farm2": _box(400, 0, 200, 250),                 # 5 ha, held without portions
    })


def test_parent_and_portions_double_the_totals(caplog):
    found = parcel_topology(_tiers())
    assert found.parcels_ha == pytest.approx(25.0)
    assert found.union_ha == pytest.approx(15.0)
    overlaps = found.overlaps
    assert overlaps[col.QC_OVERLAP_HA].tolist() == pytest.approx([7.5, 2.5])
    assert overlaps[col.QC_OVERLAP_HA].sum() == pytest.approx(10.0)  # == the portions' area
    assert overlaps[col.QC_KIND].tolist() == ["contained", "contained"]
    assert set(overlaps[col.QC_PARCEL_A]) == {"farm1"}
    summary = _summary(found)
    assert summary["double_counted"][1] == pytest.approx(10.0)
    assert summary["overlaps"] == (2, pytest.approx(10.0))
    assert summary["contained"] == (2, pytest.approx(10.0))
    problems, _ = _check(found, caplog)
    assert len(problems) == 1
    text = str(problems[0])
    assert text.startswith("layers.parcels: parcels.gpkg: parcels overlap")
    assert "sum to 25.00 ha but they cover 15.00 ha" in text
    assert "2 pair(s)" in text and "2 parcel(s) inside another" in text
    assert "farm1/farm1-p2 7.5 ha (contained), farm1/farm1-p1 2.5 ha (contained)" in text
    assert "accept_overlaps: true" in text and "one tier" in text
    assert "To see where they are, run `zoning qc PROJECT`" in text  # no project named here


def test_a_duplicate_is_significant_at_any_size():
    tiny = _box(0, 0, 5, 5)  # 25 m², far below the 0.01 ha tolerance
    found = parcel_topology(_frame({"a": tiny, "b": tiny, "c": _box(5, 0, 100, 100)}))
    assert found.overlaps[col.QC_KIND].tolist() == ["duplicate"]
    assert found.overlaps[col.QC_SIGNIFICANT].tolist() == [True]
    assert _summary(found)["duplicates"] == (1, pytest.approx(0.0025))


def test_a_sliver_below_the_tolerance_is_counted_only(caplog):
    # a 0.5 m strip along a 100 m edge: 50 m² = 0.005 ha < 0.01 ha
    found = parcel_topology(_frame({"a": _box(0, 0, 100.5, 100), "b": _box(100, 0, 100, 100)}))
    assert found.overlaps[col.QC_OVERLAP_HA].tolist() == pytest.approx([0.005])
    assert not found.overlaps[col.QC_SIGNIFICANT].any()
    assert _summary(found)["overlap_slivers"] == (1, pytest.approx(0.005))
    problems, notes = _check(found, caplog, overlap_tolerance_share=0.01)
    assert problems == [] and notes == []
    assert "1 sliver overlap(s) below tolerance, 0.005 ha" in caplog.text
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    # the same strip under a tighter tolerance is a problem
    tight = parcel_topology(_frame({"a": _box(0, 0, 100.5, 100), "b": _box(100, 0, 100, 100)}),
                            overlap_tolerance_ha=0.001)
    problems, _ = _check(tight, caplog, overlap_tolerance_ha=0.001)
    assert len(problems) == 1 and "1 pair(s) overlap by more than" in problems[0].message


def test_slivers_above_the_share_of_the_area_are_a_problem(caplog):
    # the 0.005 ha sliver is 0.25 % of the 1.995 ha covered: above the default 0.1 %
    found = parcel_topology(_frame({"a": _box(0, 0, 100.5, 100), "b": _box(100, 0, 100, 100)}))
    problems, _ = _check(found, caplog)
    assert len(problems) == 1
    assert "0 pair(s) overlap" in problems[0].message
    assert "1 sliver(s) of at most the tolerance together cover 0.005 ha" in problems[0].message
    assert "qc.overlap_tolerance_share = 0.001" in problems[0].message


def test_accepted_overlaps_are_a_warning(caplog):
    problems, notes = _check(parcel_topology(_tiers()), caplog, accept_overlaps=True)
    assert problems == []
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and notes == warnings
    assert "sum to 25.00 ha but they cover 15.00 ha" in warnings[0]
    assert "Accepted (qc.accept_overlaps: true)" in warnings[0]


def test_gaps_above_the_tolerance_are_a_warning_below_it_counted(caplog):
    found = parcel_topology(_frame(_ring()), gap_tolerance_ha=0.01)
    problems, notes = _check(found, caplog)
    assert problems == []
    assert len(notes) == 1
    assert "1 gap(s) of more than qc.gap_tolerance_ha = 0.01 ha" in notes[0]
    assert "1 ha in total; largest #1 1 ha at (" in notes[0]
    assert "(layer qc_gaps of result.gpkg, or of `zoning qc PROJECT`, shows them)" in notes[0]
    quiet = parcel_topology(_frame(_ring()), gap_tolerance_ha=2.0)
    caplog.clear()
    problems, notes = _check(quiet, caplog, gap_tolerance_ha=2.0)
    assert problems == [] and notes == []
    assert "1 sliver gap(s) below tolerance, 1 ha" in caplog.text
    assert _summary(quiet)["gap_slivers"] == (1, pytest.approx(1.0))


def test_the_parcels_are_not_changed():
    parcels = _tiers().assign(code=["0101", "0101", "0103", "0201"])
    before = parcels.copy()
    parcel_topology(parcels)
    pd.testing.assert_frame_equal(parcels, before)


def test_the_demo_has_no_overlap_and_only_sub_square_metre_gaps():
    parcels = gpd.read_file(demo_project().parent / "parcels.gpkg").set_index("BSM")
    found = parcel_topology(parcels)
    assert len(parcels) == 7524
    assert found.overlaps.empty  # 3,320 pairs share less than NOISE_M2 (float noise)
    assert found.parcels_ha == pytest.approx(10_000, abs=1e-3)
    assert found.parcels_ha - found.union_ha == pytest.approx(0, abs=1e-6)
    assert len(found.gaps) == 9 and not found.gaps[col.QC_SIGNIFICANT].any()
    assert found.gaps[col.QC_AREA_HA].sum() * 1e4 == pytest.approx(1.291, abs=1e-3)  # m²
    assert found.gaps[col.QC_AREA_HA].max() * 1e4 == pytest.approx(0.41, abs=0.01)


@pytest.fixture(scope="module")
def overlapping_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny project with parcel b twice (as b and b2), accepted; run and written."""
    from conftest import boxes

    from zoning.runner import run

    folder = tmp_path_factory.mktemp("overlapping")
    shapes = boxes()
    gpd.GeoDataFrame({"BSM": ["a", "b", "c", "b2"], "DLBM": ["0101", "0103", "0702", "0103"]},
                     geometry=[*shapes, shapes[1]], crs="EPSG:4548").to_file(
        folder / "parcels.gpkg", layer="parcels")
    project = folder / "project.yaml"
    project.write_text(yaml.safe_dump({
        "schema_version": 1, "name": "tiny", "title": "tiny", "crs": "auto",
        "layers": {"parcels": {"path": "parcels.gpkg", "layer": "parcels",
                               "fields": {"id": "BSM", "landuse": "DLBM"}}},
        "groundwater": {"depth_m": 2.5}, "qc": {"accept_overlaps": True}}), encoding="utf-8")
    return run(project, folder / "out", progress=False)


def test_the_overlaps_are_written_to_result_gpkg_and_the_table(overlapping_run: Path):
    overlaps = gpd.read_file(overlapping_run / "result.gpkg", layer=OVERLAPS_LAYER)
    assert overlaps[[col.QC_PARCEL_A, col.QC_PARCEL_B, col.QC_KIND]].values.tolist() == [
        ["b", "b2", "duplicate"]]
    assert overlaps[col.QC_OVERLAP_HA].tolist() == pytest.approx([1.0])
    assert overlaps.geometry.area.tolist() == pytest.approx([10_000])
    table = pd.read_csv(overlapping_run / "qc_topology.csv", encoding="utf-8-sig")
    rows = table.set_index("item")
    assert rows.loc["parcels", col.QC_AREA_HA] == pytest.approx(4.0)
    assert rows.loc["union", col.QC_AREA_HA] == pytest.approx(3.0)
    assert rows.loc["duplicates", "count"] == 1
    report = (overlapping_run / "report.html").read_text(encoding="utf-8")
    section = report[report.index('<section id="topology">'):]
    section = section[:section.index("</section>")]
    assert "拓扑检查 Topology QC" in section and 'id="topology-overlaps"' in section
    assert ('<td>b</td><td>b2</td><td class="n">1.0000</td><td>重复图斑 (Duplicate)</td>'
            '<td class="n">是 yes') in section
    assert ('<tr data-key="overlaps"><th>地块重叠（已接受）Overlapping parcels (accepted)</th>'
            '<td class="n">1 pairs; 1.00 ha counted twice in the totals') in report
    manifest = (overlapping_run / "manifest.json").read_text(encoding="utf-8")
    assert "accept_overlaps" in manifest  # the warning is among the run's notes


def test_the_overlaps_open_styled_in_qgis(overlapping_run: Path):
    from zoning.outputs.styles import styled_layers

    rows = styled_layers(overlapping_run / "result.gpkg")
    qml = rows[rows.f_table_name == OVERLAPS_LAYER].styleQML.tolist()
    assert len(qml) == 1
    assert f'attr="{col.QC_KIND}"' in qml[0] and 'value="duplicate"' in qml[0]


def test_no_gap_layer_when_there_is_no_gap(overlapping_run: Path):
    import pyogrio

    layers = [name for name, _ in pyogrio.list_layers(overlapping_run / "result.gpkg")]
    assert OVERLAPS_LAYER in layers and GAPS_LAYER not in layers


def test_overlaps_are_reported_with_the_other_problems(tiny_project: Path):
    from conftest import boxes

    shapes = boxes()
    gpd.GeoDataFrame({"BSM": ["a", "b", "c", "b2"], "DLBM": ["0101", "0103", "0702", "0103"]},
                     geometry=[*shapes, shapes[1]], crs="EPSG:4548").to_file(
        tiny_project.parent / "parcels.gpkg", layer="parcels")
    data = yaml.safe_load(tiny_project.read_text(encoding="utf-8"))
    data["rules"] = {"modes": "missing_modes.yaml"}
    tiny_project.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(ValidationFailed) as caught:
        prepare(tiny_project)
    where = [p.where for p in caught.value.problems]
    assert "layers.parcels" in where and len(where) >= 2
    overlap = next(p for p in caught.value.problems if p.where == "layers.parcels")
    assert "1 duplicate geometr(ies)" in overlap.message and "b/b2 1 ha" in overlap.message


@pytest.mark.realdata
def test_real_mine_concessions_that_overlap(tmp_path: Path):
    from conftest import shared

    raw = gpd.read_file(shared("gem", "subset_huainan.geojson"))
    mines = raw[raw["mine feature category"] == "mine boundary"]
    found = parcel_topology(mines.set_index("id").to_crs("EPSG:4548"))
    assert found.overlaps[[col.QC_PARCEL_A, col.QC_PARCEL_B]].values.tolist() == [
        ["M0426.B1", "M0388.B1"], ["M0426.B1", "M1127.B1"]]
    assert found.overlaps[col.QC_OVERLAP_HA].tolist() == pytest.approx([17.17, 0.1246],
                                                                      abs=0.005)
    assert found.parcels_ha == pytest.approx(35_920.8, abs=0.1)
    assert found.union_ha == pytest.approx(35_903.5, abs=0.1)
    assert found.gaps.empty
    # as a project's parcel layer (the GeoJSON read in place), a problem before anything runs
    project = tmp_path / "project.yaml"
    project.write_text(yaml.safe_dump({
        "schema_version": 1, "name": "gem", "title": "GEM", "crs": "auto",
        "layers": {"parcels": {"path": str(shared("gem", "subset_huainan.geojson")),
                               "select": {"mine feature category": ["mine boundary"]},
                               "fields": {"id": "id", "landuse": "mine feature subcategory"}}}},
        allow_unicode=True), encoding="utf-8")
    with pytest.raises(ValidationFailed) as caught:
        prepare(project)
    overlap = [p for p in caught.value.problems if p.where == "layers.parcels"]
    assert len(overlap) == 1
    assert "but they cover 35,903.53 ha; 2 pair(s)" in overlap[0].message
    assert "largest M0426.B1/M0388.B1 17.17 ha (partial)" in overlap[0].message


def test_docstring_examples_hold():
    outcome = doctest.testmod(topology)
    assert outcome.attempted >= 10 and outcome.failed == 0
