"""``zoning qc``: the parcel topology check alone, written to a GeoPackage for QGIS."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
import shapely
import yaml
from _bad import inputs_unchanged

from zoning import columns as col
from zoning.cli import main
from zoning.engine import prepare
from zoning.errors import ValidationFailed
from zoning.outputs.styles import styled_layers
from zoning.topology import GAPS_LAYER, OVERLAPS_LAYER, TABLE

X0, Y0 = 536_000.0, 3_807_000.0


def _box(x: float, y: float, w: float, h: float) -> shapely.Geometry:
    return shapely.box(X0 + x, Y0 + y, X0 + x + w, Y0 + y + h)


def _tiers_project(folder: Path) -> Path:
    """Two parent farms and the two portions of the first one, in one parcel layer."""
    shapes = {"farm1": _box(0, 0, 400, 250),       # 10 ha
              "farm1-p1": _box(0, 0, 100, 250),    # 2.5 ha
              "farm1-p2": _box(100, 0, 300, 250),  # 7.5 ha
              "farm2": _box(400, 0, 200, 250)}     # 5 ha
    gpd.GeoDataFrame({"BSM": list(shapes), "DLBM": ["0101"] * 4}, geometry=list(shapes.values()),
                     crs="EPSG:4548").to_file(folder / "parcels.gpkg", layer="parcels")
    project = folder / "project.yaml"
    project.write_text(yaml.safe_dump({
        "schema_version": 1, "name": "tiers", "title": "tiers", "crs": "auto",
        "layers": {"parcels": {"path": "parcels.gpkg", "layer": "parcels",
                               "fields": {"id": "BSM", "landuse": "DLBM"}}}}), encoding="utf-8")
    return project


@pytest.fixture
def tiers(tmp_path: Path) -> Path:
    return _tiers_project(tmp_path)


def test_overlapping_tiers_exit_1_and_the_overlaps_are_written(tiers: Path, capsys):
    with inputs_unchanged(tiers.parent):
        assert main(["qc", str(tiers)]) == 1
    written = tiers.parent / "out" / "tiers_qc.gpkg"  # beside the run's folder out/tiers
    assert not (tiers.parent / "out" / "tiers").exists()
    overlaps = gpd.read_file(written, layer=OVERLAPS_LAYER)
    assert overlaps[[col.QC_PARCEL_A, col.QC_PARCEL_B, col.QC_KIND]].values.tolist() == [
        ["farm1", "farm1-p2", "contained"], ["farm1", "farm1-p1", "contained"]]
    assert overlaps[col.QC_OVERLAP_HA].tolist() == pytest.approx([7.5, 2.5])
    assert overlaps.geometry.area.tolist() == pytest.approx([75_000, 25_000])
    assert overlaps.geometry.iloc[0].equals(_box(100, 0, 300, 250))
    table = pyogrio.read_dataframe(written, layer=TABLE).set_index("item")
    assert table.loc["parcels", col.QC_AREA_HA] == pytest.approx(25.0)
    assert table.loc["union", col.QC_AREA_HA] == pytest.approx(15.0)
    assert table.loc["double_counted", col.QC_AREA_HA] == pytest.approx(10.0)
    assert table.loc["contained", "count"] == 2 and table.loc["gaps", "count"] == 0
    out = capsys.readouterr().out
    assert "4 parcels; their areas sum to 25.0000 ha, their union covers 15.0000 ha" in out
    assert "overlapping pairs: 2 (10 ha) above qc.overlap_tolerance_ha = 0.01 ha" in out
    assert "NOT CLEAN" in out and "farm1/farm1-p2 7.5 ha (contained)" in out
    assert f"written to {written}" in out


def test_the_geopackage_has_the_layers_and_their_qgis_styles(tiers: Path):
    out = tiers.parent / "elsewhere" / "check.gpkg"
    assert main(["-q", "qc", str(tiers), "--out", str(out)]) == 1
    names = [name for name, _ in pyogrio.list_layers(out)]
    assert names == [OVERLAPS_LAYER, GAPS_LAYER, TABLE, "layer_styles"]
    assert pyogrio.read_info(out, layer=GAPS_LAYER)["features"] == 0  # none, and it says so
    assert pyogrio.read_info(out, layer=OVERLAPS_LAYER)["features"] == 2
    styles = styled_layers(out)
    assert styles.f_table_name.tolist() == [OVERLAPS_LAYER]
    assert f'attr="{col.QC_KIND}"' in styles.styleQML[0] and 'value="contained"' in (
        styles.styleQML[0])
    assert [p.name for p in out.parent.iterdir()] == ["check.gpkg"]  # no temporary file left


def test_accepted_overlaps_still_exit_1(tiers: Path):
    data = yaml.safe_load(tiers.read_text(encoding="utf-8"))
    data["qc"] = {"accept_overlaps": True}
    tiers.write_text(yaml.safe_dump(data), encoding="utf-8")
    assert main(["-q", "qc", str(tiers)]) == 1  # the layer is not clean, whatever a run does


def test_writing_again_replaces_its_own_file(tiers: Path, capsys):
    out = tiers.parent / "qc.gpkg"
    assert main(["-q", "qc", str(tiers), "--out", str(out)]) == 1
    parcels = gpd.read_file(tiers.parent / "parcels.gpkg", layer="parcels")
    parcels[parcels.BSM.isin(["farm1", "farm2"])].to_file(tiers.parent / "parcels.gpkg",
                                                          layer="parcels")
    assert main(["-q", "qc", str(tiers), "--out", str(out)]) == 0
    assert gpd.read_file(out, layer=OVERLAPS_LAYER).empty
    assert pyogrio.read_dataframe(out, layer=TABLE).set_index("item").loc[
        "parcels", col.QC_AREA_HA] == pytest.approx(15.0)
    assert "clean: no overlap stops a run" in capsys.readouterr().out


def test_the_demo_is_clean_with_nine_tiny_gaps(tmp_path: Path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["qc"]) == 0
    written = tmp_path / "out" / "demo_qc.gpkg"
    gaps = gpd.read_file(written, layer=GAPS_LAYER)
    assert len(gaps) == 9 and not gaps[col.QC_SIGNIFICANT].any()
    assert gaps[col.QC_AREA_HA].sum() * 1e4 == pytest.approx(1.291, abs=1e-3)  # m²
    assert gpd.read_file(written, layer=OVERLAPS_LAYER).empty
    table = pyogrio.read_dataframe(written, layer=TABLE).set_index("item")
    assert table.loc["overlaps", "count"] == 0 and table.loc["overlap_slivers", "count"] == 0
    assert table.loc["gap_slivers", "count"] == 9
    assert table.loc["parcels", col.QC_AREA_HA] == pytest.approx(10_000, abs=1e-3)
    out = capsys.readouterr().out
    assert "7524 parcels" in out and "overlapping pairs: 0 (0 ha)" in out
    assert "gaps: 0 (0 ha) above" in out and "9 (0.0001291 ha) at most the tolerance" in out


@pytest.mark.parametrize("target", ["parcels.gpkg", "project.yaml"])
def test_out_pointing_at_an_input_is_refused(tiers: Path, target: str, capsys):
    with inputs_unchanged(tiers.parent):
        assert main(["qc", str(tiers), "--out", str(tiers.parent / target)]) == 1
    err = capsys.readouterr().err
    assert "1 problem(s) found" in err
    expected = ("this is an input of the project" if target.endswith(".gpkg")
                else "expected a name ending in .gpkg, found 'project.yaml'")
    assert expected in err


def test_out_inside_the_run_folder_is_refused(tiers: Path, capsys):
    assert main(["qc", str(tiers), "--out", str(tiers.parent / "out" / "tiers" / "q.gpkg")]) == 1
    assert "inside the run's output folder" in capsys.readouterr().err
    assert not (tiers.parent / "out").exists()


def test_the_validation_problem_points_to_zoning_qc(tiers: Path):
    with pytest.raises(ValidationFailed) as caught:
        prepare(tiers)
    message = caught.value.problems[0].message
    assert f"run `zoning qc {tiers}`: it writes them (layers qc_overlaps, qc_gaps)" in message


def test_the_summary_table_matches_the_written_overlaps(tiers: Path):
    out = tiers.parent / "q.gpkg"
    main(["-q", "qc", str(tiers), "--out", str(out)])
    overlaps = gpd.read_file(out, layer=OVERLAPS_LAYER)
    table = pd.DataFrame(pyogrio.read_dataframe(out, layer=TABLE)).set_index("item")
    assert table.loc["overlaps", col.QC_AREA_HA] == pytest.approx(
        overlaps[col.QC_OVERLAP_HA].sum())


def test_slivers_above_the_share_of_the_area_exit_1_as_validate_fails(tmp_path: Path):
    # parcel a reaches 0.5 m into b over 100 m: a 0.005 ha sliver, below qc.overlap_tolerance_ha
    # but 0.25 % of the 1.995 ha covered, above qc.overlap_tolerance_share = 0.001
    project = _tiers_project(tmp_path)
    gpd.GeoDataFrame({"BSM": ["a", "b"], "DLBM": ["0101"] * 2},
                     geometry=[_box(0, 0, 100.5, 100), _box(100, 0, 100, 100)],
                     crs="EPSG:4548").to_file(tmp_path / "parcels.gpkg", layer="parcels")
    assert main(["-q", "validate", str(project)]) == 1
    assert main(["-q", "qc", str(project)]) == 1
    slivers = gpd.read_file(tmp_path / "out" / "tiers_qc.gpkg", layer=OVERLAPS_LAYER)
    assert slivers[col.QC_OVERLAP_HA].tolist() == pytest.approx([0.005])
    assert slivers[col.QC_SIGNIFICANT].tolist() == [False]
    data = yaml.safe_load(project.read_text(encoding="utf-8"))
    data["qc"] = {"overlap_tolerance_share": 0.01}
    project.write_text(yaml.safe_dump(data), encoding="utf-8")
    assert main(["-q", "validate", str(project)]) == 0
    assert main(["-q", "qc", str(project)]) == 0


def test_the_demo_run_folder_is_below_the_working_directory(tmp_path: Path, monkeypatch,
                                                             capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["qc", "--out", str(tmp_path / "out" / "demo" / "qc.gpkg")]) == 1
    assert f"inside the run's output folder {tmp_path / 'out' / 'demo'}" in (
        capsys.readouterr().err)
