"""Models of ``kind: esv`` and ``kind: carbon``: what restoration is worth before and after.

``esv`` holds the equivalent-factor table of ecosystem service value (Xie et al. 2015,
单位面积价值当量因子法), the value of one equivalent, the ecosystem each canonical land
class counts as, and the ordered rules giving each parcel its land class after restoration.
``carbon`` holds the carbon density of each canonical land class in the four pools of
InVEST's carbon storage model.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Literal

from pydantic import Field, model_validator

from zoning import columns as col
from zoning.rules._base import Identifier, Label, RuleFileBase, Sourced, Strict
from zoning.rules._tables import Rule

UNCHANGED = "unchanged"
"""Value of ``land_class_after`` rules meaning: the parcel keeps its land class."""

ServiceGroup = Literal["provisioning", "regulating", "supporting", "cultural"]


class Service(Strict):
    """An ecosystem service of the equivalent table (食物生产, 水文调节, ...)."""

    label: Label
    group: ServiceGroup


class Ecosystem(Strict):
    """An ecosystem type of the equivalent table and its equivalents per hectare by service."""

    label: Label
    equivalents: dict[Identifier, float] = Field(
        description="Service → value equivalents per hectare (may be negative, as paddy "
                    "water supply).")


class EsvRules(RuleFileBase):
    """``kind: esv`` — equivalent-factor ecosystem service value and land use after.

    The ESV of a parcel (yuan per year) is ``area_ha × Σ_services equivalents ×
    equivalent_value_yuan_ha`` of the ecosystem its land class counts as (0 for a class
    mapped to null). ``after_rules`` give ``land_class_after``, a canonical class or
    ``unchanged``.
    """

    kind: Literal["esv"]
    equivalent_value_yuan_ha: Sourced = Field(
        description="Value of one standard equivalent (yuan per hectare per year).")
    services: dict[Identifier, Service] = Field(min_length=1)
    ecosystems: dict[Identifier, Ecosystem] = Field(min_length=1)
    land_classes: dict[Identifier, Identifier | None] = Field(
        description="Canonical land class → ecosystem (a key of `ecosystems`), or null for "
                    "no service value; every class of the landuse rules must be listed.")
    after_rules: list[Rule] = Field(min_length=1)

    def decision_tables(self) -> dict[str, dict[str, Collection[str]]]:
        return {"after_rules": {col.LAND_CLASS_AFTER: [*self.land_classes, UNCHANGED]}}

    @model_validator(mode="after")
    def _consistent(self) -> EsvRules:
        services = set(self.services)
        for name, ecosystem in self.ecosystems.items():
            given = set(ecosystem.equivalents)
            if given != services:
                raise ValueError(
                    f"ecosystem {name!r}: equivalents must name every service once; missing "
                    f"{sorted(services - given)}, unknown {sorted(given - services)}")
        unknown = sorted({e for e in self.land_classes.values() if e is not None}
                         - set(self.ecosystems))
        if unknown:
            raise ValueError(f"land_classes name undefined ecosystems {unknown}; defined: "
                             f"{sorted(self.ecosystems)}")
        if UNCHANGED in self.land_classes:
            raise ValueError(f"{UNCHANGED!r} is reserved and cannot be a land class")
        ids = [r.id for r in self.after_rules]
        if len(ids) != len(set(ids)):
            raise ValueError(f"after_rules ids must be unique, found {ids}")
        return self

    def equivalents_per_ha(self, land_class: str) -> dict[str, float]:
        """Equivalents per hectare of ``land_class`` by service (all 0 for a null class)."""
        ecosystem = self.land_classes[land_class]
        if ecosystem is None:
            return dict.fromkeys(self.services, 0.0)
        return dict(self.ecosystems[ecosystem].equivalents)


CarbonPool = Literal["above", "below", "soil", "dead"]
CARBON_POOLS: tuple[CarbonPool, ...] = ("above", "below", "soil", "dead")
"""InVEST's four carbon pools: above- and below-ground biomass, soil, dead organic matter."""


class Densities(Strict):
    """Carbon density of one land class in each pool (t C/ha)."""

    above: float = Field(ge=0)
    below: float = Field(ge=0)
    soil: float = Field(ge=0)
    dead: float = Field(ge=0)

    def total(self) -> float:
        """Sum of the four pools (t C/ha)."""
        return self.above + self.below + self.soil + self.dead


class CarbonRules(RuleFileBase):
    """``kind: carbon`` — carbon density per canonical land class and pool (t C/ha).

    The carbon of a parcel is ``area_ha × (above + below + soil + dead)`` of its land class
    (before) and of ``land_class_after`` (after); every class of the landuse rules must be
    listed.
    """

    kind: Literal["carbon"]
    source: str = Field(min_length=1, description="Study or survey the densities come from.")
    densities: dict[Identifier, Densities] = Field(min_length=1)
