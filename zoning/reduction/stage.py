"""Reduction stage: candidates, triggers, score, quota selection, target use and release.

Adds ``city_type`` (first, so that the reduction rules and every later stage may name it),
``reduce_candidate``, ``reduce_triggers``, ``reduce_score``, ``reduce_indicators``,
``reduce_selected``, ``reduce_reason`` and the target use (``reduce_target_use`` with its
rule and reason); writes the ``reduction`` layer (the retired parcels) and the tables
``reduction_summary``, ``reduction_release``, ``reduction_weights`` and ``city_strategy``.
"""

from __future__ import annotations

import logging

import geopandas as gpd
import numpy as np
import pandas as pd
from libpysal.weights import Queen

from zoning import columns as col
from zoning.decision import FIRED_COLUMNS, Output, Table, evaluate
from zoning.declare import Column, Product, decided, fixed
from zoning.errors import ReductionError
from zoning.layers import LayerSet
from zoning.reduction._quota import Selection, select, target_from
from zoning.reduction.citytype import (
    STRATEGY_TABLE,
    check,
    city_preset,
    held,
    naming_city_type,
    strategy_table,
)
from zoning.reduction.scoring import (
    KIND,
    SEES,
    indicator_site,
    score,
    top_indicators,
    trigger_sites,
    triggers,
    weights_table,
)
from zoning.rulefields import field_uses, missing_warning
from zoning.rules.models import ReductionRules
from zoning.rules.ruleset import ExpressionSite, RuleSet
from zoning.stage import Stage, StageOutput

logger = logging.getLogger(__name__)

SUMMARY_TABLE = "reduction_summary"
RELEASE_TABLE = "reduction_release"
WEIGHTS_TABLE = "reduction_weights"
LAYER = "reduction"
_TARGET = Output(col.REDUCE_TARGET_USE, col.REDUCE_TARGET_RULE, col.REDUCE_TARGET_REASON)
DECLARED: tuple[Column, ...] = (
    Column(col.CITY_TYPE, "text", "资源型城市类型", "City type",
           "resource-based city type in force (growing, mature, declining, regenerating), "
           "the same on every parcel"),
    Column(col.REDUCE_CANDIDATE, "boolean", "减量候选", "Reduction candidate",
           "eligible construction land not locked out"),
    Column(col.REDUCE_TRIGGERS, "text", "减量触发条件", "Reduction triggers",
           "hard triggers that hold on the parcel, comma-separated (empty: none)"),
    Column(col.REDUCE_SCORE, "float", "减量得分", "Reduction score",
           "0-1, 1 the strongest case for retiring; missing off candidates"),
    Column(col.REDUCE_INDICATORS, "text", "减量主要指标", "Reduction indicators",
           "the indicators contributing most to the score, comma-separated"),
    Column(col.REDUCE_SELECTED, "boolean", "纳入减量", "Retired",
           "retired within the reduction quota"),
    Column(col.REDUCE_REASON, "text", "减量理由", "Reduction reason",
           "why it is retired: locked_in, triggered: <ids> or score <s>: <indicators>"),
    *decided(_TARGET.column, _TARGET.rule_column, _TARGET.reason_column, "减量后用途",
             "Use after retirement", "target use of retired land; missing when not retired",
             categories="reduction.target_uses"),
)
"""The reduction columns, in order (``city_type`` first: later rules may name it)."""
COLUMNS = [c.name for c in DECLARED]


def target_use_table(model: ReductionRules) -> Table:
    """The ``target_use_rules`` decision table (what retired land becomes)."""
    return Table(KIND, "target_use_rules", model.target_use_rules, [_TARGET], SEES)


def fired_triggers(parcels: pd.DataFrame, rules: RuleSet) -> pd.DataFrame:
    """Every trigger that held on some candidate parcel: parcels, area and source.

    Rows in the format of :func:`zoning.decision.fired` (table ``reduction.triggers``); a
    parcel on which two triggers hold counts under both.
    """
    model = rules.get(KIND, ReductionRules)
    named = parcels[col.REDUCE_TRIGGERS].fillna("").astype(str).str.split(",")
    rows = []
    for trigger in model.triggers:
        held = named.map(lambda ids, t=trigger.id: t in ids).to_numpy(dtype=bool)
        if held.any():
            rows.append({"table": f"{KIND}.triggers", "output": col.REDUCE_TRIGGERS,
                         "rule": trigger.id, "parcels": int(held.sum()),
                         col.AREA_HA: float(parcels.loc[held, col.AREA_HA].sum()),
                         "source": trigger.source})
    return pd.DataFrame(rows, columns=FIRED_COLUMNS)


def _lock_sites(model: ReductionRules) -> dict[str, ExpressionSite]:
    return {key: ExpressionSite(KIND, (key,), text, SEES) for key, text in
            (("eligible", model.eligible), ("locked_in", model.locked_in),
             ("locked_out", model.locked_out)) if text is not None}



def makes(rules: RuleSet) -> list[Product]:
    """The layer of the retired parcels and the reduction tables."""
    return [Product(LAYER, "layer", "减量图斑", "Retired parcels"),
            Product(SUMMARY_TABLE, "table", "减量汇总", "Reduction summary"),
            Product(RELEASE_TABLE, "table", "指标释放", "Quota release"),
            Product(WEIGHTS_TABLE, "table", "减量指标权重", "Reduction weights"),
            Product(STRATEGY_TABLE, "table", "城市类型策略", "City strategy")]


def sites(rules: RuleSet) -> list[ExpressionSite]:
    """Eligibility and locks, triggers, indicator values and target-use conditions."""
    model = rules.get(KIND, ReductionRules)
    return [*_lock_sites(model).values(), *trigger_sites(model),
            *(indicator_site(i, f) for i, f in enumerate(model.score.indicators)),
            *target_use_table(model).sites()]


def eligible_sites(rules: RuleSet) -> list[ExpressionSite]:
    """The expressions evaluated on eligible parcels only: every one but ``eligible``.

    Locks count too: they are combined with eligibility.
    """
    return [s for s in sites(rules) if s.key != ("eligible",)]


def _mask(parcels: pd.DataFrame, rules: RuleSet, site: ExpressionSite | None) -> np.ndarray:
    if site is None:
        return np.zeros(len(parcels), dtype=bool)
    return rules.expression(site).evaluate_condition(parcels).to_numpy(dtype=bool)


def _neighbours(parcels: gpd.GeoDataFrame) -> object:
    """Queen contiguity among the eligible parcels (sparse), for the isolation penalty."""
    weights = Queen.from_dataframe(parcels.reset_index(drop=True), use_index=False,
                                   silence_warnings=True)
    return weights.sparse


def _reasons(selection: Selection, fired: pd.Series, names: list[str],
             value: np.ndarray) -> np.ndarray:
    out = np.full(len(value), "", dtype=object)
    by = np.asarray(selection.reason, dtype=object)
    out[by == "locked_in"] = "locked_in"
    trig = by == "triggered"
    out[trig] = ["triggered: " + t for t in fired.to_numpy()[trig]]
    scored = by == "score"
    out[scored] = [f"score {v:.2f}: {n}" for v, n in
                   zip(value[scored], np.asarray(names, dtype=object)[scored], strict=True)]
    return out


def _release(selected: pd.DataFrame, model: ReductionRules) -> pd.DataFrame:
    spec = model.release
    counts = {"population": spec.population, "households": spec.households}
    present = {k: v for k, v in counts.items() if v is not None and v in selected.columns}
    rows = []
    groups = [g for g in spec.by if g in selected.columns]
    for by in [None, *groups]:
        grouped = selected.groupby(by) if by else [("all", selected)]
        for key, frame in grouped:
            row = {"by": by or "total", "group": key, "parcels": len(frame),
                   "area_ha": float(frame[col.AREA_HA].sum())}
            row.update({k: float(pd.to_numeric(frame[v], errors="coerce").sum())
                        for k, v in present.items()})
            rows.append(row)
    return pd.DataFrame(rows)


def run(parcels: gpd.GeoDataFrame, rules: RuleSet, layers: LayerSet) -> StageOutput:
    """Score the eligible land, fill the quota, give the retired parcels a target use."""
    model = rules.get(KIND, ReductionRules)
    city, strategy = city_preset(model, layers.city_type)
    parcels = parcels.assign(**{col.CITY_TYPE: city})
    sites_ = _lock_sites(model)
    eligible = _mask(parcels, rules, sites_["eligible"])
    locked_out = _mask(parcels, rules, sites_.get("locked_out")) & eligible
    locked_in = _mask(parcels, rules, sites_.get("locked_in")) & eligible
    target = model.target or strategy.target
    pool = parcels[eligible]
    fields = [c for c in layers.parcels.columns if c != layers.parcels.geometry.name]
    missing_warning(pool, field_uses(rules, eligible_sites(rules), fields),
                    layers.sources.get("parcels", "parcels"),
                    f"eligible parcel(s) of {rules.path(KIND).name}")
    fired = triggers(pool, rules)
    scored = score(pool, rules, strategy)
    area = pool[col.AREA_HA].to_numpy()
    penalty = model.selection.isolation_penalty
    try:
        target_ha = target_from(target.share, target.hectares, float(area.sum()))
        selection = select(
            area, np.nan_to_num(scored.score), target_ha, triggered=(fired != "").to_numpy(),
            locked_in=locked_in[eligible], locked_out=locked_out[eligible],
            neighbours=_neighbours(pool) if penalty > 0 and len(pool) > 1 else None,
            isolation_penalty=penalty, method=model.selection.method,
            time_limit_s=model.selection.time_limit_s,
            by_area=model.selection.objective == "area_weighted")
    except ReductionError as exc:
        raise ReductionError(f"{rules.path(KIND)} ({city} city): {exc}") from exc
    named = top_indicators(scored, model.score.top_k)
    out = pd.DataFrame({col.CITY_TYPE: parcels[col.CITY_TYPE]}, index=parcels.index)
    out[col.REDUCE_CANDIDATE] = eligible & ~locked_out
    out[col.REDUCE_TRIGGERS] = pd.Series(None, index=parcels.index, dtype=object)
    out.loc[eligible, col.REDUCE_TRIGGERS] = fired.to_numpy()
    out[col.REDUCE_SCORE] = np.nan
    out.loc[eligible, col.REDUCE_SCORE] = scored.score
    out[col.REDUCE_INDICATORS] = pd.Series(None, index=parcels.index, dtype=object)
    out.loc[eligible, col.REDUCE_INDICATORS] = named
    out[col.REDUCE_SELECTED] = False
    out.loc[eligible, col.REDUCE_SELECTED] = selection.selected
    out[col.REDUCE_REASON] = pd.Series(None, index=parcels.index, dtype=object)
    out.loc[eligible, col.REDUCE_REASON] = _reasons(selection, fired, named, scored.score)
    chosen = out[col.REDUCE_SELECTED].to_numpy(dtype=bool)
    target_use = evaluate(target_use_table(model), parcels[chosen], rules)
    for name in target_use.columns:
        out[name] = pd.Series(None, index=parcels.index, dtype=object)
        out.loc[chosen, name] = target_use[name]
    retired = gpd.GeoDataFrame(parcels[chosen].join(out.loc[chosen, COLUMNS[1:]]),
                               geometry=parcels.geometry.name)
    summary = pd.DataFrame([{
        "city_type": city, "target_ha": selection.target_ha, "reached_ha": selection.reached_ha,
        "overshoot_ha": selection.overshoot_ha, "eligible_ha": float(area.sum()),
        "triggered_ha": float(area[(fired != "").to_numpy()].sum()),
        "parcels": int(chosen.sum()), "total_score": selection.total_score,
        "fragments": selection.fragments, "method": selection.method,
        "optimal": selection.optimal, "status": selection.status,
        "city_triggers": held(naming_city_type(rules, trigger_sites(model),
                                               [t.id for t in model.triggers]), fired),
        "city_target_rules": held(naming_city_type(rules, target_use_table(model).sites(),
                                                   [r.id for r in model.target_use_rules]),
                                  out.loc[chosen, _TARGET.rule_column])}])
    logger.info("reduction (%s city): %.1f of %.1f ha retired (%s), %d parcels", city,
                selection.reached_ha, selection.target_ha, selection.method, int(chosen.sum()))
    layer = retired[[col.REDUCE_TARGET_USE, col.REDUCE_REASON, col.REDUCE_SCORE, col.AREA_HA,
                     col.LAND_CLASS, retired.geometry.name]].reset_index()
    tables = {SUMMARY_TABLE: summary, RELEASE_TABLE: _release(retired, model),
              WEIGHTS_TABLE: weights_table(scored, model, strategy),
              STRATEGY_TABLE: strategy_table(model, city, float(area.sum()))}
    return StageOutput(out[COLUMNS], layers={LAYER: layer}, tables=tables)


STAGE = Stage(name="reduction", run=run, declares=fixed(DECLARED), sites=sites, check=check,
              makes=makes)
