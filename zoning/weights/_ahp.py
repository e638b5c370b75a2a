"""Analytic hierarchy process: weights and consistency of a pairwise comparison matrix.

``a[i, j]`` says how much more important element ``i`` is than element ``j`` (Saaty's 1-9
scale); a valid matrix is positive with ones on the diagonal and reciprocal,
``a[j, i] = 1 / a[i, j]``. Three ways of deriving the weights are offered, chosen by name:

``eigenvector``
    The principal (Perron) eigenvector, normalised to sum 1; λmax is its eigenvalue.
``geometric_mean``
    The geometric mean of each row, normalised to sum 1.
``column_average``
    Each column divided by its sum, then the rows averaged.

For the two approximations λmax is the mean of ``(A w)_i / w_i``. Then
CI = (λmax − n) / (n − 1), CR = CI / RI(n) from the chosen random-index table (0 for n ≤ 2,
where every reciprocal matrix is consistent and RI = 0), and the matrix counts as consistent
when CR < 0.1.

The most inconsistent pair (reported when CR ≥ 0.1) is the judgement that disagrees most with
the weights: with ε_ij = a_ij · w_j / w_i, the pair i < j with the largest |ln ε_ij| (the first
such pair in row order on ties). The value suggested for it is w_i / w_j, the judgement the
weights imply.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from zoning.errors import WeightsError, did_you_mean
from zoning.weights._arrays import SHOWN, FloatArray, Vector, float_array, labelled
from zoning.weights._random_index import random_index

logger = logging.getLogger(__name__)

RECIPROCITY_RTOL = 0.05
"""Accepted relative error of ``a[i, j] · a[j, i] = 1`` and of the diagonal ``a[i, i] = 1``.

Judgements typed as rounded decimals (0.33 for 1/3, 0.14 for 1/7) pass; a cell typed as 3
where 1/3 was meant does not. The weights are computed from the matrix as given.
"""

CR_THRESHOLD = 0.1
"""A matrix is consistent when its consistency ratio is below this (Saaty's 10 % rule)."""


@dataclass(frozen=True)
class WorstPair:
    """The judgement that disagrees most with the derived weights.

    Attributes
    ----------
    i, j
        0-based row and column of the judgement (``i < j``).
    value
        The judgement as given, ``a[i, j]``.
    suggested
        ``w[i] / w[j]``: the judgement that would agree with the weights.
    ratio
        ε_ij = ``a[i, j] · w[j] / w[i]``; 1 means full agreement.

    """

    i: int
    j: int
    value: float
    suggested: float
    ratio: float


@dataclass(frozen=True)
class AhpResult:
    """Weights and consistency of a pairwise comparison matrix.

    Attributes
    ----------
    weights
        Weights summing to 1 (a Series indexed by the labels when the matrix was a DataFrame).
    lambda_max
        Principal eigenvalue, or its estimate mean((A w)_i / w_i) for the approximations.
    ci
        Consistency index (λmax − n) / (n − 1), 0 for n = 1.
    ri
        Random index used, from the chosen table.
    cr
        Consistency ratio CI / RI; 0 where RI = 0 (n ≤ 2).
    consistent
        ``cr < 0.1``.
    worst_pair
        The most inconsistent judgement when the matrix is not consistent, else ``None``.
    method
        The weighting method used.

    """

    weights: Vector
    lambda_max: float
    ci: float
    ri: float
    cr: float
    consistent: bool
    worst_pair: WorstPair | None
    method: str


def _eigenvector(a: FloatArray) -> tuple[FloatArray, float]:
    values, vectors = np.linalg.eig(a)
    k = int(np.argmax(values.real))
    # The Perron vector of a positive matrix has entries of one sign; abs() fixes the sign.
    w = np.abs(vectors[:, k].real)
    return w / w.sum(), float(values[k].real)


def _geometric_mean(a: FloatArray) -> FloatArray:
    w = np.exp(np.log(a).mean(axis=1))
    return w / w.sum()


def _column_average(a: FloatArray) -> FloatArray:
    return (a / a.sum(axis=0)).mean(axis=1)


_APPROXIMATIONS: dict[str, Callable[[FloatArray], FloatArray]] = {
    "geometric_mean": _geometric_mean,
    "column_average": _column_average,
}
METHODS = ("eigenvector", *_APPROXIMATIONS)
"""Names of the weighting methods :func:`ahp` accepts."""


def _comparison_matrix(matrix: Any) -> tuple[FloatArray, pd.Index | None]:
    """Check a comparison matrix and return it as floats, with its labels if it has any."""
    labels = None
    if isinstance(matrix, pd.DataFrame):
        if not matrix.index.equals(matrix.columns):
            raise WeightsError(
                "comparison matrix: expected the same labels on rows and columns in the same "
                f"order, found rows {list(matrix.index)} and columns {list(matrix.columns)}")
        labels = matrix.columns
    a = float_array(matrix, "comparison matrix", ndim=2)
    if a.shape[0] != a.shape[1]:
        raise WeightsError(f"comparison matrix: expected a square matrix, found shape {a.shape}")
    name = _namer(labels)
    bad = np.argwhere(a <= 0)
    if len(bad):
        raise WeightsError(
            "comparison matrix: expected positive judgements, found values <= 0: "
            + ", ".join(f"a{name(int(i), int(j))} = {a[i, j]:g}" for i, j in bad[:SHOWN])
            + (f" and {len(bad) - SHOWN} more" if len(bad) > SHOWN else "")
            + "; every cell is a ratio of importance (1/9 ... 9)")
    diagonal = np.flatnonzero(np.abs(np.diag(a) - 1) > RECIPROCITY_RTOL)
    if len(diagonal):
        raise WeightsError(
            "comparison matrix: expected 1 on the diagonal, found "
            + ", ".join(f"a{name(int(k), int(k))} = {a[k, k]:g}" for k in diagonal))
    upper = np.triu(np.ones(a.shape, dtype=bool), k=1)
    broken = np.argwhere(upper & (np.abs(a * a.T - 1) > RECIPROCITY_RTOL))
    if len(broken):
        shown = "; ".join(
            f"a{name(i, j)} = {a[i, j]:g} but a{name(j, i)} = {a[j, i]:g} "
            f"(expected {1 / a[i, j]:.4g} there)" for i, j in broken[:SHOWN])
        more = f" and {len(broken) - SHOWN} more pair(s)" if len(broken) > SHOWN else ""
        raise WeightsError(
            f"comparison matrix is not reciprocal: {shown}{more}; each a[j, i] must be "
            f"1 / a[i, j] (within {RECIPROCITY_RTOL:.0%})")
    return a, labels


def _namer(labels: pd.Index | None) -> Callable[[int, int], str]:
    """A function naming cell (i, j) as ``[i, j]``, with its labels when there are any."""
    if labels is None:
        return lambda i, j: f"[{i}, {j}]"
    return lambda i, j: f"[{i}, {j}] ({labels[i]} vs {labels[j]})"


def _worst_pair(a: FloatArray, w: FloatArray) -> WorstPair:
    ratio = a * w[None, :] / w[:, None]
    deviation = np.where(np.triu(np.ones(a.shape, dtype=bool), k=1), np.abs(np.log(ratio)), -1)
    i, j = (int(k) for k in np.unravel_index(np.argmax(deviation), a.shape))
    return WorstPair(i=i, j=j, value=float(a[i, j]), suggested=float(w[i] / w[j]),
                     ratio=float(ratio[i, j]))


def ahp(matrix: Any, ri: str = "saaty1980", method: str = "eigenvector") -> AhpResult:
    """Weights and consistency ratio of a pairwise comparison matrix.

    Parameters
    ----------
    matrix
        Square positive reciprocal matrix (array, nested lists or a DataFrame with the same
        labels on rows and columns); ``matrix[i][j]`` is the importance of ``i`` over ``j``.
        Reciprocity and the unit diagonal are checked within :data:`RECIPROCITY_RTOL`.
    ri
        Random-index table: ``"saaty1980"``, ``"saaty2005"``, ``"chinese"`` or
        ``"donegan_dodd"`` (see :data:`RANDOM_INDEX`).
    method
        ``"eigenvector"`` (principal eigenvector), ``"geometric_mean"`` (normalised row
        geometric means) or ``"column_average"`` (normalised columns, rows averaged).

    Returns
    -------
    AhpResult
        Weights, λmax, CI, the RI used, CR, whether CR < 0.1 and, when it is not, the most
        inconsistent pair with the value that would agree with the weights.

    Raises
    ------
    WeightsError
        If the matrix is not square, positive, finite and reciprocal (the offending cells are
        named), the method or table is unknown, or the table has no RI for this size.

    Examples
    --------
    >>> result = ahp([[1, 3, 5], [1/3, 1, 2], [1/5, 1/2, 1]], ri="saaty2005")
    >>> result.weights.round(3)
    array([0.648, 0.23 , 0.122])
    >>> round(result.cr, 4), result.consistent
    (0.0036, True)

    """
    if method not in METHODS:
        raise WeightsError(f"unknown AHP method {method!r}{did_you_mean(method, METHODS)}; "
                           f"expected one of {', '.join(METHODS)}")
    a, labels = _comparison_matrix(matrix)
    n = a.shape[0]
    ri_value = random_index(n, ri)
    if method == "eigenvector":
        w, lambda_max = _eigenvector(a)
    else:
        w = _APPROXIMATIONS[method](a)
        lambda_max = float(np.mean(a @ w / w))
    ci = (lambda_max - n) / (n - 1) if n > 1 else 0.0
    cr = ci / ri_value if ri_value > 0 else 0.0
    consistent = cr < CR_THRESHOLD
    worst = None if consistent else _worst_pair(a, w)
    if worst is not None:
        name = _namer(labels)
        logger.warning(
            "AHP matrix is inconsistent: CR = %.3f >= %.1f (RI %s = %.4g); the judgement that "
            "disagrees most is a%s = %.4g, the weights imply %.4g", cr, CR_THRESHOLD, ri,
            ri_value, name(worst.i, worst.j), worst.value, worst.suggested)
    return AhpResult(weights=labelled(w, labels, "weight"), lambda_max=lambda_max, ci=ci,
                     ri=ri_value, cr=cr, consistent=consistent, worst_pair=worst, method=method)
