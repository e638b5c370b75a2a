"""Scoring one use: factor scores, weights, index sum, vetoes, classes and limiting factors.

For a use with factors ``i`` of weight ``w_i`` and score ``s_i`` in [0, 1]:

* the index is ``Σ w_i·s_i / Σ w_i`` over the factors with a value (a factor whose value
  is missing is left out when its ``missing`` is ``skip``, else scores ``missing``);
* the index class is the best class whose cut point the index reaches, else N;
* the use's class is the worse of the index class and the worst veto that holds
  (limiting-condition method): a parcel with one N veto is N whatever its sum;
* the obstacle degree of a factor is ``w_i·(1 − s_i) / Σ_j w_j·(1 − s_j)``; the limiting
  factors are the capping vetoes, then the factors of largest obstacle degree.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd

from zoning import columns as col
from zoning import transforms, weights
from zoning.rules.models import Factor, SuitabilityRules, Use, Weighting
from zoning.rules.ruleset import ExpressionSite, RuleSet

logger = logging.getLogger(__name__)

GRADES = col.SUIT_CLASSES  # S1 S2 S3 N, best first
_N = GRADES.index("N")


def value_site(use: str, i: int, factor: Factor) -> ExpressionSite:
    """Where factor ``i`` of ``use`` states its value expression."""
    return ExpressionSite("suitability", ("uses", use, "factors", i, "value"), factor.value)


def veto_sites(use: str, i: int, factor: Factor) -> list[ExpressionSite]:
    """Where factor ``i`` of ``use`` states its veto conditions."""
    return [ExpressionSite("suitability", ("uses", use, "factors", i, "veto", grade), text)
            for grade, text in factor.veto.items()]


def factor_score(site: ExpressionSite, factor: Factor, parcels: pd.DataFrame,
                 rules: RuleSet) -> np.ndarray:
    """Score in [0, 1] of ``factor`` (its value stated at ``site``) for every parcel.

    NaN where it is skipped (a missing value with ``missing: skip``).
    """
    value = rules.expression(site).evaluate(parcels)
    params = factor.score.params()
    raw = value.to_numpy(dtype=object) if factor.score.function == "categorical" else (
        value.to_numpy(dtype=float, na_value=np.nan))
    score = np.asarray(transforms.rescale(raw, factor.score.function, **params), dtype=float)
    if factor.missing != "skip":
        score = np.where(np.isnan(score), float(factor.missing), score)
    return score


def veto_cap(use: str, i: int, factor: Factor, parcels: pd.DataFrame,
             rules: RuleSet) -> np.ndarray:
    """Worst class index (0 = S1 … 3 = N) the factor's vetoes allow; 0 where none holds."""
    cap = np.zeros(len(parcels), dtype=int)
    for site in veto_sites(use, i, factor):
        held = rules.expression(site).evaluate_condition(parcels).to_numpy(dtype=bool)
        cap = np.where(held, np.maximum(cap, GRADES.index(str(site.key[-1]))), cap)
    return cap


@dataclass(frozen=True)
class UseWeights:
    """A use's factor weights and how they were obtained (for the weights table)."""

    values: np.ndarray
    method: str
    cr: float | None = None
    lambda_max: float | None = None


def use_weights(spec: Use, scores: np.ndarray) -> UseWeights:
    """The factor weights of a use: direct, AHP, entropy of the scores, or combined."""
    return derive_weights(spec.weights, spec.direct_weights(), scores)


def derive_weights(w: Weighting | None, direct: list[float], scores: np.ndarray) -> UseWeights:
    """Weights from a ``weights`` block (AHP, entropy of ``scores``, combined) or ``direct``."""
    if w is None:
        return UseWeights(np.asarray(weights.direct(direct)), "direct")
    ahp = entropy = None
    if w.ahp is not None:
        ahp = weights.ahp(w.ahp.matrix, ri=w.ahp.ri, method=w.ahp.method)
    if w.entropy is not None:
        complete = scores[~np.isnan(scores).any(axis=1)]
        entropy = weights.entropy(complete, normalisation=w.entropy.normalisation,
                                  directions=["+"] * scores.shape[1],
                                  shift=w.entropy.shift).weights
    cr = ahp.cr if ahp is not None else None
    lam = ahp.lambda_max if ahp is not None else None
    if ahp is not None and entropy is not None and w.combine is not None:
        combined = weights.combine(ahp.weights, entropy, rule=w.combine.rule,
                                   alpha=w.combine.alpha)
        return UseWeights(np.asarray(combined), f"ahp+entropy ({w.combine.rule})", cr, lam)
    if ahp is not None:
        return UseWeights(np.asarray(ahp.weights), f"ahp ({ahp.method})", cr, lam)
    return UseWeights(np.asarray(entropy), "entropy")


def weighted_index(scores: np.ndarray, w: np.ndarray) -> np.ndarray:
    """``Σ w_i·s_i / Σ w_i`` over the factors with a score; NaN where none has one."""
    present = ~np.isnan(scores)
    total = (np.where(present, w, 0.0)).sum(axis=1)
    summed = np.where(present, scores * w, 0.0).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, summed / total, np.nan)


def classify(index: np.ndarray, cap: np.ndarray, rules: SuitabilityRules) -> np.ndarray:
    """Class index (0 = S1 … 3 = N) from the cut points, capped by the vetoes."""
    grade = np.full(len(index), _N)
    level = np.round(index, 12)  # an index at a cut point is not pushed below it by rounding
    for g in ("S3", "S2", "S1"):  # better classes overwrite
        grade[level >= rules.classes[g]] = GRADES.index(g)
    return np.maximum(grade, cap)


def limiting(scores: np.ndarray, w: np.ndarray, caps: np.ndarray, grade: np.ndarray,
             ids: list[str], top_k: int) -> list[str]:
    """Capping vetoes, then the ``top_k`` factors of largest obstacle degree, per parcel.

    The vetoes that set the class come first (in factor order); the remaining places up to
    ``top_k`` go to the factors of largest obstacle degree among the ``top_k`` largest, if
    their obstacle is positive. Vectorised: each distinct choice is joined into text once.
    """
    n, k = scores.shape
    obstacle = np.where(np.isnan(scores), 0.0, w * (1.0 - scores))
    order = np.argsort(-obstacle, axis=1, kind="stable")
    rank = np.empty_like(order)
    np.put_along_axis(rank, order, np.arange(k)[None, :].repeat(n, axis=0), axis=1)
    capping = (caps == grade[:, None]) & (caps > 0)
    eligible = (rank < top_k) & (obstacle > 0) & ~capping
    room = np.maximum(top_k - capping.sum(axis=1), 0)
    place = np.take_along_axis(np.cumsum(np.take_along_axis(eligible, order, axis=1), axis=1),
                               rank, axis=1)  # 1-based place among the eligible, by rank
    ranked = eligible & (place <= room[:, None])
    priority = np.where(capping, np.arange(k)[None, :], np.where(ranked, k + rank, 2 * k))
    chosen = np.argsort(priority, axis=1, kind="stable")
    chosen = np.where(np.take_along_axis(priority, chosen, axis=1) < 2 * k, chosen, -1)
    return joined_names(chosen, ids)


def joined_names(chosen: np.ndarray, names: list[str]) -> list[str]:
    """Per row, the names at the row's indices (−1: none), comma-joined.

    Vectorised: each distinct row is joined into text once.

    Examples
    --------
    >>> joined_names(np.array([[1, -1], [0, 1], [1, -1]]), ["a", "b"])
    ['b', 'a,b', 'b']
    """
    if chosen.shape[1] == 0:
        return [""] * chosen.shape[0]
    distinct, which = np.unique(chosen, axis=0, return_inverse=True)
    labels = np.array(names)
    text = np.array([",".join(labels[row[row >= 0]]) for row in distinct], dtype=object)
    return list(text[which.ravel()])


def best_use(index: dict[str, np.ndarray], grade: dict[str, np.ndarray],
             order: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Best use and its class index: best class, then highest index, then ``order``."""
    ranks = np.column_stack([grade[u] for u in order]).astype(float)
    values = np.column_stack([np.nan_to_num(index[u], nan=-1.0) for u in order])
    key = ranks * 10.0 - values  # index in [0, 1], so the class dominates
    best = np.argmin(key, axis=1)  # first minimum: tie_break order
    return np.array(order)[best], ranks[np.arange(len(best)), best].astype(int)


@dataclass
class Scored:
    """Everything computed for one use."""

    scores: np.ndarray
    caps: np.ndarray
    weights: UseWeights
    index: np.ndarray
    grade: np.ndarray


def score_use(use: str, spec: Use, parcels: pd.DataFrame, rules: RuleSet) -> Scored:
    """Factor scores, vetoes, weights, index and class of ``use`` for every parcel."""
    model = rules.get("suitability", SuitabilityRules)
    scores = np.column_stack([factor_score(value_site(use, i, f), f, parcels, rules)
                              for i, f in enumerate(spec.factors)])
    caps = np.column_stack([veto_cap(use, i, f, parcels, rules)
                            for i, f in enumerate(spec.factors)])
    w = use_weights(spec, scores)
    index = weighted_index(scores, w.values)
    grade = classify(index, caps.max(axis=1), model)
    return Scored(scores, caps, w, index, grade)
