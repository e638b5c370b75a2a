"""Suitability stage: limiting-factor suitability (极限条件法) of each restoration use.

For every use, each factor grades a parcel S1, S2, S3 or N; the use's class is the worst
factor grade and the factors at that grade are named as limiting. The score, the mean
of the factor grade points, ranks parcels within a class. ``best_use`` is the use with
the best class, then the best score, then the earliest in the rule file's ``tie_break``.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from zoning import columns as col
from zoning.layers import LayerSet
from zoning.rules.models import Factor, SuitabilityRules
from zoning.rules.ruleset import ExpressionSite, RuleSet
from zoning.stage import Stage

_GRADES = col.SUIT_CLASSES  # S1 S2 S3 N, best first


def columns(rules: RuleSet) -> list[str]:
    """Score, class and limiting factor of every use, then ``best_use`` and its class."""
    model = rules.get("suitability", SuitabilityRules)
    names = [f(use) for use in model.uses for f in (col.suit_score, col.suit_class, col.suit_limit)]
    return [*names, col.BEST_USE, col.BEST_USE_CLASS]


def _sites(use: str, i: int, factor: Factor) -> list[ExpressionSite]:
    key = ("uses", use, "factors", i)
    if factor.value is not None:
        return [ExpressionSite("suitability", (*key, "value"), factor.value)]
    return [ExpressionSite("suitability", (*key, "grades", g), text)
            for g, text in (factor.grades or {}).items()]


def sites(rules: RuleSet) -> list[ExpressionSite]:
    """Every factor value or grade condition."""
    model = rules.get("suitability", SuitabilityRules)
    return [s for use, spec in model.uses.items()
            for i, factor in enumerate(spec.factors) for s in _sites(use, i, factor)]


def grade_factor(use: str, i: int, factor: Factor, parcels: pd.DataFrame,
                 rules: RuleSet) -> np.ndarray:
    """Grade index (0 = S1 … 3 = N) of one factor for every parcel."""
    if factor.value is not None and factor.thresholds is not None:
        (site,) = _sites(use, i, factor)
        value = rules.expression(site).evaluate(parcels).to_numpy(dtype=float, na_value=np.nan)
        grade = np.full(len(parcels), _GRADES.index("N"))
        better = np.greater_equal if factor.direction == "higher_is_better" else np.less_equal
        for g in reversed(("S1", "S2", "S3")):  # S3 first so that better grades overwrite
            if g in factor.thresholds:
                grade[better(value, factor.thresholds[g])] = _GRADES.index(g)
        grade[np.isnan(value)] = _GRADES.index(factor.missing)
        return grade
    grade = np.full(len(parcels), _GRADES.index("N"))
    for site in reversed(_sites(use, i, factor)):  # later (worse) grades first
        matched = rules.expression(site).evaluate_condition(parcels).to_numpy(dtype=bool)
        grade[matched] = _GRADES.index(str(site.key[-1]))
    return grade


def run(parcels: gpd.GeoDataFrame, rules: RuleSet, layers: LayerSet) -> pd.DataFrame:
    """Grade every use; name the limiting factors; choose ``best_use``."""
    model = rules.get("suitability", SuitabilityRules)
    by_grade = {str(grade): value for grade, value in model.grade_points.items()}
    points = np.array([by_grade[g] for g in _GRADES])
    out = pd.DataFrame(index=parcels.index)
    for use, spec in model.uses.items():
        grades = np.column_stack([grade_factor(use, i, f, parcels, rules)
                                  for i, f in enumerate(spec.factors)])
        worst = grades.max(axis=1)
        ids = np.array([f.id for f in spec.factors])
        limiting = grades == worst[:, None]
        limit_names = [",".join(ids[row]) for row in limiting]
        out[col.suit_score(use)] = points[grades].mean(axis=1)
        out[col.suit_class(use)] = np.array(_GRADES)[worst]
        out[col.suit_limit(use)] = np.where(worst == 0, "", limit_names)
    order = model.tie_break
    class_rank = np.column_stack([out[col.suit_class(u)].map(_GRADES.index).to_numpy()
                                  for u in order])
    scores = np.column_stack([out[col.suit_score(u)].to_numpy() for u in order])
    # lexicographic: best class, then highest score, then tie_break order
    key = class_rank * 10.0 - scores
    best = np.argmin(key, axis=1)
    out[col.BEST_USE] = np.array(order)[best]
    out[col.BEST_USE_CLASS] = np.array(_GRADES)[class_rank[np.arange(len(best)), best]]
    return out[columns(rules)]


STAGE = Stage(name="suitability", run=run, columns=columns, sites=sites)
