"""Bad-input catalogue: project rasters, parcel splitting, weights entered directly.

Each case builds the bad input in a temporary folder, names its outcome class and checks that
the input files stay byte-identical.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest
import yaml
from _bad import inputs_unchanged, outcome
from _rasters import SHAPE, write_raster

from zoning import assess
from zoning import columns as col
from zoning._resources import rules_dir
from zoning.engine import prepare, run_stages
from zoning.errors import AssessmentError, ValidationFailed


def _edit(project: Path, **changes: object) -> Path:
    data = yaml.safe_load(project.read_text(encoding="utf-8"))
    data.update(changes)
    project.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return project


def _problems(project: Path) -> list[str]:
    with pytest.raises(ValidationFailed) as failed:
        prepare(project)
    return [str(p) for p in failed.value.problems]


@outcome("problem")
def test_raster_that_does_not_overlap_the_parcels(tiny_project: Path) -> None:
    folder = tiny_project.parent
    write_raster(folder / "ndvi.tif", np.ones((5, 5)), x0=636_000.0)  # 100 km east
    _edit(tiny_project, rasters={"ndvi": {"path": "ndvi.tif"}})
    with inputs_unchanged(folder):
        problems = _problems(tiny_project)
    assert len(problems) == 1
    assert problems[0].startswith("rasters.ndvi") and "does not overlap the parcels" in problems[0]


@outcome("problem")
def test_raster_whose_columns_clash_with_engine_columns(tiny_project: Path) -> None:
    folder = tiny_project.parent
    write_raster(folder / "slope.tif", np.full(SHAPE, 10.0))
    _edit(tiny_project, rasters={"slope": {"path": "slope.tif", "shares": [15, 30]}})
    with inputs_unchanged(folder):
        problems = _problems(tiny_project)
    assert len(problems) == 1
    assert problems[0].startswith("rasters.slope")
    assert "['slope_share_gt_15']" in problems[0] and "rename the raster" in problems[0]


@outcome("problem")
def test_raster_named_like_an_engine_raster(tiny_project: Path) -> None:
    folder = tiny_project.parent
    write_raster(folder / "s.tif", np.full(SHAPE, 1.0))
    _edit(tiny_project, rasters={"slope_deg": {"path": "s.tif"}})
    with inputs_unchanged(folder):
        problems = _problems(tiny_project)
    assert len(problems) == 1 and "['slope_deg'] are made by the engine" in problems[0]


@outcome("warning")
def test_raster_covering_part_of_the_parcels(tiny_project: Path, caplog) -> None:
    folder = tiny_project.parent
    values = np.full(SHAPE, 0.4)
    values[:, 30:] = np.nan  # nodata over parcel c (columns 30-39)
    write_raster(folder / "ndvi.tif", values)
    _edit(tiny_project, rasters={"ndvi": {"path": "ndvi.tif"}})
    with inputs_unchanged(folder), caplog.at_level(logging.WARNING, logger="zoning.rasterstats"):
        prepared = prepare(tiny_project)
        parcels = run_stages(prepared, progress=False, stages=prepared.stages[:2]).parcels
    assert "raster ndvi: 1 of 3 parcels have no value" in caplog.text
    assert parcels["ndvi_mean"].tolist()[:2] == pytest.approx([0.4, 0.4])
    assert np.isnan(parcels.loc["c", "ndvi_mean"])


@outcome("problem")
def test_split_without_subsidence(tiny_project: Path) -> None:
    data = yaml.safe_load(tiny_project.read_text(encoding="utf-8"))
    del data["layers"]["subsidence"]
    _edit(tiny_project, layers=data["layers"], split={"by": ["subsidence_bands"]})
    with inputs_unchanged(tiny_project.parent):
        problems = _problems(tiny_project)
    assert len(problems) == 1
    assert problems[0].startswith("split") and "no layers.subsidence" in problems[0]


@outcome("problem")
def test_split_by_ponding_without_groundwater(tiny_project: Path) -> None:
    data = yaml.safe_load(tiny_project.read_text(encoding="utf-8"))
    del data["groundwater"]
    tiny_project.write_text(yaml.safe_dump(data), encoding="utf-8")
    _edit(tiny_project, split={"by": ["ponding"]})
    with inputs_unchanged(tiny_project.parent):
        problems = _problems(tiny_project)
    assert len(problems) == 1
    assert problems[0].startswith("split.by") and "groundwater.depth_m" in problems[0]


@outcome("correct")
def test_split_pieces_under_the_minimum_merge_back(tiny_project: Path) -> None:
    """A 0.05 ha edge of parcel a in the 1 m band merges into its 0.95 ha rest."""
    import geopandas as gpd
    import shapely
    subs = gpd.GeoDataFrame({"depth_m": [1.0]}, geometry=[shapely.box(536_095, 3_807_000,
                                                                       536_300, 3_807_100)],
                            crs="EPSG:4548")
    subs.to_file(tiny_project.parent / "subsidence.gpkg", layer="contours", mode="w")
    _edit(tiny_project, split={"by": ["subsidence_bands"], "min_area_ha": 0.1})
    with inputs_unchanged(tiny_project.parent):
        parcels = prepare(tiny_project).layers.parcels
    assert parcels.index.tolist() == ["a", "b", "c"] and not parcels[col.SPLIT].any()
    _edit(tiny_project, split={"by": ["subsidence_bands"], "min_area_ha": 0.01})
    split = prepare(tiny_project).layers.parcels
    assert split.index.tolist() == ["a-1", "a-2", "b", "c"]
    assert (split.geometry.area / 10_000).tolist() == pytest.approx([0.95, 0.05, 1.0, 1.0])


def _jiawang_with(folder: Path, group: int, change: dict[str, object],
                  block: dict[str, object] | None = None) -> Path:
    """A copy of rules/assessment_jiawang.yaml with ``change`` in the first indicator of the
    ``group``-th group (0 social vulnerability, ..., 3 ecological resilience)."""
    data = yaml.safe_load((rules_dir() / "assessment_jiawang.yaml").read_text(encoding="utf-8"))
    groups = [g for t in data["targets"].values() for g in (t["vulnerability"], t["resilience"])]
    groups[group]["indicators"][0].update(change)
    if block is not None:
        groups[group]["weights"] = block
    path = folder / "assessment_bad.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def _assess_problems(rules: Path) -> list[str]:
    table = assess.illustrative_table("jiawang")
    with inputs_unchanged(rules.parent), pytest.raises(AssessmentError) as failed:
        assess.assess(table, rules)
    return [str(p) for p in failed.value.problems]


@outcome("problem")
def test_direct_weights_that_do_not_sum_to_1(tmp_path: Path) -> None:
    problems = _assess_problems(_jiawang_with(tmp_path, 1, {"weight": 0.5}))
    assert len(problems) == 1
    assert "assessment_bad.yaml" in problems[0] and "targets.social.resilience" in problems[0]
    assert "sum to 1.303" in problems[0] and "within 0.02" in problems[0]


@outcome("problem")
def test_direct_weights_and_ahp_both_given(tmp_path: Path) -> None:
    ahp = {"matrix": [[1] * 5 for _ in range(5)], "ri": "saaty1980", "source": "test"}
    problems = _assess_problems(_jiawang_with(tmp_path, 0, {}, {"ahp": ahp}))
    assert len(problems) == 1
    assert "targets.social.vulnerability" in problems[0]
    assert "give a `weight` but the group derives its weights" in problems[0]


@outcome("problem")
def test_negative_direct_weight(tmp_path: Path) -> None:
    problems = _assess_problems(_jiawang_with(tmp_path, 3, {"weight": -0.257}))
    assert len(problems) == 1
    assert "targets.ecological.resilience.indicators.0.weight" in problems[0]
    assert "greater than 0" in problems[0]


@outcome("problem")
def test_direct_weight_missing_on_one_indicator(tmp_path: Path) -> None:
    problems = _assess_problems(_jiawang_with(tmp_path, 2, {"weight": None}))
    assert len(problems) == 1 and "['subsided_area_per_person'] have no `weight`" in problems[0]


@outcome("warning")
def test_published_weights_rounded_off_1(tmp_path: Path, caplog) -> None:
    rules = _jiawang_with(tmp_path, 1, {"weight": 0.207})  # social resilience sums to 1.01
    with inputs_unchanged(tmp_path), caplog.at_level(logging.WARNING, logger="zoning.assess"):
        found = assess.assess(assess.illustrative_table("jiawang"), rules)
    warned = [r.getMessage() for r in caplog.records if "weights entered sum to" in r.message]
    assert len(warned) == 3  # the two groups as printed, and this one
    assert any("social.resilience: the 5 weights entered sum to 1.01" in m for m in warned)
    resilience = found.weights[found.weights["criterion"] == "resilience"]
    assert resilience["combined_weight"].sum() == pytest.approx(2.0)
