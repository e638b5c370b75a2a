"""Damage stage: grade subsidence damage of land and of buildings by the worst factor.

The tables are in ``damage.yaml``:

``land``
    Parcels where ``land.applies_to`` holds (by default all but construction land) are graded
    by the TD/T 1031.3 cultivated-land factors. Each factor with a value gives a grade from its
    limits (a value exactly at a limit belongs to the milder grade); the worst grade decides,
    and of factors equally bad the one listed first in the file. A factor whose value is
    missing for a parcel is skipped. A parcel outside the subsidence basin (``subs_max_m``
    below ``basin_edge_m``) is ``outside`` (``none``) whatever its factors. Inside the basin
    with no factor value the mildest grade holds (``inside_basin``); with no subsidence value
    and no factor value the parcel is taken as ``none`` (``no_data``).
``buildings``
    Parcels where ``buildings.applies_to`` holds (construction land) get a building grade
    I–IV from the deformation factors, the same way; without any deformation value the
    building grade is missing, never guessed.

A parcel outside the land table takes as ``damage_grade`` the grade its building grade
counts as (``buildings.grades.<g>.damage_grade``); without a building grade the land factors
grade it, and its reason says so. Everything is computed on whole columns: the only loops
run over factors and grades, never over parcels.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from zoning import columns as col
from zoning.declare import Column, fixed
from zoning.errors import RuleError
from zoning.layers import LayerSet
from zoning.overlay import depth_bands
from zoning.rules.models import DamageFactor, DamageRules, band_column
from zoning.rules.ruleset import ExpressionSite, RuleSet
from zoning.stage import Stage

OUTSIDE_BASIN = "outside_basin"
"""``damage_factor`` of parcels outside the subsidence basin."""
INSIDE_BASIN = "inside_basin"
"""``damage_factor`` of parcels inside the basin for which no factor has a value."""
NO_DATA = "no_data"
"""``damage_factor`` of parcels with neither a subsidence value nor any factor value."""
BUILDING = col.BUILDING_GRADE
"""``damage_factor`` of parcels whose damage grade comes from their building grade."""
BELOW_EXTENT = "below_extent"
"""``damage_factor`` of parcels where too little of the area subsided beyond the noise floor
(``land.extent``)."""

TABLES = ("land", "buildings")


DECLARED: tuple[Column, ...] = (
    Column(col.DAMAGE_GRADE, "category", "损毁程度", "Damage grade",
           "land damage grade: none, light, moderate, severe", categories="damage.grades"),
    Column(col.DAMAGE_FACTOR, "text", "损毁主导因子", "Damage factor",
           "the factor that decided the damage grade"),
    Column(col.DAMAGE_REASON, "text", "损毁程度理由", "Damage grade reason",
           "why the parcel has its damage grade: the factor's value against its limits"),
    Column(col.BUILDING_GRADE, "text", "建筑物损坏等级", "Building grade",
           "building damage grade I-IV of construction land; missing without deformation "
           "values"),
    Column(col.BUILDING_FACTOR, "text", "建筑物损坏主导因子", "Building factor",
           "the deformation factor that decided the building grade"),
)
"""The columns the damage stage adds, in order."""



def _model(rules: RuleSet) -> DamageRules:
    return rules.get("damage", DamageRules)


def _factors(model: DamageRules, table: str) -> list[DamageFactor]:
    return model.land.factors if table == "land" else model.buildings.factors


def _applies_site(model: DamageRules, table: str) -> ExpressionSite:
    text = model.land.applies_to if table == "land" else model.buildings.applies_to
    return ExpressionSite("damage", (table, "applies_to"), text)


def _factor_site(table: str, i: int, factor: DamageFactor) -> ExpressionSite:
    return ExpressionSite("damage", (table, "factors", i, "column"), factor.column)


_BASIN_SITE = ExpressionSite("damage", ("land", "basin_edge_m"), col.SUBS_MAX_M)


def _extent_site(model: DamageRules) -> ExpressionSite | None:
    """The share of the parcel subsided beyond the noise floor: the sum of the band shares."""
    extent = model.land.extent
    if extent is None:
        return None
    floor = extent.noise_floor_m.value
    names = [band_column(lo, hi) for lo, hi in depth_bands(model.depth_bands_m) if lo >= floor]
    return ExpressionSite("damage", ("land", "extent", "noise_floor_m"), " + ".join(names))


def sites(rules: RuleSet) -> list[ExpressionSite]:
    """The applicability conditions and the factor columns, checked before the run."""
    model = _model(rules)
    found = [_applies_site(model, t) for t in TABLES]
    for table in TABLES:
        found += [_factor_site(table, i, f) for i, f in enumerate(_factors(model, table))]
    extent = _extent_site(model)
    return [*found, _BASIN_SITE, *([extent] if extent is not None else [])]


# --- grading -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Graded:
    """The factors of one table graded over many parcels.

    Attributes
    ----------
    values
        ``(parcels, factors)`` factor values, NaN where missing.
    grades
        ``(parcels, factors)`` grade index per factor (0 the mildest), -1 where missing.
    worst
        Worst grade index per parcel, -1 where no factor has a value.
    decider
        Index of the deciding factor per parcel (the first of equally bad ones), -1 where
        no factor has a value.
    """

    values: np.ndarray
    grades: np.ndarray
    worst: np.ndarray
    decider: np.ndarray


def grade_values(values: np.ndarray, factors: Sequence[DamageFactor]) -> Graded:
    """Grade a ``(parcels, factors)`` array of values by each factor's limits.

    For ``higher_is_worse`` the grade is the number of limits the value exceeds; for
    ``lower_is_worse`` the number of limits it is below. So a value exactly at a limit
    belongs to the milder grade.

    Examples
    --------
    >>> from zoning.rules.models import DamageFactor, Label
    >>> label = Label(zh="x", en="x")
    >>> strain = DamageFactor(column="strain_max_mm_m", label=label, limits=[8.0, 16.0],
    ...                       source="s")
    >>> gw = DamageFactor(column="gw_after_m", label=label, direction="lower_is_worse",
    ...                   limits=[1.5, 0.5], source="s")
    >>> g = grade_values(np.array([[8.0, 1.5], [9.0, 0.5], [np.nan, 0.2], [np.nan, np.nan]]),
    ...                  [strain, gw])
    >>> g.grades.tolist(), g.worst.tolist(), g.decider.tolist()
    ([[0, 0], [1, 1], [-1, 2], [-1, -1]], [0, 1, 2, -1], [0, 0, 1, -1])

    """
    values = np.asarray(values, dtype=np.float64).reshape(len(values), len(factors))
    grades = np.full(values.shape, -1, dtype=np.int64)
    with np.errstate(invalid="ignore"):
        for j, factor in enumerate(factors):
            limits = np.asarray(factor.limits, dtype=np.float64)
            v = values[:, j, None]
            count = (v > limits) if factor.direction == "higher_is_worse" else (v < limits)
            grades[:, j] = np.where(np.isnan(values[:, j]), -1, count.sum(axis=1))
    if not factors:
        none = np.full(len(values), -1, dtype=np.int64)
        return Graded(values, grades, none, none.copy())
    worst = grades.max(axis=1)
    decider = np.where(worst < 0, -1, np.argmax(grades, axis=1))  # argmax: first of ties
    return Graded(values, grades, worst, decider)


def band_text(factor: DamageFactor, k: int) -> str:
    """The range of values of grade ``k`` of ``factor``, e.g. ``in (8, 16] mm/m``.

    Examples
    --------
    >>> from zoning.rules.models import DamageFactor, Label
    >>> gw = DamageFactor(column="gw_after_m", label=Label(zh="x", en="x"),
    ...                   direction="lower_is_worse", limits=[1.5, 0.5], source="s")
    >>> [band_text(gw, k) for k in range(3)]
    ['≥ 1.5 m', 'in [0.5, 1.5) m', '< 0.5 m']

    """
    lim, unit = factor.limits, _unit(factor)
    if factor.direction == "higher_is_worse":
        if k == 0:
            return f"≤ {lim[0]:g}{unit}"
        if k == len(lim):
            return f"> {lim[-1]:g}{unit}"
        return f"in ({lim[k - 1]:g}, {lim[k]:g}]{unit}"
    if k == 0:
        return f"≥ {lim[0]:g}{unit}"
    if k == len(lim):
        return f"< {lim[-1]:g}{unit}"
    return f"in [{lim[k]:g}, {lim[k - 1]:g}){unit}"


def _unit(factor: DamageFactor) -> str:
    unit = col.UNITS.get(factor.column, "")
    return f" {unit}" if unit and unit != "fraction" else ""


def _fmt(values: np.ndarray) -> np.ndarray:
    """Values as text (to 6 decimals, 6 significant digits), as an object array.

    Enough digits that a value just past a limit never reads as the limit itself.
    """
    rounded = np.round(np.asarray(values, dtype=np.float64), 6) + 0.0  # no "-0"
    return np.char.mod("%.6g", rounded).astype(object)


def _reasons(graded: Graded, factors: Sequence[DamageFactor], names: Sequence[str]) -> np.ndarray:
    """``"<column> = <value> <unit> <range>: <grade>"`` of the deciding factor; None if none."""
    out = np.full(len(graded.worst), None, dtype=object)
    for j, factor in enumerate(factors):
        for k, name in enumerate(names):
            take = (graded.decider == j) & (graded.worst == k)
            if take.any():
                out[take] = (f"{factor.column} = " + _fmt(graded.values[take, j])
                             + f"{_unit(factor)} {band_text(factor, k)}: {name}")
    return out


def _numbers(parcels: pd.DataFrame, rules: RuleSet, site: ExpressionSite) -> np.ndarray:
    series = rules.expression(site).evaluate(parcels)
    if series.dtype.kind not in "fiu":
        raise RuleError(f"{rules.documents['damage'].where(site.key)}: damage factor "
                        f"{site.text!r} holds {series.dtype} values; it must be a column of "
                        "numbers")
    return series.to_numpy(dtype=np.float64, na_value=np.nan)


def _condition(parcels: pd.DataFrame, rules: RuleSet, site: ExpressionSite) -> np.ndarray:
    return rules.expression(site).evaluate_condition(parcels).to_numpy(dtype=bool)


def _grade_table(parcels: pd.DataFrame, rules: RuleSet, table: str) -> Graded:
    factors = _factors(_model(rules), table)
    values = np.column_stack(
        [_numbers(parcels, rules, _factor_site(table, i, f)) for i, f in enumerate(factors)])
    return grade_values(values, factors)


def grade(parcels: pd.DataFrame, rules: RuleSet) -> pd.DataFrame:
    """Damage and building grades of ``parcels``, with the deciding factor and the reason.

    ``parcels`` must hold every column the tables name (NaN where a value is unknown).
    """
    model = _model(rules)
    land, buildings = model.land, model.buildings
    n = len(parcels)
    land_applies = _condition(parcels, rules, _applies_site(model, "land"))
    buildings_apply = _condition(parcels, rules, _applies_site(model, "buildings"))
    lg = _grade_table(parcels, rules, "land")
    bg = _grade_table(parcels, rules, "buildings")
    subs = _numbers(parcels, rules, _BASIN_SITE)
    edge = land.basin_edge_m.value
    with np.errstate(invalid="ignore"):
        outside, inside = subs < edge, subs >= edge

    # building grade: the worst deformation factor, missing without any value
    building_names = np.array(list(buildings.grades), dtype=object)
    counts_as = np.array([g.damage_grade for g in buildings.grades.values()], dtype=object)
    known_building = buildings_apply & (bg.worst >= 0)
    building_grade = np.full(n, None, dtype=object)
    building_grade[known_building] = building_names[bg.worst[known_building]]
    building_factor = np.full(n, None, dtype=object)
    building_columns = np.array([f.column for f in buildings.factors], dtype=object)
    building_factor[known_building] = building_columns[bg.decider[known_building]]
    building_reason = _reasons(bg, buildings.factors, list(buildings.grades))

    # land factors: every parcel (they are also the fallback of parcels outside the land table)
    land_names = np.array(land.grades, dtype=object)
    land_columns = np.array([f.column for f in land.factors], dtype=object)
    grade_ = np.full(n, land.outside, dtype=object)
    factor = np.full(n, NO_DATA, dtype=object)
    reason = np.full(n, f"no subsidence or factor value: not graded, taken as {land.outside}",
                     dtype=object)
    known = lg.worst >= 0
    grade_[known] = land_names[lg.worst[known]]
    factor[known] = land_columns[lg.decider[known]]
    reason[known] = _reasons(lg, land.factors, land.grades)[known]
    basin_only = ~known & inside
    grade_[basin_only] = land.grades[0]
    factor[basin_only] = INSIDE_BASIN
    reason[basin_only] = (f"{col.SUBS_MAX_M} = " + _fmt(subs[basin_only])
                          + f" m ≥ {edge:g} m (inside the basin), no factor value: "
                          + land.grades[0])

    # parcels outside the land table: their building grade, else the land factors
    by_building = ~land_applies & known_building
    grade_[by_building] = counts_as[bg.worst[by_building]]
    factor[by_building] = BUILDING
    reason[by_building] = ("building grade " + building_grade[by_building] + " ("
                           + building_reason[by_building] + ") counts as "
                           + grade_[by_building])
    fallback = ~land_applies & ~known_building
    reason[fallback] = "no building grade; by the land factors: " + reason[fallback]

    _gate(parcels, rules, ~outside & ~by_building, grade_, factor, reason)

    grade_[outside] = land.outside
    factor[outside] = OUTSIDE_BASIN
    reason[outside] = (f"{col.SUBS_MAX_M} = " + _fmt(subs[outside])
                       + f" m < {edge:g} m: outside the subsidence basin")

    return pd.DataFrame({
        col.DAMAGE_GRADE: grade_, col.DAMAGE_FACTOR: factor, col.DAMAGE_REASON: reason,
        col.BUILDING_GRADE: building_grade, col.BUILDING_FACTOR: building_factor,
    }, index=parcels.index)


def _gate(parcels: pd.DataFrame, rules: RuleSet, graded: np.ndarray, grade_: np.ndarray,
          factor: np.ndarray, reason: np.ndarray) -> None:
    """Grade ``outside`` the land-graded parcels with too little area beyond the noise floor.

    Updates ``grade_``, ``factor`` and ``reason`` in place where ``graded`` holds and the share
    of the parcel subsided at least ``land.extent.noise_floor_m`` is below its ``min_share``
    (parcels without band shares, or a table without the band columns, are not gated: the
    stage's sites require the columns before a run).
    """
    model = _model(rules)
    site, extent = _extent_site(model), model.land.extent
    if site is None or extent is None or not rules.expression(site).names <= set(parcels):
        return
    share = _numbers(parcels, rules, site)
    floor, least = extent.noise_floor_m.value, extent.min_share.value
    with np.errstate(invalid="ignore"):
        small = graded & (share < least)
    grade_[small] = model.land.outside
    factor[small] = BELOW_EXTENT
    reason[small] = (_fmt(share[small] * 100) + f" % of the parcel subsided {floor:g} m or more, "
                     f"less than {least:.0%}: within the measuring noise or confined to a small "
                     f"part; {model.land.outside}")


def run(parcels: gpd.GeoDataFrame, rules: RuleSet, layers: LayerSet) -> pd.DataFrame:
    """Assign ``damage_grade`` and ``building_grade`` with the deciding factor and reason."""
    return grade(parcels, rules)


# --- explanation of one parcel ------------------------------------------------------------


@dataclass(frozen=True)
class FactorGrade:
    """One factor of one parcel: its value, the grade it gives, and whether it decided."""

    table: str
    column: str
    value: float
    grade: str | None
    """None when the value is missing (the factor is skipped)."""
    unit: str
    """Unit of the value with a leading space (``" mm/m"``), or empty."""
    band: str
    """The range of the grade, e.g. ``> 16 mm/m``; empty when the value is missing."""
    decided: bool
    """True for the factor named in ``damage_factor`` (land) or ``building_factor``."""


@dataclass(frozen=True)
class Trace:
    """How one parcel was graded: which tables apply, every factor, and the results."""

    land_applies: bool
    buildings_apply: bool
    factors: list[FactorGrade]
    result: dict[str, Any]
    source: str = ""
    """Where the rule that decided ``damage_grade`` comes from (empty: no rule decided)."""


def _decided_source(model: DamageRules, decider: str, building_factor: Any) -> str:
    """Source of what decided a damage grade: a factor, the basin edge or the extent gate."""
    land = model.land
    sources = {f.column: f.source for f in land.factors}
    sources[OUTSIDE_BASIN] = land.basin_edge_m.source
    if land.extent is not None:
        sources[BELOW_EXTENT] = land.extent.min_share.source
    if decider == BUILDING:
        return {f.column: f.source for f in model.buildings.factors}.get(building_factor, "")
    return sources.get(decider, "")


def trace(parcel: pd.DataFrame, rules: RuleSet) -> Trace:
    """Every factor of both tables for a one-row ``parcel`` table (for ``zoning explain``)."""
    model = _model(rules)
    result = grade(parcel, rules).iloc[0].to_dict()
    lines: list[FactorGrade] = []
    for table in TABLES:
        factors = _factors(model, table)
        graded = _grade_table(parcel, rules, table)
        names = model.land.grades if table == "land" else list(model.buildings.grades)
        decider = result[col.DAMAGE_FACTOR if table == "land" else col.BUILDING_FACTOR]
        for j, factor in enumerate(factors):
            k = int(graded.grades[0, j])
            lines.append(FactorGrade(
                table, factor.column, float(graded.values[0, j]),
                names[k] if k >= 0 else None, _unit(factor),
                band_text(factor, k) if k >= 0 else "",
                decider == factor.column))
    applies = [bool(_condition(parcel, rules, _applies_site(model, t))[0]) for t in TABLES]
    return Trace(applies[0], applies[1], lines, result,
                 _decided_source(model, result[col.DAMAGE_FACTOR], result[col.BUILDING_FACTOR]))


STAGE = Stage(name="damage", run=run, declares=fixed(DECLARED), sites=sites)
