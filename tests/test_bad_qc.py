"""Bad-input catalogue: ``zoning qc`` on parcel layers it cannot read, other layers it need not
read, and outputs it may not write."""

from __future__ import annotations

import logging
from pathlib import Path

import geopandas as gpd
import pyogrio
import pytest
import shapely
import yaml
from _bad import inputs_unchanged, outcome
from conftest import boxes

from zoning import columns as col
from zoning.cli import main
from zoning.engine import prepare
from zoning.errors import ValidationFailed
from zoning.topology import GAPS_LAYER, TABLE

X0, Y0 = 536_000.0, 3_807_000.0


@outcome("problem")
def test_an_unreadable_parcel_layer_is_reported_and_nothing_written(tiny_project: Path,
                                                                    capsys):
    gpd.GeoDataFrame({"ID": ["a", "b", "c"], "DLBM": ["0101"] * 3}, geometry=boxes(),
                     crs="EPSG:4548").to_file(tiny_project.parent / "parcels.gpkg",
                                              layer="parcels")
    with inputs_unchanged(tiny_project.parent):
        assert main(["qc", str(tiny_project)]) == 1
    err = capsys.readouterr().err
    assert "1 problem(s) found" in err
    assert f"{tiny_project.parent / 'parcels.gpkg'} has no field 'BSM'" in err
    assert not (tiny_project.parent / "out").exists()


@outcome("correct")
def test_a_broken_other_layer_does_not_stop_qc(tiny_project: Path, capsys):
    # the subsidence file is gone: a run (and validate) stops, qc reads only the parcels
    (tiny_project.parent / "subsidence.gpkg").unlink()
    with pytest.raises(ValidationFailed) as caught:
        prepare(tiny_project)
    assert [p.where for p in caught.value.problems] == ["layers.subsidence.path"]
    with inputs_unchanged(tiny_project.parent):
        assert main(["qc", str(tiny_project)]) == 0
    assert "3 parcels; their areas sum to 3.0000 ha, their union covers 3.0000 ha" in (
        capsys.readouterr().out)
    table = pyogrio.read_dataframe(tiny_project.parent / "out" / "tiny_qc.gpkg", layer=TABLE)
    assert table.set_index("item").loc["overlaps", "count"] == 0


@outcome("problem")
def test_out_naming_a_file_qc_did_not_write_is_refused(tiny_project: Path, capsys):
    other = tiny_project.parent / "survey.gpkg"
    gpd.GeoDataFrame({"n": [1]}, geometry=boxes(1), crs="EPSG:4548").to_file(other)
    with inputs_unchanged(tiny_project.parent):
        assert main(["qc", str(tiny_project), "--out", str(other)]) == 1
    err = capsys.readouterr().err
    assert f"{other}: the file exists and was not written by `zoning qc` (it has no " \
           f"{TABLE} table)" in err


@outcome("correct")
def test_the_gap_tolerance_decides_which_gaps_warn(tiny_project: Path, caplog):
    # eight 100 m squares around a 1 ha hole, under qc.gap_tolerance_ha = 2: counted only
    shapes = [shapely.box(X0 + 100 * i, Y0 + 100 * j, X0 + 100 * (i + 1), Y0 + 100 * (j + 1))
              for i in range(3) for j in range(3) if (i, j) != (1, 1)]
    gpd.GeoDataFrame({"BSM": [f"p{k}" for k in range(8)], "DLBM": ["0101"] * 8},
                     geometry=shapes, crs="EPSG:4548").to_file(
        tiny_project.parent / "parcels.gpkg", layer="parcels")
    data = yaml.safe_load(tiny_project.read_text(encoding="utf-8"))
    data["qc"] = {"gap_tolerance_ha": 2}
    tiny_project.write_text(yaml.safe_dump(data), encoding="utf-8")
    with inputs_unchanged(tiny_project.parent), caplog.at_level(logging.INFO, "zoning"):
        prepared = prepare(tiny_project)
        assert main(["qc", str(tiny_project)]) == 0
    assert prepared.topology is not None
    assert prepared.topology.gaps[col.QC_SIGNIFICANT].tolist() == [False]
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING
                and "gap" in r.getMessage()]
    gaps = gpd.read_file(tiny_project.parent / "out" / "tiny_qc.gpkg", layer=GAPS_LAYER)
    assert gaps[col.QC_AREA_HA].tolist() == pytest.approx([1.0])
    assert gaps.geometry.iloc[0].equals(shapely.box(X0 + 100, Y0 + 100, X0 + 200, Y0 + 200))
