"""Building blocks every rule-file model shares: strict models, labels, sourced numbers."""

from __future__ import annotations

from collections.abc import Collection
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

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


class Sourced(Strict):
    """A default number and where it comes from."""

    value: float
    source: str = Field(min_length=1, description="Standard, textbook or study it is taken from.")
