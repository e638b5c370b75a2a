"""Static type checking of rule expressions against the kinds of the columns they name.

Before anything runs, every expression is checked with what is known of its columns: the
dtypes of the parcel layer's fields and the documented types of the engine's columns. A
column whose kind is not known is ``any`` and passes every check; the runtime checks of
:mod:`zoning.rules.expressions` still apply to it. The rules mirror the evaluator's:
comparisons need two values of one kind, arithmetic and the numeric functions need
numbers (true/false count as 1/0 in arithmetic), ``and``/``or``/``not`` and conditions
need true/false.

Examples
--------
>>> from zoning.rules.expressions import parse
>>> [e.message for e in parse("land_class > 3").check_types({"land_class": "text"})]
["cannot compare with '>': column 'land_class' holds text and 3 is a number; if you mean text, put it in quotes: '3'"]
"""  # noqa: E501

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

import numpy as np
import pandas as pd

from zoning.errors import ExpressionError
from zoning.rules._parser import (
    Arith,
    Call,
    Compare,
    Constant,
    ListExpr,
    Logic,
    Name,
    Negate,
    Node,
    Not,
)

StaticKind = Literal["number", "bool", "text", "null", "any"]
_WORDS = {"number": "numbers", "bool": "true/false values", "text": "text",
          "null": "only missing values", "any": "values of any kind"}
_A = {"number": "a number", "bool": "true/false", "text": "text", "null": "missing",
      "any": "any value"}
_NUMERIC_FUNCTIONS = frozenset({"abs", "min", "max", "round", "sqrt", "log", "log10", "exp",
                                "clip"})


def column_kind(column: pd.Series) -> StaticKind:
    """The kind of value a table column gives in expressions (``any`` when unusable).

    Examples
    --------
    >>> column_kind(pd.Series([1, 2])), column_kind(pd.Series(["a", None]))
    ('number', 'text')
    """
    dtype = column.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        return column_kind(column.astype(object))
    if pd.api.types.is_bool_dtype(dtype):
        return "bool"
    if pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_complex_dtype(dtype):
        return "number"
    if pd.api.types.is_string_dtype(dtype) and dtype != np.dtype(object):
        return "text"
    if dtype == np.dtype(object):
        inferred = pd.api.types.infer_dtype(column, skipna=True)
        if inferred == "empty":
            return "null"
        if inferred == "boolean":
            return "bool"
        if inferred in ("integer", "floating", "mixed-integer-float", "decimal"):
            return "number"
        if inferred == "string":
            return "text"
    return "any"


class _Checker:
    def __init__(self, source: str, kinds: Mapping[str, StaticKind]) -> None:
        self.source = source
        self.kinds = kinds

    def fail(self, message: str, node: Node) -> ExpressionError:
        return ExpressionError(message, self.source, node.start)

    def describe(self, node: Node, kind: StaticKind) -> str:
        text = self.source[node.start:node.end]
        if isinstance(node, Constant):
            return f"{text} is {_A[kind]}"
        if isinstance(node, Name):
            return f"column {node.name!r} holds {_WORDS[kind]}"
        return f"{text!r} gives {_WORDS[kind]}"

    def number(self, node: Node, op: str, bools: bool = True) -> None:
        kind = self.kind(node)
        allowed = ("number", "null", "any", "bool") if bools else ("number", "null", "any")
        if kind not in allowed:
            raise self.fail(f"{op} needs numbers, but {self.describe(node, kind)}", node)

    def condition(self, node: Node, role: str) -> None:
        kind = self.kind(node)
        if kind not in ("bool", "null", "any"):
            example = "> 0" if kind == "number" else "== 'some text'"
            text = self.source[node.start:node.end]
            raise self.fail(f"{role} needs true/false values, but {self.describe(node, kind)}; "
                            f"compare it, e.g. {text} {example}", node)

    def kind(self, node: Node) -> StaticKind:
        match node:
            case Constant(value=value):
                return _constant_kind(value)
            case Name(name=name):
                return self.kinds.get(name, "any")
            case Negate(op=op, operand=operand):
                self.number(operand, repr(op))
                return "number"
            case Not(operand=operand):
                self.condition(operand, "'not'")
                return "bool"
            case Logic(op=op, operands=operands):
                for operand in operands:
                    self.condition(operand, repr(op))
                return "bool"
            case Arith(first=first, rest=rest):
                self.number(first, repr(rest[0][0]))
                for op, _, operand in rest:
                    self.number(operand, repr(op))
                return "number"
            case Compare():
                self.compare(node)
                return "bool"
            case Call():
                return self.call(node)
            case ListExpr():
                raise self.fail("a list cannot be used here", node)
        raise AssertionError(node)  # pragma: no cover - every node kind is matched above

    def compare(self, node: Compare) -> None:
        left_node: Node = node.first
        left = self.kind(left_node)
        for op, _, right_node in node.rest:
            if isinstance(right_node, ListExpr):
                self.membership(op, left_node, left, right_node)
                continue
            right = self.kind(right_node)
            if not {"null", "any"} & {left, right}:
                if left != right:
                    raise self.fail(self.mismatch(op, left_node, left, right_node, right),
                                    left_node)
                if left == "bool" and op not in ("==", "!="):
                    raise self.fail(f"true/false values cannot be ordered with {op!r}",
                                    left_node)
            left_node, left = right_node, right

    def mismatch(self, op: str, ln: Node, left: StaticKind, rn: Node,
                 right: StaticKind) -> str:
        message = (f"cannot compare with {op!r}: {self.describe(ln, left)} and "
                   f"{self.describe(rn, right)}")
        for node, kind, other in ((ln, left, right), (rn, right, left)):
            if isinstance(node, Constant) and kind == "number" and other == "text":
                quoted = self.source[node.start:node.end]
                message += f"; if you mean text, put it in quotes: '{quoted}'"
            elif isinstance(node, Constant) and kind == "text" and other == "number":
                message += "; if you mean a number, remove the quotes"
        return message

    def membership(self, op: str, node: Node, kind: StaticKind, items: ListExpr) -> None:
        if kind in ("null", "any"):
            return
        for item in items.items:
            found = _constant_kind(item.value)
            if found not in ("null", kind):
                raise self.fail(f"{op!r} needs list items of the same kind as its left side, "
                                f"but {self.describe(node, kind)} and the list holds "
                                f"{self.source[item.start:item.end]}", item)

    def call(self, node: Call) -> StaticKind:
        name, args = node.name, node.args
        if name in _NUMERIC_FUNCTIONS:
            for arg in args:
                self.number(arg, f"{name}()", bools=False)
            return "number"
        if name in ("isnull", "notnull"):
            self.kind(args[0])
            return "bool"
        if name in ("startswith", "contains"):
            kind = self.kind(args[0])
            if kind not in ("text", "null", "any"):
                raise self.fail(f"{name}() needs text, but {self.describe(args[0], kind)}",
                                args[0])
            return "bool"
        values = args
        if name == "if_else":
            kind = self.kind(args[0])
            if kind not in ("bool", "null", "any"):
                raise self.fail("the condition of if_else() must be true or false, but "
                                f"{self.describe(args[0], kind)}", args[0])
            values = args[1:]
        return self.same_kind(node, values)

    def same_kind(self, call: Call, nodes: tuple[Node, ...]) -> StaticKind:
        kinds = [self.kind(n) for n in nodes]
        if "any" in kinds:
            return "any"
        found = set(kinds) - {"null"}
        if len(found) > 1:
            said = "; ".join(self.describe(n, k) for n, k in zip(nodes, kinds, strict=True))
            raise self.fail(f"{call.name}() needs values of one kind, but {said}", call)
        return found.pop() if found else "null"


def _constant_kind(value: object) -> StaticKind:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    return "text" if isinstance(value, str) else "number"


def check_types(tree: Node, source: str, kinds: Mapping[str, StaticKind],
                condition: bool = False) -> list[ExpressionError]:
    """The first type error of the expression ``tree`` (empty when it type-checks).

    Parameters
    ----------
    tree, source
        The parsed expression and its text.
    kinds
        Kind of each known column; columns not in it are ``any``.
    condition
        The expression must give true/false (a ``when:`` and the like).
    """
    checker = _Checker(source, kinds)
    try:
        kind = checker.kind(tree)
    except ExpressionError as exc:
        return [exc]
    if condition and kind not in ("bool", "any"):
        example = "== 'some text'" if kind == "text" else "> 0"
        return [ExpressionError(f"a condition must be true or false; this expression gives "
                                f"{_WORDS[kind]}; compare it, e.g. {source} {example}",
                                source, 0)]
    return []
