"""Model of ``kind: assessment``: the indicator system of a social-ecological assessment.

Targets (subsystems, e.g. social and ecological) each have the two criteria, vulnerability and
resilience; every criterion of a target is a group of indicators, each in a factor, with a
unit and a direction (``+`` benefit: more is better for the system, ``-`` cost). A group's
weights are entered directly (``weight:`` per indicator, e.g. the published weights of a study,
summing to 1 within :data:`WEIGHT_SUM_TOLERANCE`) or come from AHP (its pairwise matrix over
the group's indicators, in the order listed), entropy of the data, or both combined by a named
rule (the ``weights`` block of ``kind: suitability``). What a larger set-pair closeness ``r``
means is stated per criterion (``larger_r_means``), so every output can say it.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from zoning.rules._base import Identifier, Label, RuleFileBase, Strict
from zoning.rules._suitability import Weighting, check_ahp

WEIGHT_SUM_TOLERANCE = 0.02
"""How far the direct weights of a group may sum from 1: published tables print rounded weights
(Table 1 of Ma et al. 2026, Resources Science, sums to 1.009 and 1.010 in two groups); a larger
gap is an error. The weights are used as given: set pair analysis divides them by their sum,
which leaves the closeness r = a / (a + c) unchanged."""

CRITERIA = ("vulnerability", "resilience")
"""The two criteria every target has, in this order."""

DIRECTION_WORDS = {"+": "+", "benefit": "+", "-": "-", "cost": "-"}
"""Accepted direction words and the sign they stand for."""

VulnerabilityMeaning = Literal["more_vulnerable", "less_vulnerable"]
ResilienceMeaning = Literal["more_resilient", "less_resilient"]


class Indicator(Strict):
    """One indicator: a column of the assessment table."""

    id: Identifier = Field(description="Column name in the assessment table.")
    label: Label
    factor: Identifier = Field(description="Factor it belongs to (a key of `factors`).")
    unit: str = Field(description="Unit of the values, checked against the table's unit row.")
    direction: str = Field(description="'+' (benefit: more is better for the system) or '-' "
                                       "(cost); 'benefit' and 'cost' are accepted too.")
    weight: float | None = Field(
        None, gt=0, description="Weight entered directly (e.g. a study's published weight); "
        "give it for every indicator of the group and no `weights` block, or for none.")
    source: str = ""

    @model_validator(mode="after")
    def _known_direction(self) -> Indicator:
        if self.direction not in DIRECTION_WORDS:
            raise ValueError(
                f"indicator {self.id!r}: unknown direction {self.direction!r}; expected '+' "
                "(benefit) or '-' (cost), quoted in YAML (direction: \"-\")")
        return self

    @property
    def sign(self) -> str:
        """``"+"`` or ``"-"``."""
        return DIRECTION_WORDS[self.direction]


class Group(Strict):
    """The indicators of one criterion of one target, and how they are weighted.

    Either every indicator gives its ``weight`` (entered directly) or the group gives a
    ``weights`` block (AHP, entropy or both), never both.
    """

    weights: Weighting | None = Field(
        None, description="Derived weights; without it every indicator gives `weight`.")
    indicators: list[Indicator] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> Group:
        ids = [i.id for i in self.indicators]
        if len(ids) != len(set(ids)):
            raise ValueError(f"indicator ids must be unique, found {ids}")
        direct = [i.id for i in self.indicators if i.weight is not None]
        if self.weights is not None and direct:
            raise ValueError(f"indicators {direct} give a `weight` but the group derives its "
                             "weights from `weights` (ahp / entropy); remove one of the two")
        if self.weights is None:
            missing = [i for i in ids if i not in direct]
            if missing:
                raise ValueError(f"indicators {missing} have no `weight`; give every indicator "
                                 "of the group a weight, or the group a `weights` block")
            total = sum(self.direct_weights())
            if abs(total - 1) > WEIGHT_SUM_TOLERANCE:
                raise ValueError(f"the weights of indicators {ids} sum to {total:g}; they must "
                                 f"sum to 1 (within {WEIGHT_SUM_TOLERANCE:g}, for rounded "
                                 "published weights): correct them")
        elif self.weights.ahp is not None:
            check_ahp(self.weights.ahp, ids, what="indicator")
        return self

    def direct_weights(self) -> list[float]:
        """The weights entered per indicator (only when the group has no ``weights`` block)."""
        return [float(i.weight or 0.0) for i in self.indicators]


class Target(Strict):
    """A subsystem (social, ecological) with its vulnerability and resilience groups."""

    label: Label
    vulnerability: Group
    resilience: Group

    def groups(self) -> dict[str, Group]:
        """Criterion → group, in the order of :data:`CRITERIA`."""
        return {"vulnerability": self.vulnerability, "resilience": self.resilience}


class VulnerabilityCriterion(Strict):
    """How the vulnerability criterion is named and what a larger closeness r means for it."""

    label: Label = Label(zh="脆弱性", en="Vulnerability")
    larger_r_means: VulnerabilityMeaning = Field(
        description="more_vulnerable: the vulnerability degree is r; less_vulnerable: it is 1 − r.")


class ResilienceCriterion(Strict):
    """How the resilience criterion is named and what a larger closeness r means for it."""

    label: Label = Label(zh="恢复力", en="Resilience")
    larger_r_means: ResilienceMeaning = Field(
        description="more_resilient: the resilience degree is r; less_resilient: it is 1 − r.")


class Criteria(Strict):
    """The two criteria and their orientation."""

    vulnerability: VulnerabilityCriterion
    resilience: ResilienceCriterion


class AssessmentRules(RuleFileBase):
    """``kind: assessment`` — social-ecological vulnerability and resilience by set pair analysis.

    For every target and criterion, the indicators' set-pair identity ``a``, discrepancy
    ``b`` and contrary ``c`` degrees against the best and worst values of the series are
    weighted and summed; the closeness ``r = a / (a + c)`` becomes the criterion's degree
    through ``larger_r_means``; the difference is vulnerability − resilience per target.
    """

    kind: Literal["assessment"]
    source: str = Field("", description="Study the indicator system comes from.")
    row_label: Label = Field(Label(zh="年份", en="Year"),
                             description="What a row of the table is (years or units).")
    criteria: Criteria
    factors: dict[Identifier, Label] = Field(min_length=1)
    targets: dict[Identifier, Target] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> AssessmentRules:
        seen: dict[str, str] = {}
        for target_id, target in self.targets.items():
            for criterion, group in target.groups().items():
                for ind in group.indicators:
                    where = f"{target_id}.{criterion}"
                    if ind.id in seen:
                        raise ValueError(f"indicator {ind.id!r} is listed in {seen[ind.id]} and "
                                         f"{where}; every indicator belongs to one group")
                    seen[ind.id] = where
                    if ind.factor not in self.factors:
                        raise ValueError(f"indicator {ind.id!r}: factor {ind.factor!r} is not "
                                         f"defined in factors {sorted(self.factors)}")
        return self

    def indicators(self) -> list[tuple[str, str, Indicator]]:
        """(target, criterion, indicator) for every indicator, in file order."""
        return [(t, c, ind) for t, target in self.targets.items()
                for c, group in target.groups().items() for ind in group.indicators]
