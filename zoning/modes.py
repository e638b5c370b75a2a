"""Modes stage: restoration mode, its measures, and value-realization mode of each parcel."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd

from zoning import columns as col
from zoning.decision import Output, Table, evaluate
from zoning.layers import LayerSet
from zoning.rules.models import ModesRules
from zoning.rules.ruleset import ExpressionSite, RuleSet
from zoning.stage import Stage

_RESTORATION = Output(col.RESTORATION_MODE, col.MODE_RULE, col.MODE_REASON)
_VALUE = Output(col.VALUE_MODE, col.VALUE_RULE, col.VALUE_REASON)
_VALUE_IF_ANY = Output(col.VALUE_MODE, col.VALUE_RULE, col.VALUE_REASON, required=False)
_RESTORATION_COLUMNS = [_RESTORATION.column, _RESTORATION.rule_column, _RESTORATION.reason_column]
_VALUE_COLUMNS = [_VALUE.column, _VALUE.rule_column, _VALUE.reason_column]


def tables(rules: RuleSet) -> list[Table]:
    """The restoration table (may also assign value modes), then the value table."""
    model = rules.get("modes", ModesRules)
    return [
        Table("modes", "rules", model.rules, [_RESTORATION, _VALUE_IF_ANY]),
        Table("modes", "value_rules", model.value_rules, [_VALUE], tuple(_RESTORATION_COLUMNS)),
    ]


def columns(rules: RuleSet) -> list[str]:
    """Columns the modes stage adds."""
    return [*_RESTORATION_COLUMNS, col.MEASURES, *_VALUE_COLUMNS]


def sites(rules: RuleSet) -> list[ExpressionSite]:
    """Conditions of both tables (value rules may use ``restoration_mode``)."""
    first, second = tables(rules)
    return first.sites() + second.sites()


def run(parcels: gpd.GeoDataFrame, rules: RuleSet, layers: LayerSet) -> pd.DataFrame:
    """Assign restoration and value modes, with rule ids, reasons and measures."""
    model = rules.get("modes", ModesRules)
    first, second = tables(rules)
    assigned = evaluate(first, parcels, rules)
    restoration = assigned[_RESTORATION_COLUMNS]
    value = evaluate(second, parcels.join(restoration), rules, given=assigned[_VALUE_COLUMNS])
    measures = {name: ";".join(mode.measures) for name, mode in model.restoration_modes.items()}
    out = restoration.copy()
    out[col.MEASURES] = restoration[col.RESTORATION_MODE].map(measures)
    return out.join(value)[columns(rules)]


STAGE = Stage(name="modes", run=run, columns=columns, sites=sites)
