"""Property-based fuzzing of the rule-expression parser, evaluator and static type check.

* Random text never raises anything but :class:`ExpressionError`, when parsed or evaluated.
* Random well-formed expressions (any mix of kinds) never raise anything else either, and
  the static type check agrees with evaluation: it finds an error exactly when evaluating
  fails.
* Well-formed arithmetic agrees with the same tree evaluated directly in numpy float64.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from zoning.errors import ExpressionError
from zoning.rules._types import column_kind
from zoning.rules.expressions import parse

# no .hypothesis folder; derandomized, so CI runs the same 200 cases every time (to explore
# further, run locally with a larger max_examples and without derandomize)
FUZZ = settings(max_examples=200, deadline=None, database=None, derandomize=True)

TABLE = pd.DataFrame({
    "x": [0.0, 1.5, -2.0, 1e300, np.nan, 3.0],
    "y": [2.0, 0.0, -0.5, 1e10, 1.0, -3.0],
    "n": np.array([4_000_000_000, 3, 0, -7, 2**40, 1], dtype=np.int64),
    "flag": [True, False, True, False, True, False],
    "name": ["paddy", "forest", None, "水田", "", "a b"],
})
KINDS = {name: column_kind(TABLE[name]) for name in TABLE.columns}
NUMERIC = ("x", "y", "n")


def _evaluate(text: str) -> pd.Series | None:
    """The value of ``text`` over the table; None when the engine refuses it."""
    try:
        return parse(text).evaluate(TABLE)
    except ExpressionError:
        return None


# --- random text ------------------------------------------------------------------------------

_ALPHABET = st.sampled_from([*"xyn flagme0123456789.+-*/%()[],'\"<>=!&|^~:;#\\_aotrdiul",
                             " and ", " or ", " not ", " in ", "**", "==", "null", "true",
                             "abs(", "clip(", "if_else(", "（", "水"])


@FUZZ
@given(st.lists(_ALPHABET, max_size=25).map("".join))
def test_random_text_raises_only_expression_errors(text: str) -> None:
    try:
        expression = parse(text)
    except ExpressionError:
        return
    _evaluate(expression.source)
    expression.check_types(KINDS)


@FUZZ
@given(st.text(max_size=40))
def test_arbitrary_unicode_raises_only_expression_errors(text: str) -> None:
    with contextlib.suppress(ExpressionError):
        parse(text).evaluate(TABLE)


# --- well-formed expressions of every kind ----------------------------------------------------

_LEAVES = st.one_of(
    st.sampled_from(["x", "y", "n", "flag", "name", "coalesce(null, null)", "true", "false",
                     "'paddy'", "'水田'"]),
    st.integers(-10**6, 10**6).map(str),
    st.floats(-1e6, 1e6, allow_nan=False).map(repr),
)


def _combine(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    binary = st.sampled_from(["+", "-", "*", "/", "%", "**", "==", "!=", "<", "<=", ">", ">=",
                              "and", "or"])
    return st.one_of(
        st.tuples(inner, binary, inner).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
        inner.map(lambda a: f"(not {a})"),
        inner.map(lambda a: f"(-{a})"),
        inner.map(lambda a: f"({a} in ['paddy', 1, true, null])"),
        st.tuples(st.sampled_from(["abs", "sqrt", "log", "exp", "isnull", "notnull"]),
                  inner).map(lambda t: f"{t[0]}({t[1]})"),
        st.tuples(st.sampled_from(["min", "max", "coalesce"]), inner, inner).map(
            lambda t: f"{t[0]}({t[1]}, {t[2]})"),
        st.tuples(inner, inner, inner).map(lambda t: f"if_else({t[0]}, {t[1]}, {t[2]})"),
        inner.map(lambda a: f"startswith({a}, 'pa')"),
    )


WELL_FORMED = st.recursive(_LEAVES, _combine, max_leaves=8)


@FUZZ
@given(WELL_FORMED)
def test_well_formed_expressions_type_check_exactly_when_they_evaluate(text: str) -> None:
    expression = parse(text)  # well formed: it parses
    static = expression.check_types(KINDS)
    evaluated = _evaluate(text)
    assert (evaluated is None) == bool(static), (text, [e.message for e in static])


# --- arithmetic against numpy float64 ---------------------------------------------------------

Tree = tuple[Any, ...]


def _divide(a: Any, b: Any) -> Any:
    return np.where(b == 0, np.nan, np.true_divide(a, b))


_NUMPY: dict[str, Callable[[Any, Any], Any]] = {
    "+": np.add, "-": np.subtract, "*": np.multiply, "/": _divide, "%": np.mod, "**": np.power,
}

_ARITH_LEAVES: st.SearchStrategy[Tree] = st.one_of(
    st.sampled_from(NUMERIC).map(lambda name: ("col", name)),
    st.integers(-1000, 1000).map(lambda v: ("num", v)),
    st.floats(-1e3, 1e3, allow_nan=False).map(lambda v: ("num", v)),
)


def _arith_nodes(inner: st.SearchStrategy[Tree]) -> st.SearchStrategy[Tree]:
    return st.one_of(
        st.tuples(st.just("op"), st.sampled_from(sorted(_NUMPY)), inner, inner),
        st.tuples(st.just("neg"), inner),
    )


ARITHMETIC = st.recursive(_ARITH_LEAVES, _arith_nodes, max_leaves=10)


def _text(tree: Tree) -> str:
    match tree:
        case ("col", name):
            return str(name)
        case ("num", value):
            return repr(value) if value >= 0 else f"({value!r})"
        case ("neg", operand):
            return f"(-{_text(operand)})"
        case ("op", op, left, right):
            return f"({_text(left)} {op} {_text(right)})"
    raise AssertionError(tree)


def _reference(tree: Tree) -> Any:
    with np.errstate(all="ignore"):
        match tree:
            case ("col", name):
                return TABLE[name].to_numpy(dtype=np.float64)
            case ("num", value):
                return np.float64(value)
            case ("neg", operand):
                return np.negative(_reference(operand))
            case ("op", op, left, right):
                return _NUMPY[op](_reference(left), _reference(right))
    raise AssertionError(tree)


@FUZZ
@given(ARITHMETIC)
@example(("op", "**", ("neg", ("num", 0)), ("col", "y")))  # found by the fuzz: -0 is -0.0
def test_arithmetic_agrees_with_numpy_float64(tree: Tree) -> None:
    text = _text(tree)
    result = parse(text).evaluate(TABLE).to_numpy(dtype=np.float64)
    expected = np.broadcast_to(_reference(tree), result.shape)
    np.testing.assert_array_equal(result, expected, err_msg=text)


@pytest.mark.parametrize(("text", "first"), [
    ("n * n", 1.6e19), ("n * n * n", 6.4e28), ("-(n * n)", -1.6e19), ("n ** 3", 6.4e28),
    ("n + 9223372036854775807", 4e9 + 2.0**63),
])
def test_int64_columns_never_wrap_around(text: str, first: float) -> None:
    result = parse(text).evaluate(TABLE)
    assert result.dtype == np.float64
    assert result.iloc[0] == first
