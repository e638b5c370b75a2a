"""Entropy weight method: objective weights from how much each indicator varies.

Rows of the data are alternatives (parcels, samples), columns are indicators. Each column is
turned into shares ``p_ij`` that sum to 1 over the rows, by one of two normalisations:

``sum``
    ``p_ij = x_ij / Σ_i x_ij`` on the raw data, which must be non-negative (as in Xu 2004).
``minmax``
    Min-max standardisation by direction first, benefit ``(x − min) / (max − min)`` and cost
    ``(max − x) / (max − min)``, plus ``shift`` (added to avoid ln 0 for the worst
    alternative), then shares by column sums.

Then ``e_j = −k Σ_i p_ij ln p_ij`` with ``k = 1 / ln m`` and ``0 · ln 0 = 0``, the divergence
``d_j = 1 − e_j`` and the weights ``w_j = d_j / Σ d_j``. An indicator with the same value on
every row carries no information: its shares are taken as 1/m, so e = 1, d = 0 and its weight
is 0, with a warning.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from zoning.errors import WeightsError, did_you_mean
from zoning.weights._arrays import FloatArray, Vector, cells, float_array, labelled

logger = logging.getLogger(__name__)

Mask = npt.NDArray[np.bool_]

NORMALISATIONS = ("sum", "minmax")
"""Names of the normalisations :func:`entropy` accepts."""

DIRECTIONS = {"+": True, "benefit": True, "-": False, "cost": False}
"""Accepted direction words and whether they mean "more is better"."""

CONSTANT_RTOL = 1e-12
"""A column whose range is at most this times its largest magnitude counts as constant."""


@dataclass(frozen=True)
class EntropyResult:
    """Entropy weights and the quantities they come from.

    Attributes
    ----------
    weights
        ``w_j``, summing to 1 (a Series indexed by the columns for a DataFrame input).
    entropy
        ``e_j`` of each indicator, in [0, 1].
    divergence
        ``d_j = 1 − e_j``.
    normalised
        The shares ``p_ij`` (columns summing to 1), a DataFrame like the input when it was one.

    """

    weights: Vector
    entropy: Vector
    divergence: Vector
    normalised: FloatArray | pd.DataFrame


def _directions(directions: Sequence[str] | None, n: int) -> FloatArray:
    """Return +1 for benefit and −1 for cost columns, checking the given words."""
    if directions is None:
        raise WeightsError("entropy: normalisation 'minmax' needs directions, one per column "
                           "('+' or 'benefit', '-' or 'cost'), e.g. directions=['+', '-']")
    if isinstance(directions, str):
        raise WeightsError(f"entropy: expected directions as a sequence with one entry per "
                           f"column, e.g. ['+', '-'], found the string {directions!r}")
    words = list(directions)
    if len(words) != n:
        raise WeightsError(f"entropy: expected {n} directions (one per column), found "
                           f"{len(words)}")
    unknown = [w for w in words if w not in DIRECTIONS]
    if unknown:
        raise WeightsError(f"entropy: unknown direction(s) {unknown}; expected one of "
                           f"{', '.join(map(repr, DIRECTIONS))}")
    return np.array([1.0 if DIRECTIONS[w] else -1.0 for w in words])


def _standardised(x: FloatArray, sign: FloatArray, constant: Mask, shift: float) -> FloatArray:
    """Min-max standardise by direction (a cost column is a benefit column of −x), + shift."""
    y = x * sign
    low, span = y.min(axis=0), np.ptp(y, axis=0)
    return (y - low) / np.where(constant, 1.0, span) + shift


def _shares(z: FloatArray, constant: Mask) -> FloatArray:
    """Column shares ``z / Σ z``; constant columns get 1/m on every row."""
    m = z.shape[0]
    total = z.sum(axis=0)
    return np.where(constant, 1.0 / m, z / np.where(constant, 1.0, total))


def _entropies(p: FloatArray) -> FloatArray:
    plogp = np.zeros_like(p)
    np.multiply(p, np.log(p, where=p > 0, out=np.zeros_like(p)), out=plogp, where=p > 0)
    return np.asarray(-plogp.sum(axis=0) / np.log(p.shape[0]))


def entropy(matrix: Any, normalisation: str = "sum", directions: Sequence[str] | None = None,
            shift: float = 0.0) -> EntropyResult:
    """Entropy weights of the columns (indicators) of a data matrix.

    Parameters
    ----------
    matrix
        Rows are alternatives (at least 2), columns indicators: an array, nested lists or a
        DataFrame (then the weights are a Series indexed by its columns).
    normalisation
        ``"sum"``: shares of the raw values, which must be non-negative; ``"minmax"``: min-max
        standardisation by direction, then shares.
    directions
        For ``"minmax"`` only, and required there: one of ``"+"``/``"benefit"`` or
        ``"-"``/``"cost"`` per column.
    shift
        For ``"minmax"`` only: a non-negative constant added to the standardised values
        (e.g. 0.0001 or 0.01) so that no share is 0.

    Returns
    -------
    EntropyResult
        Weights, entropy and divergence of each indicator, and the shares matrix.

    Raises
    ------
    WeightsError
        If the data are not finite numbers, fewer than 2 rows, negative with ``"sum"``, the
        directions or shift are missing or given where they do not apply, or no column varies.

    Examples
    --------
    >>> x = [[30, 30, 38], [19, 54, 86], [19, 15, 85], [68, 70, 60]]
    >>> entropy(x).weights.round(4)
    array([0.463 , 0.3992, 0.1378])
    >>> r = entropy(x, normalisation="minmax", directions=["+", "+", "-"], shift=0.01)
    >>> r.normalised.sum(axis=0).round(12)
    array([1., 1., 1.])

    """
    if normalisation not in NORMALISATIONS:
        raise WeightsError(
            f"unknown entropy normalisation {normalisation!r}"
            f"{did_you_mean(normalisation, NORMALISATIONS)}; expected one of "
            f"{', '.join(NORMALISATIONS)}")
    x = float_array(matrix, "entropy data", ndim=2)
    m, n = x.shape
    if m < 2:
        raise WeightsError(f"entropy: expected at least 2 rows (alternatives), found {m}")
    scale = np.abs(x).max(axis=0)
    constant = np.ptp(x, axis=0) <= CONSTANT_RTOL * scale
    if normalisation == "sum":
        if directions is not None or shift != 0:
            raise WeightsError("entropy: directions and shift apply to normalisation 'minmax' "
                               "only; 'sum' uses the raw values as they are")
        negative = np.argwhere(x < 0)
        if len(negative):
            raise WeightsError(
                f"entropy: normalisation 'sum' needs non-negative data, found negative values "
                f"at (row, column) {cells(negative)}; use normalisation='minmax' with "
                "directions instead")
        z = x
    else:
        if not (np.isfinite(shift) and shift >= 0):
            raise WeightsError(f"entropy: expected a shift >= 0, found {shift}")
        z = _standardised(x, _directions(directions, n), constant, shift)
    labels = matrix.columns if isinstance(matrix, pd.DataFrame) else None
    if constant.all():
        raise WeightsError("entropy: every column has the same value on all rows, so no "
                           "indicator tells the alternatives apart and no weight can be derived")
    if constant.any():
        names = list(labels[constant]) if labels is not None else np.flatnonzero(constant).tolist()
        logger.warning("entropy: column(s) %s have the same value on every row; they get "
                       "weight 0", names)
    p = _shares(z, constant)
    e = np.where(constant, 1.0, _entropies(p))
    d = 1.0 - e
    w = d / d.sum()
    normalised = p if labels is None else pd.DataFrame(p, index=matrix.index, columns=labels)
    return EntropyResult(weights=labelled(w, labels, "weight"),
                         entropy=labelled(e, labels, "entropy"),
                         divergence=labelled(d, labels, "divergence"), normalised=normalised)
