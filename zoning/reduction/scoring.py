"""Reduction score: hard triggers and the weighted soft indicators of eligible parcels.

Each indicator's value (an expression) is scored in [0, 1] by a transform, 1 being the
strongest case for retiring the parcel; the score is ``Σ w_i·s_i / Σ w_i`` over the
indicators with a value. The weights are derived as in suitability (direct, AHP, entropy,
combined), then multiplied by the city type's ``weight_multipliers`` and renormalised.
Indicators marked ``optional`` whose fields the project lacks are left out, and an AHP
matrix is reduced to the indicators kept.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd

from zoning import columns as col
from zoning.errors import did_you_mean
from zoning.rules.models import Preset, ReductionRules, Weighting
from zoning.rules.models import ReductionIndicator as Indicator
from zoning.rules.ruleset import ExpressionSite, RuleSet
from zoning.suitability.scoring import (
    derive_weights,
    factor_score,
    joined_names,
    weighted_index,
)

logger = logging.getLogger(__name__)

KIND = "reduction"
SEES = (col.CITY_TYPE,)
"""Columns the reduction rules may name besides those before the stage: the city type."""


@dataclass(frozen=True)
class Scored:
    """Scores of the eligible parcels.

    Attributes
    ----------
    score
        Reduction score per parcel (NaN where no indicator has a value).
    scores
        Indicator scores, one column per kept indicator.
    ids
        The kept indicators, in rule-file order.
    weights
        Their weights (summing to 1) after the city type's multipliers.
    method
        How the weights were derived.
    left_out
        Indicators left out, with why.
    """

    score: np.ndarray
    scores: np.ndarray
    ids: list[str]
    weights: np.ndarray
    method: str
    left_out: dict[str, str]


def indicator_site(i: int, indicator: Indicator) -> ExpressionSite:
    """Where indicator ``i`` states its value."""
    return ExpressionSite(KIND, ("score", "indicators", i, "value"), indicator.value,
                          SEES, optional=indicator.optional)


def trigger_sites(model: ReductionRules) -> list[ExpressionSite]:
    """Where each trigger states its condition."""
    return [ExpressionSite(KIND, ("triggers", i, "when"), t.when, SEES)
            for i, t in enumerate(model.triggers)]


def triggers(parcels: pd.DataFrame, rules: RuleSet) -> pd.Series:
    """Ids of the triggers holding on each parcel, comma-separated ('' where none)."""
    model = rules.get(KIND, ReductionRules)
    held = [rules.expression(site).evaluate_condition(parcels).to_numpy(dtype=bool)
            for site in trigger_sites(model)]
    if not held:
        return pd.Series("", index=parcels.index)
    chosen = np.where(np.column_stack(held), np.arange(len(held)), -1)
    return pd.Series(joined_names(chosen, [t.id for t in model.triggers]), index=parcels.index)


def _kept(model: ReductionRules, parcels: pd.DataFrame,
          rules: RuleSet) -> tuple[list[int], dict[str, str]]:
    kept, left_out = [], {}
    for i, indicator in enumerate(model.score.indicators):
        absent = sorted(rules.expression(indicator_site(i, indicator)).names
                        - set(parcels.columns))
        if absent:
            hint = did_you_mean(absent[0], [str(c) for c in parcels.columns])
            left_out[indicator.id] = f"no field {', '.join(absent)}{hint}"
            logger.warning("reduction: indicator %s left out: the parcels have no field %s%s",
                           indicator.id, ", ".join(absent), hint)
        else:
            kept.append(i)
    return kept, left_out


def _sub_weighting(weighting: Weighting | None, kept: list[int]) -> Weighting | None:
    """The weighting restricted to the kept indicators (an AHP matrix to its sub-matrix)."""
    if weighting is None or weighting.ahp is None:
        return weighting
    matrix = [[weighting.ahp.matrix[i][j] for j in kept] for i in kept]
    return weighting.model_copy(update={"ahp": weighting.ahp.model_copy(update={"matrix": matrix})})


def score(parcels: pd.DataFrame, rules: RuleSet, preset: Preset) -> Scored:
    """Indicator scores, weights and the reduction score of ``parcels`` (the eligible ones)."""
    model = rules.get(KIND, ReductionRules)
    kept, left_out = _kept(model, parcels, rules)
    indicators = [model.score.indicators[i] for i in kept]
    ids = [f.id for f in indicators]
    if not kept:
        return Scored(np.full(len(parcels), np.nan), np.empty((len(parcels), 0)), [],
                      np.empty(0), "none", left_out)
    scores = np.column_stack([factor_score(indicator_site(i, f), f, parcels, rules)
                              for i, f in zip(kept, indicators, strict=True)])
    derived = derive_weights(_sub_weighting(model.score.weights, kept),
                             [float(f.weight or 0.0) for f in indicators], scores)
    multiplied = derived.values * np.array([preset.weight_multipliers.get(i, 1.0) for i in ids])
    w = multiplied / multiplied.sum()
    return Scored(weighted_index(scores, w), scores, ids, w, derived.method, left_out)


def top_indicators(scored: Scored, top_k: int) -> list[str]:
    """The ``top_k`` indicators contributing most (w·s > 0) to each parcel's score."""
    if not scored.ids:
        return [""] * len(scored.score)
    contribution = np.nan_to_num(scored.scores * scored.weights)
    order = np.argsort(-contribution, axis=1, kind="stable")[:, :top_k]
    positive = np.take_along_axis(contribution, order, axis=1) > 0
    return joined_names(np.where(positive, order, -1), scored.ids)


def weights_table(scored: Scored, model: ReductionRules, preset: Preset) -> pd.DataFrame:
    """One row per indicator: its weight, the city type's multiplier, or why it was left out."""
    rows = []
    for indicator in model.score.indicators:
        multiplier = preset.weight_multipliers.get(indicator.id, 1.0)
        if indicator.id in scored.ids:
            w = float(scored.weights[scored.ids.index(indicator.id)])
            rows.append({"indicator": indicator.id, "weight": w, "multiplier": multiplier,
                         "method": scored.method, "left_out": ""})
        else:
            rows.append({"indicator": indicator.id, "weight": 0.0, "multiplier": multiplier,
                         "method": "", "left_out": scored.left_out[indicator.id]})
    return pd.DataFrame(rows)
