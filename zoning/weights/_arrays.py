"""Checked conversion of weighting inputs to float arrays, and labels carried through.

Every weighting function accepts numpy arrays (or nested sequences) and pandas objects. The
labels of a pandas input (the columns of a DataFrame, the index of a Series) are kept apart
from the numbers, the numbers are computed on plain float arrays, and results are labelled
again at the end, so the numerics never depend on pandas.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeAlias

import numpy as np
import numpy.typing as npt
import pandas as pd

from zoning.errors import WeightsError

FloatArray: TypeAlias = npt.NDArray[np.float64]
Vector: TypeAlias = FloatArray | pd.Series
"""A weight vector: a float array, or a Series when the input had labels."""

SHOWN = 5
"""How many offending cells an error message lists before it says "and N more"."""


def float_array(values: Any, what: str, ndim: int) -> FloatArray:
    """Return ``values`` as a new finite float array of ``ndim`` dimensions.

    The result is always a copy, so callers may change it without touching their input.

    Raises
    ------
    WeightsError
        If ``values`` is not numeric, has another number of dimensions, is empty, or holds
        NaN or infinite values (their positions are listed).

    """
    try:
        array = np.array(values, dtype=float)
    except (TypeError, ValueError) as exc:
        raise WeightsError(
            f"{what}: expected numbers, found values that are not ({exc}); write fractions "
            "as numbers (1/3 → 0.3333) before passing them") from exc
    shape = "a vector (one dimension)" if ndim == 1 else "a matrix (two dimensions)"
    if array.ndim != ndim:
        raise WeightsError(f"{what}: expected {shape}, found an array of shape {array.shape}")
    if array.size == 0:
        raise WeightsError(f"{what}: expected at least one value, found none")
    bad = np.argwhere(~np.isfinite(array))
    if len(bad):
        raise WeightsError(f"{what}: expected finite numbers, found NaN or infinite values at "
                           f"{cells(bad)}; fill or drop them first")
    return array


def cells(positions: npt.NDArray[np.intp] | Sequence[tuple[int, ...]]) -> str:
    """Describe array positions (0-based) for an error message, at most a few of them."""
    shown = [str(tuple(int(k) for k in p)) if len(p) > 1 else str(int(p[0]))
             for p in list(positions)[:SHOWN]]
    more = len(positions) - SHOWN
    return ", ".join(shown) + (f" and {more} more" if more > 0 else "")


def labels_of(values: Any) -> pd.Index | None:
    """The labels of a pandas input (DataFrame columns, Series index), else ``None``."""
    if isinstance(values, pd.DataFrame):
        return values.columns
    if isinstance(values, pd.Series):
        return values.index
    return None


def labelled(values: FloatArray, labels: pd.Index | None, name: str) -> Vector:
    """``values`` as a Series indexed by ``labels``, or the bare array without labels."""
    if labels is None:
        return values
    return pd.Series(values, index=labels, name=name)


def weight_vector(values: Any, what: str) -> FloatArray:
    """Return ``values`` as a checked weight vector: finite, non-negative, not all zero.

    Raises
    ------
    WeightsError
        If the vector is not numeric or finite, has negative values (listed) or sums to 0.

    """
    w = float_array(values, what, ndim=1)
    negative = np.flatnonzero(w < 0)
    if len(negative):
        raise WeightsError(f"{what}: expected non-negative weights, found negative values at "
                           f"position(s) {cells(negative[:, None])}")
    if w.sum() == 0:
        raise WeightsError(f"{what}: expected at least one positive weight, found all zeros")
    return w
