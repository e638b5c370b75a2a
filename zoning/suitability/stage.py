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
from zoning.declare import Column, Product
from zoning.layers import LayerSet
from zoning.rules.models import SuitabilityRules, Use
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


BEST: tuple[Column, ...] = (
    Column(col.BEST_USE, "category", "最适宜用途", "Best use", "the most suitable use",
           categories="suitability.uses"),
    Column(col.BEST_USE_CLASS, "text", "最适宜等级", "Best use class",
           "its class S1, S2, S3 or N"),
)
"""The columns naming the best use, after those of every use."""


def _use_columns(use: str, spec: Use) -> list[Column]:
    zh, en = spec.label.zh, spec.label.en
    out = [Column(col.suit_score(use), "float", f"{zh}适宜性指数", f"{en} suitability index",
                  f"suitability index of {use}, 0 to 1, higher is better"),
           Column(col.suit_class(use), "text", f"{zh}适宜性等级", f"{en} suitability class",
                  f"suitability class of {use}: S1, S2, S3 or N"),
           Column(col.suit_limit(use), "text", f"{zh}限制因子", f"{en} limiting factors",
                  f"limiting factors of {use}: capping vetoes, then by obstacle degree")]
    out += [Column(col.suit_factor(use, f.id), "float", f"{zh}{f.label.zh}得分",
                   f"{en} {f.label.en} score", f"score (0 to 1) of factor {f.id} for {use}")
            for f in spec.factors]
    return out


def declares(rules: RuleSet) -> list[Column]:
    """Index, class, limiting factors and factor scores of every use, then ``best_use``."""
    model = rules.get("suitability", SuitabilityRules)
    return [*(c for use, spec in model.uses.items() for c in _use_columns(use, spec)), *BEST]


def makes(rules: RuleSet) -> list[Product]:
    """The weights and the weight sensitivity tables."""
    return [Product(WEIGHTS_TABLE, "table", "适宜性因子权重", "Suitability weights"),
            Product(SENSITIVITY_TABLE, "table", "权重敏感性", "Weight sensitivity")]


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
    return StageOutput(out[STAGE.columns(rules)], tables=tables)


STAGE = Stage(name="suitability", run=run, declares=declares, sites=sites, makes=makes)
