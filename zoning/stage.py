"""What a pipeline stage is.

A stage is a plain function of (parcels, rules, layers) returning a DataFrame of new
columns indexed like the parcels, plus what validation needs to know about it before
anything runs: the columns it adds and the expressions it will evaluate.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import geopandas as gpd
import pandas as pd

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
    columns
        ``columns(rules)`` → names of the columns ``run`` adds, known before running.
    sites
        ``sites(rules)`` → the rule expressions the stage evaluates (checked up front
        against the columns available before the stage).
    check
        ``check(parcels, rules, layers)`` → data problems found before running.
    layers
        ``layers(parcels, rules)`` → output layers derived from the finished parcel table.
    """

    name: str
    run: StageFunction
    columns: Callable[[RuleSet], list[str]]
    sites: Callable[[RuleSet], list[ExpressionSite]] = _no_sites
    check: Callable[[gpd.GeoDataFrame, RuleSet, LayerSet], list[Problem]] = _no_problems
    layers: Callable[[gpd.GeoDataFrame, RuleSet], dict[str, gpd.GeoDataFrame]] = _no_layers
