"""Zoning stage: a planning zone for every parcel, and the dissolved zone polygons."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd

from zoning import columns as col
from zoning.decision import Output, Table, evaluate
from zoning.layers import LayerSet
from zoning.rules.models import ZonesRules
from zoning.rules.ruleset import ExpressionSite, RuleSet
from zoning.stage import Stage


def table(rules: RuleSet) -> Table:
    """The zoning decision table."""
    model = rules.get("zones", ZonesRules)
    return Table("zones", "rules", model.rules, [Output(col.ZONE, col.ZONE_RULE, col.ZONE_REASON)])


def columns(rules: RuleSet) -> list[str]:
    """Columns the zoning stage adds."""
    return [*table(rules).columns(), col.ZONE_NAME_ZH, col.ZONE_NAME_EN]


def sites(rules: RuleSet) -> list[ExpressionSite]:
    """Conditions of the zoning rules."""
    return table(rules).sites()


def run(parcels: gpd.GeoDataFrame, rules: RuleSet, layers: LayerSet) -> pd.DataFrame:
    """Assign ``zone`` with its rule, reason and names."""
    model = rules.get("zones", ZonesRules)
    out = evaluate(table(rules), parcels, rules)
    out[col.ZONE_NAME_ZH] = out[col.ZONE].map({k: z.label.zh for k, z in model.zones.items()})
    out[col.ZONE_NAME_EN] = out[col.ZONE].map({k: z.label.en for k, z in model.zones.items()})
    return out[columns(rules)]


def zone_polygons(parcels: gpd.GeoDataFrame, rules: RuleSet) -> dict[str, gpd.GeoDataFrame]:
    """Dissolve parcels by zone into one (multi)polygon per zone, with area and parcel count."""
    model = rules.get("zones", ZonesRules)
    grouped = parcels[[col.ZONE, col.AREA_HA, "geometry"]].dissolve(
        by=col.ZONE, aggfunc={col.AREA_HA: "sum"})
    grouped["parcels"] = parcels.groupby(col.ZONE).size()
    grouped[col.ZONE_NAME_ZH] = [model.zones[z].label.zh for z in grouped.index]
    grouped[col.ZONE_NAME_EN] = [model.zones[z].label.en for z in grouped.index]
    order = [z for z in model.zones if z in grouped.index]
    return {"zones": grouped.loc[order].reset_index()}


STAGE = Stage(name="zones", run=run, columns=columns, sites=sites, layers=zone_polygons)
