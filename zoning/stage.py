"""What a pipeline stage is.

A stage is a plain function of (parcels, rules, layers) returning a DataFrame of new
columns indexed like the parcels, plus what validation needs to know about it before
anything runs: the columns it adds (declared with their labels and meaning, see
:mod:`zoning.declare`), what it makes and uses, and the expressions it will evaluate.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field

import geopandas as gpd
import pandas as pd

from zoning.declare import Column, Product
from zoning.errors import Problem
from zoning.layers import LayerSet
from zoning.layers.grid import Grid
from zoning.rules.ruleset import ExpressionSite, RuleSet


@dataclass
class StageOutput:
    """What a stage returns when it makes more than columns.

    Attributes
    ----------
    columns
        New columns indexed like the parcels.
    grids
        Rasters to write with the outputs (``<name>.tif``), e.g. subsidence and strain.
    layers
        Vector layers to write into the GeoPackage and show on the map.
    tables
        Tables for the report and as ``<name>.csv`` (e.g. weights, sensitivity).
    """

    columns: pd.DataFrame
    grids: dict[str, Grid] = field(default_factory=dict)
    layers: dict[str, gpd.GeoDataFrame] = field(default_factory=dict)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)


StageFunction = Callable[[gpd.GeoDataFrame, RuleSet, LayerSet], pd.DataFrame | StageOutput]


def _no_sites(rules: RuleSet) -> list[ExpressionSite]:
    return []


def _no_problems(parcels: gpd.GeoDataFrame, rules: RuleSet, layers: LayerSet) -> list[Problem]:
    return []


def _no_products(rules: RuleSet) -> list[Product]:
    return []


def _no_layers(parcels: gpd.GeoDataFrame, rules: RuleSet) -> dict[str, gpd.GeoDataFrame]:
    return {}


@dataclass(frozen=True)
class Stage:
    """A pipeline stage.

    Attributes
    ----------
    name
        Short name used in logs, timings and the manifest.
    run
        ``run(parcels, rules, layers)`` → new columns indexed like ``parcels``, or a
        :class:`StageOutput` with grids and layers as well.
    declares
        ``declares(rules)`` → the columns ``run`` adds, in order, known before running
        (:class:`~zoning.declare.Column`: kind of value, unit, labels, meaning, categories).
    sites
        ``sites(rules)`` → the rule expressions the stage evaluates (checked up front
        against the columns available before the stage).
    check
        ``check(parcels, rules, layers)`` → data problems found before running.
    layers
        ``layers(parcels, rules)`` → output layers derived from the finished parcel table.
    makes
        ``makes(rules)`` → the grids, layers and tables the stage makes, with their titles.
    uses_grids, uses_layers
        Grids (made by an earlier stage, or project rasters) and input layer roles (or
        layers made by an earlier stage) the stage needs; checked before the run.
    optional_grids
        Grids the stage uses when they are there, and does without otherwise (not checked).
    """

    name: str
    run: StageFunction
    declares: Callable[[RuleSet], list[Column]]
    sites: Callable[[RuleSet], list[ExpressionSite]] = _no_sites
    check: Callable[[gpd.GeoDataFrame, RuleSet, LayerSet], list[Problem]] = _no_problems
    layers: Callable[[gpd.GeoDataFrame, RuleSet], dict[str, gpd.GeoDataFrame]] = _no_layers
    makes: Callable[[RuleSet], list[Product]] = _no_products
    uses_grids: tuple[str, ...] = ()
    uses_layers: tuple[str, ...] = ()
    optional_grids: tuple[str, ...] = ()

    def columns(self, rules: RuleSet) -> list[str]:
        """Names of the columns ``run`` adds, in order (from :attr:`declares`)."""
        return [c.name for c in self.declares(rules)]


def handoff_problems(stages: Sequence[Stage], rules: RuleSet, grids: Collection[str],
                     layers: Collection[str]) -> list[Problem]:
    """Grids and layers each stage uses that nothing before it gives.

    ``grids`` are the project's rasters (and groundwater raster), ``layers`` its input layer
    roles; a stage's products are there for the stages after it. The grids a stage declares
    optional (:attr:`Stage.optional_grids`) are not checked: it does without them.
    """
    problems: list[Problem] = []
    have_grids, have_layers = set(grids), set(layers)
    for stage in stages:
        for name in stage.uses_grids:
            if name not in have_grids:
                problems.append(Problem(
                    f"stage {stage.name}", f"uses the grid {name!r}, which no stage before it "
                    f"makes and the project does not give (grids there: "
                    f"{sorted(have_grids) or 'none'}); add the raster {name!r} to the project's "
                    f"`rasters:` or run a stage that makes it before {stage.name!r}"))
        for name in stage.uses_layers:
            if name not in have_layers:
                problems.append(Problem(
                    f"stage {stage.name}", f"uses the layer {name!r}, which no stage before it "
                    f"makes and the project does not give (layers there: "
                    f"{sorted(have_layers) or 'none'}); add `layers.{name}` to the project or "
                    f"run a stage that makes it before {stage.name!r}"))
        made = stage.makes(rules)
        have_grids |= {p.name for p in made if p.kind == "grid"}
        have_layers |= {p.name for p in made if p.kind == "layer"}
    return problems
