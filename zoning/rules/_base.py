"""Building blocks every rule-file model shares: strict models, labels, sourced numbers."""

from __future__ import annotations

from collections.abc import Collection
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

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
    number_sources: dict[str, Annotated[str, Field(min_length=1)]] = Field(
        default_factory=dict,
        description="Where plain numbers of the file come from, by key path (`resolution_m`, "
                    "`planning_units`, `corridors.width`): a source covers everything under "
                    "its key. Numbers written as {value, source} state their own.")

    @model_validator(mode="after")
    def _sources_name_keys(self) -> RuleFileBase:
        unknown = [key for key in self.number_sources if not _has_path(self, key.split("."))]
        if unknown:
            raise ValueError(f"number_sources: {unknown} name no key of this file; give dotted key "
                             "paths such as `planning_units.target_area_ha`")
        return self

    def decision_tables(self) -> dict[str, dict[str, Collection[str]]]:
        """Decision tables of the file: table key → output column → values it may assign."""
        return {}


class Sourced(Strict):
    """A default number and where it comes from."""

    value: float
    source: str = Field(min_length=1, description="Standard, textbook or study it is taken from.")


def _has_path(node: object, parts: list[str]) -> bool:
    """Whether the dotted key ``parts`` leads somewhere inside ``node``."""
    if not parts:
        return True
    head, rest = parts[0], parts[1:]
    if isinstance(node, BaseModel) and head in type(node).model_fields:
        return _has_path(getattr(node, head), rest)
    if isinstance(node, dict) and head in node:
        return _has_path(node[head], rest)
    return False
