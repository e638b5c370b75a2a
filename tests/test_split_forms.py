"""Splitting on the grid path: subsidence points, panels, a groundwater raster; the demo run."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from _rasters import centres_x, write_raster
from _split import BOTH, area_by_parent, layers_with, one_class_each, with_split, write_points
from conftest import boxes

from zoning import columns as col
from zoning import mineplan
from zoning.engine import prepare, run_stages
from zoning.layers import load_layers
from zoning.project import load_project
from zoning.subsidence.stage import STAGE as SUBSIDENCE


def _assert_pieces(parcels: pd.DataFrame, areas_ha: dict[str, float]) -> None:
    """Ids ``<parent>-<k>`` (k = 1..n) unique, parent_id and split right, areas conserved."""
    assert parcels.index.is_unique
    assert set(parcels[col.PARENT_ID]) == set(areas_ha)
    for parent, group in parcels.groupby(col.PARENT_ID, sort=False):
        if len(group) == 1:
            assert group.index.tolist() == [parent] and not group[col.SPLIT].any()
        else:
            assert group.index.tolist() == [f"{parent}-{k}" for k in range(1, len(group) + 1)]
            assert group[col.SPLIT].all()
    got = area_by_parent(parcels)
    assert max(abs(got[p] - areas_ha[p]) for p in areas_ha) < 1e-6


def test_survey_points_are_split_along_the_interpolated_cells(tiny_project: Path) -> None:
    """Form points: a linear field sampled every 20 m is interpolated exactly (Delaunay)."""
    write_points(tiny_project.parent / "levelling.gpkg")
    with_split(tiny_project, BOTH, layers=layers_with(tiny_project, subsidence={
        "form": "points", "path": "levelling.gpkg", "depth_field": "W",
        "sign": "down_positive"}))
    parcels = prepare(tiny_project).layers.parcels
    # a (0-1.7 m) meets the 0.1, 0.5 and 1.5 m band edges; b (1.7-3.3 m) the ponded edge at
    # 2.5 m and the 3 m band edge; c (3.3-5 m) is all ponded in the 3-5 m band
    assert parcels.index.tolist() == ["a-1", "a-2", "a-3", "a-4", "b-1", "b-2", "b-3", "c"]
    _assert_pieces(parcels, {"a": 1.0, "b": 1.0, "c": 1.0})
    # the 10 m cells of the interpolated grid are cut at their edges: the 1.5 m edge (x = 536
    # 090) is a cell edge, so the last piece of a is the 10 m strip east of it
    assert parcels.loc["a-4"].geometry.bounds == pytest.approx((536_090, 3_807_000,
                                                                536_100, 3_807_100))
    one_class_each(tiny_project)


CENTRE = (536_400.0, 3_807_400.0)
"""Centre of the panel and of the big parcel over it."""


def _panel_project(project: Path) -> Path:
    """One 200 m × 200 m panel, 3 m thick at 100 m depth, under an 800 m parcel ``p``."""
    x, y = CENTRE
    folder = project.parent
    gpd.GeoDataFrame({"BSM": ["p", "q"], "DLBM": ["0101", "0103"]},
                     geometry=[shapely.box(x - 400, y - 400, x + 400, y + 400),
                               *boxes(1, x0=x + 400, y0=y - 400)],
                     crs="EPSG:4548").to_file(folder / "parcels.gpkg", layer="parcels")
    gpd.GeoDataFrame({"thickness_m": [3.0], "depth_m": [100.0], "dip_deg": [0.0]},
                     geometry=[shapely.box(x - 100, y - 100, x + 100, y + 100)],
                     crs="EPSG:4548").to_file(folder / "panels.gpkg")
    return with_split(project, BOTH, layers=layers_with(
        project, subsidence={"form": "panels"}, panels={"path": "panels.gpkg"}))


def test_a_panel_splits_the_parcel_over_it_into_rings(tiny_project: Path) -> None:
    """Form panels: the pieces are rings of the predicted basin, deepest over the centre."""
    project = _panel_project(tiny_project)
    prepared = prepare(project)
    parcels = run_stages(prepared, progress=False, stages=[SUBSIDENCE]).parcels
    p = parcels[parcels[col.PARENT_ID] == "p"]
    _assert_pieces(parcels, {"p": 64.0, "q": 1.0})
    assert len(p) >= 4  # not subsided, 0.1-0.5, 0.5-1.5 and 1.5-3 m at least (W0 ≈ 2.4 m)
    bands = p.filter(like=col.SUBS_SHARE_PREFIX).to_numpy()
    code = 2 * bands.argmax(axis=1) + (p[col.PONDED_SHARE].to_numpy() > 0.5)
    assert (np.diff(code) > 0).all()  # ordered shallow and dry first
    means = p[col.SUBS_MEAN_M].to_numpy()
    assert (np.diff(means) > 0).all(), means  # each ring deeper than the one around it
    centre = shapely.Point(CENTRE)
    assert p.geometry.iloc[-1].contains(centre)  # the deepest piece is the one over the centre
    assert p.geometry.iloc[0].touches(shapely.box(*p.total_bounds).exterior)  # the outer ring
    # rings: each piece's distance from the centre grows as its depth falls
    near = [shapely.distance(g, centre) for g in p.geometry]
    assert near[-1] == 0 and (np.diff(near) <= 0).all(), near
    assert parcels.loc["q", col.SUBS_MAX_M] < 0.1 and not parcels.loc["q", col.SPLIT]
    one_class_each(project)


def test_a_groundwater_raster_moves_the_ponded_edge(tiny_project: Path) -> None:
    """Depth polygons with a groundwater raster: ponding is cut where the water table varies."""
    # water table 0.5 m deep west of x = 536 130, 5 m deep east of it (10 m cells)
    write_raster(tiny_project.parent / "gw.tif", np.where(centres_x() < 536_130, 0.5, 5.0))
    with_split(tiny_project, {"by": ["ponding"], "min_area_ha": 0.0},
               groundwater={"path": "gw.tif", "units": "m"})
    parcels = prepare(tiny_project).layers.parcels
    # a: dry west half (not subsided), ponded east half (1 m over a 0.5 m water table);
    # b: 1 m deep all over, ponded west of 536 130, dry east of it; c: 3 m over 5 m, dry
    assert parcels.index.tolist() == ["a-1", "a-2", "b-1", "b-2", "c"]
    _assert_pieces(parcels, {"a": 1.0, "b": 1.0, "c": 1.0})
    area = parcels.geometry.area / 10_000
    assert area.to_dict() == pytest.approx({"a-1": 0.5, "a-2": 0.5, "b-1": 0.7, "b-2": 0.3,
                                            "c": 1.0})
    assert parcels.loc["b-2"].geometry.bounds == pytest.approx((536_100, 3_807_000,
                                                                536_130, 3_807_100))
    ponded = run_stages(prepare(tiny_project), progress=False,
                        stages=[SUBSIDENCE]).parcels[col.PONDED_SHARE]
    assert ponded.to_dict() == pytest.approx({"a-1": 0.0, "a-2": 1.0, "b-1": 0.0, "b-2": 1.0,
                                              "c": 0.0})


@pytest.mark.slow
def test_the_stages_take_the_split_demo(demo_copy: Path) -> None:
    """The whole demo run on split parcels: zones everywhere, areas and mine totals kept."""
    unsplit = load_layers(load_project(demo_copy)).parcels.geometry.area / 10_000
    result = run_stages(prepare(with_split(demo_copy, {**BOTH, "min_area_ha": 0.01})),
                        progress=False)
    parcels = result.parcels
    assert parcels[col.SPLIT].sum() > 20
    assert parcels[col.ZONE].notna().all()
    assert parcels[col.AREA_HA].sum() == pytest.approx(unsplit.sum(), abs=1e-6)
    _assert_pieces(parcels, unsplit.to_dict())
    mines = result.tables[mineplan.TABLE].set_index(col.MINE_ID)
    by_mine = parcels.groupby(col.MINE_ID)[col.AREA_HA].sum()
    np.testing.assert_allclose(mines.loc[by_mine.index, col.AREA_HA], by_mine, atol=1e-6)
    damage = mines.filter(regex=r"^damage_.*_ha$").sum(axis=1)
    modes = mines.filter(regex=r"^mode_.*_ha$").sum(axis=1)
    np.testing.assert_allclose(damage, mines[col.AREA_HA], atol=1e-6)
    np.testing.assert_allclose(modes, mines[col.AREA_HA], atol=1e-6)
