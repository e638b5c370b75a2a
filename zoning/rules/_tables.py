"""Decision-table building blocks: ordered rules and the categories they assign."""

from __future__ import annotations

from pydantic import Field, field_validator

from zoning.rules._base import Color, Identifier, Label, Strict


class Rule(Strict):
    """One row of an ordered decision table: the first matching rule wins per output."""

    id: Identifier = Field(description="Stable identifier recorded with every assignment.")
    when: str = Field(description="Condition: an expression over parcel columns.")
    assign: dict[str, str] = Field(
        description="Output column → value (a key defined in this file)."
    )
    reason: str = Field(description="Why the assignment is made, in a planner's words.")
    source: str = Field(min_length=1, description="Publication or standard the rule or its "
                        "numbers come from, or `engine default: <reasoning>`.")


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
