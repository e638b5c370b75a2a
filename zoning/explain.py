"""Explain one parcel: the values it was judged on and every rule tried, in order.

The chain runs as the stages do: damage grading, suitability, the modes tables, the zoning
table, the minimum mapping unit (the parcel's fragment, its neighbouring zones and the
shared boundaries, replayed on ``zone_before_mmu``), and the valuation (``after_rules`` of
``rules/esv.yaml``, then ESV and carbon before and after).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from zoning import columns as col
from zoning import damage, modes, valuation, zones
from zoning.decision import Step, trace
from zoning.engine import RunResult, prepare, run_stages
from zoning.errors import ZoningError, did_you_mean
from zoning.outputs.current import read_result, stale_reason
from zoning.reduction.stage import target_use_table
from zoning.rules.models import (
    CARBON_POOLS,
    UNCHANGED,
    CarbonRules,
    EsvRules,
    ReductionRules,
    SuitabilityRules,
    ZonesRules,
)
from zoning.rules.ruleset import RuleSet
from zoning.runner import output_destination
from zoning.suitability import WEIGHTS_TABLE
from zoning.suitability.scoring import GRADES, value_site, veto_cap

logger = logging.getLogger(__name__)

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
    source: str
    """Where the factor's scores and veto come from."""


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
            if f.cap:
                out.append(f"       source: {f.source}")
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
                GRADES[cap] if cap else None, f.source))
        traces.append(UseTrace(use, float(row[col.suit_score(use)].iloc[0]),
                               row[col.suit_class(use)].iloc[0],
                               row[col.suit_limit(use)].iloc[0], factors))
    return traces


@dataclass(frozen=True)
class MmuTrace:
    """The minimum-mapping-unit step of one parcel: the table's zone, the final one, and why."""

    zone_before: str
    zone: str
    min_mapping_unit_ha: float
    rounds: list[zones.MmuRound]
    """What happened to the parcel's fragment, round by round (:func:`zoning.zones.mmu_trace`)."""

    def lines(self) -> list[str]:
        """The step, one line per round of the parcel's fragment."""
        mmu = self.min_mapping_unit_ha
        head = (f"minimum mapping unit ({mmu:g} ha): {col.ZONE_BEFORE_MMU} = {self.zone_before}"
                f" -> {col.ZONE} = {self.zone}")
        if mmu <= 0:
            return [head, "  no minimum mapping unit: the table's zone stands"]
        out = [head]
        for r in self.rounds:
            fragment = (f"  round {r.round}: fragment of {r.parcels} parcel(s), {r.area_ha:.2f} ha,"
                        f" zone {r.zone}")
            if r.exempt:
                out.append(f"{fragment}: {r.zone} is in mmu_exempt, never merged away")
            elif not r.small:
                out.append(f"{fragment} >= {mmu:g} ha: kept")
            elif not r.neighbours:
                out.append(f"{fragment} < {mmu:g} ha, but an island (no neighbouring zone "
                           "shares a boundary): kept")
            else:
                shared = ", ".join(f"{z} {m:.0f} m" for z, m in r.neighbours.items())
                out.append(f"{fragment} < {mmu:g} ha; shared boundary with {shared}")
                if r.waiting:
                    out.append("     waits: it touches a smaller fragment below the unit, "
                               "which merges first")
                elif r.merged_into is not None:
                    out.append(f"   * merged into {r.merged_into} (longest shared boundary "
                               f"{r.neighbours[r.merged_into]:.0f} m)")
        return out


@dataclass(frozen=True)
class ValuationTrace:
    """The valuation step of one parcel: land class after, ESV and carbon before and after."""

    land_class: str
    land_class_after: str
    rule: str
    reason: str
    ecosystems: tuple[str | None, str | None]
    """Ecosystem of the equivalent table each land class counts as (before, after)."""
    equivalents: tuple[float, float]
    """Sum of the equivalents per hectare over the services (before, after)."""
    equivalent_value_yuan_ha: float
    area_ha: float
    esv_yuan: tuple[float, float]
    densities: tuple[dict[str, float], dict[str, float]]
    """Carbon density per pool (t C/ha), before and after."""
    carbon_t: tuple[float, float]

    def lines(self) -> list[str]:
        """The step's numbers, one per line."""
        out = [f"  {col.LAND_CLASS} {self.land_class} -> {col.LAND_CLASS_AFTER} "
               f"{self.land_class_after} (by {self.rule}: {self.reason})"]
        for when, k in (("before", 0), ("after", 1)):
            land_class = self.land_class if k == 0 else self.land_class_after
            ecosystem = self.ecosystems[k] or "none (no service value)"
            out.append(f"  ESV {when}: {land_class} counts as {ecosystem}: "
                       f"{self.equivalents[k]:.2f} equivalents/ha × "
                       f"{self.equivalent_value_yuan_ha:.2f} yuan × {self.area_ha:.3g} ha = "
                       f"{self.esv_yuan[k]:,.0f} yuan/yr")
        for when, k in (("before", 0), ("after", 1)):
            pools = " + ".join(f"{pool} {self.densities[k][pool]:g}" for pool in CARBON_POOLS)
            total = sum(self.densities[k].values())
            out.append(f"  carbon {when}: ({pools}) = {total:g} t C/ha × {self.area_ha:.3g} ha"
                       f" = {self.carbon_t[k]:,.1f} t C")
        out.append(f"  change: ESV {self.esv_yuan[1] - self.esv_yuan[0]:+,.0f} yuan/yr, "
                   f"carbon {self.carbon_t[1] - self.carbon_t[0]:+,.1f} t C")
        return out


def _mmu(parcels: pd.DataFrame, row: pd.DataFrame, rules: RuleSet,
         parcel_id: str) -> MmuTrace:
    model = rules.get("zones", ZonesRules)
    rounds = (zones.mmu_trace(parcels, rules, parcel_id)
              if model.min_mapping_unit_ha > 0 else [])
    return MmuTrace(row[col.ZONE_BEFORE_MMU].iloc[0], row[col.ZONE].iloc[0],
                    model.min_mapping_unit_ha, rounds)


def _valuation(row: pd.DataFrame, rules: RuleSet) -> ValuationTrace:
    esv = rules.get("esv", EsvRules)
    carbon = rules.get("carbon", CarbonRules).densities
    first = row.iloc[0]
    before, after = first[col.LAND_CLASS], first[col.LAND_CLASS_AFTER]
    rule = next(r for r in esv.after_rules if r.id == first[col.LAND_CLASS_AFTER_RULE])
    assigned = rule.assign[col.LAND_CLASS_AFTER]
    name = (f"{rule.id}, {UNCHANGED!r}: it keeps its land class" if assigned == UNCHANGED
            else rule.id)
    return ValuationTrace(
        before, after, name, first[col.LAND_CLASS_AFTER_REASON],
        (esv.land_classes.get(before), esv.land_classes.get(after)),
        (sum(esv.equivalents_per_ha(before).values()), sum(esv.equivalents_per_ha(after).values())),
        esv.equivalent_value_yuan_ha.value, float(first[col.AREA_HA]),
        (float(first[col.ESV_BEFORE_YUAN]), float(first[col.ESV_AFTER_YUAN])),
        tuple({pool: getattr(carbon[c], pool) for pool in CARBON_POOLS}  # type: ignore[arg-type]
              for c in (before, after)),
        (float(first[col.CARBON_BEFORE_T]), float(first[col.CARBON_AFTER_T])))


def _reduction(row: pd.DataFrame, rules: RuleSet) -> tuple[list[str], list[Step]]:
    """A candidate parcel's reduction: triggers fired (with sources), target-use rules tried."""
    first = row.iloc[0]
    if not bool(first.get(col.REDUCE_CANDIDATE, False)):
        return [], []
    model = rules.get("reduction", ReductionRules)
    fired = str(first[col.REDUCE_TRIGGERS] or "").split(",")
    selected = bool(first[col.REDUCE_SELECTED])
    lines = [f"reduction (rules/reduction.yaml, {first[col.CITY_TYPE]} city): "
             + ("retired" if selected else "kept")]
    for t in (t for t in model.triggers if t.id in fired):
        lines += [f"  trigger {t.id}: {t.when}", f"     source: {t.source}"]
    steps = trace(target_use_table(model), row, rules) if selected else []
    return lines, steps


def _unit(parcels: pd.DataFrame, row: pd.DataFrame, rules: RuleSet) -> str | None:
    """One line on the parcel's planning unit: its size and the spec it was drawn by."""
    spec = rules.get("zones", ZonesRules).planning_units
    if spec is None or col.PLANNING_UNIT not in row or pd.isna(row[col.PLANNING_UNIT].iloc[0]):
        return None
    unit = row[col.PLANNING_UNIT].iloc[0]
    members = parcels.loc[parcels[col.PLANNING_UNIT] == unit, col.AREA_HA]
    attributes = ", ".join(f"{k} × {w:g}" for k, w in spec.attributes.items()) or "none"
    return (f"planning unit: {unit}: {len(members)} parcel(s), {members.sum():.2f} ha "
            f"(zone pieces cut into units of about {spec.target_area_ha:g} ha by Ward "
            f"clustering of centroids and attributes {attributes}; units below "
            f"{spec.min_area_ha:g} ha merged into a neighbour of the same piece)")


@dataclass
class Explanation:
    """Why one parcel got its damage grade, suitability, modes, zone and values after."""

    parcel_id: str
    values: dict[str, Any]
    damage: damage.Trace | None = None
    """Every damage factor of the parcel with the grade it gives, and the results."""
    steps: list[Step] = field(default_factory=list)
    suitability: list[UseTrace] = field(default_factory=list)
    """Every use's index, class and factors."""
    mmu: MmuTrace | None = None
    """The minimum mapping unit's step: zone before and after, the fragment and its neighbours."""
    valuation_steps: list[Step] = field(default_factory=list)
    """Every ``after_rules`` rule of ``rules/esv.yaml`` tried, in order."""
    valuation: ValuationTrace | None = None
    """Land class after, ESV and carbon before and after."""
    unit: str | None = None
    """The planning unit and how it was drawn, when the zones rules make units."""
    reduction: list[str] = field(default_factory=list)
    """The reduction triggers that fired, with their sources."""

    def to_text(self) -> str:
        """A readable report, one rule per line; ``*`` marks the rule that decided."""
        lines = [f"parcel {self.parcel_id}"]
        lines += [f"  {k} = {_fmt(v)}" for k, v in self.values.items()]
        if self.damage is not None:
            lines += _damage_lines(self.damage)
        lines.append("suitability (index sum of weighted scores, capped by vetoes):")
        for use in self.suitability:
            lines += use.lines()
        lines += self.reduction
        lines += _step_lines(self.steps)
        if self.mmu is not None:
            lines += self.mmu.lines()
        if self.unit is not None:
            lines.append(self.unit)
        if self.valuation is not None:
            lines += _step_lines(self.valuation_steps)
            lines.append("valuation (equivalent factors, rules/esv.yaml; carbon pools, "
                         "rules/carbon.yaml):")
            lines += self.valuation.lines()
        lines.append("(* decided; + matched but an earlier rule had decided)")
        return "\n".join(lines)


def _step_lines(steps: list[Step]) -> list[str]:
    """Decision-table steps, grouped under their table's name."""
    lines: list[str] = []
    table = ""
    for step in steps:
        if step.table != table:
            table = step.table
            lines.append(f"{table}:")
        mark = "*" if step.applied else ("+" if step.matched else " ")
        values = ", ".join(f"{k}={_fmt(v)}" for k, v in step.values.items())
        assigned = ", ".join(f"{k}={v}" for k, v in step.assign.items())
        why = f"  ({step.reason})" if step.applied else ""
        lines.append(f" {mark} {step.rule_id}: {'matched' if step.matched else 'no'} "
                     f"[{values}] -> {assigned}{why}")
        if step.applied and step.source:
            lines.append(f"     source: {step.source}")
    return lines


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
    if trace.source:
        lines.append(f"     source: {trace.source}")
    lines.append(f"  {col.BUILDING_GRADE} = "
                 + (f"{building} (by {result[col.BUILDING_FACTOR]})" if building is not None
                    else "missing (no deformation value, or not construction land)"))
    return lines


def _fmt(value: Any) -> str:
    """A value as shown: missing (None, NaN, NA) as ``missing``, floats to 3 digits, no -0."""
    if value is None or value is pd.NA:
        return "missing"
    if isinstance(value, float | np.floating):
        return "missing" if np.isnan(value) else f"{value + 0.0:.3g}"
    return str(value)


def _known_id(parcel_id: str, ids: pd.Index) -> str:
    """``parcel_id`` as the table holds it (``6242406.0`` is ``6242406``), or an error."""
    if parcel_id in ids:
        return parcel_id
    as_float = pd.to_numeric(pd.Series([parcel_id]), errors="coerce").iloc[0]
    if pd.notna(as_float) and float(as_float).is_integer() and str(int(as_float)) in ids:
        return str(int(as_float))
    sample = [str(i) for i in ids[:5]]
    hint = did_you_mean(parcel_id, ids.astype(str))
    raise ZoningError(f"no parcel with id {parcel_id!r}{hint}; ids look like {sample}")


def explain(parcel_id: str, project_path: Path | str | None = None,
            result: RunResult | None = None, out_dir: Path | str | None = None) -> Explanation:
    """Explain the assignments of one parcel.

    Without ``result``, the project is validated and the parcel id checked first; then the
    parcel table is read from the last run's outputs (``<out_dir>/<name>/``, as
    :func:`zoning.run` writes them) when they are current (same project, inputs, rule files
    and zoning version; :func:`zoning.outputs.current.stale_reason`), and the stages are run
    again only when they are not.

    Raises
    ------
    ZoningError
        If no parcel has that id (with the closest ids).
    """
    if result is None:
        prepared = prepare(project_path)
        parcel_id = _known_id(parcel_id, prepared.layers.parcels.index)
        folder = output_destination(prepared, out_dir)
        reason = stale_reason(prepared, folder)
        if reason is None:
            logger.info("explaining from the outputs in %s (current)", folder)
            result = read_result(prepared, folder)
        else:
            logger.info("running the stages: the outputs in %s are not current (%s)",
                        folder, reason)
            result = run_stages(prepared, progress=False)
    parcels, rules = result.parcels, result.prepared.rules
    parcel_id = _known_id(parcel_id, parcels.index)
    row = parcels.loc[[parcel_id]]
    out = Explanation(parcel_id, {k: row[k].iloc[0] for k in _SHOWN if k in row})
    out.suitability = _suitability(row, rules, result.tables[WEIGHTS_TABLE])
    out.damage = damage.trace(row, rules)
    out.reduction, out.steps = _reduction(row, rules)
    for table in [*modes.tables(rules), zones.table(rules)]:
        out.steps += trace(table, row, rules)
    if col.ZONE_BEFORE_MMU in row:
        out.mmu = _mmu(parcels, row, rules, parcel_id)
    out.unit = _unit(parcels, row, rules)
    if col.LAND_CLASS_AFTER in row:
        out.valuation_steps = trace(valuation.table(rules), row, rules)
        out.valuation = _valuation(row, rules)
    return out
