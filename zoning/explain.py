"""Explain one parcel: the values it was judged on and every rule tried, in order."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from zoning import columns as col
from zoning import damage, modes, zones
from zoning.decision import Step, trace
from zoning.engine import RunResult, prepare, run_stages
from zoning.errors import ZoningError, did_you_mean
from zoning.rules.models import SuitabilityRules
from zoning.rules.ruleset import RuleSet
from zoning.suitability import WEIGHTS_TABLE
from zoning.suitability.scoring import GRADES, value_site, veto_cap

_SHOWN = (col.LANDUSE_CODE, col.LANDUSE_NAME_ZH, col.LAND_CLASS, col.AREA_HA, col.SUBS_MAX_M,
          col.SUBS_MEAN_M, col.GW_AFTER_M, col.PONDED_SHARE, col.GANGUE_SHARE, col.DIST_ROAD_M,
          col.DIST_TOWN_M, col.MINE_ID, col.MINE_STAGE, col.STABLE, col.EARTHWORK_STATUS,
          col.POND_AREA_HA, col.FIELD_AREA_HA, col.EARTH_VOLUME_M3, col.IS_SOURCE,
          col.IN_CORRIDOR, col.CORRIDOR_LEVEL, col.NODE_TYPE, col.REDUCE_CANDIDATE,
          col.REDUCE_TRIGGERS, col.REDUCE_SCORE, col.REDUCE_INDICATORS, col.REDUCE_SELECTED,
          col.REDUCE_REASON, col.REDUCE_TARGET_USE)


@dataclass(frozen=True)
class FactorTrace:
    """One suitability factor of one parcel: its value, score, weight and veto."""

    factor: str
    value: Any
    score: float
    weight: float
    cap: str | None
    """The class the factor's veto caps the use at, if a veto holds."""


@dataclass(frozen=True)
class UseTrace:
    """One use of one parcel: index, class, limiting factors and every factor."""

    use: str
    index: float
    grade: str
    limit: str
    factors: list[FactorTrace]

    def lines(self) -> list[str]:
        """The use and its factors, one per line."""
        out = [f"  {self.use}: {self.grade} (index {_fmt(self.index)})"
               + (f", limited by {self.limit}" if self.limit else "")]
        for f in self.factors:
            veto = f"  veto → at best {f.cap}" if f.cap else ""
            out.append(f"     {f.factor} = {_fmt(f.value)}: score {_fmt(f.score)} × weight "
                       f"{f.weight:.3f}{veto}")
        return out


def _suitability(row: pd.DataFrame, rules: RuleSet, weights: pd.DataFrame) -> list[UseTrace]:
    """Each use of a one-row parcel table, with the weights the run used."""
    model = rules.get("suitability", SuitabilityRules)
    traces = []
    for use, spec in model.uses.items():
        used = weights[weights["use"] == use].set_index("factor")["weight"]
        factors = []
        for i, f in enumerate(spec.factors):
            cap = int(veto_cap(use, i, f, row, rules)[0])
            factors.append(FactorTrace(
                f.id, rules.expression(value_site(use, i, f)).evaluate(row).iloc[0],
                float(row[col.suit_factor(use, f.id)].iloc[0]), float(used[f.id]),
                GRADES[cap] if cap else None))
        traces.append(UseTrace(use, float(row[col.suit_score(use)].iloc[0]),
                               row[col.suit_class(use)].iloc[0],
                               row[col.suit_limit(use)].iloc[0], factors))
    return traces


@dataclass
class Explanation:
    """Why one parcel got its damage grade, suitability, modes and zone."""

    parcel_id: str
    values: dict[str, Any]
    damage: damage.Trace | None = None
    """Every damage factor of the parcel with the grade it gives, and the results."""
    steps: list[Step] = field(default_factory=list)
    suitability: list[UseTrace] = field(default_factory=list)
    """Every use's index, class and factors."""

    def to_text(self) -> str:
        """A readable report, one rule per line; ``*`` marks the rule that decided."""
        lines = [f"parcel {self.parcel_id}"]
        lines += [f"  {k} = {_fmt(v)}" for k, v in self.values.items()]
        if self.damage is not None:
            lines += _damage_lines(self.damage)
        lines.append("suitability (index sum of weighted scores, capped by vetoes):")
        for use in self.suitability:
            lines += use.lines()
        table = ""
        for step in self.steps:
            if step.table != table:
                table = step.table
                lines.append(f"{table}:")
            mark = "*" if step.applied else ("+" if step.matched else " ")
            values = ", ".join(f"{k}={_fmt(v)}" for k, v in step.values.items())
            assigned = ", ".join(f"{k}={v}" for k, v in step.assign.items())
            why = f"  ({step.reason})" if step.applied else ""
            lines.append(f" {mark} {step.rule_id}: {'matched' if step.matched else 'no'} "
                         f"[{values}] -> {assigned}{why}")
        lines.append("(* decided; + matched but an earlier rule had decided)")
        return "\n".join(lines)


def _damage_lines(trace: damage.Trace) -> list[str]:
    """The damage grading: each factor's value and grade; ``*`` marks the one that decided."""
    result = trace.result
    lines = ["damage (worst factor decides; at a limit the milder grade):"]
    for table, applies in (("land", trace.land_applies), ("buildings", trace.buildings_apply)):
        lines.append(f"  {table} table: {'applies' if applies else 'does not apply'}")
        for f in (f for f in trace.factors if f.table == table):
            if f.grade is None:
                lines.append(f"     {f.column}: missing, skipped")
            else:
                mark = "*" if f.decided else " "
                lines.append(f"   {mark} {f.column} = {_fmt(f.value)}{f.unit} {f.band}: {f.grade}")
    building = result[col.BUILDING_GRADE]
    lines.append(f"  {col.DAMAGE_GRADE} = {result[col.DAMAGE_GRADE]} "
                 f"(by {result[col.DAMAGE_FACTOR]}: {result[col.DAMAGE_REASON]})")
    lines.append(f"  {col.BUILDING_GRADE} = "
                 + (f"{building} (by {result[col.BUILDING_FACTOR]})" if building is not None
                    else "missing (no deformation value, or not construction land)"))
    return lines


def _fmt(value: Any) -> str:
    if isinstance(value, float | np.floating):
        return "missing" if np.isnan(value) else f"{value:.3g}"
    return str(value)


def explain(parcel_id: str, project_path: Path | str | None = None,
            result: RunResult | None = None) -> Explanation:
    """Explain the assignments of one parcel (runs the stages unless ``result`` is given).

    Raises
    ------
    ZoningError
        If no parcel has that id.
    """
    if result is None:
        result = run_stages(prepare(project_path), progress=False)
    parcels, rules = result.parcels, result.prepared.rules
    if parcel_id not in parcels.index:
        sample = [str(i) for i in parcels.index[:5]]
        hint = did_you_mean(parcel_id, parcels.index.astype(str))
        raise ZoningError(f"no parcel with id {parcel_id!r}{hint}; ids look like {sample}")
    row = parcels.loc[[parcel_id]]
    out = Explanation(parcel_id, {k: row[k].iloc[0] for k in _SHOWN if k in row})
    out.suitability = _suitability(row, rules, result.tables[WEIGHTS_TABLE])
    out.damage = damage.trace(row, rules)
    for table in [*modes.tables(rules), zones.table(rules)]:
        out.steps += trace(table, row, rules)
    return out
