"""Model of ``kind: modes``: restoration, rights, value-realization and strategy tables.

Numbers the conditions use are named once in ``thresholds`` (each with its source); a
condition names them like a column (``ponded_share >= min_share``) and a reason may quote
them as ``{min_share}``, so the reason states the number that the condition tested.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from typing import Literal

from pydantic import Field, model_validator

from zoning import columns as col
from zoning.rules._base import Identifier, Label, RuleFileBase, Sourced, Strict
from zoning.rules._tables import Category, DecisionTable, Rule

PLACEHOLDER = re.compile(r"\{(\w+)\}")
"""A threshold quoted in a reason: ``{name}``."""


class Earthwork(Strict):
    """Dig-deep-fill-shallow earth balance: which mode, and the targets of ponds and fields."""

    mode: Identifier = Field(description="Restoration mode whose parcels are balanced.")
    field_height_m: Sourced = Field(
        description="Field surface height above the post-subsidence water table (m).")
    pond_depth_m: Sourced = Field(description="Water depth of the dug fish ponds (m).")
    bulking: Sourced | None = Field(
        None, description="Loose spoil volume per bank volume cut (default 1: none).")


class RightsRule(Rule):
    """A rule of ``rights_rules``: the kind of right a restoration creates, and its area."""

    area: str = Field(description="Expression: the area (ha) of the right on the parcel, e.g. "
                                  "`area_ha` or `field_area_ha`.")


class ModesRules(RuleFileBase, DecisionTable):
    """``kind: modes`` — restoration, rights, value-realization and strategy by ordered rules.

    Tables run in this order, each seeing the columns of the ones before:
    ``safety_rules`` (``safety_risk``), ``market_rules`` (``market_access``), ``rules``
    (``restoration_mode``; then the earth balance of ``earthwork``), ``rights_rules``
    (``rights_kind`` and ``rights_area_ha``), ``value_rules`` (``value_mode``) and
    ``strategy_rules`` (``strategy`` and ``monitoring``). Ground that is not stable must get a
    monitoring requirement, and no high-risk parcel may get a value mode of
    ``market_led_value_modes``; the stage refuses a rule file that breaks either.
    """

    kind: Literal["modes"]
    thresholds: dict[Identifier, Sourced] = Field(
        default_factory=dict,
        description="Named numbers the conditions use like columns and reasons quote as "
                    "`{name}`; each states its source.")
    measures: dict[Identifier, Label]
    restoration_modes: dict[Identifier, Category]
    value_modes: dict[Identifier, Category]
    market_led_value_modes: list[Identifier] = Field(
        default_factory=list,
        description="Value modes that depend on a market (rights trading, industry); never "
                    "given to a parcel at `high` safety risk.")
    rights_kinds: dict[Identifier, Category] = Field(
        description="Rights a restoration may create; `none` must be one of them.")
    safety_levels: dict[Identifier, Category]
    market_levels: dict[Identifier, Category]
    strategies: dict[Identifier, Category]
    monitoring: dict[Identifier, Category] = Field(
        description="Monitoring requirements; `none` must be one of them.")
    earthwork: Earthwork
    safety_rules: list[Rule] = Field(min_length=1)
    market_rules: list[Rule] = Field(min_length=1)
    rights_rules: list[RightsRule] = Field(min_length=1)
    value_rules: list[Rule] = Field(min_length=1)
    strategy_rules: list[Rule] = Field(min_length=1)

    def decision_tables(self) -> dict[str, dict[str, Collection[str]]]:
        """Table key → output column → values its rules may assign."""
        return {
            "safety_rules": {col.SAFETY_RISK: self.safety_levels.keys()},
            "market_rules": {col.MARKET_ACCESS: self.market_levels.keys()},
            "rules": {col.RESTORATION_MODE: self.restoration_modes.keys()},
            "rights_rules": {col.RIGHTS_KIND: self.rights_kinds.keys()},
            "value_rules": {col.VALUE_MODE: self.value_modes.keys()},
            "strategy_rules": {col.STRATEGY: self.strategies.keys(),
                               col.MONITORING: self.monitoring.keys()},
        }

    def all_rules(self) -> dict[str, list[Rule]]:
        """Every table's rules by table key, in the order the tables run."""
        return {key: list(getattr(self, key)) for key in self.decision_tables()}

    @model_validator(mode="after")
    def _names_defined(self) -> ModesRules:
        for name, mode in self.restoration_modes.items():
            unknown = sorted(set(mode.measures) - set(self.measures))
            if unknown:
                raise ValueError(f"restoration mode {name!r} lists undefined measures {unknown}")
        if self.earthwork.mode not in self.restoration_modes:
            raise ValueError(f"earthwork.mode {self.earthwork.mode!r} is not a restoration mode "
                             f"({sorted(self.restoration_modes)})")
        if col.NO_MONITORING not in self.monitoring:
            raise ValueError(f"monitoring must define {col.NO_MONITORING!r} (no requirement)")
        if col.NO_RIGHTS not in self.rights_kinds:
            raise ValueError(f"rights_kinds must define {col.NO_RIGHTS!r} (no new rights)")
        unknown = sorted(set(self.market_led_value_modes) - set(self.value_modes))
        if unknown:
            raise ValueError(f"market_led_value_modes names undefined value modes {unknown} "
                             f"(defined: {sorted(self.value_modes)})")
        return self

    @model_validator(mode="after")
    def _placeholders_defined(self) -> ModesRules:
        for key, rules in self.all_rules().items():
            for rule in rules:
                unknown = sorted(set(PLACEHOLDER.findall(rule.reason)) - set(self.thresholds))
                if unknown:
                    raise ValueError(
                        f"{key}: rule {rule.id!r}: its reason quotes {unknown}, which are not "
                        f"thresholds (defined: {sorted(self.thresholds)}); write `{{name}}` "
                        "only for a name of `thresholds`")
        return self

    def reason(self, rule: Rule) -> str:
        """The rule's reason with each quoted threshold replaced by its value.

        Shares (names containing ``share``) read as percentages, other numbers as given.
        """
        def value(match: re.Match[str]) -> str:
            name = match.group(1)
            number = self.thresholds[name].value
            return f"{number:.0%}" if "share" in name else f"{number:g} m" if name.endswith(
                "_m") else f"{number:g}"

        return PLACEHOLDER.sub(value, rule.reason)
