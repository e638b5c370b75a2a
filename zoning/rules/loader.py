"""Load YAML files while remembering where every value stands in the file.

Pydantic reports problems by path (``("rules", 3, "when")``); expressions report an
offset inside a string. :class:`YamlDocument` turns both into ``file:line:column`` so a
planner can jump straight to the mistake.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from zoning.errors import Problem, RuleError

logger = logging.getLogger(__name__)

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


MAX_BYTES = 5_000_000
"""Largest project or rule file read (bytes); real ones are a few kilobytes."""
MAX_ALIASES = 100
"""Most aliases (``*name``) a file may use; anchors and aliases repeat blocks of a file."""
MAX_VALUES = 100_000
"""Most values a file may hold with every alias expanded (stops "billion laughs")."""
MAX_STRING = 10_000
"""Longest single string (an expression, a label) in characters."""
SHOWN = 60
"""Characters of a refused string shown in the message."""


class _Refused(yaml.MarkedYAMLError):
    """A YAML file past one of the limits (aliases, values, string length)."""

    def __init__(self, problem: str, mark: yaml.Mark) -> None:
        super().__init__(problem=problem, problem_mark=mark)


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader counting aliases as it composes, refusing more than the limit."""

    aliases = 0

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        if self.check_event(yaml.AliasEvent):
            self.aliases += 1
            if self.aliases > MAX_ALIASES:
                raise _Refused(f"more than {MAX_ALIASES} aliases (*name); write the repeated "
                               "blocks out instead", self.peek_event().start_mark)
        return super().compose_node(parent, index)


def _text(path: Path) -> str:
    """The file's text: UTF-8, else GB18030 (GBK) with a warning, else a located error."""
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise RuleError(f"{path}: the file has {size:,} bytes, more than the {MAX_BYTES:,} "
                            "a project or rule file may have; is it the right file?")
        raw = path.read_bytes()
    except OSError as exc:
        raise RuleError(f"{path}: cannot read the file ({exc.strerror})") from exc
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        try:
            text = raw.decode("gb18030")
        except UnicodeDecodeError:
            raise RuleError(f"{path}: not UTF-8 text (byte {exc.start} cannot be read) nor "
                            "GB18030/GBK; save the file as UTF-8") from None
    logger.warning("%s: not UTF-8; read as GB18030 (GBK). Save it as UTF-8 (in Notepad: "
                   "Save as, Encoding UTF-8) to read it the same everywhere", path)
    return text


def load_yaml(path: Path) -> YamlDocument:
    """Read a YAML file (UTF-8, or GB18030 with a warning), keeping every value's position.

    Anchors and aliases are allowed, but at most :data:`MAX_ALIASES` of them and
    :data:`MAX_VALUES` values once expanded; files over :data:`MAX_BYTES` and strings over
    :data:`MAX_STRING` characters are refused, so no file can exhaust the memory.

    Raises
    ------
    RuleError
        If the file cannot be read, is not valid YAML or passes a limit; the message gives
        the line.

    """
    loader = _Loader(_text(path))
    try:
        node = loader.get_single_node()
        data = None
        positions: dict[Key, Position] = {}
        if node is not None:
            _check_size(node, {}, set())
            data = loader.construct_document(node)
            _record(node, (), positions, loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        problem = getattr(exc, "problem", None) or str(exc)
        kind = "refused" if isinstance(exc, _Refused) else "not valid YAML"
        raise RuleError(f"{where}: {kind}: {problem}") from exc
    except RecursionError:
        raise RuleError(f"{path}: not valid YAML: nested too deep") from None
    finally:
        loader.dispose()
    return YamlDocument(path=path, data=data, positions=positions)


def _check_size(node: yaml.Node, sizes: dict[int, int], open_: set[int]) -> int:
    """Values under ``node`` with aliases expanded (each shared node counted once per use).

    Raises a YAML error at the node for a string over :data:`MAX_STRING` characters, an
    alias inside its own anchor, or more than :data:`MAX_VALUES` values.
    """
    key = id(node)
    if key in sizes:
        return sizes[key]
    if key in open_:
        raise _Refused("an alias inside its own anchor (a recursive structure)",
                       node.start_mark)
    if isinstance(node, yaml.ScalarNode):
        if len(node.value) > MAX_STRING:
            raise _Refused(f"a string of {len(node.value):,} characters, more than "
                           f"{MAX_STRING:,} ({node.value[:SHOWN]!r}...); shorten it",
                           node.start_mark)
        size = 1
    else:
        open_.add(key)
        items = node.value if isinstance(node, yaml.SequenceNode) else [
            n for pair in node.value for n in pair]
        size = 1 + sum(_check_size(item, sizes, open_) for item in items)
        open_.discard(key)
    if size > MAX_VALUES:
        raise _Refused(f"more than {MAX_VALUES:,} values once its aliases (*name) are "
                       "expanded; write the repeated blocks out instead", node.start_mark)
    sizes[key] = size
    return size


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
