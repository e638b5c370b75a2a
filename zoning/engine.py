"""The run: validate everything up front, run the stages in order, write the outputs whole.

Examples
--------
>>> from zoning.engine import prepare
>>> prepared = prepare()            # the embedded demo project
>>> len(prepared.layers.parcels) > 1000
True
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import geopandas as gpd
import pandas as pd
from tqdm import tqdm

from zoning import (
    assess,
    damage,
    derive,
    mineplan,
    modes,
    rasterstats,
    split,
    suitability,
    units,
    valuation,
    zones,
)
from zoning._resources import demo_project
from zoning.assess import Assessment
from zoning.corridors import stage as corridors_stage
from zoning.errors import Problem, ValidationFailed, ZoningError
from zoning.layers import LayerSet, load_layers
from zoning.layers.grid import Grid
from zoning.project import AssessmentInput, Project, load_project
from zoning.reduction import stage as reduction_stage
from zoning.rulefields import engine_kinds, field_problems, field_uses, input_kinds
from zoning.rules.ruleset import ExpressionSite, RuleSet, load_rules
from zoning.stage import Stage, StageOutput, handoff_problems
from zoning.subsidence import stage as subsidence_stage
from zoning.topology import TABLE as TOPOLOGY_TABLE
from zoning.topology import TopologyReport, check_topology, measure

logger = logging.getLogger(__name__)

STAGES: tuple[Stage, ...] = (derive.STAGE, rasterstats.STAGE, subsidence_stage.STAGE,
                             damage.STAGE, corridors_stage.STAGE, suitability.STAGE,
                             reduction_stage.STAGE, modes.STAGE, zones.STAGE, units.STAGE,
                             valuation.STAGE, mineplan.STAGE)
"""The pipeline, in order. A new capability is a new stage module added here."""
SPLIT_COLUMNS = tuple(c.name for c in split.DECLARED)
"""Columns every parcel gets before the stages (:mod:`zoning.split`)."""


@dataclass
class Prepared:
    """A validated project: its file, rules and layers, ready to run."""

    project: Project
    project_path: Path
    rules: RuleSet
    layers: LayerSet
    assessment: Assessment | None = None
    """The project's social-ecological assessment, when it names one (computed here: it is
    a few milliseconds, and its checks belong with the project's)."""
    topology: TopologyReport | None = None
    """Overlaps and gaps of the parcel layer (:mod:`zoning.topology`), checked here and
    written with the outputs (layers ``qc_overlaps``, ``qc_gaps``, table ``qc_topology``)."""
    stages: tuple[Stage, ...] = STAGES
    """The pipeline of this project: :data:`STAGES` with the raster statistics of its own
    rasters (:func:`stages_for`)."""


@dataclass
class RunResult:
    """What a run produced, before (or after) it is written.

    Attributes
    ----------
    parcels
        The parcel table with every column of every stage, indexed by ``parcel_id``.
    layers
        Output layers by name (``zones``, and the input layers worth showing).
    grids
        Output rasters by name (``subsidence``, ``tilt``, ...).
    tables
        Output tables by name (``suitability_weights``, ``suitability_sensitivity``, ...).
    timings
        Seconds per stage.
    """

    prepared: Prepared
    parcels: gpd.GeoDataFrame
    layers: dict[str, gpd.GeoDataFrame] = field(default_factory=dict)
    grids: dict[str, Grid] = field(default_factory=dict)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)


def prepare(project_path: Path | str | None = None) -> Prepared:
    """Load and validate a project; the demo project when no path is given.

    Raises
    ------
    ValidationFailed
        With every problem in the project file, the rule files and the layers.
    """
    path = Path(project_path) if project_path is not None else demo_project()
    project = load_project(path)
    stages = stages_for(project)
    problems: list[Problem] = []
    rules = layers = None
    try:
        rules = load_rules(project.rule_paths())
    except ValidationFailed as exc:
        problems += exc.problems
    try:
        layers = load_layers(project)
    except ValidationFailed as exc:
        problems += exc.problems
    found = None
    if layers is not None:
        found = measure(layers.parcels, project.qc)
        problems += check_topology(found, project.qc, layers.sources["parcels"], layers.notes,
                                   path)
        problems += split.check(project.split, layers)
    if rules is not None:
        input_columns = [] if layers is None else [*layers.parcels.columns, *SPLIT_COLUMNS]
        problems += _check_stages(rules, layers, input_columns, stages)
        others = [c for s in stages if s.name != rasterstats.NAME for c in s.columns(rules)]
        problems += rasterstats.clashes(project.rasters, others)
    assessment = None
    if project.assessment is not None:
        try:
            assessment = _assessment(project, project.assessment)
        except ValidationFailed as exc:
            problems += exc.problems
    if problems or rules is None or layers is None:
        raise ValidationFailed(problems)
    layers.parcels, split_problems = split.apply(
        project.split, _rename_clashes(layers, rules, stages), rules, layers)
    if split_problems:
        raise ValidationFailed(split_problems)
    return Prepared(project, path, rules, layers, assessment, found, stages)


def stages_for(project: Project) -> tuple[Stage, ...]:
    """:data:`STAGES` with the raster-statistics stage of the project's own rasters."""
    own = rasterstats.stage(project.rasters)
    return tuple(own if s is rasterstats.STAGE else s for s in STAGES)


def _assessment(project: Project, spec: AssessmentInput) -> Assessment:
    """Assess the table the project names, with its rules or the shipped ones."""
    rules: Path | str | None = spec.rules
    if spec.rules is not None and spec.rules not in assess.RULE_SETS:
        rules = project.resolve(spec.rules)
    return assess.assess(project.resolve(spec.table), rules)


def _check_stages(
    rules: RuleSet, layers: LayerSet | None, input_columns: list[str],
    stages: Sequence[Stage] = STAGES,
) -> list[Problem]:
    """Check every stage's hand-offs and expressions against what is there before it.

    Every grid and layer a stage uses must be given by the project or made by a stage
    before it (:func:`~zoning.stage.handoff_problems`). Names and kinds of value: the parcel
    layer's field dtypes and the kinds the stages declare for their columns; then the values
    of the input fields the rules use. Missing values of fields only the reduction rules on
    eligible parcels use are counted by the reduction stage among those parcels (eligibility
    needs the engine's columns).
    """
    problems: list[Problem] = []
    available = {c for c in input_columns if c != "geometry"}
    declared = [c for stage in stages for c in stage.declares(rules)]
    produced = {c.name for c in declared}
    inputs = available - produced  # fields named like engine columns are renamed
    kinds = {**(input_kinds(layers.parcels) if layers is not None else {}),
             **engine_kinds([*split.DECLARED, *declared])}
    if layers is not None:
        problems += handoff_problems(stages, rules, layers.grids,
                                     ["parcels", *layers.vectors])
    scoped = reduction_stage.eligible_sites(rules) if reduction_stage.STAGE in stages else []
    everywhere: list[ExpressionSite] = []
    for stage in stages:
        sites = stage.sites(rules)
        problems += rules.check_expressions(sites, available, kinds)
        everywhere += [s for s in sites if s not in scoped]
        if layers is not None:
            problems += stage.check(layers.parcels, rules, layers)
        available |= set(stage.columns(rules))
    if layers is not None:
        uses = field_uses(rules, everywhere, inputs)
        on_eligible = field_uses(rules, scoped, inputs)
        later = on_eligible.keys() - uses.keys()
        for name, where in on_eligible.items():
            uses.setdefault(name, []).extend(where)
        problems += field_problems(layers.parcels, uses, layers.sources.get("parcels", "parcels"),
                                   later=later)
    return problems


def _rename_clashes(layers: LayerSet, rules: RuleSet,
                    stages: Sequence[Stage] = STAGES) -> gpd.GeoDataFrame:
    """Input fields named like engine columns are kept under ``<name>_input``."""
    produced = {*SPLIT_COLUMNS, *(c for stage in stages for c in stage.columns(rules))}
    clashes = {c: f"{c}_input" for c in layers.parcels.columns if c in produced}
    for name, new in clashes.items():
        layers.notes.append(f"parcels: input field {name!r} renamed {new!r} (engine column)")
    return layers.parcels.rename(columns=clashes)


def run_stages(prepared: Prepared, *, progress: bool = True,
               stages: Sequence[Stage] | None = None) -> RunResult:
    """Run the stages on the prepared project and return the finished parcel table.

    ``stages`` default to the project's own pipeline (``prepared.stages``). Grids a stage
    makes (the subsidence surface, say) are handed to the later stages in ``layers.grids``,
    over any input raster of the same name; the prepared layers themselves are not changed.
    """
    parcels = prepared.layers.parcels
    timings: dict[str, float] = {}
    grids: dict[str, Grid] = {}
    layers: dict[str, gpd.GeoDataFrame] = {}
    tables: dict[str, pd.DataFrame] = {}
    stages = prepared.stages if stages is None else stages
    for stage in tqdm(stages, desc="stages", unit="stage", disable=not progress):
        start = time.perf_counter()
        seen = replace(prepared.layers, grids={**prepared.layers.grids, **grids})
        output = stage.run(parcels, prepared.rules, seen)
        if isinstance(output, StageOutput):
            grids.update(output.grids)
            layers.update(output.layers)
            tables.update(output.tables)
            output = output.columns
        added = output
        expected = stage.columns(prepared.rules)
        if list(added.columns) != expected or not added.index.equals(parcels.index):
            raise ZoningError(f"stage {stage.name!r} returned columns {list(added.columns)}, "
                              f"expected {expected} indexed like the parcels")
        parcels = parcels.join(added).copy()  # one block per dtype: many joins fragment it
        timings[stage.name] = time.perf_counter() - start
        logger.info("stage %s: %d columns in %.2f s", stage.name, len(expected),
                    timings[stage.name])
    result = RunResult(prepared, parcels, layers=layers, grids=grids, tables=tables,
                       timings=timings)
    start = time.perf_counter()
    for stage in stages:
        result.layers.update(stage.layers(parcels, prepared.rules))
    for role, frame in prepared.layers.vectors.items():
        result.layers.setdefault(role, frame)
    if prepared.topology is not None:
        result.layers.update(prepared.topology.layers())
        result.tables[TOPOLOGY_TABLE] = prepared.topology.summary()
    timings["layers"] = time.perf_counter() - start
    return result
