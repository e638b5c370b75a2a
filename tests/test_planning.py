"""Planning layers (red line, geological hazards, urban development boundary) and the demo's
economic parcel fields, the inputs of land reduction."""

from __future__ import annotations

import hashlib
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
import yaml
from conftest import boxes

from zoning import columns as col
from zoning.derive import planning_columns
from zoning.derive import run as derive
from zoning.engine import prepare
from zoning.errors import ValidationFailed

DEMO = Path(__file__).resolve().parents[1] / "layers" / "demo"
X0, Y0 = 536_000.0, 3_807_000.0  # the origin of conftest.boxes (100 m squares to the east)


def _frame(*geoms: shapely.Geometry) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(geometry=list(geoms), crs="EPSG:4548")


# --- derived columns on hand-built parcels -----------------------------------------------


def test_shares_and_boundary_distance_by_hand() -> None:
    parcels = gpd.GeoSeries([shapely.box(0, 0, 100, 100), shapely.box(200, 0, 300, 100),
                             shapely.box(500, 0, 600, 100), shapely.box(700, 0, 800, 100)],
                            index=["a", "b", "c", "d"], crs="EPSG:4548")
    redline = _frame(shapely.box(50, -10, 150, 110))  # the right half of "a"
    # two overlapping hazard areas over "b": 30 % of it, counted once
    hazard = _frame(shapely.box(200, 0, 230, 100), shapely.box(210, 0, 230, 100))
    # the boundary covers 60 % of "c" and 40 % of "d"; "a" is 440 m and "b" 240 m away from it
    boundary = _frame(shapely.box(540, -50, 740, 150))
    before = parcels.copy()
    out = planning_columns(parcels, redline, hazard, boundary)
    assert list(out.index) == ["a", "b", "c", "d"]
    assert out[col.REDLINE_SHARE].tolist() == pytest.approx([0.5, 0.0, 0.0, 0.0])
    assert out[col.GEOHAZARD_SHARE].tolist() == pytest.approx([0.0, 0.3, 0.0, 0.0])
    assert out[col.DIST_BOUNDARY_M].tolist() == pytest.approx([440.0, 240.0, 0.0, 0.0])
    assert out[col.INSIDE_BOUNDARY].tolist() == [False, False, True, False]
    assert parcels.equals(before)


def test_absent_layers_give_missing_values_not_zero() -> None:
    parcels = gpd.GeoSeries(boxes(2), crs="EPSG:4548")
    out = planning_columns(parcels, None, None, None)
    for name in (col.REDLINE_SHARE, col.GEOHAZARD_SHARE, col.DIST_BOUNDARY_M):
        assert out[name].isna().all(), name
    assert out[col.INSIDE_BOUNDARY].dtype == "boolean"
    assert out[col.INSIDE_BOUNDARY].isna().all()


def test_units_are_documented() -> None:
    assert col.UNITS[col.REDLINE_SHARE] == col.UNITS[col.GEOHAZARD_SHARE] == "fraction"
    assert col.UNITS[col.DIST_BOUNDARY_M] == "m"


# --- through the project file ------------------------------------------------------------


def _add_layers(project: Path, layers: dict[str, gpd.GeoDataFrame]) -> None:
    folder = project.parent
    data = yaml.safe_load(project.read_text(encoding="utf-8"))
    for role, frame in layers.items():
        frame.to_file(folder / f"{role}.gpkg", layer=role)
        data["layers"][role] = {"path": f"{role}.gpkg", "layer": role}
    project.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


def test_project_layers_reach_the_derive_stage(tiny_project: Path) -> None:
    # parcels a, b, c are 100 m squares from X0; the red line covers half of b
    _add_layers(tiny_project, {
        "redline": _frame(shapely.box(X0 + 150, Y0, X0 + 250, Y0 + 100)),
        "geohazard": _frame(shapely.box(X0, Y0, X0 + 25, Y0 + 100)),
        "boundary": _frame(shapely.box(X0 + 240, Y0 - 50, X0 + 400, Y0 + 150)),  # 60 % of c
    })
    prepared = prepare(tiny_project)
    parcels = prepared.layers.parcels
    out = derive(parcels, prepared.rules, prepared.layers)
    assert out.loc[["a", "b", "c"], col.REDLINE_SHARE].tolist() == pytest.approx([0, 0.5, 0.5])
    assert out.loc[["a", "b", "c"], col.GEOHAZARD_SHARE].tolist() == pytest.approx([0.25, 0, 0])
    assert out.loc[["a", "b", "c"], col.DIST_BOUNDARY_M].tolist() == pytest.approx([140, 40, 0])
    assert out.loc[["a", "b", "c"], col.INSIDE_BOUNDARY].tolist() == [False, False, True]
    assert prepared.layers.sources["redline"].name == "redline.gpkg"


def test_project_without_planning_layers_has_missing_columns(tiny_project: Path) -> None:
    prepared = prepare(tiny_project)
    out = derive(prepared.layers.parcels, prepared.rules, prepared.layers)
    assert out[[col.REDLINE_SHARE, col.GEOHAZARD_SHARE, col.DIST_BOUNDARY_M]].isna().all().all()
    assert out[col.INSIDE_BOUNDARY].isna().all()


@pytest.mark.parametrize(("role", "geom", "found"), [
    ("geohazard", shapely.Point(X0 + 50, Y0 + 50), "1 Point"),
    ("redline", shapely.LineString([(X0, Y0), (X0 + 300, Y0 + 100)]), "1 LineString"),
    ("boundary", shapely.MultiPoint([(X0, Y0), (X0 + 10, Y0)]), "1 MultiPoint"),
])
def test_wrong_geometry_type_names_the_file(tiny_project: Path, role: str, geom: shapely.Geometry,
                                            found: str) -> None:
    _add_layers(tiny_project, {role: _frame(shapely.box(X0, Y0, X0 + 10, Y0 + 10), geom)})
    with pytest.raises(ValidationFailed) as err:
        prepare(tiny_project)
    text = str(err.value)
    assert f"layers.{role}" in text
    assert str(tiny_project.parent / f"{role}.gpkg") in text
    assert f"Polygon or MultiPolygon geometries only, found {found}" in text
    assert ("buffer hazard points" in text) == (role == "geohazard")


def test_missing_planning_file_is_named(tiny_project: Path) -> None:
    data = yaml.safe_load(tiny_project.read_text(encoding="utf-8"))
    data["layers"]["boundary"] = {"path": "no_boundary.gpkg"}
    data["layers"]["redline"] = {"path": "no_redline.shp"}
    tiny_project.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(ValidationFailed) as err:
        prepare(tiny_project)
    problems = {p.where: p.message for p in err.value.problems}
    assert problems["layers.boundary.path"].endswith("no_boundary.gpkg")
    assert problems["layers.redline.path"].endswith("no_redline.shp")
    assert problems["layers.boundary.path"].startswith("file not found")


def test_misspelt_planning_key_is_refused(tiny_project: Path) -> None:
    data = yaml.safe_load(tiny_project.read_text(encoding="utf-8"))
    data["layers"]["red_line"] = {"path": "redline.gpkg"}
    tiny_project.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(ValidationFailed, match="red_line"):
        prepare(tiny_project)


# --- the demo ----------------------------------------------------------------------------


def _demo_parcels() -> gpd.GeoDataFrame:
    return pyogrio.read_dataframe(DEMO / "parcels.gpkg", layer="parcels")


def test_demo_existing_parcel_fields_are_unchanged() -> None:
    """Digest of the fields and geometries the demo had before the economic fields were added
    (computed from the committed parcels.gpkg of commit 0ea7ecc)."""
    fields = ["BSM", "DLBM", "DLMC", "QSDWMC", "ZLDWMC", "POP"]
    df = pyogrio.read_dataframe(DEMO / "parcels.gpkg", layer="parcels", columns=fields)
    digest = hashlib.sha256(df[fields].to_csv(index=False).encode())
    digest.update(b"".join(shapely.to_wkb(df.geometry.to_numpy())))
    assert digest.hexdigest() == (
        "b52735f2366c36d2d6d3029a674a2494376c25c1c23c494a0642ba17a07766ff")


def test_demo_project_names_the_planning_layers() -> None:
    project = yaml.safe_load((DEMO / "project.yaml").read_text(encoding="utf-8"))
    for role in ("redline", "geohazard", "boundary"):
        assert project["layers"][role] == {"path": f"{role}.gpkg", "layer": role}
        info = pyogrio.read_info(DEMO / f"{role}.gpkg", layer=role)
        assert info["crs"] == "EPSG:4548" and info["layer_metadata"]["synthetic"] == "true"
        assert info["geometry_type"] in ("Polygon", "MultiPolygon") and info["features"] > 0


def test_demo_planning_layers_are_plausible() -> None:
    red = pyogrio.read_dataframe(DEMO / "redline.gpkg")
    hazard = pyogrio.read_dataframe(DEMO / "geohazard.gpkg")
    boundary = pyogrio.read_dataframe(DEMO / "boundary.gpkg")
    towns = pyogrio.read_dataframe(DEMO / "towns.gpkg")
    gangue = pyogrio.read_dataframe(DEMO / "gangue.gpkg")
    region = 100e6  # m²
    assert 0.05 <= red.area.sum() / region <= 0.3
    assert set(red["kind"]) == {"wetland", "forest"}
    red_union = shapely.union_all(red.geometry.to_numpy())
    # every town centre lies in its boundary, and the boundary keeps clear of the red line
    centres = towns.geometry.to_numpy()[(towns["kind"] == "town").to_numpy()]
    assert len(boundary) == len(centres)
    assert shapely.covers(shapely.union_all(boundary.geometry.to_numpy()), centres).all()
    assert shapely.intersection(shapely.union_all(boundary.geometry.to_numpy()),
                                red_union).area < 1.0
    assert shapely.intersection(red_union, shapely.union_all(gangue.geometry.to_numpy())).area < 1
    # each gangue pile is inside a hazard area; goaf zones over the subsidence
    hazard_union = shapely.union_all(hazard.geometry.to_numpy())
    assert shapely.covers(hazard_union, gangue.geometry.to_numpy()).all()
    assert {"gangue_slope", "goaf_collapse"} == set(hazard["kind"])
    assert set(hazard["level"]) <= {"high", "medium"}


def test_demo_economic_fields_are_plausible() -> None:
    df = _demo_parcels()
    area = df.geometry.area.to_numpy()
    code = df["DLBM"]
    built = code.str[:2].isin(["05", "06", "07", "08", "09"]) | (code == "1201")
    for name in ("OUTPUT_WY", "INVEST_WY", "FLOOR_M2", "IDLE_YR"):
        assert df.loc[built, name].notna().all(), name
        assert df.loc[~built, name].isna().all(), name
        assert (df.loc[built, name] >= 0).all(), name
    assert (df["POP_2010"] >= 0).all() and df["POP_2010"].notna().all()
    far = df["FLOOR_M2"] / area
    homes = code == "0702"
    assert far[homes].between(0.1, 1.5).all()
    assert far[code == "0701"].median() > far[homes].median()
    # hollowing villages lost people since 2010; towns gained
    assert df.loc[homes, "POP_2010"].sum() > 1.1 * df.loc[homes, "POP"].sum()
    assert (df.loc[homes, "POP_2010"] >= df.loc[homes, "POP"]).all()
    assert df.loc[code == "0701", "POP_2010"].sum() < df.loc[code == "0701", "POP"].sum()
    # mine sites: idle (and producing nothing) in the closed mines, in use in the producing one
    mines = pyogrio.read_dataframe(DEMO / "mines.gpkg")
    points = shapely.point_on_surface(df.geometry.to_numpy())
    mining = (code == "0602").to_numpy()
    for stage in ("closed", "producing"):
        field = shapely.union_all(mines.geometry.to_numpy()[(mines["stage"] == stage).to_numpy()])
        on = mining & shapely.within(points, field)
        assert on.any(), stage
        idle, output = df.loc[on, "IDLE_YR"], df.loc[on, "OUTPUT_WY"]
        if stage == "closed":
            assert (idle > 0).all() and (output == 0).all()
        else:
            assert (idle == 0).all() and (output > 0).any()
    # idle land (abandoned homesteads among it) has been idle for years; used land produces
    assert (df.loc[code == "1201", "IDLE_YR"] > 0).all()
    assert (df.loc[code == "1201", "POP_2010"] > 0).any()
    assert (df.loc[code == "1201", "POP"] == 0).all()
    output_ha = df["OUTPUT_WY"] / (area / 10_000)
    industry = (code == "0601") & (df["IDLE_YR"] == 0)
    assert output_ha[industry].between(20, 10_000).all()  # 万元/ha: 0.2 to 100 million yuan
    assert 200 <= output_ha[industry].median() <= 2000
    assert (df.loc[code.isin(["0701", "0702"]), "OUTPUT_WY"] == 0).all()


def test_demo_run_derives_the_planning_columns(demo_result) -> None:
    parcels = demo_result.parcels
    share = parcels[col.REDLINE_SHARE]
    assert share.between(0, 1).all() and (share > 0.5).sum() > 100
    # the red line holds water and forest, hardly any construction land
    inside_red = parcels[share > 0.9]
    assert inside_red[col.IS_CONSTRUCTION].mean() < 0.1
    assert parcels.loc[parcels[col.GANGUE_SHARE] >= 0.5, col.GEOHAZARD_SHARE].min() > 0.99
    urban = parcels[col.LANDUSE_CODE] == "0701"
    assert parcels.loc[urban, col.INSIDE_BOUNDARY].mean() > 0.9
    assert (parcels.loc[parcels[col.INSIDE_BOUNDARY].astype(bool), col.DIST_BOUNDARY_M] == 0).all()
    assert parcels.loc[parcels[col.LANDUSE_CODE] == "0702", col.DIST_BOUNDARY_M].median() > 300
    assert np.isfinite(parcels[col.DIST_BOUNDARY_M]).all()
    assert isinstance(parcels[col.INSIDE_BOUNDARY].dtype, pd.BooleanDtype)
