"""Modes stage: safety, market, restoration mode and measures, rights, value mode, strategy.

The decision tables of ``rules/modes.yaml`` run in order (see
:class:`~zoning.rules.models.ModesRules`), each seeing the columns of the ones before and the
file's named ``thresholds``. Parcels given the earthwork mode (dig-deep-fill-shallow, 挖深垫浅)
get an earth balance right after the restoration table: pond and field areas such that cut
equals fill (:mod:`zoning.earthwork`); the rights table may use them for the area of the
rights it records (``rights_area_ha``). Two outcomes are refused whatever the rules say: ground
that is not stable left without monitoring, and a parcel at ``high`` safety risk given a
market-led value mode (Wang et al. 2026, Acta Ecologica Sinica: the safety baseline comes
before every other mode).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from zoning import columns as col
from zoning.decision import Output, Table, evaluate
from zoning.decision import fired as decision_fired
from zoning.declare import Column, decided, fixed
from zoning.earthwork import COLUMNS as EARTHWORK_COLUMNS
from zoning.earthwork import DECLARED as EARTHWORK_DECLARED
from zoning.earthwork import NO_CELLS, NO_GROUNDWATER, earth_balance
from zoning.errors import ZoningError
from zoning.layers import Grid, LayerSet
from zoning.layers.load import GROUNDWATER
from zoning.rules.models import ModesRules, RightsRule
from zoning.rules.ruleset import ExpressionSite, RuleSet
from zoning.stage import Stage
from zoning.subsidence.stage import SUBSIDENCE_GRID

_OUTPUTS = {
    "safety_rules": [Output(col.SAFETY_RISK, col.SAFETY_RULE, col.SAFETY_REASON)],
    "market_rules": [Output(col.MARKET_ACCESS, col.MARKET_RULE, col.MARKET_REASON)],
    "rules": [Output(col.RESTORATION_MODE, col.MODE_RULE, col.MODE_REASON)],
    "rights_rules": [Output(col.RIGHTS_KIND, col.RIGHTS_RULE, col.RIGHTS_REASON)],
    "value_rules": [Output(col.VALUE_MODE, col.VALUE_RULE, col.VALUE_REASON)],
    "strategy_rules": [Output(col.STRATEGY, col.STRATEGY_RULE, col.STRATEGY_REASON),
                       Output(col.MONITORING, col.MONITORING_RULE, col.MONITORING_REASON)],
}
"""The tables in the order they run, and what each assigns."""

_DECIDED: dict[str, tuple[str, str, str, str]] = {
    col.SAFETY_RISK: ("安全风险", "Safety risk", "high, medium or low", "safety_levels"),
    col.MARKET_ACCESS: ("市场条件", "Market access", "good, fair or poor", "market_levels"),
    col.RESTORATION_MODE: ("修复模式", "Restoration mode", "restoration mode",
                           "restoration_modes"),
    col.RIGHTS_KIND: ("新增权益类型", "Rights kind",
                      "right the restoration creates: linked_quota (增减挂钩), balance_credit "
                      "(占补平衡), carbon_sink or none", "rights_kinds"),
    col.VALUE_MODE: ("价值实现模式", "Value mode", "value-realization mode", "value_modes"),
    col.STRATEGY: ("修复策略", "Strategy", "restoration strategy from the mine's stage and type",
                   "strategies"),
    col.MONITORING: ("监测要求", "Monitoring", "monitoring requirement", "monitoring"),
}
"""Labels, meaning and categories (of ``rules/modes.yaml``) of each table's output."""

_AFTER: dict[str, tuple[Column, ...]] = {
    "rules": (Column(col.MEASURES, "text", "修复措施", "Measures",
                     "measures of the restoration mode"), *EARTHWORK_DECLARED),
    "rights_rules": (Column(col.RIGHTS_AREA_HA, "float", "新增权益面积", "Rights area",
                            "area of that right on the parcel; 0 with none"),),
}
"""Columns computed right after a table, which the later tables see."""


def tables(rules: RuleSet) -> list[Table]:
    """The modes tables in order; each sees the columns of the tables before it.

    The reasons quote the thresholds with their values (``{min_share}`` → ``30%``).
    """
    model = rules.get("modes", ModesRules)
    constants = {name: t.value for name, t in model.thresholds.items()}
    out: list[Table] = []
    seen: tuple[str, ...] = ()
    for key, outputs in _OUTPUTS.items():
        stated = [r.model_copy(update={"reason": model.reason(r)}) for r in getattr(model, key)]
        table = Table("modes", key, stated, outputs, seen, constants)
        out.append(table)
        seen = (*seen, *table.columns(), *(c.name for c in _AFTER.get(key, ())))
    return out


def _declared() -> tuple[Column, ...]:
    out: list[Column] = []
    for key, outputs in _OUTPUTS.items():
        for o in outputs:
            zh, en, meaning, categories = _DECIDED[o.column]
            out += decided(o.column, o.rule_column, o.reason_column, zh, en, meaning,
                           categories=f"modes.{categories}")
        out += _AFTER.get(key, ())
    return tuple(out)


DECLARED = _declared()
"""The modes columns in order: each table's outputs, then the columns computed after it."""



def _area_sites(table: Table) -> list[ExpressionSite]:
    """The ``area`` expressions of the rights rules."""
    sees = (*table.sees, *table.constants)
    return [ExpressionSite("modes", (table.key, i, "area"),
                           r.area if isinstance(r, RightsRule) else "0", sees)
            for i, r in enumerate(table.rules)]


def sites(rules: RuleSet) -> list[ExpressionSite]:
    """Conditions of every table, and the area expressions of the rights rules."""
    found = [s for t in tables(rules) for s in t.sites()]
    rights = next(t for t in tables(rules) if t.key == "rights_rules")
    return [*found, *_area_sites(rights)]


def fired(parcels: pd.DataFrame, rules: RuleSet) -> pd.DataFrame:
    """Every rule of the modes tables that decided some parcel (:func:`zoning.decision.fired`)."""
    return decision_fired(parcels, tables(rules))


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


def _check_safety_first(out: pd.DataFrame, rules: RuleSet) -> None:
    """No parcel at high safety risk may get a market-led value mode."""
    model = rules.get("modes", ModesRules)
    bad = (out[col.SAFETY_RISK] == "high") & out[col.VALUE_MODE].isin(
        model.market_led_value_modes)
    if bad.any():
        ids = list(out.index[bad][:3])
        found = sorted(set(out.loc[bad, col.VALUE_RULE]))
        raise ZoningError(
            f"{rules.path('modes')}: {int(bad.sum())} parcel(s) at high safety risk (e.g. "
            f"{ids}) get a market-led value mode ({model.market_led_value_modes}) from value "
            f"rule(s) {found}; the safety baseline comes first: put a value rule with "
            "`when: \"safety_risk == 'high'\"` assigning a mode that is not market-led before them")


def _rights_area(table: Table, seen: pd.DataFrame, rules: RuleSet) -> pd.Series:
    """Area (ha) of the right each parcel got, by the ``area`` of the rule that assigned it."""
    frame = table.frame(seen)
    area = pd.Series(0.0, index=seen.index, name=col.RIGHTS_AREA_HA)
    for rule, site in zip(table.rules, _area_sites(table), strict=True):
        take = (seen[col.RIGHTS_RULE] == rule.id).to_numpy()
        if take.any():
            values = rules.expression(site).evaluate(frame[take])
            area[take] = pd.to_numeric(values, errors="coerce").fillna(0.0).to_numpy()
    return area


def run(parcels: gpd.GeoDataFrame, rules: RuleSet, layers: LayerSet) -> pd.DataFrame:
    """Assign every table's outputs with rule ids and reasons; measures; earth balance; rights."""
    model = rules.get("modes", ModesRules)
    seen = pd.DataFrame(parcels.drop(columns=parcels.geometry.name))  # conditions need no shapes
    out = pd.DataFrame(index=parcels.index)
    for table in tables(rules):
        assigned = evaluate(table, seen, rules)
        if table.key == "rules":
            measures = {name: ";".join(m.measures) for name, m in model.restoration_modes.items()}
            assigned[col.MEASURES] = assigned[col.RESTORATION_MODE].map(measures)
            mask = (assigned[col.RESTORATION_MODE] == model.earthwork.mode).to_numpy()
            assigned = assigned.join(_earthwork(parcels, layers, model, mask))
        if table.key == "rights_rules":
            assigned[col.RIGHTS_AREA_HA] = _rights_area(table, seen.join(assigned), rules)
        seen = seen.join(assigned)  # joins, not inserts: the wide table stays consolidated
        out = out.join(assigned)
    _check_monitoring(out, parcels, rules)
    _check_safety_first(out, rules)
    return out[STAGE.columns(rules)]


def _earthwork(parcels: gpd.GeoDataFrame, layers: LayerSet, model: ModesRules,
               mask: np.ndarray) -> pd.DataFrame:
    """Earth balance of the masked parcels on the run's subsidence grid and water table."""
    groundwater = layers.grids.get(GROUNDWATER, layers.groundwater_m)
    subsidence = layers.grids.get(SUBSIDENCE_GRID)
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


STAGE = Stage(name="modes", run=run, declares=fixed(DECLARED), sites=sites,
              optional_grids=(SUBSIDENCE_GRID, GROUNDWATER))
