"""Parcel splitting by subsidence band and ponding (``split:``): ids, areas, one class a piece."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import numpy as np
import pytest
import yaml
from _rasters import write_raster
from _split import BOTH, area_by_parent, one_class_each, with_split

from zoning import columns as col
from zoning._resources import demo_project
from zoning.engine import prepare
from zoning.layers import load_layers
from zoning.project import load_project


def test_tiny_project_is_cut_at_the_band_edge(tiny_project: Path, caplog) -> None:
    before = prepare(tiny_project).layers.parcels
    assert before[col.PARENT_ID].tolist() == ["a", "b", "c"] and not before[col.SPLIT].any()
    with_split(tiny_project, BOTH)
    with caplog.at_level(logging.INFO, logger="zoning.split"):
        prepared = prepare(tiny_project)
    parcels = prepared.layers.parcels
    # a straddles the 1 m polygon's edge at x = 536 050: half not subsided, half 1 m (band 0.5-1.5)
    assert parcels.index.tolist() == ["a-1", "a-2", "b", "c"]
    assert parcels[col.PARENT_ID].tolist() == ["a", "a", "b", "c"]
    assert parcels[col.SPLIT].tolist() == [True, True, False, False]
    assert (parcels.geometry.area / 10_000).tolist() == pytest.approx([0.5, 0.5, 1.0, 1.0])
    assert parcels.loc["a-1"].geometry.bounds == pytest.approx((536_000, 3_807_000,
                                                                536_050, 3_807_100))
    assert (parcels["DLBM"] if "DLBM" in parcels else parcels[col.LANDUSE_CODE])["a-2"] == "0101"
    assert "1 of 3 parcels split by subsidence_bands and ponding into 2 pieces" in caplog.text
    assert any("1 of 3 parcels split" in n for n in prepared.layers.notes)
    one_class_each(tiny_project)


def test_slivers_merge_into_the_largest_piece(tiny_project: Path) -> None:
    with_split(tiny_project, {"by": ["subsidence_bands"], "min_area_ha": 0.6})
    parcels = prepare(tiny_project).layers.parcels
    assert parcels.index.tolist() == ["a", "b", "c"]  # both halves of a are under 0.6 ha
    assert not parcels[col.SPLIT].any()


@pytest.fixture(scope="module")
def demo_split(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("demo_split") / "demo"
    shutil.copytree(demo_project().parent, target)
    return with_split(target / "project.yaml", BOTH)


def test_demo_split_conserves_area_and_keeps_ids_unique(demo_split: Path, caplog) -> None:
    unsplit = load_layers(load_project(demo_split)).parcels
    with caplog.at_level(logging.INFO, logger="zoning.split"):
        parcels = prepare(demo_split).layers.parcels
    assert parcels.index.is_unique
    assert sorted(parcels[col.PARENT_ID].unique()) == sorted(unsplit.index)
    pieces = parcels[parcels[col.SPLIT]]
    parents = pieces[col.PARENT_ID].nunique()
    assert parents > 10 and len(pieces) >= 2 * parents
    assert (pieces.index.str.rsplit("-", n=1).str[0] == pieces[col.PARENT_ID]).all()
    assert f"{parents} of {len(unsplit)} parcels split" in caplog.text
    areas = area_by_parent(parcels)
    expected = (unsplit.geometry.area / 10_000).to_dict()
    assert max(abs(areas[p] - expected[p]) for p in expected) < 1e-6


def test_demo_pieces_lie_in_one_band(demo_split: Path) -> None:
    one_class_each(demo_split)


def test_a_subsidence_raster_is_split_along_its_cells(tiny_project: Path) -> None:
    """Form raster: classes follow the cell edges; the cell statistics see one class a piece."""
    x = 535_900 + (np.arange(50) + 0.5) * 10  # 10 m cells over the three parcels and a margin
    depth = np.broadcast_to(np.clip((x - 536_000) / 60, 0, None), (30, 50)).copy()
    depth[12, 15] = np.nan  # a missing cell counts as not subsided
    write_raster(tiny_project.parent / "subsidence.tif", depth)
    with_split(tiny_project, BOTH, layers={
        **yaml.safe_load(tiny_project.read_text(encoding="utf-8"))["layers"],
        "subsidence": {"form": "raster", "path": "subsidence.tif"}})
    parcels = prepare(tiny_project).layers.parcels
    # a (0-1.7 m) meets the 0.1, 0.5 and 1.5 m band edges, b (1.7-3.4 m) the 3 m edge and the
    # ponded edge at 2.5 m
    assert parcels.index.tolist() == ["a-1", "a-2", "a-3", "a-4", "b-1", "b-2", "b-3", "c"]
    assert not parcels.loc["c", col.SPLIT]  # 3.4-4.9 m deep, all ponded: one class
    areas = area_by_parent(parcels)
    assert areas == pytest.approx({"a": 1.0, "b": 1.0, "c": 1.0}, abs=1e-9)
    one_class_each(tiny_project)
