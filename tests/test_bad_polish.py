"""Bad-input catalogue of the polish branch: context layers beside the study area, QC layers
on the web map, plain numbers in the CSV tables."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pytest
import shapely
import yaml

from zoning import derive
from zoning.engine import prepare, run_stages
from zoning.errors import ValidationFailed

try:
    from tests._bad import inputs_unchanged, outcome
except ImportError:  # pragma: no cover - run from inside tests/
    from _bad import inputs_unchanged, outcome  # type: ignore[no-redef]

CRS = "EPSG:4548"
# The tiny project's parcels a, b, c: 100 m squares from x 536 000 to 536 300, y 3 807 000 to
# 3 807 100 (tests/conftest.py::boxes).
EAST, MID_Y = 536_300.0, 3_807_050.0


def add_layer(project: Path, role: str, frame: gpd.GeoDataFrame, **spec: Any) -> None:
    """Write ``frame`` next to the tiny project and name it in project.yaml as ``role``."""
    frame.to_file(project.parent / f"{role}.gpkg", layer=role)
    data = yaml.safe_load(project.read_text(encoding="utf-8"))
    data["layers"][role] = {"path": f"{role}.gpkg", "layer": role, **spec}
    project.write_text(yaml.safe_dump(data), encoding="utf-8")


def town(x: float, y: float) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"name": ["county seat"]}, geometry=[shapely.Point(x, y)], crs=CRS)


def problems(project: Path) -> list[str]:
    with inputs_unchanged(project.parent), pytest.raises(ValidationFailed) as info:
        prepare(project)
    return [str(p) for p in info.value.problems]


# --- context layers beside the study area ----------------------------------------------------


@outcome("correct")
def test_a_town_3_km_outside_the_parcels_gives_its_distance(tiny_project: Path) -> None:
    add_layer(tiny_project, "towns", town(EAST + 3_000, MID_Y))
    with inputs_unchanged(tiny_project.parent):
        prepared = prepare(tiny_project)
        table = run_stages(prepared, progress=False, stages=(derive.STAGE,)).parcels
    np.testing.assert_allclose(table.loc[["a", "b", "c"], "dist_town_m"], [3_200, 3_100, 3_000])


@outcome("correct")
def test_towns_and_roads_outside_the_parcels_give_travel_times(tiny_project: Path) -> None:
    # A primary road (60 km/h) from the middle of parcel b to a town 3 km east of the parcels.
    road = gpd.GeoDataFrame({"highway": ["primary"]}, crs=CRS, geometry=[
        shapely.LineString([(536_150, MID_Y), (EAST + 3_000, MID_Y)])])
    add_layer(tiny_project, "towns", town(EAST + 3_000, MID_Y))
    add_layer(tiny_project, "roads", road)
    with inputs_unchanged(tiny_project.parent):
        table = run_stages(prepare(tiny_project), progress=False, stages=(derive.STAGE,)).parcels
    walk_min_per_m = 60 / 5_000  # access legs at 5 km/h
    drive = 3_150 / 1_000 / 60 * 60  # 3.15 km at 60 km/h, minutes
    np.testing.assert_allclose(table.loc[["a", "b", "c"], "travel_min_town"],
                               [drive + 100 * walk_min_per_m, drive, drive + 100 * walk_min_per_m])


@outcome("problem")
def test_a_town_500_km_away_is_a_problem_naming_the_distance(tiny_project: Path) -> None:
    add_layer(tiny_project, "towns", town(536_100, 3_807_100 + 500_000))
    found = problems(tiny_project)
    assert len(found) == 1, found
    assert found[0].startswith("layers.towns")
    assert "towns.gpkg does not overlap the parcels: it lies 500.0 km from their bounding box " \
           "(towns and roads may lie up to 20 km away)" in found[0]


@outcome("problem")
def test_a_red_line_3_km_outside_the_parcels_keeps_the_strict_rule(tiny_project: Path) -> None:
    area = gpd.GeoDataFrame(geometry=[shapely.box(EAST + 3_000, 3_807_000, EAST + 3_500,
                                                  3_807_100)], crs=CRS)
    add_layer(tiny_project, "redline", area)
    found = problems(tiny_project)
    assert len(found) == 1, found
    assert found[0].startswith("layers.redline")
    assert "redline.gpkg does not overlap the parcels: it lies 3.0 km from their bounding box " \
           "(its bounds" in found[0]
