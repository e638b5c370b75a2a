"""A broken project reports every problem at once, and nothing in it is executed."""

import logging
from pathlib import Path

import geopandas as gpd
import pytest
import shapely
import yaml
from conftest import boxes

from zoning._resources import rules_dir
from zoning.cli import main
from zoning.engine import prepare
from zoning.errors import ValidationFailed
from zoning.reduction import stage as reduction_stage
from zoning.rulefields import field_uses, missing_warning


def _edit(path: Path, change) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


def _rule_copy(tmp: Path, kind: str, old: str, new: str) -> Path:
    text = (rules_dir() / f"{kind}.yaml").read_text(encoding="utf-8")
    assert old in text
    out = tmp / f"{kind}.yaml"
    out.write_text(text.replace(old, new, 1), encoding="utf-8")
    return out


@pytest.fixture
def broken_project(tiny_project: Path) -> Path:
    folder = tiny_project.parent
    # duplicate ids
    dup = gpd.GeoDataFrame({"BSM": ["a", "a", "c"], "DLBM": ["0101", "0103", "0702"]},
                           geometry=boxes(), crs="EPSG:4548")
    dup.to_file(folder / "parcels.gpkg", layer="parcels")
    # a layer without CRS (shapefile with no .prj)
    gpd.GeoDataFrame({"height_m": [10.0]}, geometry=[shapely.box(0, 0, 1, 1)]).to_file(
        folder / "gangue.shp")
    modes = _rule_copy(folder, "modes",
                       'when: "ponded_share >= min_share and pond_depth_m >= lake_water_m"',
                       "when: \"__import__('os').system('touch PWNED')\"")
    zones = _rule_copy(folder, "zones", 'when: "restoration_mode == \'vegetation_rebuilding\'"',
                       'when: "land_use.__class__ == 1"')
    damage = _rule_copy(folder, "damage", 'applies_to: "not is_construction"',
                        'applies_to: "subs_max >= 0.01 and not is_construction"')

    def change(data):
        data["layers"]["gangue"] = {"path": "gangue.shp"}
        data["layers"]["towns"] = {"path": "missing_towns.gpkg"}
        data["rules"] = {"modes": str(modes), "zones": str(zones), "damage": str(damage)}
    _edit(tiny_project, change)
    return tiny_project


def test_every_problem_is_listed(broken_project: Path):
    with pytest.raises(ValidationFailed) as info:
        prepare(broken_project)
    text = str(info.value)
    expected = [
        "used by more than one parcel",             # duplicate ids
        "gangue.shp has no CRS",                    # missing CRS
        "file not found",                           # towns
        "'__import__' is not a known function",     # code injection attempt
        "attribute access",                         # land_use.__class__
        "unknown column 'subs_max'",                # unknown column ...
        "subs_max_m",                               # ... with the closest name
    ]
    for needle in expected:
        assert needle in text, f"{needle!r} not reported in:\n{text}"
    assert len(info.value.problems) >= 6
    assert not (broken_project.parent / "PWNED").exists()
    assert not Path("PWNED").exists()


def test_cli_validate_exits_1_and_lists_problems(broken_project: Path, capsys):
    assert main(["-q", "validate", str(broken_project)]) == 1
    err = capsys.readouterr().err
    assert "problem(s) found" in err and "duplicate" not in err.split("\n")[0]


def test_missing_parcel_field_suggests_the_closest(tiny_project: Path):
    _edit(tiny_project, lambda d: d["layers"]["parcels"]["fields"].update(landuse="DLBMM"))
    with pytest.raises(ValidationFailed, match=r"no field 'DLBMM' \(did you mean 'DLBM'\?\)"):
        prepare(tiny_project)


def test_layer_outside_the_parcels_is_an_error(tiny_project: Path):
    far = gpd.GeoDataFrame({"depth_m": [1.0]}, geometry=[shapely.box(0, 0, 10, 10)],
                           crs="EPSG:4548")
    far.to_file(tiny_project.parent / "subsidence.gpkg", layer="contours")
    with pytest.raises(ValidationFailed, match="does not overlap the parcels"):
        prepare(tiny_project)


def test_unknown_landuse_code_is_named(tiny_project: Path):
    parcels = gpd.read_file(tiny_project.parent / "parcels.gpkg")
    parcels.loc[0, "DLBM"] = "9999"
    parcels.to_file(tiny_project.parent / "parcels.gpkg", layer="parcels")
    with pytest.raises(ValidationFailed, match=r"'9999' \(1 parcels\)"):
        prepare(tiny_project)


def test_invalid_geometry_is_repaired_and_reported(tiny_project: Path):
    parcels = gpd.read_file(tiny_project.parent / "parcels.gpkg")
    bowtie = shapely.Polygon([(536000, 3807000), (536100, 3807100), (536100, 3807000),
                              (536000, 3807100)])
    parcels.loc[0, "geometry"] = bowtie
    parcels.to_file(tiny_project.parent / "parcels.gpkg", layer="parcels")
    prepared = prepare(tiny_project)
    assert any("repaired with make_valid" in n for n in prepared.layers.notes)
    assert prepared.layers.parcels.geometry.is_valid.all()
    assert prepared.layers.parcels.geometry.area.iloc[0] == pytest.approx(5000)


def test_geographic_parcels_get_a_gauss_kruger_working_crs(tiny_project: Path):
    parcels = gpd.read_file(tiny_project.parent / "parcels.gpkg").to_crs("EPSG:4490")
    parcels.to_file(tiny_project.parent / "parcels.gpkg", layer="parcels")
    prepared = prepare(tiny_project)
    assert prepared.layers.crs.to_epsg() == 4548
    assert prepared.layers.parcels.area.sum() == pytest.approx(30_000, rel=1e-6)
    assert any("working CRS" in n for n in prepared.layers.notes)


def test_input_files_are_not_modified(tiny_project: Path):
    before = {p: p.read_bytes() for p in tiny_project.parent.iterdir() if p.is_file()}
    from zoning.runner import run

    run(tiny_project, tiny_project.parent / "out", progress=False)
    after = {p: p.read_bytes() for p in before}
    assert before == after


def test_the_demo_warns_of_no_missing_economic_values(demo_result, caplog):
    # OUTPUT_WY and friends are empty on 5390 of the 7524 parcels, none of them eligible for
    # reduction: validation does not count them, and the reduction stage finds none missing.
    with caplog.at_level(logging.WARNING):
        prepare()
    assert not [m for m in caplog.messages if "OUTPUT_WY" in m]
    prepared, parcels = demo_result.prepared, demo_result.parcels
    layer = prepared.layers.parcels
    assert int(layer["OUTPUT_WY"].isna().sum()) == 5390 and len(layer) == 7524
    rules = prepared.rules
    [site] = [s for s in reduction_stage.sites(rules) if s.key == ("eligible",)]
    eligible = rules.expression(site).evaluate_condition(parcels).to_numpy(dtype=bool)
    uses = field_uses(rules, reduction_stage.eligible_sites(rules), layer.columns)
    assert {"OUTPUT_WY", "INVEST_WY", "FLOOR_M2", "IDLE_YR"} <= set(uses)
    assert missing_warning(parcels[eligible], uses, "parcels.gpkg", "eligible") is None
    assert missing_warning(parcels, uses, "parcels.gpkg", "parcel(s)") is not None
