"""Sensitivity of the suitability classes and ``best_use`` to the factor weights.

Each weight of each use is raised and lowered by ``step`` (10 % by default) in turn, the
use's weights renormalised to sum 1, and the share of parcels whose class of that use,
or whose best use, changes is reported, one row per (use, factor, direction).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from zoning.rules.models import SuitabilityRules
from zoning.suitability.scoring import Scored, best_use, classify, weighted_index


def perturbed(w: np.ndarray, i: int, change: float) -> np.ndarray:
    """Weights with ``w[i]`` multiplied by ``1 + change``, renormalised to sum 1.

    Examples
    --------
    >>> perturbed(np.array([0.5, 0.5]), 0, 0.1).round(4).tolist()
    [0.5238, 0.4762]
    """
    out = np.asarray(w, dtype=float).copy()
    out[i] *= 1.0 + change
    return out / out.sum()


def sensitivity(scored: dict[str, Scored], rules: SuitabilityRules) -> pd.DataFrame:
    """Share of parcels whose class or best use changes when one weight moves by ±step.

    Returns
    -------
    pandas.DataFrame
        Columns ``use``, ``factor``, ``direction`` (``+`` or ``-``), ``weight`` (before),
        ``class_changed_share`` and ``best_use_changed_share``.
    """
    base_index = {u: s.index for u, s in scored.items()}
    base_grade = {u: s.grade for u, s in scored.items()}
    base_best, _ = best_use(base_index, base_grade, rules.tie_break)
    step = rules.sensitivity.step
    rows = []
    for use, s in scored.items():
        cap = s.caps.max(axis=1)
        for i, factor in enumerate(rules.uses[use].factors):
            for sign, change in (("+", step), ("-", -step)):
                index = weighted_index(s.scores, perturbed(s.weights.values, i, change))
                grade = classify(index, cap, rules)
                best, _ = best_use({**base_index, use: index}, {**base_grade, use: grade},
                                   rules.tie_break)
                rows.append({"use": use, "factor": factor.id, "direction": sign,
                             "weight": float(s.weights.values[i]),
                             "class_changed_share": float(np.mean(grade != s.grade)),
                             "best_use_changed_share": float(np.mean(best != base_best))})
    return pd.DataFrame(rows)
