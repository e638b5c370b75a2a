"""Per-mine plans (一矿一策): damage, restoration, earth balance, cost and bond of each mine.

The collaborative-governance study of mining areas (矿区生态修复与安全管理协同治理路径研究)
asks for strategies by mine stage and type, one plan per mine, and restoration bonds graded
by the mine's risk level. :func:`mine_plans` totals the finished parcel table by ``mine_id``:
area by damage grade, ponded area, area by restoration mode, earthwork, strategy and
monitoring, the estimated cost by measure (``rules/costs.yaml``) and the bond. Parcels
outside every mine are left out; a mine of the mines layer without parcels gets a row of
zeros. The ``mines`` stage adds ``restoration_cost_yuan`` to the parcels and the ``mines``
table (``mines.csv``).
"""

from __future__ import annotations

import logging

import geopandas as gpd
import numpy as np
import pandas as pd

from zoning import columns as col
from zoning.declare import Column, Product, fixed
from zoning.errors import Problem
from zoning.layers import LayerSet
from zoning.rules.models import CostsRules, DamageRules, ModesRules
from zoning.rules.ruleset import RuleSet
from zoning.stage import Stage, StageOutput

logger = logging.getLogger(__name__)

KIND = "costs"
TABLE = "mines"
"""Name of the per-mine table (``mines.csv``)."""
EARTHWORK = "earthwork"
"""Cost item of the earthwork, beside the measures."""
PARCELS = "parcels"
PONDED_HA = "ponded_ha"
WORST_RISK = "safety_risk_worst"
BOND_FACTOR = "bond_factor"
COST_YUAN = "cost_yuan"
BOND_YUAN = "bond_yuan"

ILLUSTRATIVE_WARNING = (
    "costs: %d number(s) of %s are marked illustrative (%s): restoration_cost_yuan, cost_yuan "
    "and bond_yuan are orders of magnitude only; give the local budget norms and bond rules "
    "(project.yaml: rules: {costs: my_costs.yaml})")


def damage_column(grade: str) -> str:
    """Column of the hectares of damage grade ``grade`` in the mines table."""
    return f"damage_{grade}_ha"


def mode_column(mode: str) -> str:
    """Column of the hectares of restoration mode ``mode`` in the mines table."""
    return f"mode_{mode}_ha"


def cost_column(item: str) -> str:
    """Column of the cost (yuan) of a measure, or of ``earthwork``."""
    return f"cost_{item}_yuan"


def parcel_costs(parcels: pd.DataFrame, rules: RuleSet) -> pd.DataFrame:
    """Estimated restoration cost of each parcel by measure and earthwork (yuan).

    A measure's cost is its unit cost (yuan/ha) × ``area_ha`` on the parcels whose
    restoration mode lists it; the earthwork's is ``earth_volume_m3`` (missing: 0) × its
    unit cost (yuan/m³).

    Returns
    -------
    pandas.DataFrame
        One ``cost_<measure>_yuan`` column per measure of the costs rules, then
        ``cost_earthwork_yuan``, indexed like ``parcels``.
    """
    costs = rules.get(KIND, CostsRules)
    modes = rules.get("modes", ModesRules).restoration_modes
    mode = parcels[col.RESTORATION_MODE]
    area = parcels[col.AREA_HA].astype(float)
    out = pd.DataFrame(index=parcels.index)
    for measure, unit in costs.measures.items():
        uses = [name for name, m in modes.items() if measure in m.measures]
        out[cost_column(measure)] = np.where(mode.isin(uses), area * unit.yuan_per_ha, 0.0)
    volume = pd.to_numeric(parcels[col.EARTH_VOLUME_M3], errors="coerce").fillna(0.0)
    out[cost_column(EARTHWORK)] = volume * costs.earthwork.yuan_per_m3
    return out


def _by_area(parcels: pd.DataFrame, column: str) -> pd.Series:
    """Per mine, the values of ``column`` ordered by their area, largest first, '; '-joined."""
    area = parcels.groupby([col.MINE_ID, column])[col.AREA_HA].sum().reset_index()
    area = area.sort_values([col.MINE_ID, col.AREA_HA, column], ascending=[True, False, True])
    return area.groupby(col.MINE_ID)[column].agg("; ".join)


def _bond_factor(parcels: pd.DataFrame, costs: CostsRules) -> pd.DataFrame:
    """Per mine: the worst safety risk (highest factor) and the factor of the bond basis."""
    factors = {k: f.value for k, f in costs.bond.factors.items()}
    factor = parcels[col.SAFETY_RISK].map(factors).astype(float)
    frame = pd.DataFrame({col.MINE_ID: parcels[col.MINE_ID], "factor": factor,
                          col.SAFETY_RISK: parcels[col.SAFETY_RISK],
                          "weighted": factor * parcels[col.AREA_HA],
                          col.AREA_HA: parcels[col.AREA_HA]})
    worst = frame.sort_values("factor", ascending=False, kind="stable").groupby(col.MINE_ID).first()
    grouped = frame.groupby(col.MINE_ID)
    if costs.bond.basis == "worst":
        used = grouped["factor"].max()
    else:
        used = grouped["weighted"].sum() / grouped[col.AREA_HA].sum()
    return pd.DataFrame({WORST_RISK: worst[col.SAFETY_RISK], BOND_FACTOR: used})


def mine_plans(parcels: pd.DataFrame, rules: RuleSet,
               mines: pd.DataFrame | None = None) -> pd.DataFrame:
    """The plan of each mine (一矿一策): damage, restoration, earth balance, cost and bond.

    Parameters
    ----------
    parcels
        The finished parcel table (``mine_id``, ``mine_stage``, ``mine_type``, ``area_ha``,
        ``damage_grade``, ``ponded_share``, ``restoration_mode``, the earthwork columns,
        ``strategy``, ``monitoring``, ``safety_risk``). Parcels without a ``mine_id`` are
        left out.
    rules
        The run's rules: damage grades, restoration modes, unit costs and bond factors.
    mines
        Optional: every mine of the mines layer (``mine_id``, ``mine_stage``,
        ``mine_type``), so that a mine without parcels gets a row (zero areas and costs,
        no safety risk, bond 0).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``mine_id`` (sorted): ``mine_stage``, ``mine_type``, ``parcels``,
        ``area_ha``, ``damage_<grade>_ha`` per damage grade (summing to ``area_ha``),
        ``ponded_ha`` (Σ ponded_share × area), ``mode_<mode>_ha`` per restoration mode,
        ``pond_area_ha``, ``field_area_ha``, ``earth_volume_m3``, ``strategy`` and
        ``monitoring`` (the values by area, largest first), ``safety_risk_worst``,
        ``bond_factor``, ``cost_<measure>_yuan`` per measure, ``cost_earthwork_yuan``,
        ``cost_yuan`` (their sum) and ``bond_yuan`` (cost × factor).

    Examples
    --------
    >>> from zoning.rules.ruleset import load_rules
    >>> parcels = pd.DataFrame({
    ...     "mine_id": ["M1", "M1", None], "mine_stage": ["closed"] * 2 + [None],
    ...     "mine_type": ["underground"] * 2 + [None], "area_ha": [2.0, 1.0, 5.0],
    ...     "damage_grade": ["severe", "none", "none"], "ponded_share": [0.5, 0.0, 0.0],
    ...     "restoration_mode": ["levelling_reclamation", "keep_as_is", "keep_as_is"],
    ...     "pond_area_ha": [None] * 3, "field_area_ha": [None] * 3,
    ...     "earth_volume_m3": [None] * 3, "strategy": ["post_closure"] * 3,
    ...     "monitoring": ["long_term"] * 3, "safety_risk": ["medium", "low", "low"]})
    >>> plan = mine_plans(parcels, load_rules()).loc["M1"]
    >>> [float(plan[c]) for c in ("area_ha", "damage_severe_ha", "ponded_ha")]
    [3.0, 2.0, 1.0]
    >>> [float(plan[c]) for c in ("cost_yuan", "bond_factor", "bond_yuan")]  # 105000 yuan/ha × 2
    [210000.0, 1.2, 252000.0]
    """
    costs = rules.get(KIND, CostsRules)
    grades = rules.get("damage", DamageRules).grades
    modes = rules.get("modes", ModesRules).restoration_modes
    mined = parcels[parcels[col.MINE_ID].notna()]
    mined = mined.assign(**{col.MINE_ID: mined[col.MINE_ID].astype(str)})
    by_mine = mined.groupby(col.MINE_ID)
    area = mined[col.AREA_HA].astype(float)
    first = by_mine[[col.MINE_STAGE, col.MINE_TYPE]].first()
    out = pd.DataFrame(index=first.index)
    out[[col.MINE_STAGE, col.MINE_TYPE]] = first
    out[PARCELS] = by_mine.size()
    out[col.AREA_HA] = by_mine[col.AREA_HA].sum()
    for column, keys, name in ((col.DAMAGE_GRADE, grades, damage_column),
                               (col.RESTORATION_MODE, modes, mode_column)):
        table = area.groupby([mined[col.MINE_ID], mined[column]]).sum().unstack(fill_value=0.0)
        for key in keys:
            out[name(key)] = table[key] if key in table.columns else 0.0
    out[PONDED_HA] = (mined[col.PONDED_SHARE].fillna(0.0) * area).groupby(
        mined[col.MINE_ID]).sum()
    for column in (col.POND_AREA_HA, col.FIELD_AREA_HA, col.EARTH_VOLUME_M3):
        out[column] = pd.to_numeric(mined[column], errors="coerce").groupby(
            mined[col.MINE_ID]).sum()
    for column in (col.STRATEGY, col.MONITORING):
        out[column] = _by_area(mined, column)
    out = out.join(_bond_factor(mined, costs))
    items = parcel_costs(mined, rules).groupby(mined[col.MINE_ID]).sum()
    out = out.join(items)
    out[COST_YUAN] = items.sum(axis=1)
    out[BOND_YUAN] = out[COST_YUAN] * out[BOND_FACTOR]
    if mines is not None:
        out = _with_empty_mines(out, mines)
    out.index.name = col.MINE_ID
    return out.sort_index()


def _with_empty_mines(out: pd.DataFrame, mines: pd.DataFrame) -> pd.DataFrame:
    """Add a row of zeros (no risk, no factor) for each mine of ``mines`` without parcels."""
    listed = mines.assign(**{col.MINE_ID: mines[col.MINE_ID].astype(str)}).set_index(col.MINE_ID)
    empty = listed.index.difference(out.index)
    if empty.empty:
        return out
    rows = pd.DataFrame(index=empty, columns=out.columns)
    numbers = out.select_dtypes("number").columns.difference([BOND_FACTOR])
    rows[numbers] = 0.0
    rows[PARCELS] = 0
    rows[[col.MINE_STAGE, col.MINE_TYPE]] = listed.loc[empty, [col.MINE_STAGE, col.MINE_TYPE]]
    return pd.concat([out, rows.astype(out.dtypes.to_dict())])


def check(parcels: gpd.GeoDataFrame, rules: RuleSet, layers: LayerSet) -> list[Problem]:
    """Every measure a restoration mode lists needs a unit cost; every safety level a factor."""
    costs = rules.get(KIND, CostsRules)
    modes = rules.get("modes", ModesRules)
    doc = rules.documents[KIND]
    problems = []
    used: dict[str, list[str]] = {}
    for name, mode in modes.restoration_modes.items():
        for measure in mode.measures:
            used.setdefault(measure, []).append(name)
    for measure in sorted(set(used) - set(costs.measures)):
        problems.append(doc.problem(
            ("measures",), f"no unit cost for measure {measure!r}, which restoration mode(s) "
                           f"{used[measure]} of {rules.path('modes')} list; add "
                           f"`{measure}: {{yuan_per_ha: ..., source: ...}}`"))
    missing = sorted(set(modes.safety_levels) - set(costs.bond.factors))
    if missing:
        problems.append(doc.problem(
            ("bond", "factors"), f"no bond factor for safety level(s) {missing} of "
                                 f"{rules.path('modes')}; give one (≥ 1) for each"))
    return problems


def _mines_listed(layers: LayerSet) -> pd.DataFrame | None:
    """The mines of the mines layer (id, stage, type), or None without one."""
    frame = layers.vectors.get("mines")
    if frame is None or layers.mines is None:
        return None
    fields = layers.mines.fields
    return pd.DataFrame({col.MINE_ID: frame[fields.id], col.MINE_STAGE: frame[fields.stage],
                         col.MINE_TYPE: frame[fields.type]})


DECLARED: tuple[Column, ...] = (
    Column(col.RESTORATION_COST_YUAN, "float", "修复费用", "Restoration cost",
           "cost of the parcel's restoration mode × area, plus the earthwork volume × its unit "
           "cost (rules/costs.yaml)"),
)
"""The column the stage adds."""



def makes(rules: RuleSet) -> list[Product]:
    """The per-mine plans (一矿一策)."""
    return [Product(TABLE, "table", "一矿一策", "Mine plans")]


def run(parcels: gpd.GeoDataFrame, rules: RuleSet, layers: LayerSet) -> StageOutput:
    """Each parcel's restoration cost, and the per-mine plans as the ``mines`` table."""
    costs = rules.get(KIND, CostsRules)
    flagged = costs.illustrative()
    if flagged:
        logger.warning(ILLUSTRATIVE_WARNING, len(flagged), rules.path(KIND), ", ".join(flagged))
    seen = pd.DataFrame(parcels.drop(columns=parcels.geometry.name))
    out = pd.DataFrame({col.RESTORATION_COST_YUAN: parcel_costs(seen, rules).sum(axis=1)},
                       index=parcels.index)
    plans = mine_plans(seen, rules, _mines_listed(layers))
    logger.info("mine plans: %d mine(s), cost %.4g yuan, bond %.4g yuan", len(plans),
                plans[COST_YUAN].sum(), plans[BOND_YUAN].sum())
    return StageOutput(out, tables={TABLE: plans.reset_index()})


STAGE = Stage(name="mines", run=run, declares=fixed(DECLARED), check=check, makes=makes)
