"""Model of ``kind: suitability``: factors, their scoring transforms, vetoes and weights.

A use (restoration direction) is judged by the weighted index sum of its factor scores
(指数和法), capped by the worst veto that holds (极限条件法). Weights are given directly
per factor, or derived per use by AHP, entropy, or a named combination of the two.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from itertools import pairwise
from typing import Any, Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from zoning import transforms, weights
from zoning.errors import WeightsError
from zoning.rules._base import Color, Identifier, Label, RuleFileBase, Strict

CappedGrade = Literal["S2", "S3", "N"]
CutGrade = Literal["S1", "S2", "S3"]


class ScoreGroup(Strict):
    """Categories that share one score (shorthand for a categorical remap)."""

    score: float = Field(ge=0, le=1)
    values: list[str | int] = Field(min_length=1)


class Score(BaseModel):
    """How a factor's value becomes a score in [0, 1] (1 is best).

    ``function`` names a transform of :mod:`zoning.transforms` (``linear``, ``small``,
    ``large``, ``gaussian``, ..., ``breaks``, ``categorical``); the other keys are its
    parameters, checked against the transform's accepted names. For ``categorical``,
    ``groups`` may list categories sharing a score instead of ``scores``.
    """

    model_config = ConfigDict(extra="allow", frozen=True)

    function: str = Field(description="Transform name (see zoning.transforms.TRANSFORMS).")
    groups: list[ScoreGroup] | None = Field(
        None, description="categorical only: categories sharing a score.")

    def params(self) -> dict[str, Any]:
        """The transform's parameters (``groups`` turned into ``scores``)."""
        params = dict(self.model_extra or {})
        if self.groups is not None:
            mapping = dict(params.get("scores") or {})
            for group in self.groups:
                mapping.update({value: group.score for value in group.values})
            params["scores"] = mapping
        return params

    @model_validator(mode="after")
    def _valid_transform(self) -> Score:
        if self.groups is not None and self.function != "categorical":
            raise ValueError(f"`groups` is for function 'categorical', not {self.function!r}")
        problems = transforms.check(self.function, self.params())
        if problems:
            raise ValueError("; ".join(problems))
        return self


class Factor(Strict):
    """A suitability factor: a value, its score, its weight and its vetoes."""

    id: Identifier
    label: Label
    value: str = Field(description="Expression giving the factor's value per parcel.")
    score: Score
    weight: float | None = Field(
        None, gt=0, description="Direct weight (when the use gives no `weights`).")
    missing: float | Literal["skip"] = Field(
        "skip", description="Score where the value is missing, or `skip`: leave the factor "
                            "out for that parcel and share its weight among the others.")
    veto: dict[CappedGrade, str] = Field(
        default_factory=dict,
        description="Class cap → condition: where the condition holds the use is at best "
                    "that class, whatever the index sum (limiting-condition method).")
    source: str = Field(min_length=1, description="Where the numbers come from.")

    @model_validator(mode="after")
    def _missing_in_range(self) -> Factor:
        if isinstance(self.missing, float) and not 0 <= self.missing <= 1:
            raise ValueError(f"factor {self.id!r}: `missing` must be `skip` or a score in "
                             f"[0, 1], found {self.missing}")
        return self


def _judgement(value: object) -> object:
    """``"1/3"`` → 1/3: AHP judgements are usually written as fractions."""
    if isinstance(value, str) and value.count("/") == 1:
        num, den = value.split("/")
        try:
            return float(num) / float(den)
        except (ValueError, ZeroDivisionError):
            raise ValueError(f"AHP judgement {value!r} is not a number or a fraction like "
                             "'1/3'") from None
    return value


class Ahp(Strict):
    """An AHP pairwise comparison matrix over a use's factors, in the order listed.

    Judgements may be written as fractions (``1/3``).
    """

    matrix: list[list[float]]

    @field_validator("matrix", mode="before")
    @classmethod
    def _fractions(cls, matrix: object) -> object:
        if isinstance(matrix, list):
            return [[_judgement(v) for v in row] if isinstance(row, list) else row
                    for row in matrix]
        return matrix

    ri: Literal["saaty1980", "saaty2005", "chinese", "donegan_dodd"] = Field(
        description="Random-index table for the consistency ratio.")
    method: Literal["eigenvector", "geometric_mean", "column_average"] = "eigenvector"
    source: str = Field(min_length=1, description="Whose judgements these are.")


class Entropy(Strict):
    """Entropy weights computed from the factor scores of the parcels in the run."""

    normalisation: Literal["sum", "minmax"]
    shift: float = Field(0.0, ge=0, description="minmax only: added after standardising.")


class Combine(Strict):
    """How AHP and entropy weights are combined (never a silent default)."""

    rule: Literal["linear", "multiplicative", "min_information_entropy"]
    alpha: float | None = Field(
        None, ge=0, le=1, description="linear only: share of the AHP weights.")

    @model_validator(mode="after")
    def _alpha_for_linear(self) -> Combine:
        if (self.rule == "linear") != (self.alpha is not None):
            raise ValueError("give `alpha` with rule 'linear' and only with it, found "
                             f"rule {self.rule!r}, alpha {self.alpha}")
        return self


class Weighting(Strict):
    """Weights of a use's factors: AHP, entropy, or both with a combination rule."""

    ahp: Ahp | None = None
    entropy: Entropy | None = None
    combine: Combine | None = None

    @model_validator(mode="after")
    def _complete(self) -> Weighting:
        given = [name for name in ("ahp", "entropy") if getattr(self, name) is not None]
        if not given:
            raise ValueError("`weights` needs `ahp`, `entropy`, or both with `combine`")
        if (len(given) == 2) != (self.combine is not None):
            raise ValueError("`combine` is needed exactly when both `ahp` and `entropy` are "
                             f"given; found {given} and combine={self.combine}")
        return self


class Use(Strict):
    """A restoration direction (use) and its factors."""

    label: Label
    color: Color = "#999999"
    weights: Weighting | None = Field(
        None, description="Derived weights; without it every factor gives `weight`.")
    factors: list[Factor] = Field(min_length=1)

    @model_validator(mode="after")
    def _weights_given_once(self) -> Use:
        check_weighting(self.factors, self.weights)
        return self

    def direct_weights(self) -> list[float]:
        """Factor weights as given (only when the use has no ``weights`` block)."""
        return [float(f.weight or 0.0) for f in self.factors]


def check_weighting(factors: Sequence[Factor], weighting: Weighting | None) -> None:
    """Factor ids are unique and weights are given once: per factor, or derived for all."""
    ids = [f.id for f in factors]
    if len(ids) != len(set(ids)):
        raise ValueError(f"factor ids must be unique, found {ids}")
    direct = [f.id for f in factors if f.weight is not None]
    if weighting is None and len(direct) != len(ids):
        missing = [i for i in ids if i not in direct]
        raise ValueError(f"factors {missing} have no `weight`; give every factor a "
                         "weight, or a `weights` block (ahp / entropy)")
    if weighting is not None and direct:
        raise ValueError(f"factors {direct} give a `weight` but the weights are derived "
                         "from `weights`; remove one of the two")
    if weighting is not None and weighting.ahp is not None:
        check_ahp(weighting.ahp, ids)


def check_ahp(ahp: Ahp, ids: list[str], what: str = "factor") -> None:
    """Check an AHP matrix over ``ids`` (``what`` they are): its size and consistency.

    Raises
    ------
    ValueError
        If the matrix is not one row and column per id, not positive, finite and
        reciprocal (naming the cells by id), or its CR is 0.1 or more (naming the judgement
        that disagrees most with the others).
    """
    n = len(ids)
    if len(ahp.matrix) != n or any(len(row) != n for row in ahp.matrix):
        raise ValueError(f"ahp.matrix must be {n}×{n}, one row and column per {what} in "
                         f"the order {ids}")
    try:
        result = weights.ahp(pd.DataFrame(ahp.matrix, index=ids, columns=ids), ri=ahp.ri,
                             method=ahp.method)
    except WeightsError as exc:  # zero, negative, infinite or non-reciprocal judgements
        raise ValueError(f"ahp.matrix (rows and columns: the {what}s {ids}): {exc}") from None
    if not result.consistent:
        pair = result.worst_pair
        hint = (f"; the most inconsistent judgement is {ids[pair.i]} vs {ids[pair.j]} "
                f"(given {pair.value:g}, consistent with the rest: {pair.suggested:.3g})"
                if pair is not None else "")
        raise ValueError(f"ahp.matrix is inconsistent: CR = {result.cr:.3f} ≥ 0.1{hint}")


class Sensitivity(Strict):
    """Weight perturbation for the sensitivity table."""

    step: float = Field(0.1, gt=0, lt=1, description="Relative change of each weight.")


class SuitabilityRules(RuleFileBase):
    """``kind: suitability`` — index sum of factor scores with a limiting-condition veto.

    A use's index is the weighted mean of its factor scores; its class is the best one
    whose cut point the index reaches (else N), capped by the worst veto that holds.
    """

    kind: Literal["suitability"]
    classes: dict[CutGrade, float] = Field(
        description="Lowest index of each class; below the S3 cut point a use is N.")
    limiting_top_k: int = Field(
        2, ge=1, description="How many factors `suit_<use>_limit` names, by obstacle degree.")
    sensitivity: Sensitivity = Field(default_factory=Sensitivity)
    uses: dict[Identifier, Use] = Field(min_length=1)
    tie_break: list[Identifier] = Field(
        description="Order of preference among uses of equal class and index (best_use).")
    source: str = Field("", description="Where the rule set as a whole comes from.")

    @model_validator(mode="after")
    def _consistent(self) -> SuitabilityRules:
        if sorted(self.tie_break) != sorted(self.uses):
            raise ValueError(f"tie_break must list every use exactly once: uses "
                             f"{sorted(self.uses)}, tie_break {self.tie_break}")
        cuts = [self.classes.get(g, math.nan) for g in ("S1", "S2", "S3")]
        if not all(0 < b < a <= 1 for a, b in pairwise(cuts)):
            raise ValueError(f"classes must give S1 > S2 > S3 cut points in (0, 1], found "
                             f"{dict(self.classes)}")
        return self
