"""Pydantic models of the rule files, one per ``kind``.

Unknown keys are rejected everywhere so a misspelt key is an error, not a silent
default. The JSON schema printed by ``zoning schema`` is generated from these models.
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection
from itertools import pairwise
from typing import Annotated, Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from zoning import columns as col
from zoning.rules._assessment import CRITERIA, DIRECTION_WORDS, AssessmentRules, Group
from zoning.rules._base import (
    Color,
    Identifier,
    Label,
    RuleFileBase,
    Sourced,
    Strict,
)
from zoning.rules._corridors import CorridorRules, Sources
from zoning.rules._costs import CostsRules
from zoning.rules._modes import Earthwork, ModesRules, RightsRule
from zoning.rules._reduction import CityType, Preset, ReductionRules
from zoning.rules._reduction import Indicator as ReductionIndicator
from zoning.rules._suitability import Factor, Score, SuitabilityRules, Use, Weighting
from zoning.rules._tables import Category, DecisionTable, Rule
from zoning.rules._valuation import CARBON_POOLS, UNCHANGED, CarbonRules, Densities, EsvRules

__all__ = [
    "CARBON_POOLS", "CRITERIA", "DIRECTION_WORDS", "RULE_MODELS", "TOOL_RULE_MODELS",
    "UNCHANGED", "AssessmentRules", "CarbonRules", "Category", "CityType", "CorridorRules",
    "CostsRules", "DamageRules", "Densities", "Earthwork", "EsvRules", "Extent", "Factor",
    "Group", "Label", "LandUseRules", "ModesRules", "Preset", "ReductionIndicator",
    "ReductionRules", "RightsRule", "Rule", "Score", "Sourced", "Sources", "SubsidenceRules",
    "SuitabilityRules", "Use", "Weighting", "ZonesRules", "band_column",
]
# --- landuse -------------------------------------------------------------------------


class LandUseCode(Strict):
    """One land-use code of the classification and the canonical class it maps to."""

    code: str
    name_zh: str
    name_en: str
    l1: str = Field(description="First-level class code.")
    land_class: Identifier = Field(description="Canonical class used by the rules.")


class LandUseRules(RuleFileBase):
    """``kind: landuse`` — maps the parcel layer's land-use codes to canonical classes."""

    kind: Literal["landuse"]
    standard: str = Field(min_length=1, description="Standard the code table follows: the "
                          "source of every code (e.g. GB/T 21010-2017).")
    land_classes: dict[Identifier, Category]
    construction_classes: list[Identifier] = Field(
        description="Canonical classes that are construction land (建设用地)."
    )
    codes: list[LandUseCode]

    @model_validator(mode="after")
    def _classes_defined(self) -> LandUseRules:
        known = set(self.land_classes)
        unknown = sorted({c.land_class for c in self.codes} - known)
        unknown += sorted(set(self.construction_classes) - known)
        if unknown:
            raise ValueError(f"land classes used but not defined in land_classes: {unknown}")
        codes = [c.code for c in self.codes]
        if len(codes) != len(set(codes)):
            raise ValueError("a land-use code is listed twice")
        return self


# --- damage --------------------------------------------------------------------------

DamageDirection = Literal["higher_is_worse", "lower_is_worse"]
GradeName = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_]*$")]


class DamageFactor(Strict):
    """A factor of a damage grading table: a parcel column and its limits between grades.

    With ``n`` grades (mildest first) a factor has ``n - 1`` limits. A value exactly at a
    limit belongs to the milder grade: for ``higher_is_worse`` grade ``k`` holds values
    ``limits[k-1] < x <= limits[k]``; for ``lower_is_worse`` it holds
    ``limits[k] <= x < limits[k-1]``.
    """

    column: Identifier = Field(description="Parcel column with the factor's value.")
    label: Label
    direction: DamageDirection = Field(
        "higher_is_worse", description="Whether a higher or a lower value is worse.")
    limits: list[float] = Field(
        min_length=1,
        description="Limits between neighbouring grades, mildest first: increasing for "
                    "higher_is_worse, decreasing for lower_is_worse; at a limit the milder "
                    "grade holds.",
    )
    source: str = Field(min_length=1, description="Standard or study the limits come from.")

    @field_validator("limits")
    @classmethod
    def _monotonic(cls, limits: list[float], info: ValidationInfo) -> list[float]:
        direction = info.data.get("direction", "higher_is_worse")
        column = info.data.get("column", "?")
        if any(not math.isfinite(x) for x in limits):
            raise ValueError(f"factor {column!r}: limits must be finite numbers, found {limits}")
        if direction == "higher_is_worse":
            if any(a >= b for a, b in pairwise(limits)):
                raise ValueError(
                    f"factor {column!r} (higher_is_worse): limits must strictly increase "
                    f"from the mildest grade to the worst, found {limits}")
        elif any(a <= b for a, b in pairwise(limits)):
            raise ValueError(
                f"factor {column!r} (lower_is_worse): limits must strictly decrease from "
                f"the mildest grade to the worst, found {limits}")
        return limits


def _check_limit_counts(table: str, grades: Collection[str],
                        factors: list[DamageFactor]) -> None:
    grades = list(grades)
    wrong = [f for f in factors if len(f.limits) != len(grades) - 1]
    if wrong:
        raise ValueError("; ".join(
            f"{table} factor {f.column!r}: {len(f.limits)} limit(s) {f.limits} for the "
            f"{len(grades)} grades {grades}; give {len(grades) - 1} (one between each pair "
            "of neighbouring grades)" for f in wrong))
    columns = [f.column for f in factors]
    twice = sorted({c for c in columns if columns.count(c) > 1})
    if twice:
        raise ValueError(f"{table}: factor column(s) {twice} listed twice")


class Extent(Strict):
    """How much of a parcel must have subsided for its land factors to grade it.

    Parcels where less than ``min_share`` of the area subsided ``noise_floor_m`` or more get
    the ``outside`` grade: the subsidence is within the measuring noise (InSAR, levelling) or
    confined to a small part of the parcel.
    """

    noise_floor_m: Sourced = Field(
        description="Subsidence (m) below which a value is not told from measuring noise; "
                    "one of `depth_bands_m`, so that the band shares give the area above it.")
    min_share: Sourced = Field(
        description="Share of the parcel that must have subsided beyond the noise floor.")


class LandGrading(Strict):
    """Land damage grading by the worst factor (TD/T 1031.3 cultivated-land table).

    A parcel outside the subsidence basin (``subs_max_m`` below ``basin_edge_m``) gets
    ``outside``; otherwise each factor with a value gives a grade and the worst one decides
    (ties: the factor listed first). Factors missing for a parcel are skipped.
    """

    applies_to: str = Field(description="Condition: parcels graded by this table.")
    basin_edge_m: Sourced = Field(
        description="Subsidence (m) below which a parcel lies outside the subsidence basin.")
    outside: Identifier = Field(
        "none", description="Grade of parcels outside the basin (a key of `grades`).")
    grades: list[Identifier] = Field(
        min_length=2, description="Grades the factors give inside the basin, mildest first.")
    factors: list[DamageFactor] = Field(min_length=1)
    extent: Extent | None = Field(
        None, description="Area-share gate: parcels with too little of their area subsided "
                          "beyond the noise floor are graded `outside`; absent: no gate.")

    @model_validator(mode="after")
    def _limits_fit_grades(self) -> LandGrading:
        _check_limit_counts("land", self.grades, self.factors)
        if self.outside in self.grades or len(set(self.grades)) != len(self.grades):
            raise ValueError(f"land: grades {self.grades} must be distinct and must not "
                             f"include the outside grade {self.outside!r}")
        return self


class BuildingGrade(Strict):
    """A building damage grade: its names, map colour, and the damage grade it counts as."""

    label: Label
    color: Color = "#999999"
    description: str = ""
    damage_grade: Identifier = Field(
        description="Damage grade (a key of `grades`) of a parcel outside the land table "
                    "that has this building grade.")
    source: str = ""


class BuildingGrading(Strict):
    """Building damage grading by the worst factor (brick-concrete buildings, I to IV).

    Parcels without any factor value get no building grade (missing).
    """

    applies_to: str = Field(description="Condition: parcels whose buildings are graded.")
    grades: dict[GradeName, BuildingGrade] = Field(
        min_length=2, description="Building grades, mildest first.")
    factors: list[DamageFactor] = Field(min_length=1)

    @model_validator(mode="after")
    def _limits_fit_grades(self) -> BuildingGrading:
        _check_limit_counts("buildings", self.grades, self.factors)
        return self


class DamageRules(RuleFileBase):
    """``kind: damage`` — depth bands for area shares, and damage grading by the worst factor.

    ``land`` grades the parcels where its ``applies_to`` holds (``damage_grade``);
    ``buildings`` grades the buildings of the parcels where its ``applies_to`` holds
    (``building_grade``). A parcel outside the land table takes the damage grade its
    building grade counts as, or, without a building grade, the one of the land factors.
    """

    kind: Literal["damage"]
    depth_bands_m: list[float] = Field(
        min_length=1, description="Increasing subsidence depths (m) that bound the bands."
    )
    grades: dict[Identifier, Category] = Field(
        description="Damage grades (values of damage_grade), mildest first.")
    land: LandGrading
    buildings: BuildingGrading

    @field_validator("depth_bands_m")
    @classmethod
    def _increasing(cls, bands: list[float]) -> list[float]:
        if any(b <= 0 for b in bands) or any(a >= b for a, b in pairwise(bands)):
            raise ValueError(f"depth_bands_m must be positive and increasing, found {bands}")
        return bands

    @model_validator(mode="after")
    def _grades_defined(self) -> DamageRules:
        known = set(self.grades)
        used = {"land.outside": [self.land.outside], "land.grades": self.land.grades,
                "buildings.grades.*.damage_grade": [
                    g.damage_grade for g in self.buildings.grades.values()]}
        for where, names in used.items():
            unknown = [n for n in names if n not in known]
            if unknown:
                raise ValueError(f"{where}: damage grade(s) {unknown} are not defined in "
                                 f"`grades` ({sorted(known)})")
        extent = self.land.extent
        if extent is not None and extent.noise_floor_m.value not in self.depth_bands_m:
            raise ValueError(f"land.extent.noise_floor_m {extent.noise_floor_m.value:g} must be "
                             f"one of depth_bands_m {self.depth_bands_m}: add it there")
        order = list(self.grades)
        ranks = [order.index(g) for g in self.land.grades]
        if ranks != sorted(ranks):
            raise ValueError(f"land.grades {self.land.grades} must follow the order of "
                             f"`grades` {order} (mildest first)")
        return self


def band_column(low: float, high: float) -> str:
    """Column name of the area share with subsidence depth in ``[low, high)`` metres.

    Examples
    --------
    >>> band_column(0.5, 1.5), band_column(3.0, math.inf), band_column(0.0, 0.5)
    ('subs_share_0p5_to_1p5m', 'subs_share_over_3m', 'subs_share_0_to_0p5m')

    """

    def fmt(x: float) -> str:
        return re.sub(r"\.0$", "", f"{x:g}").replace(".", "p")

    if math.isinf(high):
        return f"{col.SUBS_SHARE_PREFIX}over_{fmt(low)}m"
    return f"{col.SUBS_SHARE_PREFIX}{fmt(low)}_to_{fmt(high)}m"


# --- modes and zones -----------------------------------------------------------------


class PlanningUnits(Strict):
    """Planning units inside each zone (:mod:`zoning.units`)."""

    target_area_ha: float = Field(
        gt=0, description="Area a unit aims at: a zone piece gets round(area / target) units.")
    min_area_ha: float = Field(
        0.0, ge=0, description="Units below it merge into the neighbouring unit of the same "
                               "zone piece sharing the longest boundary.")
    attributes: dict[str, float] = Field(
        default_factory=dict,
        description="Expressions over parcel columns that a unit should be homogeneous in, "
                    "with their weight against the centroids' (1).")

    @model_validator(mode="after")
    def _sizes(self) -> PlanningUnits:
        if self.min_area_ha > self.target_area_ha:
            raise ValueError(f"min_area_ha ({self.min_area_ha:g}) is above target_area_ha "
                             f"({self.target_area_ha:g})")
        negative = [k for k, w in self.attributes.items() if w < 0]
        if negative:
            raise ValueError(f"attribute weights must be 0 or more, got {negative}")
        return self


class ZonesRules(RuleFileBase, DecisionTable):
    """``kind: zones`` — planning zones by ordered rules."""

    kind: Literal["zones"]
    zones: dict[Identifier, Category]
    min_mapping_unit_ha: float = Field(
        0.0, ge=0,
        description="Minimum mapping unit (ha): contiguous same-zone fragments smaller than it "
                    "merge into the neighbouring zone sharing the longest boundary; 0: off.")
    mmu_exempt: list[Identifier] = Field(
        default_factory=list,
        description="Zones whose fragments are never merged away, however small (others may "
                    "still merge into them), e.g. the ecological protection red line.")
    planning_units: PlanningUnits | None = Field(
        None, description="Cut each zone into compact planning units; absent: no units.")

    def decision_tables(self) -> dict[str, dict[str, Collection[str]]]:  # noqa: D102
        return {"rules": {col.ZONE: self.zones.keys()}}

    @model_validator(mode="after")
    def _mmu_names(self) -> ZonesRules:
        unknown = sorted(set(self.mmu_exempt) - set(self.zones))
        if unknown:
            raise ValueError(f"mmu_exempt names zones not defined in zones: {unknown}")
        if any(r.id == col.ZONE_RULE_MMU for r in self.rules):
            raise ValueError(f"rule id {col.ZONE_RULE_MMU!r} is reserved for the minimum "
                             "mapping unit")
        return self


# --- subsidence -------------------------------------------------------------------------


class Prediction(Strict):
    """Probability-integral defaults (per-panel fields override them)."""

    q: Sourced
    tan_beta: Sourced
    b: Sourced
    theta_k: Sourced = Field(description="θ = 90° − k·α when a panel gives no theta_deg.")
    s_ratio: Sourced = Field(description="Inflection offset s as a fraction of the depth H.")
    resolution_m: float = Field(10.0, gt=0, description="Cell size of the predicted grids.")


class Stability(Strict):
    """When subsided ground counts as stable."""

    stable_after_years: Sourced
    reference_year: int | None = Field(
        None, description="Year the plan is drawn up; default the current year.")
    end_year_field: str = "end_year"


class SubsidenceRules(RuleFileBase):
    """``kind: subsidence`` — prediction defaults, output contours, ponding and stability."""

    kind: Literal["subsidence"]
    prediction: Prediction
    contours_m: list[Annotated[float, Field(gt=0)]] = Field(
        min_length=1, description="Depths (m) of the contour polygons written with the outputs.")
    basin_edge_m: Sourced
    seasonal_band_m: Sourced
    stability: Stability

    @field_validator("contours_m")
    @classmethod
    def _increasing(cls, value: list[float]) -> list[float]:
        if any(b <= a for a, b in pairwise(value)):
            raise ValueError(f"contours_m must increase, got {value}")
        return value


RULE_MODELS: dict[str, type[RuleFileBase]] = {
    "landuse": LandUseRules,
    "damage": DamageRules,
    "subsidence": SubsidenceRules,
    "suitability": SuitabilityRules,
    "corridors": CorridorRules,
    "reduction": ReductionRules,
    "modes": ModesRules,
    "zones": ZonesRules,
    "esv": EsvRules,
    "carbon": CarbonRules,
    "costs": CostsRules,
}
"""Rule-file kinds and their models."""

TOOL_RULE_MODELS: dict[str, type[RuleFileBase]] = {
    "assessment": AssessmentRules,
}
"""Rule-file kinds of tools outside the parcel run (``zoning assess``): in the JSON schema,
but not loaded by :func:`zoning.rules.ruleset.load_rules` nor recorded in a run's manifest."""
