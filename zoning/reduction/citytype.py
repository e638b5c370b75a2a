"""The resource-based city type in force and the strategy it sets.

China's national plan for resource-based cities (2013–2020) sorts them into growing,
mature, declining and regenerating cities; the expert interviews of *中国资源型城市的高质量发展：
困境与突破* ask for strategies by type: efficient growth where cities still grow, smart
shrinkage and reduction planning (精明收缩, 减量规划) where they shrink. A type's preset in
``rules/reduction.yaml`` sets the quota, multiplies indicator weights and lists the
value-realization modes it favours (Wang et al. 2026, Acta Ecologica Sinica); triggers and
target-use rules name the ``city_type`` column, which the reduction stage adds first so that
every later rule file (modes, zones, esv) may name it as well.

Examples
--------
>>> from zoning.rules.ruleset import load_rules
>>> from zoning.rules.models import ReductionRules
>>> model = load_rules().get("reduction", ReductionRules)
>>> name, preset = city_preset(model, "declining")
>>> name, preset.target.share, preset.value_preferences[0]
('declining', 0.2, 'safety_baseline')
"""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import pandas as pd

from zoning import columns as col
from zoning.errors import Problem
from zoning.layers import LayerSet
from zoning.rules.models import ModesRules, Preset, ReductionRules
from zoning.rules.ruleset import ExpressionSite, RuleSet

KIND = "reduction"
STRATEGY_TABLE = "city_strategy"
"""Table name: one row per city type of the rule file, ``applied`` on the one in force."""


def city_preset(model: ReductionRules, city_type: str | None) -> tuple[str, Preset]:
    """The city type in force (the project's, else the rule file's default) and its preset.

    Raises
    ------
    KeyError
        If the type is not among the rule file's ``city_types`` (:func:`check` reports it
        before a run).
    """
    name = city_type or model.default_city_type
    return name, model.city_types[name]  # type: ignore[index]


def check(parcels: gpd.GeoDataFrame, rules: RuleSet, layers: LayerSet) -> list[Problem]:
    """The project's city type must have a preset; value preferences must be value modes."""
    model = rules.get(KIND, ReductionRules)
    doc = rules.documents[KIND]
    problems = []
    if layers.city_type is not None and layers.city_type not in model.city_types:
        problems.append(doc.problem(
            ("city_types",), f"the project's city_type {layers.city_type!r} has no preset here; "
                             f"presets: {sorted(model.city_types)}; add one or change "
                             "city_type in project.yaml"))
    if "modes" in rules.models:
        known = set(rules.get("modes", ModesRules).value_modes)
        for name, preset in model.city_types.items():
            unknown = [v for v in preset.value_preferences if v not in known]
            if unknown:
                problems.append(doc.problem(
                    ("city_types", name, "value_preferences"),
                    f"city type {name!r} prefers unknown value mode(s) {unknown}; value modes "
                    f"of {rules.path('modes')} are {sorted(known)}"))
    return problems


def naming_city_type(rules: RuleSet, sites: Sequence[ExpressionSite],
                     ids: Sequence[str]) -> list[str]:
    """Ids of the rules whose expression names the ``city_type`` column (type-specific rules)."""
    return [i for i, site in zip(ids, sites, strict=True)
            if col.CITY_TYPE in rules.expression(site).names]


def held(ids: Sequence[str], values: pd.Series) -> str:
    """``id: n`` for each of ``ids`` that ``n > 0`` of ``values`` (comma-joined ids) name.

    Examples
    --------
    >>> held(["a", "b", "c"], pd.Series(["a,b", "b", None, ""]))
    'a: 1; b: 2'
    """
    counts = values.dropna().str.split(",").explode().value_counts()
    return "; ".join(f"{i}: {int(counts[i])}" for i in ids if i in counts.index)


def strategy_table(model: ReductionRules, applied: str, eligible_ha: float) -> pd.DataFrame:
    """One row per city type: quota, weight multipliers, value preferences, source.

    ``applied`` marks the type in force; the quota is given as the share (or hectares) and
    as hectares on this run.

    ``target_ha`` is what the type's own target would give on ``eligible_ha``; the rule
    file's ``target`` (when given) overrides every type's.
    """
    rows = []
    for name, preset in model.city_types.items():
        target = model.target or preset.target
        target_ha = target.hectares if target.hectares is not None else (
            (target.share or 0.0) * eligible_ha)
        rows.append({
            "city_type": name, "label_zh": preset.label.zh, "label_en": preset.label.en,
            "applied": name == applied, "target_share": target.share,
            "target_ha": target_ha,
            "weight_multipliers": ", ".join(f"{k} ×{v:g}"
                                            for k, v in preset.weight_multipliers.items()),
            "value_preferences": ", ".join(preset.value_preferences),
            "description": preset.description, "source": preset.source})
    return pd.DataFrame(rows)
