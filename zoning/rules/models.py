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

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from zoning import columns as col

SCHEMA_VERSION = 1
Grade = Literal["S1", "S2", "S3", "N"]
Identifier = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
Color = Annotated[str, Field(pattern=r"^#[0-9a-fA-F]{6}$")]


class Strict(BaseModel):
    """Base of every rule model: unknown keys are errors, values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Label(Strict):
    """A name in Chinese and English."""

    zh: str
    en: str


class RuleFileBase(Strict):
    """Fields every rule file has."""

    schema_version: Literal[1] = Field(description="Version of the rule-file format.")
    description: str = ""

    def decision_tables(self) -> dict[str, dict[str, Collection[str]]]:
        """Decision tables of the file: table key → output column → values it may assign."""
        return {}


# --- decision tables -----------------------------------------------------------------


class Rule(Strict):
    """One row of an ordered decision table: the first matching rule wins per output."""

    id: Identifier = Field(description="Stable identifier recorded with every assignment.")
    when: str = Field(description="Condition: an expression over parcel columns.")
    assign: dict[str, str] = Field(
        description="Output column → value (a key defined in this file)."
    )
    reason: str = Field(description="Why the assignment is made, in a planner's words.")
    source: str = Field("", description="Where the rule or its numbers come from.")


class DecisionTable(Strict):
    """Ordered rules; for each output column the first matching rule that assigns it wins."""

    rules: list[Rule] = Field(min_length=1)

    @field_validator("rules")
    @classmethod
    def _unique_ids(cls, rules: list[Rule]) -> list[Rule]:
        seen: set[str] = set()
        for rule in rules:
            if rule.id in seen:
                raise ValueError(f"rule id {rule.id!r} is used twice; ids must be unique")
            seen.add(rule.id)
        return rules


class Category(Strict):
    """A value a decision table may assign: labels, map colour, description."""

    label: Label
    color: Color = "#999999"
    description: str = ""
    measures: list[str] = Field(default_factory=list)


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
    standard: str
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


class DamageRules(RuleFileBase, DecisionTable):
    """``kind: damage`` — depth bands for area shares and the damage-grade decision table."""

    kind: Literal["damage"]
    depth_bands_m: list[float] = Field(
        min_length=1, description="Increasing subsidence depths (m) that bound the bands."
    )
    grades: dict[Identifier, Category]

    def decision_tables(self) -> dict[str, dict[str, Collection[str]]]:  # noqa: D102
        return {"rules": {col.DAMAGE_GRADE: self.grades.keys()}}

    @field_validator("depth_bands_m")
    @classmethod
    def _increasing(cls, bands: list[float]) -> list[float]:
        if any(b <= 0 for b in bands) or any(a >= b for a, b in pairwise(bands)):
            raise ValueError(f"depth_bands_m must be positive and increasing, found {bands}")
        return bands


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
        return f"subs_share_over_{fmt(low)}m"
    return f"subs_share_{fmt(low)}_to_{fmt(high)}m"


# --- suitability ---------------------------------------------------------------------


class Factor(Strict):
    """A suitability factor graded S1/S2/S3/N.

    Either ``value`` with ``thresholds`` (numeric grading) or ``grades`` (a condition per
    class, evaluated S1 first; a parcel matching none is N).
    """

    id: Identifier
    label: Label
    value: str | None = Field(None, description="Expression giving the factor's value.")
    thresholds: dict[Literal["S1", "S2", "S3"], float] | None = Field(
        None, description="Upper (or lower) limit of each class for `value`."
    )
    direction: Literal["lower_is_better", "higher_is_better"] = "lower_is_better"
    grades: dict[Literal["S1", "S2", "S3"], str] | None = None
    missing: Grade = Field("S1", description="Class given where `value` is missing.")
    source: str = Field("", description="Where the numbers come from.")

    @model_validator(mode="after")
    def _one_form(self) -> Factor:
        numeric = self.value is not None and self.thresholds is not None
        if numeric == (self.grades is not None):
            raise ValueError(
                f"factor {self.id!r}: give either `value` with `thresholds`, or `grades`"
            )
        if self.thresholds is not None:
            limits = [self.thresholds[g] for g in ("S1", "S2", "S3") if g in self.thresholds]
            ordered = sorted(limits, reverse=self.direction == "higher_is_better")
            if limits != ordered:
                raise ValueError(
                    f"factor {self.id!r}: thresholds must run S1→S3 in the direction "
                    f"{self.direction}, found {dict(self.thresholds)}"
                )
        return self


class Use(Strict):
    """A restoration direction (use) and its factors."""

    label: Label
    color: Color = "#999999"
    factors: list[Factor] = Field(min_length=1)


_DEFAULT_POINTS: dict[Grade, float] = {"S1": 1.0, "S2": 2 / 3, "S3": 1 / 3, "N": 0.0}


class SuitabilityRules(RuleFileBase):
    """``kind: suitability`` — limiting-factor suitability of each use."""

    kind: Literal["suitability"]
    method: Literal["limiting_factor"] = "limiting_factor"
    grade_points: dict[Grade, float] = Field(
        default_factory=lambda: dict(_DEFAULT_POINTS),
        description="Points of each class; a use's score is the mean over its factors.",
    )
    uses: dict[Identifier, Use] = Field(min_length=1)
    tie_break: list[Identifier] = Field(
        description="Order of preference among uses of equal class and score (best_use)."
    )

    @model_validator(mode="after")
    def _tie_break_covers_uses(self) -> SuitabilityRules:
        if sorted(self.tie_break) != sorted(self.uses):
            raise ValueError(
                f"tie_break must list every use exactly once: uses {sorted(self.uses)}, "
                f"tie_break {self.tie_break}"
            )
        return self


# --- modes and zones -----------------------------------------------------------------


class ModesRules(RuleFileBase, DecisionTable):
    """``kind: modes`` — restoration and value-realization modes by ordered rules.

    ``rules`` assign ``restoration_mode`` (and may assign ``value_mode``); ``value_rules``
    run afterwards, may use ``restoration_mode``, and fill the value modes still unset.
    """

    kind: Literal["modes"]
    measures: dict[Identifier, Label]
    restoration_modes: dict[Identifier, Category]
    value_modes: dict[Identifier, Category]
    value_rules: list[Rule] = Field(min_length=1)

    def decision_tables(self) -> dict[str, dict[str, Collection[str]]]:  # noqa: D102
        restoration, value = self.restoration_modes.keys(), self.value_modes.keys()
        return {
            "rules": {col.RESTORATION_MODE: restoration, col.VALUE_MODE: value},
            "value_rules": {col.VALUE_MODE: value},
        }

    @model_validator(mode="after")
    def _measures_defined(self) -> ModesRules:
        for name, mode in self.restoration_modes.items():
            unknown = sorted(set(mode.measures) - set(self.measures))
            if unknown:
                raise ValueError(f"restoration mode {name!r} lists undefined measures {unknown}")
        return self


class ZonesRules(RuleFileBase, DecisionTable):
    """``kind: zones`` — planning zones by ordered rules."""

    kind: Literal["zones"]
    zones: dict[Identifier, Category]
    min_mapping_unit_ha: float = Field(0.0, ge=0)

    def decision_tables(self) -> dict[str, dict[str, Collection[str]]]:  # noqa: D102
        return {"rules": {col.ZONE: self.zones.keys()}}


# --- subsidence -------------------------------------------------------------------------


class Sourced(Strict):
    """A default number and where it comes from."""

    value: float
    source: str = Field(min_length=1, description="Standard, textbook or study it is taken from.")


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
    "modes": ModesRules,
    "zones": ZonesRules,
}
"""Rule-file kinds and their models."""
