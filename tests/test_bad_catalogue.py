"""The bad-input catalogue itself: every case names one outcome class, and there are enough.

The catalogue is every test marked ``badinput`` in ``tests/test_bad_*.py`` (see
``tests/_bad.py``). This file counts its cases by outcome class (parametrized cases count once
per parameter set) and prints the table with ``-s``.
"""

from __future__ import annotations

import importlib
import inspect
import itertools
import math
from collections import Counter
from pathlib import Path

import pytest

HERE = Path(__file__).parent
CLASSES = ("problem", "warning", "correct")


def _marks(obj: object) -> list[pytest.Mark]:
    marks = getattr(obj, "pytestmark", [])
    return marks if isinstance(marks, list) else [marks]


def _kind(marks: list[pytest.Mark]) -> str | None:
    kinds = [m.args[0] for m in marks if m.name == "badinput"]
    assert len(kinds) <= 1, f"a case names several outcome classes: {kinds}"
    return kinds[0] if kinds else None


def _param_sets(function: object) -> list[list[object]]:
    """Each parametrize mark's parameter sets (ParameterSet or plain values)."""
    return [list(m.args[1]) for m in _marks(function) if m.name == "parametrize"]


def catalogue() -> Counter[tuple[str, str]]:
    """Cases by (file, outcome class)."""
    counts: Counter[tuple[str, str]] = Counter()
    for path in sorted(HERE.glob("test_bad_*.py")):
        if path.name == Path(__file__).name:
            continue
        module = importlib.import_module(path.stem)
        for name, function in inspect.getmembers(module, inspect.isfunction):
            if not name.startswith("test_"):
                continue
            default = _kind(_marks(function))
            sets = _param_sets(function)
            if not sets:
                if default is not None:
                    counts[path.stem, default] += 1
                continue
            for combo in itertools.product(*sets):
                marks = [m for p in combo for m in getattr(p, "marks", ())]
                kind = _kind(marks) or default
                if kind is not None:
                    counts[path.stem, kind] += 1
    return counts


def test_every_case_has_a_known_outcome_class():
    counts = catalogue()
    assert {kind for _, kind in counts} <= set(CLASSES)


def test_the_catalogue_has_at_least_60_cases(capsys):
    counts = catalogue()
    by_class = Counter()
    for (_, kind), n in counts.items():
        by_class[kind] += n
    with capsys.disabled():
        files = sorted({f for f, _ in counts})
        print("\nbad-input catalogue: cases by file and outcome class")
        for f in files:
            print(f"  {f:28s} " + "  ".join(f"{k} {counts[f, k]:3d}" for k in CLASSES))
        print(f"  {'total':28s} " + "  ".join(f"{k} {by_class[k]:3d}" for k in CLASSES)
              + f"  = {math.fsum(by_class.values()):.0f}")
    assert sum(by_class.values()) >= 60
