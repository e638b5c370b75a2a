"""Zoning stage: a planning zone for every parcel, the dissolved zone polygons and statistics.

The zone of each parcel comes from an ordered decision table (``rules/zones.yaml``); then
the minimum mapping unit (``min_mapping_unit_ha``) merges contiguous same-zone fragments
smaller than it into the neighbouring zone they share the longest boundary with
(:mod:`zoning.mmu`). The table's zone is kept in ``zone_before_mmu``; a merged parcel gets
``zone_rule`` ``mmu`` and a reason naming the fragment's area and the shared boundary.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from zoning import columns as col
from zoning.decision import Output, Table, evaluate
from zoning.declare import Column, Product, decided, fixed
from zoning.layers import LayerSet
from zoning.mmu import FragmentRound, close_gaps, merge_fragments, shared_boundaries
from zoning.rules.models import ZonesRules
from zoning.rules.ruleset import ExpressionSite, RuleSet
from zoning.stage import Stage, StageOutput

logger = logging.getLogger(__name__)

STATISTICS_TABLE = "zone_statistics"
"""Name of the zone statistics table (written as ``zone_statistics.csv``)."""
TOTAL = "total"
"""``by`` of the statistics row giving a zone's whole area."""
BREAKDOWNS = (col.RESTORATION_MODE, col.VALUE_MODE, col.BEST_USE_CLASS)
"""Parcel columns the zone statistics break each zone's area down by."""


def table(rules: RuleSet) -> Table:
    """The zoning decision table."""
    model = rules.get("zones", ZonesRules)
    return Table("zones", "rules", model.rules, [Output(col.ZONE, col.ZONE_RULE, col.ZONE_REASON)])


DECLARED: tuple[Column, ...] = (
    *decided(col.ZONE, col.ZONE_RULE, col.ZONE_REASON, "规划分区", "Zone", "planning zone",
             categories="zones.zones"),
    Column(col.ZONE_NAME_ZH, "text", "分区名称", "Zone name (zh)", "Chinese name of the zone"),
    Column(col.ZONE_NAME_EN, "text", "分区名称（英文）", "Zone name", "English name of the zone"),
    Column(col.ZONE_BEFORE_MMU, "category", "合并前分区", "Zone before merging",
           "zone the decision table gave, before small fragments merged (minimum mapping unit)",
           categories="zones.zones"),
)
"""The columns the zoning stage adds, in order."""



def makes(rules: RuleSet) -> list[Product]:
    """The zone polygons and statistics."""
    return [Product("zones", "layer", "规划分区", "Planning zones"),
            Product(STATISTICS_TABLE, "table", "分区统计", "Zone statistics")]


def sites(rules: RuleSet) -> list[ExpressionSite]:
    """Conditions of the zoning rules."""
    return table(rules).sites()


def run(parcels: gpd.GeoDataFrame, rules: RuleSet, layers: LayerSet) -> StageOutput:
    """Assign ``zone`` by the table, merge fragments below the minimum mapping unit.

    Returns
    -------
    StageOutput
        The zone columns, and the table ``zone_statistics`` (:func:`zone_statistics`).
    """
    model = rules.get("zones", ZonesRules)
    out = evaluate(table(rules), parcels, rules)
    out[col.ZONE_BEFORE_MMU] = out[col.ZONE]
    if model.min_mapping_unit_ha > 0:
        out = _apply_mmu(out, parcels, model)
    out[col.ZONE_NAME_ZH] = out[col.ZONE].map({k: z.label.zh for k, z in model.zones.items()})
    out[col.ZONE_NAME_EN] = out[col.ZONE].map({k: z.label.en for k, z in model.zones.items()})
    out = out[STAGE.columns(rules)]
    breakdowns = [c for c in BREAKDOWNS if c in parcels.columns]
    stats = zone_statistics(parcels[[col.AREA_HA, *breakdowns]].join(out[[col.ZONE]]), model)
    return StageOutput(out, tables={STATISTICS_TABLE: stats})


def _apply_mmu(out: pd.DataFrame, parcels: gpd.GeoDataFrame, model: ZonesRules) -> pd.DataFrame:
    """Zones after the minimum mapping unit; ``out`` is not changed."""
    names = list(model.zones)
    codes = pd.Categorical(out[col.ZONE], categories=names).codes.astype(np.int64)
    i, j, length = shared_boundaries(parcels.geometry.to_numpy())
    exempt = np.isin(names, model.mmu_exempt)
    merged = merge_fragments(codes, parcels[col.AREA_HA].to_numpy(dtype=float), i, j, length,
                             model.min_mapping_unit_ha, exempt)
    changed = merged.labels != codes
    result = out.copy()
    result[col.ZONE] = np.asarray(names, dtype=object)[merged.labels]
    mmu = model.min_mapping_unit_ha
    result.loc[changed, col.ZONE_RULE] = col.ZONE_RULE_MMU
    result.loc[changed, col.ZONE_REASON] = [
        f"fragment of {area:.2f} ha < {mmu:g} ha merged into {zone} "
        f"(longest shared boundary {shared:.0f} m)"
        for area, zone, shared in zip(merged.fragment_area[changed],
                                      result.loc[changed, col.ZONE],
                                      merged.shared_length[changed], strict=True)]
    logger.info("minimum mapping unit %g ha: %d parcel(s) (%.1f ha) merged into a neighbouring "
                "zone in %d round(s)", mmu, int(changed.sum()),
                float(parcels[col.AREA_HA].to_numpy()[changed].sum()), merged.rounds)
    return result


@dataclass(frozen=True)
class MmuRound:
    """The fragment of one parcel in one round of the minimum mapping unit, zones by name.

    Attributes
    ----------
    round
        Merging round, from 1.
    zone
        Zone of the fragment at the start of the round.
    area_ha, parcels
        Area and number of parcels of the fragment.
    small
        Below ``min_mapping_unit_ha`` and not exempt: it merges (or waits).
    exempt
        Its zone is in ``mmu_exempt``.
    neighbours
        Neighbouring zone → boundary shared with the fragment (m), longest first; only for a
        small fragment.
    waiting
        It touched a smaller small fragment and waited for it this round.
    merged_into
        The zone it merged into this round, or None.
    """

    round: int
    zone: str
    area_ha: float
    parcels: int
    small: bool
    exempt: bool
    neighbours: dict[str, float]
    waiting: bool
    merged_into: str | None


def mmu_trace(parcels: gpd.GeoDataFrame, rules: RuleSet, parcel_id: object) -> list[MmuRound]:
    """Replay the minimum mapping unit on ``zone_before_mmu`` and follow one parcel's fragment.

    Parameters
    ----------
    parcels
        The zoned parcels (``zone_before_mmu``, ``area_ha``, geometry).
    rules
        The rules of the run.
    parcel_id
        Index label of the parcel to follow.

    Returns
    -------
    list of MmuRound
        The rounds in which something happened to its fragment (the first round always);
        the replay gives the same zones as the stage.
    """
    model = rules.get("zones", ZonesRules)
    names = list(model.zones)
    codes = pd.Categorical(parcels[col.ZONE_BEFORE_MMU], categories=names).codes.astype(np.int64)
    i, j, length = shared_boundaries(parcels.geometry.to_numpy())
    merged = merge_fragments(codes, parcels[col.AREA_HA].to_numpy(dtype=float), i, j, length,
                             model.min_mapping_unit_ha, np.isin(names, model.mmu_exempt),
                             watch=int(parcels.index.get_loc(parcel_id)))
    return [_named(r, names) for r in merged.watched]


def _named(step: FragmentRound, names: list[str]) -> MmuRound:
    neighbours = sorted(step.neighbours.items(), key=lambda kv: (-kv[1], kv[0]))
    return MmuRound(step.round, names[step.label], step.area, step.parcels, step.small,
                    step.exempt, {names[k]: v for k, v in neighbours}, step.waiting,
                    None if step.target is None else names[step.target])


def zone_statistics(parcels: pd.DataFrame, model: ZonesRules) -> pd.DataFrame:
    """Area and parcels per zone, in all and by restoration mode, value mode and best-use class.

    Parameters
    ----------
    parcels
        Parcels with ``zone``, ``area_ha`` and the breakdown columns present (those missing
        are left out).
    model
        The zones rules (for the order and names of the zones).

    Returns
    -------
    pandas.DataFrame
        Long format, one row per zone and ``by`` / ``value``: ``by`` is ``total`` (the
        zone as a whole, ``value`` empty, ``share`` its share of the region's area) or a
        breakdown column (``value`` one of its values, ``share`` the share of the zone's
        area; a missing value is written ``none``). Columns ``zone``, ``zone_name_zh``,
        ``zone_name_en``, ``by``, ``value``, ``parcels``, ``area_ha``, ``share``. The
        ``total`` rows sum to the region's area and parcel count, as do each breakdown's
        rows.
    """
    frame = parcels
    zone_area = frame.groupby(col.ZONE)[col.AREA_HA].sum()
    total = frame[col.AREA_HA].sum()
    rows = [pd.DataFrame({col.ZONE: zone_area.index, "by": TOTAL, "value": "",
                          "parcels": frame.groupby(col.ZONE).size().to_numpy(),
                          "area_ha": zone_area.to_numpy(),
                          "share": zone_area.to_numpy() / total if total else np.nan})]
    for by in (c for c in BREAKDOWNS if c in frame.columns):
        values = frame[by].astype(object).where(frame[by].notna(), "none").astype(str)
        grouped = frame.assign(value=values).groupby([col.ZONE, "value"])[col.AREA_HA]
        part = grouped.agg(parcels="size", area_ha="sum").reset_index()
        part["share"] = part["area_ha"] / part[col.ZONE].map(zone_area).to_numpy()
        rows.append(part.assign(by=by))
    stats = pd.concat(rows, ignore_index=True)
    order = {z: k for k, z in enumerate(model.zones)}
    stats["_zone"] = stats[col.ZONE].map(order)
    stats["_by"] = stats["by"].map({b: k for k, b in enumerate((TOTAL, *BREAKDOWNS))})
    stats = stats.sort_values(["_zone", "_by", "value"], kind="stable")
    stats[col.ZONE_NAME_ZH] = stats[col.ZONE].map({k: z.label.zh for k, z in model.zones.items()})
    stats[col.ZONE_NAME_EN] = stats[col.ZONE].map({k: z.label.en for k, z in model.zones.items()})
    columns_out = [col.ZONE, col.ZONE_NAME_ZH, col.ZONE_NAME_EN, "by", "value", "parcels",
                   "area_ha", "share"]
    return stats[columns_out].reset_index(drop=True)


def zone_polygons(parcels: gpd.GeoDataFrame, rules: RuleSet) -> dict[str, gpd.GeoDataFrame]:
    """Dissolve parcels by zone into one (multi)polygon per zone, with area and parcel count.

    Gaps between parcels narrower than twice :data:`zoning.mmu.SNAP_M`, which the minimum
    mapping unit counts as shared boundary, are closed (:func:`zoning.mmu.close_gaps`), so
    that each connected fragment the unit kept is one piece of its zone's polygon.
    """
    model = rules.get("zones", ZonesRules)
    grouped = parcels[[col.ZONE, col.AREA_HA, "geometry"]].dissolve(
        by=col.ZONE, aggfunc={col.AREA_HA: "sum"})
    # the unit bridged sliver gaps between parcels: so must the pieces of each zone
    grouped = grouped.set_geometry(close_gaps(grouped.geometry.to_numpy()), crs=parcels.crs)
    grouped["parcels"] = parcels.groupby(col.ZONE).size()
    grouped[col.ZONE_NAME_ZH] = [model.zones[z].label.zh for z in grouped.index]
    grouped[col.ZONE_NAME_EN] = [model.zones[z].label.en for z in grouped.index]
    order = [z for z in model.zones if z in grouped.index]
    return {"zones": grouped.loc[order].reset_index()}


STAGE = Stage(name="zones", run=run, declares=fixed(DECLARED), sites=sites, layers=zone_polygons,
              makes=makes)
