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

from zoning import assess, damage, derive, modes, suitability, units, valuation, zones
from zoning import columns as col
from zoning._resources import demo_project
from zoning.assess import Assessment
from zoning.corridors import stage as corridors_stage
from zoning.errors import Problem, ValidationFailed, ZoningError
from zoning.layers import LayerSet, load_layers
from zoning.layers.grid import Grid
from zoning.project import AssessmentInput, Project, load_project
from zoning.reduction import stage as reduction_stage
from zoning.rulefields import engine_kinds, field_problems, input_kinds
from zoning.rules.ruleset import ExpressionSite, RuleSet, load_rules
from zoning.stage import Stage, StageOutput
from zoning.subsidence import stage as subsidence_stage

logger = logging.getLogger(__name__)

STAGES: tuple[Stage, ...] = (derive.STAGE, subsidence_stage.STAGE, damage.STAGE,
                             corridors_stage.STAGE, suitability.STAGE, reduction_stage.STAGE,
                             modes.STAGE, zones.STAGE, units.STAGE, valuation.STAGE)
"""The pipeline, in order. A new capability is a new stage module added here."""


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
    if rules is not None:
        input_columns = [] if layers is None else list(layers.parcels.columns)
        problems += _check_stages(rules, layers, input_columns)
    assessment = None
    if project.assessment is not None:
        try:
            assessment = _assessment(project, project.assessment)
        except ValidationFailed as exc:
            problems += exc.problems
    if problems or rules is None or layers is None:
        raise ValidationFailed(problems)
    layers.parcels = _rename_clashes(layers, rules)
    return Prepared(project, path, rules, layers, assessment)


def _assessment(project: Project, spec: AssessmentInput) -> Assessment:
    """Assess the table the project names, with its rules or the shipped ones."""
    rules = project.resolve(spec.rules) if spec.rules is not None else None
    return assess.assess(project.resolve(spec.table), rules)


def _check_stages(
    rules: RuleSet, layers: LayerSet | None, input_columns: list[str]
) -> list[Problem]:
    """Check every stage's expressions against the columns available before it.

    Names and kinds of value: the parcel layer's field dtypes and the documented types of
    the engine's columns; then the values of the input fields the rules use.
    """
    problems: list[Problem] = []
    available = {c for c in input_columns if c != "geometry"}
    produced = {c for stage in STAGES for c in stage.columns(rules)}
    inputs = available - produced  # fields named like engine columns are renamed
    kinds = {**(input_kinds(layers.parcels) if layers is not None else {}),
             **engine_kinds(produced)}
    uses: dict[str, list[str]] = {}
    for stage in STAGES:
        sites = stage.sites(rules)
        problems += rules.check_expressions(sites, available, kinds)
        for site in sites:
            for name in _names(rules, site) & inputs:
                uses.setdefault(name, []).append(rules.label(site))
        if layers is not None and stage.check is not None:
            problems += stage.check(layers.parcels, rules, layers)
        available |= set(stage.columns(rules))
    if layers is not None:
        problems += field_problems(layers.parcels, uses, layers.sources.get("parcels", "parcels"))
    return problems


def _names(rules: RuleSet, site: ExpressionSite) -> frozenset[str]:
    """Columns the expression at ``site`` names (none when it does not parse)."""
    try:
        return rules.expression(site).names
    except ZoningError:
        return frozenset()


def _rename_clashes(layers: LayerSet, rules: RuleSet) -> gpd.GeoDataFrame:
    """Input fields named like engine columns are kept under ``<name>_input``."""
    produced = {c for stage in STAGES for c in stage.columns(rules)}
    clashes = {c: f"{c}_input" for c in layers.parcels.columns if c in produced}
    for name, new in clashes.items():
        layers.notes.append(f"parcels: input field {name!r} renamed {new!r} (engine column)")
    return layers.parcels.rename(columns=clashes)


def run_stages(prepared: Prepared, *, progress: bool = True,
               stages: Sequence[Stage] = STAGES) -> RunResult:
    """Run the stages on the prepared project and return the finished parcel table.

    Grids a stage makes (the subsidence surface, say) are handed to the later stages in
    ``layers.grids``, over any input raster of the same name; the prepared layers
    themselves are not changed.
    """
    parcels = prepared.layers.parcels
    timings: dict[str, float] = {}
    grids: dict[str, Grid] = {}
    layers: dict[str, gpd.GeoDataFrame] = {}
    tables: dict[str, pd.DataFrame] = {}
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
        parcels = parcels.join(added)
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
    timings["layers"] = time.perf_counter() - start
    return result


def mode_shares(parcels: pd.DataFrame) -> pd.DataFrame:
    """Parcels and area per restoration mode and value mode (for summaries)."""
    rows = []
    for column in (col.RESTORATION_MODE, col.VALUE_MODE, col.ZONE):
        grouped = parcels.groupby(column)[col.AREA_HA].agg(["size", "sum"])
        for key, (n, area) in grouped.iterrows():
            rows.append({"column": column, "value": key, "parcels": int(n), "area_ha": area})
    return pd.DataFrame(rows)
