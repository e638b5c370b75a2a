"""What the rules expect of the parcel table's columns, checked before anything runs.

Two things: the kind of value (number, text, true/false) of every column an expression
may name, for the static type check of the rule expressions (:meth:`RuleSet.check_expressions
<zoning.rules.ruleset.RuleSet.check_expressions>`); and the values of the parcel layer's
own fields that the rules use as numbers: text among numbers and infinities are problems,
missing values a warning (the rules see them as missing).

Examples
--------
>>> from zoning.derive import DECLARED
>>> kinds = engine_kinds(DECLARED)
>>> kinds["land_class"], kinds["area_ha"], kinds["is_construction"]
('text', 'number', 'bool')
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterable, Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from zoning.declare import Column
from zoning.errors import Problem, ZoningError
from zoning.layers.checks import numbers, value_problems
from zoning.rules.expressions import StaticKind, column_kind
from zoning.rules.ruleset import ExpressionSite, RuleSet

logger = logging.getLogger(__name__)

MISSING_SEEN_AS = ("the rules see them as missing: a comparison with a missing value is false, "
                   "arithmetic on it gives a missing value, and a suitability or reduction "
                   "factor scores it with its `missing:` setting")
"""What the engine does with a missing value of a field the rules use (for the warning)."""


def engine_kinds(declared: Iterable[Column]) -> dict[str, StaticKind]:
    """The kind of value of the engine's own columns, as their stages declare them."""
    return {c.name: c.kind for c in declared}


def _numeric_share(column: pd.Series) -> float:
    """Share of the given (non-missing) values that read as numbers."""
    given = column.dropna()
    return float(np.isfinite(numbers(given)).mean()) if len(given) else 0.0


def mixed_numeric(column: pd.Series) -> bool:
    """A field of text or mixed values most of which are numbers, but not all."""
    if column_kind(column) == "number":
        return False
    share = _numeric_share(column)
    return 0.5 <= share < 1.0


def input_kinds(parcels: pd.DataFrame) -> dict[str, StaticKind]:
    """The kind of value of each field of the parcel layer.

    Numbers mixed with text are ``any``: :func:`field_problems` reports them with their rows.
    """
    return {str(name): "any" if mixed_numeric(parcels[name]) else column_kind(parcels[name])
            for name in parcels.columns if name != "geometry"}


def field_uses(rules: RuleSet, sites: Iterable[ExpressionSite],
               fields: Collection[str]) -> dict[str, list[str]]:
    """For each of ``fields`` the expressions at ``sites`` name, where they name it.

    Expressions that do not parse name nothing (their problem is reported elsewhere).
    """
    uses: dict[str, list[str]] = {}
    for site in sites:
        try:
            names = rules.expression(site).names
        except ZoningError:
            continue
        for name in sorted(names & set(fields)):
            uses.setdefault(name, []).append(rules.label(site))
    return uses


def _numeric(column: pd.Series) -> bool:
    return column_kind(column) == "number" or mixed_numeric(column)


def field_problems(parcels: pd.DataFrame, uses: Mapping[str, Sequence[str]],
                   source: Path | str, *, later: Collection[str] = ()) -> list[Problem]:
    """Values of the fields the rules use as numbers: text, infinity, missing values.

    Parameters
    ----------
    parcels
        The parcel layer as read, indexed by parcel id.
    uses
        For each field of the layer, where the rules name it (``file:line:col (rule)``).
    source
        The parcel layer's file, for the messages.
    later
        Fields whose missing values a stage counts when it runs, among the parcels its rules
        apply to (:func:`missing_warning`): only their text and infinities are checked here.
    """
    problems: list[Problem] = []
    for name, where in uses.items():
        column = parcels[name]
        if not _numeric(column):
            continue
        used_by = ", ".join(sorted(set(where))[:3])
        problems += value_problems(f"{source}:{name}", source, name, column, word="parcel",
                                   missing_ok=MISSING_SEEN_AS, used_by=used_by,
                                   count_missing=name not in later)
    return problems


def missing_warning(parcels: pd.DataFrame, uses: Mapping[str, Sequence[str]],
                    source: Path | str, scope: str) -> str | None:
    """Log one warning counting the missing values of the numeric fields in ``uses``.

    Parameters
    ----------
    parcels
        The parcels the rules apply to (e.g. the eligible ones of reduction), by parcel id.
    uses
        For each field of the parcel layer, where the rules name it.
    source
        The parcel layer's file, for the message.
    scope
        What ``parcels`` are (``"eligible parcel(s) of reduction.yaml"``).

    Returns
    -------
    str or None
        The warning, or None when no value is missing.
    """
    counts = []
    for name in uses:
        column = parcels[name]
        if not _numeric(column):
            continue
        missing = column.isna() | (column.astype(str).str.strip() == "")
        if missing.any():
            shown = ", ".join(str(v) for v in parcels.index[missing.to_numpy()][:3])
            counts.append(f"{name!r} {int(missing.sum())} (e.g. parcel {shown})")
    if not counts:
        return None
    text = (f"{source}: missing (NaN or empty) values among the {len(parcels)} {scope}: "
            f"{'; '.join(counts)}; {MISSING_SEEN_AS}")
    logger.warning(text)
    return text
