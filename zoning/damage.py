"""Damage stage: grade each parcel's subsidence damage by the ordered rules of ``damage.yaml``."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd

from zoning import columns as col
from zoning.decision import Output, Table, evaluate
from zoning.layers import LayerSet
from zoning.rules.models import DamageRules
from zoning.rules.ruleset import ExpressionSite, RuleSet
from zoning.stage import Stage


def table(rules: RuleSet) -> Table:
    """The damage decision table."""
    model = rules.get("damage", DamageRules)
    return Table("damage", "rules", model.rules,
                 [Output(col.DAMAGE_GRADE, col.DAMAGE_RULE, col.DAMAGE_REASON)])


def columns(rules: RuleSet) -> list[str]:
    """Columns the damage stage adds."""
    return table(rules).columns()


def sites(rules: RuleSet) -> list[ExpressionSite]:
    """Conditions of the damage rules."""
    return table(rules).sites()


def run(parcels: gpd.GeoDataFrame, rules: RuleSet, layers: LayerSet) -> pd.DataFrame:
    """Assign ``damage_grade`` with the id and reason of the deciding rule."""
    return evaluate(table(rules), parcels, rules)


STAGE = Stage(name="damage", run=run, columns=columns, sites=sites)
