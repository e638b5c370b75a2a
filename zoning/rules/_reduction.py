"""Model of ``kind: reduction``: which construction land to retire, up to a quota.

Shrinkage-oriented reduction planning (精明收缩, 减量规划): eligible construction land is
scored by soft indicators (weights direct, AHP, entropy or combined, as in suitability),
parcels with a hard trigger (red line, important corridor, unstable ground, ...) come
first, and a quota (hectares, or a share of the eligible land) is filled exactly. The city's
type (as China's national plan for resource-based cities classifies them) sets the default
quota and how strongly each indicator weighs; the retired parcels get a target use by
ordered rules.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Annotated, Literal

from pydantic import Field, model_validator

from zoning import columns as col
from zoning.rules._base import Identifier, Label, RuleFileBase, Strict
from zoning.rules._suitability import Factor, Weighting, check_weighting
from zoning.rules._tables import Category, Rule

CityType = Literal["growing", "mature", "declining", "regenerating"]
"""成长型, 成熟型, 衰退型, 再生型: the four types of 全国资源型城市可持续发展规划 (2013–2020)."""


class Trigger(Strict):
    """A hard trigger: parcels where ``when`` holds are retired first (unless locked out)."""

    id: Identifier
    label: Label
    when: str
    source: str = Field(min_length=1)


class Indicator(Factor):
    """A soft indicator: scored in [0, 1], where 1 is the strongest case for retiring."""

    optional: bool = Field(
        False, description="Leave the indicator out (with a warning) when the project lacks "
                           "a field its value names, instead of refusing the rule file.")

    @model_validator(mode="after")
    def _no_veto(self) -> Indicator:
        if self.veto:
            raise ValueError(f"indicator {self.id!r}: reduction indicators have no `veto`; "
                             "state hard conditions as `triggers`")
        return self


class Score(Strict):
    """The reduction score: the weighted mean of the indicator scores."""

    weights: Weighting | None = None
    indicators: list[Indicator] = Field(min_length=1)
    top_k: int = Field(2, ge=1, description="How many indicators `reduce_indicators` names.")

    @model_validator(mode="after")
    def _weights_given_once(self) -> Score:
        check_weighting(self.indicators, self.weights)
        return self


class Target(Strict):
    """How much to retire: hectares, or a share of the eligible area (exactly one)."""

    hectares: float | None = Field(None, gt=0)
    share: float | None = Field(None, gt=0, le=1)

    @model_validator(mode="after")
    def _one(self) -> Target:
        if (self.hectares is None) == (self.share is None):
            raise ValueError("target: give exactly one of `hectares` or `share`")
        return self


class Preset(Strict):
    """A city type's strategy: its quota, which land retires first, what value it seeks.

    Which land retires first is set by ``weight_multipliers`` and by trigger and target-use
    conditions naming the ``city_type`` column (the reduction stage adds it first, so every
    later rule file may name it too).
    """

    label: Label
    target: Target
    weight_multipliers: dict[Identifier, Annotated[float, Field(gt=0)]] = Field(
        default_factory=dict, description="Indicator id → factor (> 0) on its weight (then "
                                          "renormalised), e.g. idle land weighs more.")
    value_preferences: list[Identifier] = Field(
        default_factory=list,
        description="Value-realization modes (keys of value_modes in the modes rules) this "
                    "city type favours, most favoured first; recorded in the city_strategy "
                    "table for value rules to follow through the city_type column.")
    description: str = ""
    source: str = Field(min_length=1, description="Publication or reasoning the strategy "
                                                  "follows (`engine default: ...`).")


class Selection(Strict):
    """How the quota is filled."""

    method: Literal["milp", "greedy"] = "milp"
    objective: Literal["area_weighted", "sum"] = Field(
        "area_weighted", description="Maximise Σ score × area (the hectares retired are those "
                                     "of highest score) or Σ score (favours small parcels).")
    isolation_penalty: float = Field(
        0.0, ge=0, description="Score lost per eligible parcel left isolated among retired "
                               "ones (milp only).")
    time_limit_s: float = Field(30.0, gt=0)
    source: str = Field("", description="Where the selection settings come from.")


class Release(Strict):
    """Totals of the released construction-land quota (城乡建设用地增减挂钩)."""

    by: list[str] = Field(default_factory=list,
                          description="Parcel fields to total by (village, town) when present.")
    population: str | None = Field(None, description="Field with the people living there.")
    households: str | None = Field(None, description="Field with the households.")


class ReductionRules(RuleFileBase):
    """Rules of ``kind: reduction``."""

    kind: Literal["reduction"]
    eligible: str = Field(description="Expression: construction land that may be retired.")
    locked_in: str | None = Field(None, description="Always retired.")
    locked_out: str | None = Field(None, description="Never retired.")
    triggers: list[Trigger] = Field(default_factory=list)
    score: Score
    city_types: dict[CityType, Preset]
    default_city_type: CityType
    target: Target | None = Field(None, description="Overrides the city type's target.")
    selection: Selection = Field(default_factory=Selection)
    target_uses: dict[Identifier, Category]
    target_use_rules: list[Rule] = Field(min_length=1)
    release: Release = Field(default_factory=Release)

    def decision_tables(self) -> dict[str, dict[str, Collection[str]]]:
        return {"target_use_rules": {col.REDUCE_TARGET_USE: self.target_uses.keys()}}

    @model_validator(mode="after")
    def _consistent(self) -> ReductionRules:
        ids = [t.id for t in self.triggers]
        if len(ids) != len(set(ids)):
            raise ValueError(f"trigger ids must be unique, found {ids}")
        if self.default_city_type not in self.city_types:
            raise ValueError(f"default_city_type {self.default_city_type!r} is not among "
                             f"city_types {sorted(self.city_types)}")
        known = {i.id for i in self.score.indicators}
        for name, preset in self.city_types.items():
            unknown = sorted(set(preset.weight_multipliers) - known)
            if unknown:
                raise ValueError(f"city type {name!r}: weight_multipliers name unknown "
                                 f"indicators {unknown}; indicators are {sorted(known)}")
        return self
