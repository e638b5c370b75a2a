"""Load YAML files while remembering where every value stands in the file.

Pydantic reports problems by path (``("rules", 3, "when")``); expressions report an
offset inside a string. :class:`YamlDocument` turns both into ``file:line:column`` so a
planner can jump straight to the mistake.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from zoning.errors import Problem, RuleError

Key = tuple[str | int, ...]


@dataclass(frozen=True)
class Position:
    """Where a YAML value starts: 1-based line and column, and its quoting style."""

    line: int
    column: int
    quoted: bool


@dataclass
class YamlDocument:
    """A parsed YAML file with the position of every value.

    Attributes
    ----------
    path
        The file.
    data
        The parsed content (dicts, lists, scalars).
    positions
        Position of every value, keyed by its path of mapping keys and list indexes.

    """

    path: Path
    data: Any
    positions: dict[Key, Position] = field(default_factory=dict)

    def where(self, key: Sequence[str | int], offset: int = 0) -> str:
        """Return ``file:line:column`` for the value at ``key``.

        ``offset`` is a character offset inside a one-line string value (for example
        where an expression error starts). If ``key`` is not found, the nearest enclosing
        value that is found is used.
        """
        probe = tuple(key)
        while probe and probe not in self.positions:
            probe = probe[:-1]
        pos = self.positions.get(probe)
        if pos is None:
            return str(self.path)
        column = pos.column
        if probe == tuple(key):
            column += offset + (1 if pos.quoted else 0)
        return f"{self.path}:{pos.line}:{column}"

    def problem(self, key: Sequence[str | int], message: str, offset: int = 0) -> Problem:
        """Build a :class:`~zoning.errors.Problem` located at ``key``."""
        return Problem(self.where(key, offset), message)

    def validation_problems(self, exc: ValidationError) -> list[Problem]:
        """Turn a pydantic validation error into located problems, one per error."""
        problems = []
        for err in exc.errors():
            loc = tuple(p for p in err["loc"] if isinstance(p, str | int))
            name = ".".join(str(p) for p in loc) or "(file)"
            if err["type"] == "extra_forbidden":
                message = "unknown key (check the spelling; `zoning schema` lists the keys)"
            elif err["type"] == "missing":
                message = "required key is missing"
            else:
                message = str(err["msg"])
            problems.append(self.problem(loc, f"{name}: {message}"))
        return problems


def load_yaml(path: Path) -> YamlDocument:
    """Read a YAML file, keeping the position of every value.

    Raises
    ------
    RuleError
        If the file cannot be read or is not valid YAML; the message gives the line.

    """
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RuleError(f"{path}: cannot read the file ({exc.strerror})") from exc
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
        positions: dict[Key, Position] = {}
        if node is not None:
            _record(node, (), positions, loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        problem = getattr(exc, "problem", None) or str(exc)
        raise RuleError(f"{where}: not valid YAML: {problem}") from exc
    finally:
        loader.dispose()
    return YamlDocument(path=path, data=data, positions=positions)


def _record(
    node: yaml.Node, key: Key, positions: dict[Key, Position], loader: yaml.SafeLoader
) -> None:
    quoted = isinstance(node, yaml.ScalarNode) and node.style in ("'", '"')
    positions[key] = Position(node.start_mark.line + 1, node.start_mark.column + 1, quoted)
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            name = loader.construct_object(key_node, deep=True)
            _record(value_node, (*key, name), positions, loader)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _record(item, (*key, index), positions, loader)
