"""Ordered decision tables: for each output, the first matching rule wins.

Used by the damage, modes and zones stages. Every assignment records the id of the rule
that made it and its reason, so a planner can see why a parcel got its value.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from zoning import columns as col
from zoning.errors import ZoningError
from zoning.rules.models import Rule
from zoning.rules.ruleset import ExpressionSite, RuleSet


@dataclass(frozen=True)
class Output:
    """An output column of a decision table and the columns recording rule id and reason."""

    column: str
    rule_column: str
    reason_column: str


@dataclass(frozen=True)
class Table:
    """A decision table of a rule file: its kind, key in the file, rules and outputs."""

    kind: str
    key: str
    rules: Sequence[Rule]
    outputs: Sequence[Output]
    sees: tuple[str, ...] = ()
    """Columns of an earlier table of the same stage that the conditions may use."""
    constants: Mapping[str, float] = field(default_factory=dict)
    """Named numbers of the rule file that the conditions use like columns."""

    def sites(self) -> list[ExpressionSite]:
        """Where the table's conditions stand, for validation."""
        sees = (*self.sees, *self.constants)
        return [ExpressionSite(self.kind, (self.key, i, "when"), r.when, sees)
                for i, r in enumerate(self.rules)]

    def frame(self, parcels: pd.DataFrame) -> pd.DataFrame:
        """``parcels`` with the constants as columns, for the conditions to read.

        Raises
        ------
        ZoningError
            If a constant has the name of a parcel column (the condition would be ambiguous).
        """
        clash = sorted(set(self.constants) & set(parcels.columns))
        if clash:
            raise ZoningError(f"{self.kind} rules: thresholds {clash} have the names of parcel "
                              "columns; rename them in `thresholds` and in the conditions")
        return parcels.assign(**self.constants) if self.constants else parcels

    def columns(self) -> list[str]:
        """Columns the table adds."""
        return [name for o in self.outputs for name in (o.column, o.rule_column, o.reason_column)]


FIRED_COLUMNS = ["table", "output", "rule", "parcels", col.AREA_HA, "source"]
"""Columns of :func:`fired`."""


def fired(parcels: pd.DataFrame, tables: Sequence[Table]) -> pd.DataFrame:
    """Every rule of ``tables`` that decided some parcel: parcels, area and source.

    One row per (table, output, rule) with ``table`` (``kind.key``), ``output``, ``rule``,
    ``parcels``, ``area_ha`` and ``source``, in the order of the tables and of their rules.
    Outputs whose rule column ``parcels`` lacks (a stage that did not run) are left out.
    """
    rows = []
    for table in tables:
        for output in table.outputs:
            if output.rule_column not in parcels.columns:
                continue
            decided = parcels.groupby(output.rule_column)[col.AREA_HA].agg(["size", "sum"])
            rows += [{"table": f"{table.kind}.{table.key}", "output": output.column,
                      "rule": r.id, "parcels": int(decided.at[r.id, "size"]),
                      col.AREA_HA: float(decided.at[r.id, "sum"]), "source": r.source}
                     for r in table.rules if r.id in decided.index]
    return pd.DataFrame(rows, columns=FIRED_COLUMNS)


def evaluate(table: Table, parcels: pd.DataFrame, rules: RuleSet) -> pd.DataFrame:
    """Apply ``table`` to ``parcels``; return its output columns indexed like ``parcels``.

    Raises
    ------
    ZoningError
        If some parcel matches no rule for an output (a table needs a final
        ``when: "true"`` rule).
    """
    out = pd.DataFrame(index=parcels.index)
    parcels = table.frame(parcels)
    for o in table.outputs:
        for name in (o.column, o.rule_column, o.reason_column):
            out[name] = pd.Series(None, index=parcels.index, dtype=object)
    for rule, site in zip(table.rules, table.sites(), strict=True):
        matched = rules.expression(site).evaluate_condition(parcels).to_numpy(dtype=bool)
        for o in table.outputs:
            if o.column not in rule.assign:
                continue
            take = matched & out[o.column].isna().to_numpy()
            out.loc[take, o.column] = rule.assign[o.column]
            out.loc[take, o.rule_column] = rule.id
            out.loc[take, o.reason_column] = rule.reason
    for o in table.outputs:
        unassigned = out[o.column].isna()
        if unassigned.any():
            raise ZoningError(
                f"{rules.path(table.kind)}: {int(unassigned.sum())} parcel(s) match no rule "
                f"assigning {o.column!r} (e.g. {list(out.index[unassigned][:3])}); add a last "
                "rule with `when: \"true\"`"
            )
    return out


@dataclass(frozen=True)
class Step:
    """One rule tried for one parcel: whether it matched, and the values it looked at."""

    table: str
    rule_id: str
    matched: bool
    applied: bool
    values: dict[str, Any]
    assign: dict[str, str]
    reason: str
    source: str = ""


def trace(table: Table, parcel: pd.DataFrame, rules: RuleSet) -> list[Step]:
    """Every rule of ``table`` in order for a one-row ``parcel`` table (for ``zoning explain``)."""
    steps: list[Step] = []
    parcel = table.frame(parcel)
    open_outputs = {o.column for o in table.outputs}
    for rule, site in zip(table.rules, table.sites(), strict=True):
        expr = rules.expression(site)
        matched = bool(expr.evaluate_condition(parcel).iloc[0])
        applied = matched and bool(open_outputs & set(rule.assign))
        if applied:
            open_outputs -= set(rule.assign)
        values = {name: parcel[name].iloc[0] for name in sorted(expr.names) if name in parcel}
        steps.append(Step(f"{table.kind}.{table.key}", rule.id, matched, applied, values,
                          dict(rule.assign), rule.reason, rule.source))
    return steps
