"""The bad-input catalogue's shared helpers (``tests/test_bad_*.py``).

Every case of the catalogue is a test marked ``badinput`` that names its outcome class with
:func:`outcome` and checks that the inputs are byte-identical afterwards with
:func:`inputs_unchanged`. The classes are:

``problem``
    a validation problem (exit code 1) naming the file, field or rule;
``warning``
    a logged warning with a count, and the run goes on with a stated fallback;
``correct``
    the engine reads the input and gives the right result.

``python -m pytest -m badinput -q`` runs the catalogue alone; ``tests/test_bad_catalogue.py``
counts its cases by class.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Literal

import pytest

Outcome = Literal["problem", "warning", "correct"]


def outcome(kind: Outcome) -> pytest.MarkDecorator:
    """Mark a catalogue case with its outcome class (and ``badinput``)."""
    return pytest.mark.badinput(kind)


def _digests(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@contextmanager
def inputs_unchanged(folder: Path, *, ignore: tuple[str, ...] = ("out",)) -> Iterator[None]:
    """Assert that no file under ``folder`` (outside ``ignore`` sub-folders) changes or vanishes.

    New files are allowed only inside the ignored sub-folders (the outputs).
    """
    def keep(name: str) -> bool:
        return not any(name == i or name.startswith(f"{i}/") for i in ignore)

    before = {k: v for k, v in _digests(folder).items() if keep(k)}
    yield
    after = {k: v for k, v in _digests(folder).items() if keep(k)}
    changed = sorted(k for k in before if after.get(k) != before[k])
    added = sorted(set(after) - set(before))
    assert not changed, f"inputs changed or deleted: {changed}"
    assert not added, f"files written among the inputs: {added}"


def edited_rule_file(folder: Path, kind: str, *pairs: tuple[str, str]) -> Path:
    """A copy of the shipped rule file ``kind`` in ``folder``, each ``(old, new)`` replaced once."""
    from zoning._resources import rules_dir

    text = (rules_dir() / f"{kind}.yaml").read_text(encoding="utf-8")
    for old, new in pairs:
        assert old in text, f"{old!r} not in the shipped {kind}.yaml"
        text = text.replace(old, new, 1)
    path = folder / f"{kind}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def rule_file_problems(folder: Path, kind: str, *pairs: tuple[str, str]) -> tuple[Path, str]:
    """Load an edited copy of a shipped rule file; return its path and the problems it raises.

    The edited file must be refused (``ValidationFailed``) and leave ``folder`` unchanged.
    """
    from zoning.errors import ValidationFailed
    from zoning.rules.ruleset import load_rules

    path = edited_rule_file(folder, kind, *pairs)
    with inputs_unchanged(folder), pytest.raises(ValidationFailed) as info:
        load_rules({kind: path})
    return path, str(info.value)
