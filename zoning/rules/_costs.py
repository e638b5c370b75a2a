"""Model of ``kind: costs``: unit costs of restoration and the restoration bond by safety risk.

A parcel's restoration cost is the unit cost (yuan/ha) of each measure of its restoration
mode (``measures`` of the modes rules) times its area, plus its dig-deep-fill-shallow
earthwork volume times the unit cost of earthwork (yuan/m³). A mine's restoration bond is
its cost times a factor graded by the safety risk of its parcels: the collaborative-
governance study of mining areas (矿区生态修复与安全管理协同治理路径研究) asks for bond
standards differentiated by a mine's risk grade, after Australia's rehabilitation bonds.
Every number carries a ``source``; numbers marked ``illustrative`` are flagged at run time.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from zoning.rules._base import Identifier, RuleFileBase, Strict


class _Cited(Strict):
    source: str = Field(min_length=1, description="Publication, price list or reasoning "
                                                  "(`engine default: ...`) the number follows.")
    illustrative: bool = Field(
        False, description="An order of magnitude, not a local price: the run warns.")


class MeasureCost(_Cited):
    """Unit cost of a restoration measure over the parcel's area."""

    yuan_per_ha: float = Field(ge=0, description="Yuan per hectare of the parcel (≥ 0).")


class EarthworkCost(_Cited):
    """Unit cost of the dig-deep-fill-shallow earthwork (cut, haul and place)."""

    yuan_per_m3: float = Field(ge=0, description="Yuan per m³ of bank volume cut (≥ 0).")


class BondFactor(_Cited):
    """Bond per yuan of estimated restoration cost at a safety-risk level."""

    value: float = Field(ge=1, description="Factor on the cost (≥ 1: a bond never falls "
                                           "short of the cost it secures).")


class Bond(Strict):
    """The restoration bond: cost × the factor of the mine's safety risk."""

    basis: Literal["worst", "area_weighted"] = Field(
        "worst", description="`worst`: the highest factor among the mine's parcels; "
                             "`area_weighted`: the factors weighted by parcel area.")
    factors: dict[Identifier, BondFactor] = Field(
        min_length=1, description="Safety-risk level (keys of safety_levels in the modes "
                                  "rules) → bond factor.")


class CostsRules(RuleFileBase):
    """``kind: costs`` — unit costs per measure and earthwork, bond factors by safety risk.

    Every measure a restoration mode of the modes rules lists needs a unit cost, and every
    safety level a bond factor (checked before a run).
    """

    kind: Literal["costs"]
    currency: Literal["yuan"] = "yuan"
    measures: dict[Identifier, MeasureCost] = Field(
        min_length=1, description="Measure (keys of measures in the modes rules) → unit cost.")
    earthwork: EarthworkCost
    bond: Bond

    def illustrative(self) -> list[str]:
        """Keys of the numbers marked illustrative (``measures.soil``, ``bond.high``, ...)."""
        found = [f"measures.{k}" for k, v in self.measures.items() if v.illustrative]
        found += ["earthwork"] if self.earthwork.illustrative else []
        return found + [f"bond.factors.{k}" for k, v in self.bond.factors.items()
                        if v.illustrative]
