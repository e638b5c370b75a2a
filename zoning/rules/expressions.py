r"""The restricted expression language of rule files.

Rule files state conditions and values as expression strings over the columns of the
parcel table, for example ``"ponded_share >= 0.5 and subs_max_m >= 3"`` or
``"land_class in ['paddy', 'dryland'] and not is_construction"``. An expression is
parsed by the engine's own tokenizer and recursive-descent parser (in
:mod:`zoning.rules._parser`) and evaluated as vectorised numpy/pandas operations over
whole columns. Python's evaluation machinery is never involved: there is no attribute
access, no subscripting, no lambdas, imports, keyword arguments or comprehensions, and
only the functions in :data:`FUNCTIONS` can be called. Anything else is rejected when
the expression is parsed, with an :class:`~zoning.errors.ExpressionError` whose
``position`` points at the offending character.

Grammar, lowest precedence first::

    expression  := or
    or          := and ("or" and)*
    and         := not ("and" not)*
    not         := "not" not | comparison
    comparison  := sum (compare_op sum)*            chained: 0.5 <= x < 1.5
                 | sum ("in" | "not" "in") list     never chained
    compare_op  := "==" | "!=" | "<" | "<=" | ">" | ">="
    sum         := term (("+" | "-") term)*
    term        := unary (("*" | "/" | "%") unary)*
    unary       := ("-" | "+") unary | power
    power       := atom ["**" unary]                right-associative; -2**2 == -4
    atom        := number | text | "true" | "false" | "null" | "(" expression ")"
                 | function "(" [argument ("," argument)*] ")" | column
    argument    := expression | list
    list        := "[" [constant ("," constant)* [","]] "]"

* Numbers: ``3``, ``0.5``, ``.5``, ``1e3``. Text: in single or double quotes, with the
  escapes ``\'``, ``\"`` and ``\\``; Chinese text is fine.
* ``true``/``false`` (also ``True``/``False``) and ``null`` (a missing value) are
  keywords, like ``and``, ``or``, ``not`` and ``in``.
* A column is any identifier (``str.isidentifier``, so Chinese column names work) not
  followed by ``(``. Names beginning with ``__`` are rejected.
* Lists hold fixed values only and appear only after ``in``/``not in`` or as a function
  argument (no current function takes one).
* Comparing with ``null`` (``x == null``) is rejected: use ``isnull(x)``.
* ``=``, ``&&``, ``||``, ``!``, ``.``, ``x[...]``, ``:`` and keyword arguments are
  rejected with a message saying what to write instead.

Functions (see :data:`FUNCTIONS`; all elementwise, argument counts checked when parsing):
``abs(x)``, ``min(a, b, ...)`` and ``max(a, b, ...)`` (skipping missing values),
``round(x, ndigits)``, ``sqrt(x)``, ``log(x)``, ``log10(x)``, ``exp(x)``,
``clip(x, lo, hi)``, ``isnull(x)``, ``notnull(x)``, ``coalesce(x, default, ...)``,
``if_else(cond, a, b)``, ``startswith(x, 'prefix')`` and ``contains(x, 'text')``.

Meaning:

* Values are numbers, text, or true/false. Comparisons need two values of the same
  kind; true/false can only be compared with ``==``/``!=``. ``in`` needs list items of
  the same kind as its left side. Arithmetic needs numbers (true/false count as 1/0)
  and is done in float64, so whole numbers never wrap around (``pop * pop`` for a
  population of 4e9 is 1.6e19, not a negative int64).
  Breaking these rules raises an :class:`~zoning.errors.ExpressionError` naming the
  sub-expression and the column dtypes found.
* Missing values (NaN, None, ``pd.NA``) use two-valued logic: every comparison and
  every ``in``/``not in`` involving a missing value is *false*, so ``not (x > 3)`` is
  true where ``x`` is missing. A missing true/false value counts as false in ``and``,
  ``or``, ``not`` and as a condition. Arithmetic propagates missing values; dividing by
  zero gives a missing value.
* ``and``, ``or`` and ``not`` need true/false operands: ``subs_max_m and x`` is an
  error, not Python truthiness.
"""

from __future__ import annotations

import logging
import operator
import time
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any, Literal

import numpy as np
import pandas as pd

from zoning.errors import ExpressionError, did_you_mean
from zoning.rules import _parser
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
from zoning.rules._types import StaticKind, check_types, column_kind

__all__ = [
    "FUNCTIONS", "Expression", "FunctionSpec", "StaticKind", "column_kind", "parse",
]

logger = logging.getLogger(__name__)

Kind = Literal["number", "bool", "text", "null"]
_KIND_WORDS: dict[str, str] = {
    "number": "numbers",
    "bool": "true/false values",
    "text": "text",
    "null": "only missing values",
}
_KIND_WORD = {"number": "a number", "bool": "true/false", "text": "text", "null": "missing"}
_TEXT = pd.StringDtype(na_value=np.nan)  # pandas' default "str" dtype
_FALSE = np.False_
_NULL_SPELLINGS = frozenset({"None", "NULL", "Null", "nan", "NaN"})


@dataclass(frozen=True, slots=True)
class _Value:
    """An evaluated sub-expression: a numpy array, a text Series, or a scalar."""

    kind: Kind
    data: Any  # ndarray (number, bool), pd.Series of dtype str (text), or a scalar
    missing: Any  # bool ndarray or np.bool_
    dtype: str = ""  # dtype of the column it was read from, for messages


def _number(data: Any) -> _Value:
    is_float = np.asarray(data).dtype.kind == "f"
    return _Value("number", data, np.isnan(data) if is_float else _FALSE)


def _boolean(data: Any) -> _Value:
    return _Value("bool", data, _FALSE)


def _as_bool_array(raw: Any) -> Any:
    if isinstance(raw, pd.Series):
        return raw.to_numpy(dtype=bool, na_value=False)
    return np.asarray(raw, dtype=bool)


def _from_column(column: pd.Series) -> _Value:
    """Convert a table column to a value; raise ``TypeError`` for unusable dtypes."""
    dtype = column.dtype
    label = str(dtype)
    if isinstance(dtype, pd.CategoricalDtype):
        column = column.astype(object)
        dtype = column.dtype
    if pd.api.types.is_bool_dtype(dtype):
        missing = column.isna().to_numpy()
        return _Value("bool", column.to_numpy(dtype=bool, na_value=False), missing, label)
    if pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_complex_dtype(dtype):
        if pd.api.types.is_integer_dtype(dtype) and not column.hasnans:
            data = column.to_numpy(dtype=np.int64)
        else:
            data = column.to_numpy(dtype=np.float64, na_value=np.nan)
        return _Value("number", data, np.isnan(data) if data.dtype.kind == "f" else _FALSE, label)
    if dtype == np.dtype(object):
        inferred = pd.api.types.infer_dtype(column, skipna=True)
        if inferred == "empty":
            return _Value("null", np.nan, np.True_, label)
        if inferred == "boolean":
            missing = column.isna().to_numpy()
            data = column.where(~missing, False).to_numpy(dtype=bool)
            return _Value("bool", data, missing, label)
        if inferred in ("integer", "floating", "mixed-integer-float", "decimal"):
            data = pd.to_numeric(column).to_numpy(dtype=np.float64, na_value=np.nan)
            return _Value("number", data, np.isnan(data), label)
        if inferred != "string":
            raise TypeError(
                f"it holds {inferred} values (dtype object); rule expressions need a column "
                "of numbers, of text, or of true/false"
            )
    elif not pd.api.types.is_string_dtype(dtype):
        raise TypeError(
            f"it has dtype {label}; rule expressions work with numbers, text and true/false"
        )
    text = column.astype(_TEXT).reset_index(drop=True)
    return _Value("text", text, text.isna().to_numpy(), label)


_COMPARE: dict[str, Callable[[Any, Any], Any]] = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


def _divide(a: Any, b: Any) -> Any:
    with np.errstate(all="ignore"):
        return np.where(np.asarray(b) == 0, np.nan, np.true_divide(a, b))


def _float(data: Any) -> Any:
    """Numbers as float64: arithmetic never wraps around as int64 would (``pop * pop``)."""
    return np.asarray(data, dtype=np.float64)


_ARITH: dict[str, Callable[[Any, Any], Any]] = {
    "+": np.add,
    "-": np.subtract,
    "*": np.multiply,
    "/": _divide,
    "%": np.mod,
    "**": np.power,
}


class _Evaluator:
    """Evaluates one expression tree over one table (column conversions are cached)."""

    def __init__(self, source: str, table: pd.DataFrame) -> None:
        if not isinstance(table, pd.DataFrame):
            raise TypeError(f"expected a pandas DataFrame, got {type(table).__name__}")
        self.source = source
        self.table = table
        self.n = len(table)
        self.columns: dict[str, _Value] = {}

    def fail(self, message: str, node: Node) -> ExpressionError:
        return ExpressionError(message, self.source, node.start)

    def describe(self, node: Node, value: _Value) -> str:
        """Say what ``node`` gives, e.g. "column 'x' holds text (dtype str)"."""
        text = self.source[node.start : node.end]
        if isinstance(node, Constant):
            return f"{text} is {_KIND_WORD[value.kind]}"
        if isinstance(node, Name):
            return f"column {node.name!r} holds {_KIND_WORDS[value.kind]} (dtype {value.dtype})"
        return f"{text!r} gives {_KIND_WORDS[value.kind]}"

    def visit(self, node: Node) -> _Value:
        try:
            return self.dispatch(node)
        except (TypeError, ValueError, ArithmeticError) as exc:  # safety net for pandas/numpy
            text = self.source[node.start : node.end]
            raise self.fail(f"cannot evaluate {text!r}: {exc}", node) from exc

    def dispatch(self, node: Node) -> _Value:
        match node:
            case Constant(value=value):
                return self.constant(value)
            case Name():
                return self.column(node)
            case Negate(op=op, operand=operand):
                number = _float(self.as_number(operand, op))
                return _number(np.negative(number) if op == "-" else number)
            case Not(operand=operand):
                return _boolean(~self.as_condition(operand, "'not'"))
            case Logic(op=op, operands=operands):
                combine = np.logical_and if op == "and" else np.logical_or
                result = self.as_condition(operands[0], f"{op!r}")
                for operand in operands[1:]:
                    result = combine(result, self.as_condition(operand, f"{op!r}"))
                return _boolean(result)
            case Arith(first=first, rest=rest):
                result = _float(self.as_number(first, rest[0][0]))
                for op, _, operand in rest:
                    with np.errstate(all="ignore"):
                        result = _ARITH[op](result, _float(self.as_number(operand, op)))
                return _number(result)
            case Compare():
                return self.compare(node)
            case Call(name=name, args=args):
                spec = FUNCTIONS[name]
                return spec.implementation(self, node, [self.visit(arg) for arg in args])
            case ListExpr():
                raise self.fail("a list cannot be used here", node)

    def constant(self, value: float | str | bool | None) -> _Value:
        if value is None:
            return _Value("null", np.nan, np.True_)
        if isinstance(value, bool):
            return _boolean(np.bool_(value))
        if isinstance(value, str):
            return _Value("text", value, _FALSE)
        return _number(np.int64(value) if isinstance(value, int) else np.float64(value))

    def column(self, node: Name) -> _Value:
        if node.name in self.columns:
            return self.columns[node.name]
        if node.name not in self.table.columns:
            known = [str(c) for c in self.table.columns]
            hint = did_you_mean(node.name, known)
            raise self.fail(f"unknown column {node.name!r}{hint}", node)
        column = self.table[node.name]
        if isinstance(column, pd.DataFrame):
            raise self.fail(f"column {node.name!r} appears more than once in the table", node)
        try:
            value = _from_column(column)
        except TypeError as exc:
            raise self.fail(f"column {node.name!r} cannot be used: {exc}", node) from exc
        self.columns[node.name] = value
        return value

    def as_number(self, node: Node, op: str) -> Any:
        value = self.visit(node)
        if value.kind == "number":
            return value.data
        if value.kind == "null":
            return np.float64(np.nan)
        if value.kind == "bool":
            if np.any(value.missing):
                return np.where(value.missing, np.nan, np.asarray(value.data, dtype=np.float64))
            return np.asarray(value.data).astype(np.int64)
        raise self.fail(f"{op!r} needs numbers, but {self.describe(node, value)}", node)

    def as_condition(self, node: Node, role: str) -> Any:
        value = self.visit(node)
        if value.kind == "bool":
            return value.data
        if value.kind == "null":
            return _FALSE
        example = "> 0" if value.kind == "number" else "== 'some text'"
        text = self.source[node.start : node.end]
        raise self.fail(
            f"{role} needs true/false values, but {self.describe(node, value)}; "
            f"compare it, e.g. {text} {example}",
            node,
        )

    def compare(self, node: Compare) -> _Value:
        result: Any = np.True_
        left_node: Node = node.first
        left = self.visit(left_node)
        for op, _, right_node in node.rest:
            if isinstance(right_node, ListExpr):
                result = result & self.membership(op, left_node, left, right_node)
                continue
            right = self.visit(right_node)
            result = result & self.compare_pair(op, left_node, left, right_node, right)
            left_node, left = right_node, right
        return _boolean(result)

    def compare_pair(self, op: str, ln: Node, left: _Value, rn: Node, right: _Value) -> Any:
        if "null" in (left.kind, right.kind):
            return _FALSE
        if left.kind != right.kind:
            message = f"cannot compare with {op!r}: {self.describe(ln, left)}"
            message += f" and {self.describe(rn, right)}"
            for node, value, other in ((ln, left, right), (rn, right, left)):
                if not isinstance(node, Constant):
                    continue
                if value.kind == "number" and other.kind == "text":
                    quoted = self.source[node.start : node.end]
                    message += f"; if you mean text, put it in quotes: '{quoted}'"
                elif value.kind == "text" and other.kind == "number":
                    message += "; if you mean a number, remove the quotes"
            raise self.fail(message, ln)
        if left.kind == "bool" and op not in ("==", "!="):
            raise self.fail(f"true/false values cannot be ordered with {op!r}", ln)
        with np.errstate(invalid="ignore"):
            raw = _as_bool_array(_COMPARE[op](left.data, right.data))
        return raw & ~(left.missing | right.missing)

    def membership(self, op: str, node: Node, value: _Value, items: ListExpr) -> Any:
        if value.kind == "null":
            return _FALSE
        wanted = {"number": (int, float), "text": (str,), "bool": (bool,)}[value.kind]
        values = []
        for item in items.items:
            if item.value is None:
                continue
            if not isinstance(item.value, wanted) or (
                value.kind == "number" and isinstance(item.value, bool)
            ):
                raise self.fail(
                    f"{op!r} needs list items of the same kind as its left side, but "
                    f"{self.describe(node, value)} and the list holds "
                    f"{self.source[item.start : item.end]}",
                    item,
                )
            values.append(item.value)
        if isinstance(value.data, pd.Series):
            found = value.data.isin(values).to_numpy(dtype=bool)
        elif value.kind == "text":
            found = np.bool_(value.data in values)
        else:
            found = np.isin(value.data, values) if values else np.zeros_like(value.data, bool)
        if op == "not in":
            found = ~found
        return found & ~value.missing

    def result(self, value: _Value, index: pd.Index) -> pd.Series:
        n = self.n
        if value.kind == "text":
            if isinstance(value.data, pd.Series):
                return value.data.set_axis(index)
            return pd.Series(value.data, index=index, dtype=_TEXT)
        if value.kind == "null":
            return pd.Series(np.nan, index=index, dtype=np.float64)
        data = np.asarray(value.data)
        if data.ndim == 0:
            data = np.full(n, data, dtype=data.dtype)
        return pd.Series(data, index=index, copy=True)


# --- functions --------------------------------------------------------------------------

Implementation = Callable[[_Evaluator, Call, list[_Value]], _Value]


@dataclass(frozen=True, eq=False)
class FunctionSpec:
    """A function that rule expressions may call.

    Attributes
    ----------
    name
        The name used in expressions.
    min_args, max_args
        How many arguments it takes (``max_args`` is ``None`` for "any number").
    signature
        How to call it, for messages, e.g. ``"clip(x, lo, hi)"``.
    summary
        What it does, in one line.
    implementation
        The vectorised implementation (internal).
    literal_args
        Arguments that must be written as constants: position → allowed Python types.

    """

    name: str
    min_args: int
    max_args: int | None
    signature: str
    summary: str
    implementation: Implementation = field(repr=False)
    literal_args: Mapping[int, tuple[type, ...]] = field(default_factory=dict)


def _numbers(ev: _Evaluator, call: Call, args: list[_Value]) -> list[Any]:
    out = []
    for node, value in zip(call.args, args, strict=True):
        if value.kind == "null":
            out.append(np.float64(np.nan))
        elif value.kind == "number":
            out.append(value.data)
        else:
            raise ev.fail(f"{call.name}() needs numbers, but {ev.describe(node, value)}", node)
    return out


def _elementwise(func: Callable[..., Any], positive: bool = False) -> Implementation:
    def implementation(ev: _Evaluator, call: Call, args: list[_Value]) -> _Value:
        values = _numbers(ev, call, args)
        with np.errstate(all="ignore"):
            result = func(*values)
            if positive:  # logarithms: missing for zero and negative numbers
                result = np.where(np.asarray(values[0]) > 0, result, np.nan)
        return _number(result)

    return implementation


def _reduce(func: Callable[[Any, Any], Any]) -> Implementation:
    def implementation(ev: _Evaluator, call: Call, args: list[_Value]) -> _Value:
        values = _numbers(ev, call, args)
        result = values[0]
        for value in values[1:]:
            result = func(result, value)
        return _number(result)

    return implementation


def _same_kind(ev: _Evaluator, call: Call, nodes: tuple[Node, ...], values: list[_Value]) -> Kind:
    kinds = {value.kind for value in values} - {"null"}
    if len(kinds) > 1:
        found = "; ".join(ev.describe(n, v) for n, v in zip(nodes, values, strict=True))
        raise ev.fail(f"{call.name}() needs values of one kind, but {found}", call)
    return kinds.pop() if kinds else "null"


def _objects(value: _Value) -> Any:
    return value.data.to_numpy(dtype=object) if isinstance(value.data, pd.Series) else value.data


def _choose(ev: _Evaluator, kind: Kind, take_first: Any, first: _Value, second: _Value) -> _Value:
    """Elementwise ``first`` where ``take_first`` else ``second`` (both of ``kind`` or null)."""
    if kind == "null":
        return first
    take_first = np.broadcast_to(take_first, (ev.n,))
    missing = np.where(take_first, first.missing, second.missing)
    if kind == "text":
        chosen = np.where(take_first, _objects(first), _objects(second))
        return _Value("text", pd.Series(chosen, dtype=_TEXT), missing)
    if kind == "bool":
        return _Value("bool", np.where(take_first, first.data, second.data) & ~missing, missing)
    return _number(np.where(take_first, first.data, second.data))


def _coalesce(ev: _Evaluator, call: Call, args: list[_Value]) -> _Value:
    kind = _same_kind(ev, call, call.args, args)
    result = args[0]
    for value in args[1:]:
        result = _choose(ev, kind, ~result.missing, result, value)
    return result


def _if_else(ev: _Evaluator, call: Call, args: list[_Value]) -> _Value:
    condition, first, second = args
    if condition.kind not in ("bool", "null"):
        what = ev.describe(call.args[0], condition)
        raise ev.fail(f"the condition of if_else() must be true or false, but {what}", call.args[0])
    kind = _same_kind(ev, call, call.args[1:], [first, second])
    take_first = condition.data if condition.kind == "bool" else _FALSE
    return _choose(ev, kind, take_first, first, second)


def _text_test(method: str) -> Implementation:
    def implementation(ev: _Evaluator, call: Call, args: list[_Value]) -> _Value:
        value, needle = args[0], str(args[1].data)
        if value.kind == "null":
            return _boolean(_FALSE)
        if value.kind != "text":
            what = ev.describe(call.args[0], value)
            raise ev.fail(f"{call.name}() needs text, but {what}", call.args[0])
        if isinstance(value.data, pd.Series):
            if method == "startswith":
                raw = value.data.str.startswith(needle)
            else:
                raw = value.data.str.contains(needle, regex=False)
            return _boolean(_as_bool_array(raw))
        text = str(value.data)
        found = text.startswith(needle) if method == "startswith" else needle in text
        return _boolean(np.bool_(found))

    return implementation


def _missing_test(negate: bool) -> Implementation:
    def implementation(ev: _Evaluator, call: Call, args: list[_Value]) -> _Value:
        missing = np.asarray(args[0].missing)
        return _boolean(~missing if negate else missing)

    return implementation


def _round(ev: _Evaluator, call: Call, args: list[_Value]) -> _Value:
    values = _numbers(ev, call, args)
    digits = int(values[1]) if len(values) > 1 else 0
    return _number(np.round(values[0], digits))


def _spec(
    signature: str,
    arity: tuple[int, int | None],
    summary: str,
    implementation: Implementation,
    literal_args: Mapping[int, tuple[type, ...]] | None = None,
) -> FunctionSpec:
    name = signature.split("(")[0]
    low, high = arity
    return FunctionSpec(name, low, high, signature, summary, implementation, literal_args or {})


def _clip(x: Any, lo: Any, hi: Any) -> Any:
    return np.minimum(np.maximum(x, lo), hi)


_SPECS = (
    _spec("abs(x)", (1, 1), "absolute value", _elementwise(np.abs)),
    _spec("min(a, b, ...)", (2, None), "smallest value, skipping missing ones", _reduce(np.fmin)),
    _spec("max(a, b, ...)", (2, None), "largest value, skipping missing ones", _reduce(np.fmax)),
    _spec(
        "round(x, ndigits)",
        (1, 2),
        "round to ndigits decimals (a whole number, default 0); halves go to the even side",
        _round,
        {1: (int,)},
    ),
    _spec("sqrt(x)", (1, 1), "square root; missing for negative x", _elementwise(np.sqrt)),
    _spec("log(x)", (1, 1), "natural logarithm; missing for x <= 0", _elementwise(np.log, True)),
    _spec("log10(x)", (1, 1), "log base 10; missing for x <= 0", _elementwise(np.log10, True)),
    _spec("exp(x)", (1, 1), "e to the power x", _elementwise(np.exp)),
    _spec("clip(x, lo, hi)", (3, 3), "x limited to the range [lo, hi]", _elementwise(_clip)),
    _spec("isnull(x)", (1, 1), "true where x is missing", _missing_test(negate=False)),
    _spec("notnull(x)", (1, 1), "true where x is not missing", _missing_test(negate=True)),
    _spec("coalesce(x, default, ...)", (2, None), "first value that is not missing", _coalesce),
    _spec("if_else(cond, a, b)", (3, 3), "a where cond is true, else b", _if_else),
    _spec(
        "startswith(x, 'prefix')",
        (2, 2),
        "true where text x starts with the prefix (false where x is missing)",
        _text_test("startswith"),
        {1: (str,)},
    ),
    _spec(
        "contains(x, 'text')",
        (2, 2),
        "true where text x contains the text, taken literally (false where x is missing)",
        _text_test("contains"),
        {1: (str,)},
    ),
)

FUNCTIONS: Mapping[str, FunctionSpec] = MappingProxyType({spec.name: spec for spec in _SPECS})
"""The functions rule expressions may call, by name.

Examples
--------
>>> FUNCTIONS["clip"].signature
'clip(x, lo, hi)'
"""


# --- public API ------------------------------------------------------------------------


@dataclass(frozen=True)
class Expression:
    """A parsed rule expression, ready to evaluate over a table; immutable.

    Build one with :func:`parse`.

    Attributes
    ----------
    source
        The expression text.
    names
        The column names the expression refers to.
    origin
        Where the expression stands (``file:line:column (rule 'id')``), put in front of the
        message of every error evaluating it raises; empty when unknown.

    Examples
    --------
    >>> import pandas as pd
    >>> expr = parse("ponded_share >= 0.5 and subs_max_m >= 3")
    >>> sorted(expr.names)
    ['ponded_share', 'subs_max_m']
    >>> table = pd.DataFrame({"ponded_share": [0.6, 0.6], "subs_max_m": [4.0, 1.0]})
    >>> expr.evaluate_condition(table).tolist()
    [True, False]

    """

    source: str
    names: frozenset[str]
    _tree: Node = field(repr=False)
    origin: str = ""

    def located(self, origin: str) -> Expression:
        """The same expression, its errors located at ``origin``."""
        return replace(self, origin=origin)

    def _visit(self, evaluator: _Evaluator) -> _Value:
        try:
            return evaluator.visit(self._tree)
        except ExpressionError as exc:
            if not self.origin:
                raise
            raise ExpressionError(f"{self.origin}: {exc.message}", exc.expression,
                                  exc.position) from exc

    def name_positions(self) -> dict[str, int]:
        """Return the offset of the first occurrence of each column name, in text order.

        Examples
        --------
        >>> parse("a > 1 or b < a").name_positions()
        {'a': 0, 'b': 9}

        """
        positions: dict[str, int] = {}
        for node in _parser.walk(self._tree):
            if isinstance(node, Name):
                positions.setdefault(node.name, node.start)
        return positions

    def check(self, columns: Collection[str]) -> list[ExpressionError]:
        """Return one error per column name that is not in ``columns`` (empty if all known).

        Examples
        --------
        >>> [e.message for e in parse("subs_max > 3").check(["subs_max_m", "area_ha"])]
        ["unknown column 'subs_max' (did you mean 'subs_max_m'?)"]

        """
        known = set(columns)
        errors = []
        for name, position in self.name_positions().items():
            if name in known:
                continue
            hint = did_you_mean(name, sorted(known))
            if not hint and name in _NULL_SPELLINGS:
                hint = " (write null for a missing value)"
            errors.append(ExpressionError(f"unknown column {name!r}{hint}", self.source, position))
        return errors

    def check_types(self, kinds: Mapping[str, StaticKind],
                    condition: bool = False) -> list[ExpressionError]:
        """Return the first type error found with the column ``kinds`` (empty if none).

        Columns missing from ``kinds`` may hold anything. With ``condition``, the
        expression must give true/false.

        Examples
        --------
        >>> [e.message for e in parse("area_ha").check_types({"area_ha": "number"}, True)]
        ['a condition must be true or false; this expression gives numbers; compare it, \
e.g. area_ha > 0']
        >>> [e.message for e in parse("'a' * 10**10").check_types({})]
        ["'*' needs numbers, but 'a' is text"]

        """
        return check_types(self._tree, self.source, kinds, condition)

    def evaluate(self, table: pd.DataFrame) -> pd.Series:
        """Evaluate over every row of ``table``; the result is indexed like ``table``.

        Numbers give float64 or int64, conditions plain numpy bool, text the str dtype.
        Constants are repeated to the table's length.

        Raises
        ------
        ExpressionError
            If a column is unknown or unusable, or values of the wrong kind meet.

        Examples
        --------
        >>> import pandas as pd
        >>> table = pd.DataFrame({"area_ha": [2.0, None, 4.0]})
        >>> parse("area_ha * 10").evaluate(table).tolist()
        [20.0, nan, 40.0]
        >>> parse("coalesce(area_ha, 0) > 1").evaluate(table).tolist()
        [True, False, True]

        """
        started = time.perf_counter()
        evaluator = _Evaluator(self.source, table)
        value = self._visit(evaluator)
        result = evaluator.result(value, table.index)
        logger.debug(
            "evaluated %r on %d rows in %.2f ms",
            self.source,
            len(table),
            (time.perf_counter() - started) * 1000,
        )
        return result

    def evaluate_condition(self, table: pd.DataFrame) -> pd.Series:
        """Evaluate a condition: a boolean Series indexed like ``table``.

        Raises
        ------
        ExpressionError
            As :meth:`evaluate`, and if the expression does not give true/false.

        Examples
        --------
        >>> import pandas as pd
        >>> table = pd.DataFrame({"land_class": ["paddy", "forest", None]})
        >>> parse("land_class in ['paddy', 'dryland']").evaluate_condition(table).tolist()
        [True, False, False]
        >>> parse("true").evaluate_condition(table).tolist()
        [True, True, True]

        """
        evaluator = _Evaluator(self.source, table)
        value = self._visit(evaluator)
        if value.kind != "bool":
            where = f"{self.origin}: " if self.origin else ""
            raise ExpressionError(
                f"{where}a condition must be true or false; this expression gives "
                f"{_KIND_WORDS[value.kind]}",
                self.source,
                0,
            )
        return evaluator.result(value, table.index)

    def is_constant_true(self) -> bool:
        """Return whether the expression is the literal ``true``.

        Examples
        --------
        >>> parse("true").is_constant_true(), parse("x > 1").is_constant_true()
        (True, False)

        """
        return isinstance(self._tree, Constant) and self._tree.value is True


def parse(text: str) -> Expression:
    """Parse a rule expression.

    Parameters
    ----------
    text
        The expression, e.g. ``"land_class in ['paddy', 'dryland'] and not is_construction"``.

    Returns
    -------
    Expression
        The parsed expression.

    Raises
    ------
    ExpressionError
        If the text is not a valid expression; ``position`` is where the problem starts.

    Examples
    --------
    >>> parse("0.5 <= subs_max_m < 1.5").names
    frozenset({'subs_max_m'})
    >>> parse("land_use.__class__")
    Traceback (most recent call last):
    ...
    zoning.errors.ExpressionError: attribute access ('.') is not allowed in rule expressions
        land_use.__class__
                ^

    """
    if not isinstance(text, str):
        raise ExpressionError(f"an expression must be text, not {type(text).__name__}")
    tree = _parser.parse(text, FUNCTIONS)
    names = frozenset(n.name for n in _parser.walk(tree) if isinstance(n, Name))
    return Expression(text, names, tree)
