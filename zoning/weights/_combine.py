"""Directly given weights, and combining two weight vectors (subjective and objective).

Weights handed to :func:`combine` must already be weights: non-negative and summing to 1
within :data:`SUM_ATOL`, which lets through weights copied from a paper with 3 or 4 printed
digits but not percentages or raw scores (those go through :func:`direct` first). Each input
is rescaled to sum exactly 1 before combining, so the combined weights sum to 1.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from zoning.errors import WeightsError, did_you_mean
from zoning.weights._arrays import FloatArray, Vector, labelled, labels_of, weight_vector

SUM_ATOL = 0.01
"""Accepted distance of the sum of a weight vector given to :func:`combine` from 1."""

RULES = ("linear", "multiplicative", "min_information_entropy")
"""Names of the combination rules :func:`combine` accepts."""


def direct(weights: Any) -> Vector:
    """Check directly given weights and normalise them to sum 1.

    Parameters
    ----------
    weights
        Non-negative numbers, not all 0 (a sequence, an array or a Series), in any unit:
        scores, percentages or shares.

    Returns
    -------
    numpy.ndarray or pandas.Series
        ``weights / sum(weights)``; a Series with the same index when given a Series.

    Raises
    ------
    WeightsError
        If the weights are not finite numbers, are negative or are all 0.

    Examples
    --------
    >>> direct([40, 35, 25])
    array([0.4 , 0.35, 0.25])

    """
    w = weight_vector(weights, "weights")
    return labelled(w / w.sum(), labels_of(weights), "weight")


def _unit_sum(values: Any, what: str) -> FloatArray:
    """A checked weight vector that sums to 1 within SUM_ATOL, rescaled to sum exactly 1."""
    w = weight_vector(values, what)
    total = float(w.sum())
    if abs(total - 1) > SUM_ATOL + 1e-12:  # the bound itself is accepted despite rounding
        raise WeightsError(f"{what}: expected weights summing to 1, found a sum of {total:.6g}; "
                           "normalise them first with zoning.weights.direct()")
    return w / total


def _aligned(w1: Any, w2: Any) -> tuple[Any, pd.Index | None]:
    """``w2`` in the order of ``w1``'s labels (when both are Series), and the labels to keep."""
    labels1, labels2 = labels_of(w1), labels_of(w2)
    if labels1 is None or labels2 is None:
        return w2, labels1 if labels1 is not None else labels2
    if not labels1.is_unique or set(labels1) != set(labels2) or len(labels1) != len(labels2):
        raise WeightsError(f"combine: the two weight Series must have the same unique labels, "
                           f"found {list(labels1)} and {list(labels2)}")
    return w2.reindex(labels1), labels1


def combine(w1: Any, w2: Any, rule: str, alpha: float | None = None) -> Vector:
    """Combine two weight vectors over the same indicators (e.g. AHP and entropy weights).

    Parameters
    ----------
    w1, w2
        Weight vectors of equal length, non-negative, each summing to 1 within
        :data:`SUM_ATOL` (each is rescaled to sum exactly 1). Two Series are matched by label.
    rule
        ``"linear"``: ``α·w1 + (1 − α)·w2``; ``"multiplicative"``: ``w1·w2 / Σ w1·w2``;
        ``"min_information_entropy"`` (minimum relative information entropy):
        ``sqrt(w1·w2) / Σ sqrt(w1·w2)``.
    alpha
        Share of ``w1`` in the ``"linear"`` rule, in [0, 1]; required there and refused by
        the other rules.

    Returns
    -------
    numpy.ndarray or pandas.Series
        Combined weights summing to 1; a Series (in the order of ``w1``'s labels) when either
        input is a Series.

    Raises
    ------
    WeightsError
        If the rule is unknown, alpha is missing, out of range or not applicable, the vectors
        differ in length or labels, are not weights, or have no indicator both weight above 0
        (for the product rules).

    Examples
    --------
    >>> combine([0.5, 0.3, 0.2], [0.2, 0.3, 0.5], rule="linear", alpha=0.6)
    array([0.38, 0.3 , 0.32])
    >>> combine([0.5, 0.3, 0.2], [0.2, 0.3, 0.5], rule="multiplicative").round(4)
    array([0.3448, 0.3103, 0.3448])

    """
    if rule not in RULES:
        raise WeightsError(f"unknown combination rule {rule!r}{did_you_mean(rule, RULES)}; "
                           f"expected one of {', '.join(RULES)}")
    if rule == "linear":
        if alpha is None or not 0 <= alpha <= 1:
            raise WeightsError(f"combine: rule 'linear' needs alpha in [0, 1] (the share of "
                               f"w1), found {alpha}")
    elif alpha is not None:
        raise WeightsError(f"combine: alpha applies to rule 'linear' only, found alpha={alpha} "
                           f"with rule {rule!r}")
    w2, labels = _aligned(w1, w2)
    a, b = _unit_sum(w1, "w1"), _unit_sum(w2, "w2")
    if a.shape != b.shape:
        raise WeightsError(f"combine: expected two weight vectors of the same length, found "
                           f"{a.size} and {b.size}")
    if rule == "linear":
        assert alpha is not None  # checked above
        combined = alpha * a + (1 - alpha) * b
    else:
        product = a * b if rule == "multiplicative" else np.sqrt(a * b)
        if product.sum() == 0:
            raise WeightsError(f"combine: rule {rule!r} multiplies the weights, but no "
                               "indicator has a positive weight in both vectors")
        combined = product / product.sum()
    return labelled(combined, labels, "weight")
