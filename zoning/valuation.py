"""Valuation stage: land use after restoration, ecosystem service value and carbon, both ways.

``land_class_after`` comes from the ordered ``after_rules`` of ``rules/esv.yaml`` (from the
reduction target use of retired land, else from the restoration mode and best use). The
ecosystem service value (ESV) before and after is the equivalent-factor value (Xie et al.
2015) of ``land_class`` and ``land_class_after``; carbon is the sum of InVEST's four pools
(``rules/carbon.yaml``; its shipped densities are illustrative, and a run that uses them
unchanged logs :data:`DEFAULT_CARBON_WARNING`). The tables ``esv_by_service`` and
``carbon_by_pool`` total both over the parcels, so their totals equal the sums of the parcel
columns.

Examples
--------
>>> from zoning.rules.ruleset import load_rules
>>> rules = load_rules()
>>> round(esv_per_ha(rules)["paddy"])      # 3.89 equivalents × 3406.50 yuan
13251
>>> esv_per_ha(rules)["rural_homestead"], carbon_per_ha(rules)["forest"]
(0.0, 118.0)
"""

from __future__ import annotations

import logging

import geopandas as gpd
import pandas as pd

from zoning import columns as col
from zoning._resources import rules_dir
from zoning.decision import Output, Table, evaluate
from zoning.declare import Column, Product, fixed
from zoning.errors import Problem
from zoning.layers import LayerSet
from zoning.rules.loader import load_yaml
from zoning.rules.models import (
    CARBON_POOLS,
    UNCHANGED,
    CarbonRules,
    Densities,
    EsvRules,
    LandUseRules,
)
from zoning.rules.ruleset import ExpressionSite, RuleSet
from zoning.stage import Stage, StageOutput

logger = logging.getLogger(__name__)

DECLARED: tuple[Column, ...] = (
    Column(col.LAND_CLASS_AFTER, "category", "修复后归并地类", "Land class after",
           "canonical land class after restoration (rules/esv.yaml after_rules)",
           categories="landuse.land_classes"),
    Column(col.LAND_CLASS_AFTER_RULE, "text", "修复后地类规则", "Land class after rule",
           "the after_rules rule that gave it"),
    Column(col.LAND_CLASS_AFTER_REASON, "text", "修复后地类理由", "Land class after reason",
           "why that rule gave it"),
    Column(col.LAND_CLASS_AFTER_NAME_ZH, "text", "修复后地类名称", "Land class after (zh)",
           "Chinese name of the land class after"),
    Column(col.LAND_CLASS_AFTER_NAME_EN, "text", "修复后地类名称（英文）", "Land class after name",
           "English name of the land class after"),
    Column(col.ESV_BEFORE_YUAN, "float", "修复前生态系统服务价值", "ESV before",
           "ecosystem service value before: area × Σ equivalents × equivalent value"),
    Column(col.ESV_AFTER_YUAN, "float", "修复后生态系统服务价值", "ESV after",
           "ecosystem service value of the land class after restoration"),
    Column(col.CARBON_BEFORE_T, "float", "修复前碳储量", "Carbon before",
           "carbon in the four InVEST pools before restoration"),
    Column(col.CARBON_AFTER_T, "float", "修复后碳储量", "Carbon after",
           "carbon in the four InVEST pools after restoration"),
)
"""The columns the valuation stage adds, in order."""

BEFORE = "before"
AFTER = "after"
CHANGE = "change"


def table(rules: RuleSet) -> Table:
    """The decision table giving ``land_class_after``."""
    model = rules.get("esv", EsvRules)
    return Table("esv", "after_rules", model.after_rules,
                 [Output(col.LAND_CLASS_AFTER, col.LAND_CLASS_AFTER_RULE,
                         col.LAND_CLASS_AFTER_REASON)])



def makes(rules: RuleSet) -> list[Product]:
    """The summary tables of ecosystem service value and carbon."""
    return [Product(col.ESV_BY_SERVICE, "table", "分项生态系统服务价值", "ESV by service"),
            Product(col.CARBON_BY_POOL, "table", "分碳库碳储量", "Carbon by pool")]


def sites(rules: RuleSet) -> list[ExpressionSite]:
    """Conditions of the ``after_rules``."""
    return table(rules).sites()


def check(parcels: gpd.GeoDataFrame, rules: RuleSet, layers: LayerSet) -> list[Problem]:
    """Every land class of the landuse rules or the after rules needs ESV and carbon values.

    The valuation files may list more classes than the landuse rules define (a project with a
    short landuse file keeps the shipped valuation files).
    """
    esv = rules.get("esv", EsvRules)
    assigned = {r.assign[col.LAND_CLASS_AFTER] for r in esv.after_rules
                if col.LAND_CLASS_AFTER in r.assign} - {UNCHANGED}
    known = set(rules.get("landuse", LandUseRules).land_classes) | assigned
    listed = {"esv": (("land_classes",), set(esv.land_classes)),
              "carbon": (("densities",), set(rules.get("carbon", CarbonRules).densities))}
    return [rules.documents[kind].problem(
                key, f"land classes (of the landuse or after rules) not listed: "
                     f"{sorted(known - classes)} (list each; null or 0 for no value)")
            for kind, (key, classes) in listed.items() if known - classes]


DEFAULT_CARBON_WARNING = (
    "carbon: the densities are the shipped illustrative defaults of rules/carbon.yaml, taken "
    "from no published table; carbon_before_t and carbon_after_t are orders of magnitude only. "
    "Give measured or published local densities (project.yaml: rules: {carbon: my_carbon.yaml})")
"""Logged by :func:`run` when :func:`uses_default_carbon` holds."""


def uses_default_carbon(rules: RuleSet) -> bool:
    """Whether the carbon densities are the shipped defaults, unchanged.

    True when every land class of the run's carbon rules that the shipped
    ``rules/carbon.yaml`` also lists has the shipped densities (a copy of the shipped file
    counts as unchanged).
    """
    shipped = load_yaml(rules_dir() / "carbon.yaml").data["densities"]
    densities = rules.get("carbon", CarbonRules).densities
    common = set(densities) & set(shipped)
    return bool(common) and all(
        densities[c] == Densities.model_validate(shipped[c]) for c in common)


def esv_per_ha(rules: RuleSet) -> dict[str, float]:
    """ESV per hectare of each canonical land class (yuan per hectare per year)."""
    model = rules.get("esv", EsvRules)
    value = model.equivalent_value_yuan_ha.value
    return {c: sum(model.equivalents_per_ha(c).values()) * value for c in model.land_classes}


def carbon_per_ha(rules: RuleSet) -> dict[str, float]:
    """Carbon density of each canonical land class, the four pools together (t C/ha)."""
    return {c: d.total() for c, d in rules.get("carbon", CarbonRules).densities.items()}


def land_class_after(parcels: pd.DataFrame, rules: RuleSet) -> pd.DataFrame:
    """``land_class_after`` with its rule and reason; ``unchanged`` resolved to ``land_class``."""
    out = evaluate(table(rules), parcels, rules)
    keep = out[col.LAND_CLASS_AFTER] == UNCHANGED
    out.loc[keep, col.LAND_CLASS_AFTER] = parcels.loc[keep, col.LAND_CLASS]
    return out


def run(parcels: gpd.GeoDataFrame, rules: RuleSet, layers: LayerSet) -> StageOutput:
    """Land class after restoration, ESV and carbon before and after, per parcel.

    The tables ``esv_by_service`` and ``carbon_by_pool`` come with the columns.
    """
    seen = pd.DataFrame(parcels.drop(columns=parcels.geometry.name))
    out = land_class_after(seen, rules)
    after = out[col.LAND_CLASS_AFTER]
    labels = rules.get("landuse", LandUseRules).land_classes
    unnamed = sorted(set(after) - set(labels))
    if unnamed:
        logger.warning("land classes after %s are not defined in the landuse rules; their "
                       "names are their ids", unnamed)
    for column, language in ((col.LAND_CLASS_AFTER_NAME_ZH, "zh"),
                             (col.LAND_CLASS_AFTER_NAME_EN, "en")):
        names = {k: getattr(c.label, language) for k, c in labels.items()}
        out[column] = [names.get(c, c) for c in after]
    area = seen[col.AREA_HA]
    esv, carbon = esv_per_ha(rules), carbon_per_ha(rules)
    before = seen[col.LAND_CLASS]
    out[col.ESV_BEFORE_YUAN] = area * before.map(esv)
    out[col.ESV_AFTER_YUAN] = area * after.map(esv)
    out[col.CARBON_BEFORE_T] = area * before.map(carbon)
    out[col.CARBON_AFTER_T] = area * after.map(carbon)
    if uses_default_carbon(rules):
        logger.warning(DEFAULT_CARBON_WARNING)
    logger.info("ESV %.4g → %.4g yuan/yr, carbon %.4g → %.4g t C",
                out[col.ESV_BEFORE_YUAN].sum(), out[col.ESV_AFTER_YUAN].sum(),
                out[col.CARBON_BEFORE_T].sum(), out[col.CARBON_AFTER_T].sum())
    classes = seen[[col.LAND_CLASS, col.AREA_HA]].join(out[[col.LAND_CLASS_AFTER]])
    return StageOutput(out[STAGE.columns(rules)], tables=summary_tables(classes, rules))


def _area_by_class(parcels: pd.DataFrame) -> dict[str, pd.Series]:
    """Hectares per land class before and after."""
    return {BEFORE: parcels.groupby(col.LAND_CLASS)[col.AREA_HA].sum(),
            AFTER: parcels.groupby(col.LAND_CLASS_AFTER)[col.AREA_HA].sum()}


def esv_by_service(parcels: pd.DataFrame, rules: RuleSet) -> pd.DataFrame:
    """ESV before and after per service (yuan per year), totalled over ``parcels``.

    One row per service, with its group and names; the columns ``before``, ``after`` and
    ``change`` sum to the totals of ``esv_before_yuan`` and ``esv_after_yuan``.
    """
    model = rules.get("esv", EsvRules)
    value = model.equivalent_value_yuan_ha.value
    areas = _area_by_class(parcels)
    rows = []
    for name, service in model.services.items():
        totals = {when: sum(ha * model.equivalents_per_ha(c)[name] * value
                            for c, ha in area.items())
                  for when, area in areas.items()}
        rows.append({"service": name, "group": service.group, "name_zh": service.label.zh,
                     "name_en": service.label.en, **totals,
                     CHANGE: totals[AFTER] - totals[BEFORE]})
    return pd.DataFrame(rows)


def carbon_by_pool(parcels: pd.DataFrame, rules: RuleSet) -> pd.DataFrame:
    """Carbon before and after per InVEST pool (t C), totalled over ``parcels``."""
    densities = rules.get("carbon", CarbonRules).densities
    areas = _area_by_class(parcels)
    rows = []
    for pool in CARBON_POOLS:
        totals = {when: sum(ha * getattr(densities[c], pool) for c, ha in area.items())
                  for when, area in areas.items()}
        rows.append({"pool": pool, **totals, CHANGE: totals[AFTER] - totals[BEFORE]})
    return pd.DataFrame(rows)


def summary_tables(parcels: pd.DataFrame, rules: RuleSet) -> dict[str, pd.DataFrame]:
    """The tables ``esv_by_service`` and ``carbon_by_pool`` of a finished parcel table."""
    return {col.ESV_BY_SERVICE: esv_by_service(parcels, rules),
            col.CARBON_BY_POOL: carbon_by_pool(parcels, rules)}


STAGE = Stage(name="valuation", run=run, declares=fixed(DECLARED), sites=sites, check=check,
              makes=makes)
