"""Load a set of rule files, validate them, and compile their expressions.

A :class:`RuleSet` holds one validated model per rule-file kind, remembers where every
value stands in its file, and compiles every expression once. Problems are collected,
never raised one at a time, so ``zoning validate`` can list them all.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from pydantic import ValidationError

from zoning._resources import rules_dir
from zoning.errors import ExpressionError, Problem, ValidationFailed
from zoning.rules._types import StaticKind
from zoning.rules.expressions import Expression, parse
from zoning.rules.loader import Key, YamlDocument, load_yaml
from zoning.rules.models import RULE_MODELS, RuleFileBase

M = TypeVar("M", bound=RuleFileBase)


@dataclass(frozen=True)
class ExpressionSite:
    """An expression in a rule file: which kind, where, and its text."""

    kind: str
    key: Key
    text: str
    sees: tuple[str, ...] = ()
    """Columns visible to this expression besides those present before its stage."""
    optional: bool = False
    """Columns it names may be absent: its stage leaves it out then (parse errors still count)."""

    @property
    def condition(self) -> bool:
        """Whether the expression must give true/false (``when``, ``where``, a veto, a lock)."""
        return str(self.key[-1]) in CONDITION_KEYS or "veto" in self.key


CONDITION_KEYS = frozenset({"when", "applies_to", "where", "barrier", "eligible", "locked_in",
                            "locked_out"})
"""Rule-file keys whose expressions are conditions (true/false)."""


@dataclass
class RuleSet:
    """Validated rule files by kind, with their YAML positions and compiled expressions."""

    models: dict[str, RuleFileBase] = field(default_factory=dict)
    documents: dict[str, YamlDocument] = field(default_factory=dict)
    _compiled: dict[tuple[str, Key], Expression] = field(default_factory=dict)

    def get(self, kind: str, model: type[M]) -> M:
        """Return the model of ``kind``, typed as ``model``."""
        found = self.models[kind]
        if not isinstance(found, model):
            raise TypeError(f"rule file of kind {kind!r} is a {type(found).__name__}")
        return found

    def path(self, kind: str) -> Path:
        """File the rules of ``kind`` were read from."""
        return self.documents[kind].path

    def expression(self, site: ExpressionSite) -> Expression:
        """Return the compiled expression at ``site`` (parsed once, then cached).

        Errors evaluating it name the rule file, line, column and rule id.
        """
        cache_key = (site.kind, site.key)
        if cache_key not in self._compiled:
            self._compiled[cache_key] = parse(site.text).located(self.label(site))
        return self._compiled[cache_key]

    def check_expressions(
        self, sites: Iterable[ExpressionSite], columns: Collection[str],
        kinds: Mapping[str, StaticKind] | None = None,
    ) -> list[Problem]:
        """Parse every expression and check the columns it names; return the problems.

        With ``kinds`` (the kind of value of each known column: number, text, bool), an
        expression whose columns all exist is also type-checked: text compared with a
        number, arithmetic on text, a condition that is not true/false.
        """
        problems: list[Problem] = []
        for site in sites:
            doc = self.documents[site.kind]
            try:
                expr = self.expression(site)
            except ExpressionError as exc:
                problems.append(doc.problem(site.key, self._located(site, exc), exc.position))
                continue
            if site.optional and not expr.names <= {*columns, *site.sees}:
                continue
            errors = expr.check({*columns, *site.sees})
            if not errors and kinds is not None:
                errors = expr.check_types(kinds, site.condition)
            for err in errors:
                problems.append(doc.problem(site.key, self._located(site, err), err.position))
        return problems

    def label(self, site: ExpressionSite) -> str:
        """Where ``site`` stands: ``file:line:column``, with its rule's id when it has one."""
        rule = _rule_id(self.documents[site.kind].data, site.key)
        where = self.documents[site.kind].where(site.key)
        return f"{where} (rule {rule!r})" if rule else where

    def _located(self, site: ExpressionSite, exc: ExpressionError) -> str:
        """The error in one line, with the id of the rule holding the expression."""
        rule = _rule_id(self.documents[site.kind].data, site.key)
        return f"{_one_line(exc)}{f' (rule {rule!r})' if rule else ''}"


def _rule_id(data: object, key: Key) -> str | None:
    """The ``id`` of the innermost mapping along ``key`` in a rule file's data, if any."""
    found = None
    for part in key:
        if isinstance(data, dict):
            data = data.get(part)
        elif isinstance(data, list) and isinstance(part, int) and 0 <= part < len(data):
            data = data[part]
        else:
            break
        if isinstance(data, dict) and isinstance(data.get("id"), str):
            found = data["id"]
    return found


def _one_line(exc: ExpressionError) -> str:
    return f"{exc.message} in {exc.expression!r}" if exc.expression else exc.message


def default_rule_paths() -> dict[str, Path]:
    """Paths of the shipped rule file of every kind."""
    return {kind: rules_dir() / f"{kind}.yaml" for kind in RULE_MODELS}


def load_rules(paths: Mapping[str, Path] | None = None) -> RuleSet:
    """Load and validate rule files; kinds not given use the shipped defaults.

    Parameters
    ----------
    paths
        Rule-file path by kind (a key of :data:`~zoning.rules.models.RULE_MODELS`).

    Raises
    ------
    ValidationFailed
        Listing every problem in every file, each with ``file:line:column``.

    Examples
    --------
    >>> rules = load_rules()
    >>> sorted(rules.models) == sorted(RULE_MODELS)
    True
    >>> sorted(rules.models)[:4]
    ['carbon', 'corridors', 'costs', 'damage']

    """
    chosen = default_rule_paths()
    chosen.update(paths or {})
    rules = RuleSet()
    problems: list[Problem] = []
    for kind, path in chosen.items():
        if kind not in RULE_MODELS:
            problems.append(
                Problem(str(path), f"unknown rule-file kind {kind!r}; known: {sorted(RULE_MODELS)}")
            )
            continue
        try:
            doc = load_yaml(path)
        except Exception as exc:  # RuleError from the loader, with the line
            problems.append(Problem(str(path), str(exc)))
            continue
        model = _validate(kind, doc, problems)
        if model is not None:
            rules.models[kind] = model
            rules.documents[kind] = doc
            problems += _check_assignments(model, doc)
    if problems:
        raise ValidationFailed(problems)
    return rules


def _validate(kind: str, doc: YamlDocument, problems: list[Problem]) -> RuleFileBase | None:
    data = doc.data
    if not isinstance(data, dict):
        problems.append(Problem(str(doc.path), "expected a mapping at the top of the file"))
        return None
    found_kind = data.get("kind")
    if found_kind != kind:
        problems.append(
            doc.problem(("kind",),
                        f"expected `kind: {kind}` for this rule file, found {found_kind!r}")
        )
        return None
    try:
        return RULE_MODELS[kind].model_validate(data)
    except ValidationError as exc:
        problems += doc.validation_problems(exc)
        return None


def _check_assignments(model: RuleFileBase, doc: YamlDocument) -> list[Problem]:
    """Every assigned output and value must be declared in the file."""
    problems: list[Problem] = []
    for table_key, allowed in model.decision_tables().items():
        for i, rule in enumerate(getattr(model, table_key)):
            for column, value in rule.assign.items():
                key = (table_key, i, "assign", column)
                if column not in allowed:
                    problems.append(
                        doc.problem(key, f"rule {rule.id!r} assigns {column!r}; this table "
                                    f"assigns only {sorted(allowed)}")
                    )
                elif value not in allowed[column]:
                    problems.append(
                        doc.problem(key, f"rule {rule.id!r} assigns unknown {column} {value!r}; "
                                    f"defined: {sorted(allowed[column])}")
                    )
    return problems
