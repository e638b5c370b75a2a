"""Error hierarchy of the engine.

Every error the engine raises on purpose derives from :class:`ZoningError`. Validation
collects every :class:`Problem` it finds and raises them together in one
:class:`ValidationFailed`, so a planner fixes a project in one pass instead of one
error at a time.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass


class ZoningError(Exception):
    """Base class of every error the engine raises on purpose."""


class LayerError(ZoningError):
    """A layer cannot be read or does not have what the engine needs."""


class RuleError(ZoningError):
    """A rule file or a rule expression is invalid."""


class WeightsError(ZoningError):
    """Weighting input (a comparison matrix, an indicator table, weights) is invalid."""


class CorridorError(ZoningError):
    """Ecological-network input (a resistance grid, focal nodes, a Circuitscape INI) is invalid."""


class ReductionError(ZoningError):
    """Land-reduction input (a quota, locks, scores) is invalid."""


class ExpressionError(RuleError):
    """A rule expression cannot be parsed or names something that does not exist.

    Parameters
    ----------
    message
        What is wrong, in words a planner understands.
    expression
        The expression text.
    position
        0-based character offset inside ``expression`` where the problem starts.

    """

    def __init__(self, message: str, expression: str = "", position: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.expression = expression
        self.position = position

    def __str__(self) -> str:
        if not self.expression:
            return self.message
        caret = " " * self.position + "^"
        return f"{self.message}\n    {self.expression}\n    {caret}"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a project, a layer or a rule file.

    Attributes
    ----------
    where
        What the problem is in: a file, ``file:line:column``, a layer or a field.
    message
        What was expected, what was found, and how to fix it.

    """

    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


class ValidationFailed(ZoningError):
    """Validation found one or more problems; all of them are listed."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        lines = [f"{len(self.problems)} problem(s) found:"]
        lines += [f"  - {p}" for p in self.problems]
        super().__init__("\n".join(lines))


def closest(name: str, candidates: Iterable[str], n: int = 3) -> list[str]:
    """Return the candidates that look most like ``name`` (for "did you mean" hints).

    Examples
    --------
    >>> closest("subs_max", ["subs_max_m", "area_ha", "subs_mean_m"])
    ['subs_max_m', 'subs_mean_m']

    """
    return difflib.get_close_matches(name, list(candidates), n=n, cutoff=0.6)


def did_you_mean(name: str, candidates: Iterable[str]) -> str:
    """Return a ``" (did you mean ...?)"`` hint, or an empty string if nothing is close."""
    matches = closest(name, candidates)
    if not matches:
        return ""
    return " (did you mean " + ", ".join(repr(m) for m in matches) + "?)"


class AssessmentError(ValidationFailed):
    """An assessment table, its indicator system or set-pair input is invalid.

    Like :class:`ValidationFailed`, every problem found is listed together, each naming the
    file, the indicator and the row (year or unit) it concerns.
    """
