"""Set pair analysis (集对分析) against the optimal and the worst set of a series."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from zoning.errors import AssessmentError, Problem
from zoning.rules.models import DIRECTION_WORDS
from zoning.weights import SUM_ATOL

SHOWN = 8
"""How many offending rows one problem lists before summarising the rest."""
ROUNDING = 1e-12
"""A discrepancy b smaller in magnitude than this is rounding error and reported as 0."""


def _frame(matrix: Any) -> pd.DataFrame:
    if isinstance(matrix, pd.DataFrame):
        return matrix
    array = np.asarray(matrix, dtype=float)
    if array.ndim != 2:
        raise AssessmentError([Problem("set_pair", f"expected a 2-D matrix (rows × indicators), "
                                                   f"found {array.ndim} dimension(s)")])
    return pd.DataFrame(array)


def _rows(labels: Sequence[Any]) -> str:
    shown = ", ".join(str(label) for label in labels[:SHOWN])
    return shown + (f" and {len(labels) - SHOWN} more" if len(labels) > SHOWN else "")


def check_matrix(frame: pd.DataFrame, source: str) -> list[Problem]:
    """Problems of a data matrix for set pair analysis: missing, non-positive values."""
    problems = []
    values = frame.apply(pd.to_numeric, errors="coerce")
    for column in frame.columns:
        col = values[column]
        missing = list(frame.index[col.isna().to_numpy()])
        if missing:
            problems.append(Problem(source, f"indicator {column!r}: missing or non-numeric "
                                            f"value in row(s) {_rows(missing)}"))
        bad = col.notna() & (col <= 0)
        for row in frame.index[bad.to_numpy()][:SHOWN]:
            problems.append(Problem(source, f"indicator {column!r}, row {row}: value "
                                            f"{col[row]:g} is not positive; set pair analysis "
                                            "divides by the values, so every value must be > 0"))
    return problems


def _signs(directions: Sequence[str], columns: pd.Index, source: str) -> np.ndarray:
    if isinstance(directions, str) or len(directions) != len(columns):
        found = repr(directions) if isinstance(directions, str) else f"{len(directions)}"
        raise AssessmentError([Problem(source, f"expected one direction per indicator "
                                               f"({len(columns)}), found {found}")])
    unknown = [Problem(source, f"indicator {c!r}: unknown direction {d!r}; expected '+' "
                               "(benefit) or '-' (cost)")
               for c, d in zip(columns, directions, strict=True) if d not in DIRECTION_WORDS]
    if unknown:
        raise AssessmentError(unknown)
    return np.array([DIRECTION_WORDS[d] == "+" for d in directions])


def _weights(weights: Any, columns: pd.Index, source: str) -> np.ndarray:
    w = weights.reindex(columns).to_numpy(float) if isinstance(weights, pd.Series) else (
        np.asarray(weights, dtype=float).ravel())
    if w.size != len(columns) or not np.isfinite(w).all() or (w < 0).any():
        raise AssessmentError([Problem(source, f"expected {len(columns)} finite non-negative "
                                               f"weights, one per indicator, found {weights!r}")])
    if abs(w.sum() - 1) > SUM_ATOL + 1e-12:
        raise AssessmentError([Problem(source, f"weights must sum to 1 (within {SUM_ATOL}), "
                                               f"found a sum of {w.sum():.6g}")])
    return w / w.sum()


def degrees(matrix: Any, directions: Sequence[str],
            source: str = "set_pair") -> tuple[pd.DataFrame, pd.DataFrame]:
    """Identity ``a_k`` and contrary ``c_k`` degrees of every cell, before weighting.

    See :func:`set_pair` for the formulas; same parameters.

    Returns
    -------
    tuple of pandas.DataFrame
        ``(a_k, c_k)``, each shaped and labelled like the matrix.

    """
    frame = _frame(matrix)
    problems = check_matrix(frame, source)
    if problems:
        raise AssessmentError(problems)
    benefit = _signs(directions, frame.columns, source)
    d = frame.to_numpy(dtype=float)
    high, low = d.max(axis=0), d.min(axis=0)
    near_best = d / (high + low)  # d / (M + m)
    near_worst = high * low / (d * (high + low))  # M·m / (d·(M + m))
    a = np.where(benefit, near_best, near_worst)
    c = np.where(benefit, near_worst, near_best)
    return (pd.DataFrame(a, index=frame.index, columns=frame.columns),
            pd.DataFrame(c, index=frame.index, columns=frame.columns))


def set_pair(matrix: Any, weights: Any, directions: Sequence[str],
             source: str = "set_pair") -> pd.DataFrame:
    """Set pair analysis of each row against the optimal and the worst set of the series.

    For indicator ``k`` let ``M_k`` and ``m_k`` be its largest and smallest value over the
    rows; the optimal set holds the best value of every indicator (``M_k`` for a benefit
    indicator, ``m_k`` for a cost one), the worst set the other. For a value ``d``:

    - benefit (``+``): ``a_k = d / (M + m)``, ``c_k = M·m / (d·(M + m))``;
    - cost (``-``): ``a_k = M·m / (d·(M + m))``, ``c_k = d / (M + m)``;

    then ``a = Σ w_k a_k`` (identity: closeness to the optimal set), ``c = Σ w_k c_k``
    (contrary: closeness to the worst set), ``b = 1 − a − c`` (discrepancy) and the closeness
    ``r = a / (a + c)``. Since ``(d − M)(d − m) ≤ 0`` on ``[m, M]``, ``a_k + c_k ≤ 1`` with
    equality at either end, so ``b ≥ 0``; a row at every indicator's best (or worst) value has
    ``b = 0``.

    Parameters
    ----------
    matrix
        Rows (years or units) × indicators, every value > 0: a DataFrame, an array or lists.
    weights
        One non-negative weight per indicator summing to 1 (within
        :data:`zoning.weights.SUM_ATOL`; rescaled to sum exactly 1); a Series is matched to
        the columns by label.
    directions
        ``"+"`` (benefit) or ``"-"`` (cost) per indicator (``"benefit"``/``"cost"`` too).
    source
        Name used in error messages (e.g. the table's file name).

    Returns
    -------
    pandas.DataFrame
        Columns ``a``, ``b``, ``c``, ``r``, indexed like the matrix rows (0..n−1 for arrays).

    Raises
    ------
    zoning.errors.AssessmentError
        Listing every missing, non-numeric, zero or negative value with its indicator and
        row, or naming an unknown direction or invalid weights.

    Examples
    --------
    >>> from zoning.assess import set_pair
    >>> set_pair([[1.0, 4.0], [3.0, 2.0]], [0.5, 0.5], ["+", "-"]).round(4)
            a    b       c       r
    0  0.2917  0.0  0.7083  0.2917
    1  0.7083  0.0  0.2917  0.7083
    >>> set_pair([[1.0], [2.0], [4.0]], [1.0], ["+"]).round(4)["b"].tolist()
    [0.0, 0.2, 0.0]

    """
    frame = _frame(matrix)
    a_k, c_k = degrees(frame, directions, source)
    w = _weights(weights, frame.columns, source)
    a = a_k.to_numpy() @ w
    c = c_k.to_numpy() @ w
    b = 1.0 - a - c
    b = np.where(np.abs(b) < ROUNDING, 0.0, b)  # mathematically b >= 0: no -0.0 or -1e-17
    r = a / (a + c)
    return pd.DataFrame({"a": a, "b": b, "c": c, "r": r}, index=frame.index)
