"""Suitability stage: every use's index, class and limiting factors; ``best_use``.

``best_use`` is the use with the best class, then the highest index, then the earliest
in the rule file's ``tie_break``. The stage also returns two tables: the weights used
(``suitability_weights``) and the weight sensitivity (``suitability_sensitivity``).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from zoning import columns as col
from zoning.layers import LayerSet
from zoning.rules.models import SuitabilityRules
from zoning.rules.ruleset import ExpressionSite, RuleSet
from zoning.stage import Stage, StageOutput
from zoning.suitability.scoring import (
    GRADES,
    Scored,
    best_use,
    limiting,
    score_use,
    value_site,
    veto_sites,
)
from zoning.suitability.sensitivity import sensitivity

WEIGHTS_TABLE = "suitability_weights"
SENSITIVITY_TABLE = "suitability_sensitivity"


def columns(rules: RuleSet) -> list[str]:
    """Index, class, limiting factors and factor scores of every use, then ``best_use``."""
    model = rules.get("suitability", SuitabilityRules)
    names: list[str] = []
    for use, spec in model.uses.items():
        names += [col.suit_score(use), col.suit_class(use), col.suit_limit(use)]
        names += [col.suit_factor(use, f.id) for f in spec.factors]
    return [*names, col.BEST_USE, col.BEST_USE_CLASS]


def sites(rules: RuleSet) -> list[ExpressionSite]:
    """Every factor value and veto condition."""
    model = rules.get("suitability", SuitabilityRules)
    return [s for use, spec in model.uses.items() for i, f in enumerate(spec.factors)
            for s in [value_site(use, i, f), *veto_sites(use, i, f)]]


def _weights_table(scored: dict[str, Scored], model: SuitabilityRules) -> pd.DataFrame:
    rows = [{"use": use, "factor": f.id, "weight": float(s.weights.values[i]),
             "method": s.weights.method, "cr": s.weights.cr, "lambda_max": s.weights.lambda_max}
            for use, s in scored.items()
            for i, f in enumerate(model.uses[use].factors)]
    return pd.DataFrame(rows)


def run(parcels: gpd.GeoDataFrame, rules: RuleSet, layers: LayerSet) -> StageOutput:
    """Score every use; name the limiting factors; choose ``best_use``; weights and sensitivity."""
    model = rules.get("suitability", SuitabilityRules)
    out = pd.DataFrame(index=parcels.index)
    scored = {use: score_use(use, spec, parcels, rules) for use, spec in model.uses.items()}
    for use, s in scored.items():
        ids = [f.id for f in model.uses[use].factors]
        out[col.suit_score(use)] = s.index
        out[col.suit_class(use)] = np.array(GRADES)[s.grade]
        out[col.suit_limit(use)] = limiting(s.scores, s.weights.values, s.caps, s.grade, ids,
                                            model.limiting_top_k)
        for j, factor in enumerate(ids):
            out[col.suit_factor(use, factor)] = s.scores[:, j]
    best, grade = best_use({u: s.index for u, s in scored.items()},
                           {u: s.grade for u, s in scored.items()}, model.tie_break)
    out[col.BEST_USE] = best
    out[col.BEST_USE_CLASS] = np.array(GRADES)[grade]
    tables = {WEIGHTS_TABLE: _weights_table(scored, model),
              SENSITIVITY_TABLE: sensitivity(scored, model)}
    return StageOutput(out[columns(rules)], tables=tables)


STAGE = Stage(name="suitability", run=run, columns=columns, sites=sites)
