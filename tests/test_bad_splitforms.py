"""Bad-input catalogue: ``split:`` settings and subsidence points under which nothing is cut.

A ``min_area_ha`` above every parcel's area, and positive depths under the points' default
InSAR sign (``down_negative``: they are uplift), are read and give the right result: the
parcels stay whole, and the subsidence stage counts the uplift as no subsidence.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from _bad import inputs_unchanged, outcome
from _split import BOTH, layers_with, with_split, write_points

from zoning import columns as col
from zoning.engine import prepare, run_stages
from zoning.subsidence.stage import STAGE as SUBSIDENCE


@outcome("correct")
def test_points_with_the_insar_sign_are_not_split_into_uplift(tiny_project: Path) -> None:
    """Positive depths under the default sign (down_negative) are uplift: no cut."""
    write_points(tiny_project.parent / "levelling.gpkg")
    with_split(tiny_project, BOTH, layers=layers_with(tiny_project, subsidence={
        "form": "points", "path": "levelling.gpkg", "depth_field": "W"}))
    with inputs_unchanged(tiny_project.parent):
        prepared = prepare(tiny_project)
        parcels = prepared.layers.parcels
        stage = run_stages(prepared, progress=False, stages=[SUBSIDENCE]).parcels
    assert parcels.index.tolist() == ["a", "b", "c"] and not parcels[col.SPLIT].any()
    # the stage counts the uplift as no subsidence too: all in the shallowest band
    shares = stage.filter(like=col.SUBS_SHARE_PREFIX)
    assert shares.iloc[:, 0].tolist() == [1.0, 1.0, 1.0] and shares.sum(axis=1).eq(1.0).all()


@outcome("correct")
def test_a_minimum_area_above_the_parcels_keeps_them_whole(tiny_project: Path) -> None:
    """Every piece under min_area_ha (even a whole parcel): the parcels stay, unsplit."""
    with_split(tiny_project, {"by": ["subsidence_bands", "ponding"], "min_area_ha": 5.0})
    with inputs_unchanged(tiny_project.parent):
        parcels = prepare(tiny_project).layers.parcels
    assert parcels.index.tolist() == ["a", "b", "c"]
    assert parcels[col.PARENT_ID].tolist() == ["a", "b", "c"] and not parcels[col.SPLIT].any()
    assert (parcels.geometry.area / 10_000).tolist() == pytest.approx([1.0, 1.0, 1.0])
