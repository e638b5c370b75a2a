"""Bad-input catalogue of the polish branch: context layers beside the study area, QC layers
on the web map, plain numbers in the CSV tables."""

from __future__ import annotations

import json
import shutil
import subprocess
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
from zoning.runner import run

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


# --- topology QC on the web map --------------------------------------------------------------


def _node_layers(page: Path) -> dict[str, list[dict[str, Any]]]:
    """The map's layers as its own script builds them (tests/test_maps.py's node harness)."""
    from test_maps import _NODE_HARNESS

    result = subprocess.run(["node", "-e", _NODE_HARNESS, str(page)], capture_output=True,
                            text=True, check=True, timeout=60)
    out: dict[str, list[dict[str, Any]]] = json.loads(result.stdout)
    return out


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
@outcome("warning")
def test_accepted_overlaps_are_outlined_on_the_web_map(tiny_project: Path) -> None:
    # A parent farm (3 ha) held together with its two portions (1 and 2 ha), accepted.
    farm = shapely.box(536_000, 3_807_000, 536_300, 3_807_100)
    gpd.GeoDataFrame({"BSM": ["farm", "farm-1", "farm-2"], "DLBM": ["0101"] * 3}, crs=CRS,
                     geometry=[farm, shapely.box(536_000, 3_807_000, 536_100, 3_807_100),
                               shapely.box(536_100, 3_807_000, 536_300, 3_807_100)],
                     ).to_file(tiny_project.parent / "parcels.gpkg", layer="parcels")
    data = yaml.safe_load(tiny_project.read_text(encoding="utf-8"))
    data["qc"] = {"accept_overlaps": True}
    tiny_project.write_text(yaml.safe_dump(data), encoding="utf-8")
    with inputs_unchanged(tiny_project.parent):
        out = run(tiny_project, tiny_project.parent / "out", progress=False)
    text = (out / "map.html").read_text(encoding="utf-8")
    assert 'data-zh="拓扑检查：图斑重叠 / 缝隙" data-en="Topology QC: overlaps / gaps"' in text
    assert 'data-zh="图斑重叠" data-en="Overlap between parcels"' in text  # legend row
    qc = _node_layers(out / "map.html")
    zh, en = qc["zh"][-1], qc["en"][-1]
    assert zh["lazy"]  # off when the map opens
    assert [f["style"]["color"] for f in zh["features"]] == ["#d32f2f", "#d32f2f"]
    assert not any(f["style"]["fill"] for f in zh["features"])
    popups = [f["popup"] for f in zh["features"]]
    assert '<th title="qc_parcels">图斑</th><td>farm / farm-2</td>' in popups[0]
    assert '<th title="area_ha">面积 (ha)</th><td>2</td>' in popups[0]
    assert '<td>farm / farm-1</td>' in popups[1] and '<td>contained</td>' in popups[1]
    assert '<th title="area_ha">Area (ha)</th><td>1</td>' in en["features"][1]["popup"]
