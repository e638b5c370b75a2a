"""Bad-input catalogue: a pipeline whose stage uses a grid nothing gives.

A stage declares the grids it uses; before anything runs the engine checks that each is a
project raster or made by a stage before it. A stage added to the pipeline that needs a grid
the project lacks is one validation problem naming the stage and the grid.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from _bad import inputs_unchanged, outcome

from zoning import engine
from zoning.declare import Column
from zoning.engine import STAGES, prepare
from zoning.errors import ValidationFailed
from zoning.rules.ruleset import RuleSet
from zoning.stage import Stage


def _toy() -> Stage:
    """One categorical column (the zones' categories) computed on a grid nobody makes."""
    def run(parcels, rules, layers):
        return pd.DataFrame({"toy_class": "a"}, index=parcels.index)

    def declares(rules: RuleSet) -> list[Column]:
        return [Column("toy_class", "category", "玩具", "Toy", "a toy class",
                       categories="zones.zones")]

    return Stage(name="toy", run=run, declares=declares, uses_grids=("toy_surface",))


@outcome("problem")
def test_a_grid_nobody_makes_is_a_validation_problem(tiny_project: Path, monkeypatch):
    monkeypatch.setattr(engine, "stages_for", lambda project: (*STAGES, _toy()))
    with inputs_unchanged(tiny_project.parent), pytest.raises(ValidationFailed) as failed:
        prepare(tiny_project)
    assert [p.where for p in failed.value.problems] == ["stage toy"]
    message = failed.value.problems[0].message
    assert "uses the grid 'toy_surface'" in message
    assert "`rasters:`" in message and "before 'toy'" in message
