"""Modes stage: safety, market, restoration mode and measures, value mode, strategy, earthwork.

The decision tables of ``rules/modes.yaml`` run in order (see
:class:`~zoning.rules.models.ModesRules`), each seeing the columns of the ones before.
Parcels given the earthwork mode (dig-deep-fill-shallow, 挖深垫浅) get an earth balance:
pond and field areas such that cut equals fill (:mod:`zoning.earthwork`).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from zoning import columns as col
from zoning.decision import Output, Table, evaluate
from zoning.earthwork import COLUMNS as EARTHWORK_COLUMNS
from zoning.earthwork import NO_CELLS, NO_GROUNDWATER, earth_balance
from zoning.errors import ZoningError
from zoning.layers import Grid, LayerSet
from zoning.layers.load import GROUNDWATER
from zoning.rules.models import ModesRules
from zoning.rules.ruleset import ExpressionSite, RuleSet
from zoning.stage import Stage

_OUTPUTS = {
    "safety_rules": [Output(col.SAFETY_RISK, col.SAFETY_RULE, col.SAFETY_REASON)],
    "market_rules": [Output(col.MARKET_ACCESS, col.MARKET_RULE, col.MARKET_REASON)],
    "rules": [Output(col.RESTORATION_MODE, col.MODE_RULE, col.MODE_REASON)],
    "value_rules": [Output(col.VALUE_MODE, col.VALUE_RULE, col.VALUE_REASON)],
    "strategy_rules": [Output(col.STRATEGY, col.STRATEGY_RULE, col.STRATEGY_REASON),
                       Output(col.MONITORING, col.MONITORING_RULE, col.MONITORING_REASON)],
}
"""The tables in the order they run, and what each assigns."""


def tables(rules: RuleSet) -> list[Table]:
    """The modes tables in order; each sees the columns of the tables before it."""
    model = rules.get("modes", ModesRules)
    out: list[Table] = []
    seen: tuple[str, ...] = ()
    for key, outputs in _OUTPUTS.items():
        table = Table("modes", key, getattr(model, key), outputs, seen)
        out.append(table)
        seen = (*seen, *table.columns())
    return out


def columns(rules: RuleSet) -> list[str]:
    """Columns the modes stage adds."""
    names = [c for t in tables(rules) for c in t.columns()]
    at = names.index(col.MODE_REASON) + 1
    return [*names[:at], col.MEASURES, *names[at:], *EARTHWORK_COLUMNS]


def sites(rules: RuleSet) -> list[ExpressionSite]:
    """Conditions of every table."""
    return [s for t in tables(rules) for s in t.sites()]


def _check_monitoring(out: pd.DataFrame, parcels: pd.DataFrame, rules: RuleSet) -> None:
    """Ground that is not stable must not be left without a monitoring requirement."""
    moving = ~parcels[col.STABLE].fillna(True).astype(bool)
    bare = moving & (out[col.MONITORING] == col.NO_MONITORING)
    if bare.any():
        ids = list(out.index[bare][:3])
        rule = out.loc[bare, col.MONITORING_RULE].iloc[0]
        raise ZoningError(
            f"{rules.path('modes')}: {int(bare.sum())} parcel(s) on ground that is not stable "
            f"(e.g. {ids}) get monitoring 'none' from rule {rule!r}; unstable ground is never "
            "given a final use without monitoring: add an earlier strategy rule with "
            "`when: \"not stable\"` that assigns a monitoring requirement")


def run(parcels: gpd.GeoDataFrame, rules: RuleSet, layers: LayerSet) -> pd.DataFrame:
    """Assign every table's outputs with rule ids and reasons; measures; earth balance."""
    model = rules.get("modes", ModesRules)
    seen = pd.DataFrame(parcels.drop(columns=parcels.geometry.name))  # conditions need no shapes
    out = pd.DataFrame(index=parcels.index)
    for table in tables(rules):
        assigned = evaluate(table, seen, rules)
        out = out.join(assigned)
        seen = seen.join(assigned)
    measures = {name: ";".join(mode.measures) for name, mode in model.restoration_modes.items()}
    out[col.MEASURES] = out[col.RESTORATION_MODE].map(measures)
    _check_monitoring(out, parcels, rules)
    mask = (out[col.RESTORATION_MODE] == model.earthwork.mode).to_numpy()
    return out.join(_earthwork(parcels, layers, model, mask))[columns(rules)]


def _earthwork(parcels: gpd.GeoDataFrame, layers: LayerSet, model: ModesRules,
               mask: np.ndarray) -> pd.DataFrame:
    """Earth balance of the masked parcels on the run's subsidence grid and water table."""
    groundwater = layers.grids.get(GROUNDWATER, layers.groundwater_m)
    subsidence = layers.grids.get("subsidence")
    if groundwater is None or subsidence is None:
        out = pd.DataFrame(np.nan, index=parcels.index, columns=list(EARTHWORK_COLUMNS))
        status = NO_GROUNDWATER if subsidence is not None else NO_CELLS
        out[col.EARTHWORK_STATUS] = pd.Series(status, index=parcels.index).where(mask)
        return out
    work = model.earthwork
    sunk = Grid(np.maximum(subsidence.values, 0.0), subsidence.transform, subsidence.crs)
    return earth_balance(parcels.geometry, sunk, groundwater,  # uplift noise is no subsidence
                         field_height_m=work.field_height_m.value,
                         pond_depth_m=work.pond_depth_m.value,
                         bulking=work.bulking.value if work.bulking else 1.0, mask=mask)


STAGE = Stage(name="modes", run=run, columns=columns, sites=sites)
