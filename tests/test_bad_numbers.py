"""Bad-input catalogue: numbers. No silent NaN, infinity, text, wrong sign or wrapped integer.

Each case builds one bad input in a temporary copy of the three-parcel project
(``tiny_project``: parcels a, b, c of 1 ha at x 536000-536300, y 3807000-3807100 in
EPSG:4548, depth polygons of 1 and 3 m, a constant water table at 2.5 m), asserts its
outcome class and that the inputs stay byte-identical.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
import shapely
import yaml
from conftest import boxes
from rasterio.transform import from_origin

from zoning._resources import demo_project, rules_dir
from zoning.engine import prepare, run_stages
from zoning.errors import ExpressionError, ValidationFailed
from zoning.layers import load_layers
from zoning.layers.load import POINTS
from zoning.project import load_project
from zoning.rules.expressions import parse

try:
    from tests._bad import inputs_unchanged, outcome
except ImportError:  # pragma: no cover - run from inside tests/
    from _bad import inputs_unchanged, outcome  # type: ignore[no-redef]

CRS = "EPSG:4548"
X0, Y0 = 536_000.0, 3_807_000.0


# --- helpers --------------------------------------------------------------------------------


def edit(project: Path, change: Callable[[dict[str, Any]], None]) -> None:
    data = yaml.safe_load(project.read_text(encoding="utf-8"))
    change(data)
    project.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


def problems(project: Path) -> list[str]:
    """Every validation problem of the project, as text (asserting inputs are unchanged)."""
    with inputs_unchanged(project.parent), pytest.raises(ValidationFailed) as info:
        prepare(project)
    return [str(p) for p in info.value.problems]


def one(found: list[str], *needles: str) -> str:
    """The single problem holding every needle."""
    hits = [p for p in found if all(n in p for n in needles)]
    assert len(hits) == 1, (needles, found)
    return hits[0]


def parcels(folder: Path, **fields: list[Any]) -> None:
    """Rewrite the tiny project's parcels with extra fields."""
    frame = gpd.GeoDataFrame({"BSM": ["a", "b", "c"], "DLBM": ["0101", "0103", "0702"],
                              **fields}, geometry=boxes(), crs=CRS)
    frame.to_file(folder / "parcels.gpkg", layer="parcels")


def raster(path: Path, values: np.ndarray, nodata: float | None = None,
           x0: float = X0 - 50, y0: float = Y0 + 150) -> None:
    """A 10 m raster with its top-left corner at (x0, y0)."""
    with rasterio.open(path, "w", driver="GTiff", width=values.shape[1],
                       height=values.shape[0], count=1, dtype="float64", crs=CRS,
                       transform=from_origin(x0, y0, 10, 10), nodata=nodata) as dst:
        dst.write(values.astype("float64"), 1)


def subsidence_raster(project: Path, values: np.ndarray, nodata: float | None = None,
                      **extra: Any) -> None:
    raster(project.parent / "w.tif", values, nodata)
    edit(project, lambda d: d["layers"].update(
        subsidence={"form": "raster", "path": "w.tif", **extra}))


def depth_polygons(project: Path, depths: list[Any]) -> None:
    polygons = gpd.GeoDataFrame({"depth_m": depths}, crs=CRS, geometry=[
        shapely.box(X0 + 50, Y0, X0 + 300, Y0 + 100),
        shapely.box(X0 + 200, Y0, X0 + 300, Y0 + 100)][: len(depths)])
    polygons.to_file(project.parent / "subsidence.gpkg", layer="contours")


def survey(project: Path, values: list[float], **extra: Any) -> None:
    """Points on a 25 m lattice over the parcels, form ``points``."""
    xs, ys = np.meshgrid(np.arange(X0, X0 + 301, 75), np.arange(Y0, Y0 + 101, 50))
    xy = np.c_[xs.ravel(), ys.ravel()][: len(values)]
    gpd.GeoDataFrame({"W": values}, geometry=shapely.points(xy), crs=CRS).to_file(
        project.parent / "insar.gpkg", layer="points")
    edit(project, lambda d: d["layers"].update(subsidence={
        "form": "points", "path": "insar.gpkg", "layer": "points", "depth_field": "W",
        "units": "mm", **extra}))


def panels(project: Path, form: str = "panels", **fields: list[float]) -> None:
    values = {"thickness_m": [3.0], "depth_m": [300.0], "dip_deg": [0.0], **fields}
    gpd.GeoDataFrame(values, geometry=[shapely.box(X0, Y0, X0 + 300, Y0 + 100)],
                     crs=CRS).to_file(project.parent / "panels.gpkg", layer="panels")

    def change(d: dict[str, Any]) -> None:
        d["layers"]["panels"] = {"path": "panels.gpkg", "layer": "panels"}
        if form == "panels":
            d["layers"]["subsidence"] = {"form": "panels"}
    edit(project, change)


def rule_copy(project: Path, kind: str, old: str, new: str) -> None:
    """Use a copy of the shipped rule file of ``kind`` with ``old`` replaced by ``new``."""
    text = (rules_dir() / f"{kind}.yaml").read_text(encoding="utf-8")
    assert old in text
    (project.parent / f"{kind}.yaml").write_text(text.replace(old, new, 1), encoding="utf-8")
    edit(project, lambda d: d.setdefault("rules", {}).update({kind: f"{kind}.yaml"}))


GRID = np.ones((20, 40))  # 400 x 200 m over the parcels, 10 m cells


# --- rasters ------------------------------------------------------------------------------


@outcome("problem")
def test_a_subsidence_raster_all_nodata_is_a_problem(tiny_project: Path) -> None:
    subsidence_raster(tiny_project, np.full(GRID.shape, -9999.0), nodata=-9999.0)
    found = one(problems(tiny_project), "w.tif", "every cell is nodata or NaN")
    assert found.startswith("layers.subsidence:")
    # the 30 x 10 cells over the parcels' bounding box, not the 40 x 20 of the file
    assert "(300 cell(s) over the parcels' extent [536000.0, 3807000.0, 536300.0, " \
           "3807100.0])" in found


@outcome("problem")
def test_a_subsidence_raster_all_nan_is_a_problem(tiny_project: Path) -> None:
    subsidence_raster(tiny_project, np.full(GRID.shape, np.nan))
    one(problems(tiny_project), "layers.subsidence", "every cell is nodata or NaN")


@outcome("problem")
def test_a_raster_with_values_only_beside_the_parcels_is_a_problem(tiny_project: Path) -> None:
    values = np.full(GRID.shape, np.nan)
    values[:, -3:] = 2.0  # the last 30 m east of the parcels (x > 536320)
    subsidence_raster(tiny_project, values)
    one(problems(tiny_project), "w.tif", "no cell over the parcels has a value")


@outcome("problem")
def test_infinite_cells_of_a_subsidence_raster_are_a_problem(tiny_project: Path) -> None:
    values = GRID.copy()
    values[5, 5:8] = np.inf
    subsidence_raster(tiny_project, values)
    one(problems(tiny_project), "layers.subsidence", "3 cell(s) are infinite")


@outcome("problem")
def test_a_groundwater_raster_all_nodata_is_one_problem(tiny_project: Path) -> None:
    raster(tiny_project.parent / "gw.tif", np.full(GRID.shape, 0.0), nodata=0.0)
    edit(tiny_project, lambda d: d.update(groundwater={"path": "gw.tif"}))
    found = problems(tiny_project)
    assert len(found) == 1, found
    assert found[0].startswith("groundwater:") and "every cell is nodata or NaN" in found[0]


@outcome("problem")
def test_a_named_raster_all_nodata_is_a_problem(tiny_project: Path) -> None:
    raster(tiny_project.parent / "ndvi.tif", np.full(GRID.shape, -1.0), nodata=-1.0)
    edit(tiny_project, lambda d: d.update(rasters={"ndvi": {"path": "ndvi.tif"}}))
    one(problems(tiny_project), "rasters.ndvi", "ndvi.tif", "every cell is nodata or NaN")


# --- subsidence depths and signs ------------------------------------------------------------


@outcome("problem")
def test_nan_depths_of_polygons_are_a_problem(tiny_project: Path) -> None:
    depth_polygons(tiny_project, [1.0, np.nan])
    found = one(problems(tiny_project), "layers.subsidence.fields.depth_m")
    assert "1 of 2 polygon(s) have a missing or non-numeric 'depth_m' (row: value 1: nan)" in found


@outcome("problem")
def test_infinite_depths_of_polygons_are_a_problem(tiny_project: Path) -> None:
    depth_polygons(tiny_project, [np.inf, 3.0])
    found = one(problems(tiny_project), "layers.subsidence.fields.depth_m")
    assert "1 of 2 polygon(s) have an infinite 'depth_m' (row: value 0: inf)" in found


@outcome("problem")
def test_text_depths_of_polygons_are_a_problem(tiny_project: Path) -> None:
    depth_polygons(tiny_project, ["1.5m", "3"])
    found = one(problems(tiny_project), "layers.subsidence.fields.depth_m")
    assert "1 of 2 polygon(s) have a missing or non-numeric 'depth_m' (row: value 0: '1.5m')" \
        in found


@outcome("problem")
def test_negative_depths_of_polygons_are_a_problem_naming_the_sign(tiny_project: Path) -> None:
    depth_polygons(tiny_project, [-1.0, -3.0])
    found = one(problems(tiny_project), "layers.subsidence.fields.depth_m", "negative")
    assert "2 of 2 value(s) of 'depth_m' are negative (row 0: -1.0, row 1: -3.0)" in found
    assert "sign: down_negative" in found


@outcome("correct")
def test_negative_depth_polygons_with_sign_down_negative_are_read_positive_down(
        tiny_project: Path) -> None:
    depth_polygons(tiny_project, [-1.0, -3.0])
    edit(tiny_project, lambda d: d["layers"]["subsidence"].update(sign="down_negative"))
    with inputs_unchanged(tiny_project.parent):
        layers = load_layers(load_project(tiny_project))
    assert layers.vectors["subsidence"]["depth_m"].tolist() == [1.0, 3.0]


@outcome("correct")
def test_insar_points_negative_down_give_positive_depths(tiny_project: Path) -> None:
    values = [-20.0, -35.0, -50.0, -35.0, -20.0] * 3  # mm, subsiding (InSAR convention)
    survey(tiny_project, values)
    with inputs_unchanged(tiny_project.parent):
        layers = load_layers(load_project(tiny_project))
    depth = layers.vectors[POINTS]["depth_m"].to_numpy()
    np.testing.assert_allclose(depth, -np.array(values) / 1000)
    assert depth.min() == pytest.approx(0.02)


@outcome("warning")
def test_points_contradicting_their_sign_are_a_warning_with_counts(
        tiny_project: Path, caplog: pytest.LogCaptureFixture) -> None:
    survey(tiny_project, [20.0, 35.0, 50.0, 0.0, -5.0] * 3)  # positive: subsidence as depth
    with inputs_unchanged(tiny_project.parent), caplog.at_level(logging.WARNING):
        load_layers(load_project(tiny_project))
    warned = [r.getMessage() for r in caplog.records if "uplift" in r.getMessage()]
    assert len(warned) == 1, warned
    assert "9 of 12 non-zero value(s) of 'W' are uplift under the declared sign " \
           "down_negative" in warned[0]
    assert "sign: down_positive" in warned[0]


@outcome("warning")
def test_a_raster_mostly_uplift_is_a_warning(tiny_project: Path,
                                             caplog: pytest.LogCaptureFixture) -> None:
    values = -GRID * 0.5
    values[0, :10] = 1.0
    subsidence_raster(tiny_project, values)
    with inputs_unchanged(tiny_project.parent), caplog.at_level(logging.WARNING):
        layers = load_layers(load_project(tiny_project))
    assert np.nanmin(layers.grids["subsidence"].values) == -0.5  # uplift, kept as given
    warned = [r.getMessage() for r in caplog.records if "uplift" in r.getMessage()]
    assert len(warned) == 1 and "790 of 800 non-zero value(s)" in warned[0]


@outcome("correct")
def test_a_raster_declared_down_negative_is_turned_positive_down(tiny_project: Path) -> None:
    subsidence_raster(tiny_project, -GRID * 1.5, sign="down_negative")
    with inputs_unchanged(tiny_project.parent):
        layers = load_layers(load_project(tiny_project))
    assert np.unique(layers.grids["subsidence"].values).tolist() == [1.5]


@outcome("problem")
def test_infinite_point_values_are_a_problem(tiny_project: Path) -> None:
    survey(tiny_project, [-20.0, -35.0, np.inf, -35.0, -20.0] * 3)
    found = one(problems(tiny_project), "layers.subsidence.fields.W", "infinite")
    assert "3 of 15 point(s) have an infinite 'W' (row: value 2: inf, 7: inf, 12: inf)" in found


# --- panels ---------------------------------------------------------------------------------


@outcome("problem")
def test_negative_panel_thickness_is_a_problem(tiny_project: Path) -> None:
    panels(tiny_project, thickness_m=[-3.0])
    one(problems(tiny_project), "layers.panels", "1 panel(s) with missing or impossible")


@outcome("problem")
def test_infinite_panel_depth_is_a_problem(tiny_project: Path) -> None:
    panels(tiny_project, depth_m=[np.inf])
    one(problems(tiny_project), "layers.panels", "1 panel(s) with missing or impossible")


@outcome("problem")
def test_an_infinite_optional_panel_parameter_is_a_problem(tiny_project: Path) -> None:
    panels(tiny_project, q=[np.inf])
    found = one(problems(tiny_project), "layers.panels", "1 panel(s) with missing or impossible")
    assert "or infinite dip_dir_deg/q/tan_beta" in found


@outcome("problem")
def test_negative_panel_depth_beside_depth_polygons_is_a_problem(tiny_project: Path) -> None:
    panels(tiny_project, form="polygons", depth_m=[-300.0])
    found = one(problems(tiny_project), "layers.panels.depth_m")
    assert "1 of 1 value(s) of 'depth_m' are negative (row 0: -300.0)" in found


# --- parcels --------------------------------------------------------------------------------


@outcome("problem")
def test_null_landuse_codes_are_a_problem(tiny_project: Path) -> None:
    frame = gpd.GeoDataFrame({"BSM": ["a", "b", "c"], "DLBM": ["0101", None, " "]},
                             geometry=boxes(), crs=CRS)
    frame.to_file(tiny_project.parent / "parcels.gpkg", layer="parcels")
    found = one(problems(tiny_project), "DLBM")
    assert "2 of 3 parcel(s) have no land-use code in 'DLBM' (parcels b, c)" in found


@outcome("problem")
def test_an_empty_parcel_layer_is_one_problem(tiny_project: Path) -> None:
    empty = gpd.GeoDataFrame({"BSM": pd.Series([], dtype=str), "DLBM": pd.Series([], dtype=str)},
                             geometry=gpd.GeoSeries([], crs=CRS))
    empty.to_file(tiny_project.parent / "parcels.gpkg", layer="parcels")
    found = problems(tiny_project)
    assert len(found) == 1, found
    assert "parcels.gpkg has no features" in found[0]


@outcome("problem")
def test_parcels_without_any_area_are_one_problem(tiny_project: Path) -> None:
    flat = [shapely.box(X0 + i, Y0, X0 + i, Y0 + 100) for i in range(3)]  # zero width
    frame = gpd.GeoDataFrame({"BSM": ["a", "b", "c"], "DLBM": ["0101", "0103", "0702"]},
                             geometry=flat, crs=CRS)
    frame.to_file(tiny_project.parent / "parcels.gpkg", layer="parcels")
    found = problems(tiny_project)
    assert len(found) == 1, found
    assert "none of its 3 feature(s) has a geometry with an area" in found[0]


@pytest.mark.parametrize(("geometry", "kind"), [
    (shapely.points([[X0 + 50, Y0 + 50], [X0 + 150, Y0 + 50], [X0 + 250, Y0 + 50]]), "3 Point"),
    (shapely.linestrings([[[X0, Y0], [X0 + 90, Y0]]] * 3), "3 LineString"),
])
@outcome("problem")
def test_points_or_lines_as_parcels_are_one_problem(tiny_project: Path, geometry: Any,
                                                    kind: str) -> None:
    frame = gpd.GeoDataFrame({"BSM": ["a", "b", "c"], "DLBM": ["0101", "0103", "0702"]},
                             geometry=list(geometry), crs=CRS)
    frame.to_file(tiny_project.parent / "parcels.gpkg", layer="parcels")
    found = problems(tiny_project)
    assert len(found) == 1, found
    assert f"must hold Polygon or MultiPolygon geometries, found {kind}" in found[0]


# --- economic fields the rules use ----------------------------------------------------------


@outcome("problem")
def test_infinite_economic_field_is_a_problem(tiny_project: Path) -> None:
    parcels(tiny_project.parent, OUTPUT_WY=[np.inf, 500.0, -np.inf])
    found = one(problems(tiny_project), "parcels.gpkg:OUTPUT_WY")
    assert "2 of 3 value(s) of 'OUTPUT_WY' are infinite (parcel a: inf, parcel c: -inf)" in found
    assert "reduction.yaml:" in found and "(rule 'output_per_ha')" in found


@outcome("problem")
def test_text_in_an_economic_field_is_a_problem_with_rows(tiny_project: Path) -> None:
    parcels(tiny_project.parent, OUTPUT_WY=["120", "12a", "80.5"])
    found = problems(tiny_project)
    assert len(found) == 1, found
    assert "1 of 3 value(s) of 'OUTPUT_WY' are not numbers (parcel b: '12a')" in found[0]


@outcome("warning")
def test_a_missing_economic_value_is_a_warning_with_count(
        tiny_project: Path, caplog: pytest.LogCaptureFixture) -> None:
    # Only c (0702, rural homestead) is eligible for reduction: b's missing value is not
    # counted, and validation (before eligibility is known) does not warn at all.
    parcels(tiny_project.parent, OUTPUT_WY=[120.0, None, None], INVEST_WY=[None, 5.0, None])
    with inputs_unchanged(tiny_project.parent), caplog.at_level(logging.WARNING):
        prepared = prepare(tiny_project)
        assert not [r for r in caplog.records if "OUTPUT_WY" in r.getMessage()]
        run_stages(prepared, progress=False)
    warned = [r.getMessage() for r in caplog.records if "OUTPUT_WY" in r.getMessage()]
    assert len(warned) == 1, warned
    assert ("missing (NaN or empty) values among the 1 eligible parcel(s) of reduction.yaml: "
            "'OUTPUT_WY' 1 (e.g. parcel c); 'INVEST_WY' 1 (e.g. parcel c)") in warned[0]
    assert "`missing:` setting" in warned[0]


@outcome("correct")
def test_integer_arithmetic_does_not_wrap_around(tiny_project: Path) -> None:
    parcels(tiny_project.parent, POP=np.array([4_000_000_000, 3, 0], dtype=np.int64))
    with inputs_unchanged(tiny_project.parent):
        table = prepare(tiny_project).layers.parcels
    assert table["POP"].dtype == np.int64
    assert parse("POP * POP > 0").evaluate_condition(table).tolist() == [True, True, False]
    assert parse("POP * POP").evaluate(table).iloc[0] == 1.6e19


# --- rule expressions -----------------------------------------------------------------------

_DEEP = 'when: "ponded_share >= min_share and pond_depth_m >= lake_water_m"'


@pytest.mark.parametrize(("when", "needle"), [
    ('when: "land_class > 3"', "cannot compare with '>': column 'land_class' holds text and 3 "
                               "is a number; if you mean text, put it in quotes: '3'"),
    ('when: "area_ha"', "a condition must be true or false; this expression gives numbers"),
    ('when: "\'a\' * 10**10 > 1"', "'*' needs numbers, but 'a' is text"),
    ('when: "landuse_code + 1 > 2"', "'+' needs numbers, but column 'landuse_code' holds text"),
])
@outcome("problem")
def test_type_errors_in_rules_are_problems_with_file_line_and_rule(
        tiny_project: Path, when: str, needle: str) -> None:
    rule_copy(tiny_project, "modes", _DEEP, when)
    found = one(problems(tiny_project), needle)
    assert re.match(r".*modes\.yaml:\d+:\d+: ", found), found
    assert "(rule 'deep_water_lake')" in found


@outcome("problem")
def test_a_numeric_field_compared_with_text_is_a_problem(tiny_project: Path) -> None:
    parcels(tiny_project.parent, IDLE_YR=[1.0, 2.0, 3.0])
    rule_copy(tiny_project, "reduction", 'when: "geohazard_share >= 0.3"',
              "when: \"IDLE_YR == 'long'\"")
    found = one(problems(tiny_project), "column 'IDLE_YR' holds numbers", "'long' is text")
    assert re.match(r".*reduction\.yaml:\d+:\d+: ", found)


# --- weights --------------------------------------------------------------------------------

_ROW = "          - [1/2, 1,   1,   2, 1,   1]"


@pytest.mark.parametrize(("row", "needle"), [
    ("          - [0,   1,   1,   2, 1,   1]",
     "found values <= 0: a[1, 0] (subsidence vs groundwater) = 0"),
    ("          - [-2,  1,   1,   2, 1,   1]", "a[1, 0] (subsidence vs groundwater) = -2"),
    ("          - [1/4, 1,   1,   2, 1,   1]",
     "not reciprocal: a[0, 1] (groundwater vs subsidence) "
     "= 2 but a[1, 0] (subsidence vs groundwater) = 0.25"),
])
@outcome("problem")
def test_bad_ahp_matrices_name_file_use_and_key(tiny_project: Path, row: str,
                                                needle: str) -> None:
    rule_copy(tiny_project, "suitability", _ROW, row)
    found = one(problems(tiny_project), needle)
    assert re.match(r".*suitability\.yaml:\d+:\d+: uses\.cultivated: ", found), found
    assert "ahp.matrix (rows and columns: the factors ['groundwater', 'subsidence'" in found


@outcome("problem")
def test_a_non_reciprocal_assessment_matrix_names_file_group_and_key(tiny_project: Path) -> None:
    folder = tiny_project.parent
    table = demo_project().parent / "assessment_illustrative.csv"
    (folder / "assessment.csv").write_bytes(table.read_bytes())
    text = (rules_dir() / "assessment.yaml").read_text(encoding="utf-8")
    old = "            - [2,   1,   3, 3, 2]"
    assert old in text
    (folder / "assessment.yaml").write_text(text.replace(old, "            - [3,   1,   3, 3, 2]",
                                                         1), encoding="utf-8")
    edit(tiny_project, lambda d: d.update(assessment={"table": "assessment.csv",
                                                      "rules": "assessment.yaml"}))
    found = one(problems(tiny_project), "not reciprocal")
    assert re.match(r".*assessment\.yaml:\d+:\d+: targets\.social\.vulnerability: ", found), found
    assert "ahp.matrix (rows and columns: the indicators ['unemployment_rate'" in found
    assert "a[0, 1] (unemployment_rate vs gdp_per_capita) = 0.5 but a[1, 0] " \
           "(gdp_per_capita vs unemployment_rate) = 3" in found


def test_errors_evaluating_a_rule_name_its_file_line_and_rule() -> None:
    """What static checking cannot know (a column of unknown kind) still fails located."""
    from zoning.decision import Table
    from zoning.modes import tables
    from zoning.rules.ruleset import load_rules

    rules = load_rules()
    table: Table = tables(rules)[0]
    site = table.sites()[0]
    # the table's named thresholds keep their numbers; every column holds text
    frame = pd.DataFrame({name: [table.constants.get(name, "text")]
                          for name in parse(site.text).names})
    with pytest.raises(ExpressionError) as info:
        rules.expression(site).evaluate_condition(frame)
    message = info.value.message
    assert re.match(r".*modes\.yaml:\d+:\d+ \(rule '[a-z_]+'\): ", message), message
