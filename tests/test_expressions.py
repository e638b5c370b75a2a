"""Tests of the rule-expression language (zoning.rules.expressions)."""

from __future__ import annotations

import dataclasses
import math
import re
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from zoning.errors import ExpressionError
from zoning.rules import expressions
from zoning.rules.expressions import FUNCTIONS, Expression, parse

NAN = float("nan")


@pytest.fixture
def table() -> pd.DataFrame:
    """Four parcels with every kind of column, indexed by parcel id (not 0..n-1)."""
    frame = pd.DataFrame(
        {
            "x": [1.0, 2.0, NAN, 4.0],
            "n": [1, 2, 3, 4],
            "ni": pd.array([1, None, 3, 4], dtype="Int64"),
            "land_class": ["paddy", None, "水田", "dryland"],
            "obj": pd.Series(["a", None, "b", NAN], dtype=object),
            "nstr": pd.array(["ab", pd.NA, "cd", "ab"], dtype="string"),
            "flag": [True, False, True, False],
            "nflag": pd.array([True, None, False, True], dtype="boolean"),
            "cat": pd.Categorical(["x", "y", None, "x"]),
            "水深_m": [0.1, 0.2, 0.3, 0.4],
            "subs_max_m": [0.0, 3.5, 5.5, NAN],
            "ponded_share": [0.0, 0.6, 0.4, 0.9],
        }
    )
    return frame.set_axis(["p1", "p2", "p3", "p4"])


def values(expression: str, frame: pd.DataFrame) -> list[object]:
    result = parse(expression).evaluate(frame)
    assert list(result.index) == list(frame.index)
    return result.tolist()


def same(actual: list[object], expected: list[object]) -> bool:
    """Compare lists where NaN equals NaN and floats match to 1e-12."""
    if len(actual) != len(expected):
        return False
    for a, e in zip(actual, expected, strict=True):
        if isinstance(e, float) and math.isnan(e):
            if not (isinstance(a, float) and math.isnan(a)):
                return False
        elif isinstance(e, float):
            if not math.isclose(float(a), e, rel_tol=0, abs_tol=1e-12):  # type: ignore[arg-type]
                return False
        elif a != e or type(a) is not type(e):
            return False
    return True


def error_of(expression: str) -> ExpressionError:
    with pytest.raises(ExpressionError) as info:
        parse(expression)
    return info.value


# --- literals and precedence ------------------------------------------------------------


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("3", 3),
        ("0.5", 0.5),
        (".5", 0.5),
        ("1e3", 1000.0),
        ("2.5E-1", 0.25),
        ("1 + 2 * 3", 7.0),
        ("(1 + 2) * 3", 9.0),
        ("10 - 4 - 3", 3.0),  # left-associative
        ("2 * 3 % 4", 2.0),  # same level, left to right
        ("7 / 2", 3.5),
        ("-2**2", -4.0),  # ** binds tighter than unary minus, as in Python
        ("2**-1", 0.5),
        ("2**3**2", 512.0),  # right-associative
        ("-(1 - 3)", 2.0),
        ("+3 - -3", 6.0),
        ("1 + 2 > 2", True),
        ("1 < 2 < 3", True),
        ("3 > 2 > 2", False),  # (3 > 2) and (2 > 2)
        ("1 == 1 == 1", True),
        ("not 1 > 2", True),  # not binds looser than comparisons
        ("true or false and false", True),  # and binds tighter than or
        ("(true or false) and false", False),
        ("not true or true", True),  # (not true) or true
        ("not (true or true)", False),
        ("not not true", True),
        ("True and not False", True),
    ],
)
def test_constant_expressions(expression: str, expected: object) -> None:
    frame = pd.DataFrame({"a": [0, 0]})
    result = values(expression, frame)
    assert same(result, [expected, expected]), (expression, result)


def test_precedence_over_columns(table: pd.DataFrame) -> None:
    # ponded_share >= 0.5 or subs_max_m > 5 and x > 2  ==  a or (b and c)
    #   a = [F, T, F, T]; b = [F, F, T, F]; c = [F, F, F(missing), T]
    assert values("ponded_share >= 0.5 or subs_max_m > 5 and x > 2", table) == [
        False,
        True,
        False,
        True,
    ]
    # (a or b) and c
    assert values("(ponded_share >= 0.5 or subs_max_m > 5) and x > 2", table) == [
        False,
        False,
        False,
        True,
    ]
    assert same(values("x + n * 2", table), [3.0, 6.0, NAN, 12.0])
    assert same(values("(x + n) * 2", table), [4.0, 8.0, NAN, 16.0])
    assert same(values("-x**2", table), [-1.0, -4.0, NAN, -16.0])
    assert values("not flag and n > 1", table) == [False, True, False, True]


def test_chained_comparison_matches_explicit_and(table: pd.DataFrame) -> None:
    chained = values("0.5 <= subs_max_m < 5", table)
    explicit = values("0.5 <= subs_max_m and subs_max_m < 5", table)
    assert chained == explicit == [False, True, False, False]
    # [1 < n] and [n <= 3] and [3 != x], where 3 != missing x is false
    assert values("1 < n <= 3 != x", table) == [False, True, False, False]
    assert values("1 <= n <= 3 == n", table) == [False, False, True, False]


def test_integer_arithmetic_is_float64_and_never_wraps(table: pd.DataFrame) -> None:
    result = parse("n * 2 + 1").evaluate(table)
    assert result.dtype == np.float64
    assert result.tolist() == [3, 5, 7, 9]
    pop = pd.DataFrame({"pop": np.array([4_000_000_000, -3], dtype=np.int64)})
    assert parse("pop * pop > 0").evaluate_condition(pop).tolist() == [True, True]
    assert parse("pop * pop").evaluate(pop)[0] == 1.6e19
    assert parse("n / 2").evaluate(table).dtype == np.float64


def test_division_by_zero_is_missing(table: pd.DataFrame) -> None:
    assert same(values("n / (n - 2)", table), [-1.0, NAN, 3.0, 2.0])
    assert same(values("n % 0", table), [NAN] * 4)


# --- text, in, names ----------------------------------------------------------------------


def test_in_with_text_and_chinese(table: pd.DataFrame) -> None:
    assert values("land_class in ['paddy', '水田']", table) == [True, False, True, False]
    assert values('land_class in ["dryland"]', table) == [False, False, False, True]
    assert values("land_class not in ['paddy']", table) == [False, False, True, True]
    assert values("land_class == '水田'", table) == [False, False, True, False]
    assert values("n in [1, 4.0, null]", table) == [True, False, False, True]
    assert values("n not in []", table) == [True, True, True, True]
    assert values("flag in [true]", table) == [True, False, True, False]


def test_chinese_column_names(table: pd.DataFrame) -> None:
    expr = parse("水深_m > 0.15 and x > 1")
    assert expr.names == frozenset({"水深_m", "x"})
    assert expr.evaluate_condition(table).tolist() == [False, True, False, True]


@pytest.mark.parametrize(
    ("expression", "text"),
    [
        (r"'it\'s'", "it's"),
        (r'"say \"hi\""', 'say "hi"'),
        (r"'back\\slash'", "back\\slash"),
        ("\"it's\"", "it's"),
        ("'水田 and 旱地'", "水田 and 旱地"),
        ("''", ""),
    ],
)
def test_string_escapes(expression: str, text: str) -> None:
    frame = pd.DataFrame({"a": [1]})
    assert parse(expression).evaluate(frame).tolist() == [text]


def test_text_comparisons_work_for_every_string_dtype(table: pd.DataFrame) -> None:
    assert values("obj == 'a'", table) == [True, False, False, False]
    assert values("obj != 'a'", table) == [False, False, True, False]
    assert values("nstr == 'ab'", table) == [True, False, False, True]
    assert values("nstr in ['cd']", table) == [False, False, True, False]
    assert values("cat == 'x'", table) == [True, False, False, True]
    assert values("land_class < 'q'", table) == [True, False, False, True]
    assert values("nstr == land_class", table) == [False, False, False, False]


def test_name_positions_and_names() -> None:
    expr = parse("a > 1 or b < a and 水深 > 0")
    assert expr.names == frozenset({"a", "b", "水深"})
    assert expr.name_positions() == {"a": 0, "b": 9, "水深": 19}
    assert list(expr.name_positions()) == ["a", "b", "水深"]
    assert parse("abs(x) > 1").names == frozenset({"x"})  # function names are not columns


# --- missing values -----------------------------------------------------------------------


def test_comparisons_with_missing_values_are_false(table: pd.DataFrame) -> None:
    # x is missing in row 3: every comparison there is false, so not(...) is true.
    assert values("x > 3", table) == [False, False, False, True]
    assert values("x <= 3", table) == [True, True, False, False]
    assert values("not (x > 3)", table) == [True, True, True, False]
    assert values("x != 1", table) == [False, True, False, True]
    assert values("x == x", table) == [True, True, False, True]
    assert values("x in [1, 2, 3, 4]", table) == [True, True, False, True]
    assert values("x not in [1]", table) == [False, True, False, True]
    assert values("land_class != 'paddy'", table) == [False, False, True, True]
    assert values("land_class not in ['paddy']", table) == [False, False, True, True]


def test_arithmetic_propagates_missing(table: pd.DataFrame) -> None:
    assert same(values("x * 2 + 1", table), [3.0, 5.0, NAN, 9.0])
    assert same(values("ni + 1", table), [2.0, NAN, 4.0, 5.0])
    assert same(values("x + null", table), [NAN] * 4)


def test_nullable_dtypes(table: pd.DataFrame) -> None:
    assert values("ni >= 3", table) == [False, False, True, True]
    assert values("not (ni >= 3)", table) == [True, True, False, False]
    # A missing true/false counts as false in logic; comparisons with it are false.
    assert values("nflag", table) == [True, False, False, True]
    assert values("not nflag", table) == [False, True, True, False]
    assert values("nflag == true", table) == [True, False, False, True]
    assert values("nflag == false", table) == [False, False, True, False]
    assert values("nflag or flag", table) == [True, False, True, True]
    assert values("isnull(nflag)", table) == [False, True, False, False]
    assert same(values("nflag + 0", table), [1.0, NAN, 0.0, 1.0])


def test_all_missing_object_column_compares_false() -> None:
    frame = pd.DataFrame({"a": pd.Series([None, None], dtype=object)})
    assert parse("a > 1 or a == 'x'").evaluate(frame).tolist() == [False, False]
    assert parse("isnull(a)").evaluate(frame).tolist() == [True, True]


def test_null_literal() -> None:
    frame = pd.DataFrame({"a": [1.0, NAN]})
    assert same(parse("null").evaluate(frame).tolist(), [NAN, NAN])
    assert parse("isnull(null) and notnull(a)").evaluate(frame).tolist() == [True, False]


# --- functions ----------------------------------------------------------------------------


FUNCTION_CASES = [
    ("abs(-x)", [1.0, 2.0, NAN, 4.0]),
    ("abs(n - 3)", [2.0, 1.0, 0.0, 1.0]),
    ("min(x, n - 1)", [0.0, 1.0, 2.0, 3.0]),  # missing skipped like numpy fmin
    ("min(x, 3, n)", [1.0, 2.0, 3.0, 3.0]),
    ("min(x, null)", [1.0, 2.0, NAN, 4.0]),
    ("max(x, 2.5)", [2.5, 2.5, 2.5, 4.0]),
    ("max(x, n, 3)", [3.0, 3.0, 3.0, 4.0]),
    ("round(x / 3, 2)", [0.33, 0.67, NAN, 1.33]),
    ("round(x / 3)", [0.0, 1.0, NAN, 1.0]),
    ("round(n * 123, -2)", [100.0, 200.0, 400.0, 500.0]),
    ("round(2.5)", [2.0] * 4),  # halves go to the even side, like Python
    ("sqrt(x - 2)", [NAN, 0.0, NAN, math.sqrt(2)]),
    ("log(x - 1)", [NAN, 0.0, NAN, math.log(3)]),
    ("log10(x * 25)", [math.log10(25), math.log10(50), NAN, 2.0]),
    ("exp(n - 1)", [1.0, math.e, math.e**2, math.e**3]),
    ("clip(x, 1.5, 3)", [1.5, 2.0, NAN, 3.0]),
    ("clip(n, 2, n - 1)", [0.0, 1.0, 2.0, 3.0]),  # bounds may be columns
    ("isnull(x)", [False, False, True, False]),
    ("isnull(land_class)", [False, True, False, False]),
    ("notnull(obj)", [True, False, True, False]),
    ("notnull(3)", [True] * 4),
    ("coalesce(x, n * 10)", [1.0, 2.0, 30.0, 4.0]),
    ("coalesce(null, x, -1)", [1.0, 2.0, -1.0, 4.0]),
    ("coalesce(land_class, 'unknown')", ["paddy", "unknown", "水田", "dryland"]),
    ("coalesce(nflag, flag)", [True, False, False, True]),
    ("if_else(x > 1.5, x, -n)", [-1.0, 2.0, -3.0, 4.0]),
    ("if_else(n > 2, 'big', 'small')", ["small", "small", "big", "big"]),
    ("if_else(nflag, 1, 0)", [1, 0, 0, 1]),  # missing condition takes the else branch
    ("if_else(flag, land_class, 'x')", ["paddy", "x", "水田", "x"]),
    ("startswith(land_class, 'pa')", [True, False, False, False]),
    ("startswith(land_class, '水')", [False, False, True, False]),
    ("startswith(nstr, 'a')", [True, False, False, True]),
    ("contains(land_class, 'yl')", [False, False, False, True]),
    ("contains(obj, 'a')", [True, False, False, False]),
]


@pytest.mark.parametrize(("expression", "expected"), FUNCTION_CASES)
def test_functions(table: pd.DataFrame, expression: str, expected: list[object]) -> None:
    result = values(expression, table)
    assert same(result, expected), (expression, result)


def test_every_function_is_tested() -> None:
    tested = {re.match(r"\w+", case[0]).group() for case in FUNCTION_CASES}  # type: ignore[union-attr]
    assert tested == set(FUNCTIONS)


def test_contains_is_literal_not_a_pattern() -> None:
    frame = pd.DataFrame({"s": ["a.c", "abc", None]})
    assert parse("contains(s, 'a.c')").evaluate(frame).tolist() == [True, False, False]
    assert parse("contains(s, '(')").evaluate(frame).tolist() == [False, False, False]


def test_functions_mapping_is_read_only() -> None:
    assert FUNCTIONS["clip"].signature == "clip(x, lo, hi)"
    with pytest.raises(TypeError):
        FUNCTIONS["eval"] = FUNCTIONS["abs"]  # type: ignore[index]


@pytest.mark.parametrize(
    ("expression", "fragment"),
    [
        ("abs(a, b)", "abs() takes exactly 1 argument, 2 given; call it as abs(x)"),
        ("min(a)", "min() takes at least 2 arguments, 1 given; call it as min(a, b, ...)"),
        ("clip(a, 1)", "clip() takes exactly 3 arguments, 2 given; call it as clip(x, lo, hi)"),
        ("round(a, 1, 2)", "round() takes 1 to 2 arguments, 3 given"),
        ("if_else(a > 1, 1)", "call it as if_else(cond, a, b)"),
        ("isnull()", "isnull() takes exactly 1 argument, 0 given"),
    ],
)
def test_wrong_argument_count_is_a_parse_error(expression: str, fragment: str) -> None:
    error = error_of(expression)
    assert fragment in error.message
    assert error.position == 0


def test_literal_arguments_are_checked_at_parse_time() -> None:
    error = error_of("startswith(land_class, prefix)")
    assert error.position == 23
    assert "startswith(x, 'prefix')" in error.message
    error = error_of("round(x, 1.5)")
    assert error.position == 9
    assert "whole number" in error.message
    assert parse("round(x, -1)").names == frozenset({"x"})
    error = error_of("abs([1, 2])")
    assert error.position == 4
    assert "does not take a list" in error.message


# --- parse errors and their positions -------------------------------------------------------


@pytest.mark.parametrize(
    ("expression", "position", "fragment"),
    [
        (
            "__import__('os').system('x')",
            0,
            "'__import__' is not a known function; known functions are: abs",
        ),
        ("land_use.__class__", 8, "attribute access ('.') is not allowed in rule expressions"),
        ("'abc'.upper()", 5, "attribute access ('.') is not allowed"),
        ("x[0]", 1, "subscripts ('[...]') are not allowed"),
        ("abs(x)[0]", 6, "subscripts ('[...]') are not allowed"),
        ("lambda: 1", 6, "':' is not allowed"),
        ("x = 1", 2, "use '==' to compare"),
        ("a > 1 && b", 6, "use 'and'"),
        ("a || b", 2, "use 'or'"),
        ("!a", 0, "use 'not'"),
        ("a > 1 @ 2", 6, "unexpected character '@'"),
        ("a $ b", 2, "unexpected character '$'"),
        ("maxx(a, b)", 0, "'maxx' is not a known function (did you mean 'max'?)"),
        ("system('ls')", 0, "'system' is not a known function"),
        ("(a)(1)", 3, "only known functions can be called"),
        ("round(x, ndigits=2)", 16, "keyword arguments ('ndigits=') are not allowed"),
        ("__class__ > 1", 0, "names beginning with '__' are not allowed"),
        ("a > __x", 4, "names beginning with '__' are not allowed"),
        ("[x for x in y]", 0, "a list [...] is only allowed after 'in'"),
        ("x in [y]", 6, "list items must be fixed values"),
        ("x in 'abc'", 5, "'in' needs a list in square brackets"),
        ("x == null", 2, "comparing with null"),
        ("a in [1] == 2", 9, "cannot be chained"),
        ("'unclosed", 0, "never closed"),
        ("(a > 1", 0, "this '(' is never closed"),
        ("a > 1)", 5, "unmatched ')'"),
        ("a >", 3, "the expression ends after '>'"),
        ("", 0, "the expression is empty"),
        ("   ", 0, "the expression is empty"),
        ("a b", 2, "an operator such as 'and', '==' or '+' is missing before it"),
        ("a if b else c", 2, "if_else(condition, a, b)"),
        ("a AND b", 2, "keywords are lower-case: 'and'"),
        ("a is null", 2, "isnull(x)"),
        ("3m > 1", 0, "malformed number '3m'"),
        ("1.2.3", 0, "malformed number"),
        (r"'a\n'", 2, "unknown escape"),
        ("x == not y", 5, "'not' goes in front of a whole condition"),
        ("（a > 1）", 0, "full-width character"),
        ("{'a': 1}", 0, "braces"),
        ("a; b", 1, "';' is not allowed"),
        ("a ^ 2", 2, "use '**' for powers"),
        ("a # note", 2, "comments ('#') are not allowed"),
    ],
)
def test_parse_errors(expression: str, position: int, fragment: str) -> None:
    error = error_of(expression)
    assert fragment in error.message, error.message
    assert error.position == position, str(error)
    assert error.expression == expression


def test_error_caret_points_at_the_problem() -> None:
    error = error_of("land_use.__class__")
    lines = str(error).splitlines()
    assert lines[1] == "    land_use.__class__"
    assert lines[2] == "    " + " " * 8 + "^"
    assert lines[1][lines[2].index("^")] == "."


def test_unknown_function_lists_the_whitelist() -> None:
    message = error_of("__import__('os')").message
    for name in FUNCTIONS:
        assert name in message


def test_deep_nesting_is_rejected_not_a_recursion_error() -> None:
    error = error_of("(" * 200 + "x" + ")" * 200)
    assert "nested more than" in error.message
    error = error_of("-" * 200 + "x")
    assert "nested more than" in error.message
    long_chain = " + ".join(["x"] * 3000)  # flat chains are fine
    frame = pd.DataFrame({"x": [1.0]})
    assert parse(long_chain).evaluate(frame).tolist() == [3000.0]


def test_leftmost_problem_is_reported_first() -> None:
    # The tokenizer is lazy: the bad '=' is reported, not the later '@'.
    assert error_of("a = 1 @").position == 2


# --- check() ---------------------------------------------------------------------------------


def test_check_reports_unknown_columns_with_suggestions() -> None:
    expr = parse("subs_max > 3 and ponded_share >= 0.5 or areaa > subs_max")
    errors = expr.check(["subs_max_m", "ponded_share", "area_ha", "subs_mean_m"])
    assert [e.position for e in errors] == [0, 40]
    assert errors[0].message == (
        "unknown column 'subs_max' (did you mean 'subs_max_m', 'subs_mean_m'?)"
    )
    assert errors[1].message.startswith("unknown column 'areaa' (did you mean 'area_ha'")
    assert all(e.expression == expr.source for e in errors)
    assert str(errors[1]).splitlines()[2] == "    " + " " * 40 + "^"


def test_check_is_empty_when_all_columns_are_known() -> None:
    assert parse("a > 1 and b in ['x']").check({"a", "b", "c"}) == []
    assert parse("true").check([]) == []


def test_check_hints_null_for_python_none() -> None:
    (error,) = parse("x == None").check(["x"])
    assert "write null" in error.message
    assert error.position == 5


def test_unknown_column_at_evaluation(table: pd.DataFrame) -> None:
    with pytest.raises(ExpressionError) as info:
        parse("x > 1 and subs_max > 3").evaluate(table)
    assert info.value.position == 10
    assert "unknown column 'subs_max' (did you mean 'subs_max_m'" in info.value.message


# --- conditions and type errors ---------------------------------------------------------------


def test_evaluate_condition_returns_plain_bool(table: pd.DataFrame) -> None:
    result = parse("ponded_share >= 0.5 and subs_max_m >= 3").evaluate_condition(table)
    assert result.dtype == np.bool_
    assert list(result.index) == ["p1", "p2", "p3", "p4"]
    assert result.tolist() == [False, True, False, False]


def test_bare_true_is_all_true_and_constant(table: pd.DataFrame) -> None:
    expr = parse("true")
    assert expr.is_constant_true()
    result = expr.evaluate_condition(table)
    assert result.dtype == np.bool_
    assert result.tolist() == [True] * 4
    assert not parse("false").is_constant_true()
    assert not parse("x > 1").is_constant_true()
    assert not parse("1").is_constant_true()
    assert parse("false").evaluate_condition(table).tolist() == [False] * 4


@pytest.mark.parametrize(
    ("expression", "kind"),
    [
        ("x + 1", "numbers"),
        ("land_class", "text"),
        ("3", "numbers"),
        ("null", "only missing values"),
    ],
)
def test_condition_must_be_true_or_false(table: pd.DataFrame, expression: str, kind: str) -> None:
    with pytest.raises(ExpressionError) as info:
        parse(expression).evaluate_condition(table)
    assert info.value.message == f"a condition must be true or false; this expression gives {kind}"


@pytest.mark.parametrize(
    ("expression", "position", "fragments"),
    [
        ("land_class > 3", 0, ["column 'land_class' holds text (dtype str)", "quotes: '3'"]),
        ("x == 'a'", 0, ["column 'x' holds numbers (dtype float64)", "'a' is text"]),
        ("n < obj", 0, ["'n' holds numbers (dtype int64)", "'obj' holds text (dtype object)"]),
        ("land_class + 1", 0, ["'+' needs numbers", "column 'land_class' holds text"]),
        ("1 + 2 * nstr", 8, ["'*' needs numbers", "column 'nstr' holds text (dtype string)"]),
        ("x and flag", 0, ["'and' needs true/false values", "column 'x' holds numbers"]),
        ("not land_class", 4, ["'not' needs true/false values"]),
        ("flag < flag", 0, ["cannot be ordered"]),
        ("land_class in ['paddy', 1]", 24, ["same kind", "the list holds 1"]),
        ("n in ['1']", 6, ["the list holds '1'"]),
        ("startswith(x, 'a')", 11, ["startswith() needs text", "column 'x' holds numbers"]),
        ("sqrt(land_class)", 5, ["sqrt() needs numbers"]),
        ("coalesce(x, 'a')", 0, ["coalesce() needs values of one kind"]),
        ("if_else(x, 1, 2)", 8, ["condition of if_else() must be true or false"]),
        ("if_else(flag, 1, 'a')", 0, ["if_else() needs values of one kind"]),
        ("when > 1", 0, ["cannot be used", "datetime64"]),
    ],
)
def test_type_errors_name_the_subexpression(
    table: pd.DataFrame, expression: str, position: int, fragments: list[str]
) -> None:
    frame = table.assign(when=pd.Timestamp("2024-01-01"))
    with pytest.raises(ExpressionError) as info:
        parse(expression).evaluate(frame)
    error = info.value
    assert not isinstance(error, TypeError)
    for fragment in fragments:
        assert fragment in error.message, error.message
    assert error.position == position, str(error)


# --- API details ----------------------------------------------------------------------------


def test_scalars_broadcast_and_dtypes(table: pd.DataFrame) -> None:
    assert parse("1.5").evaluate(table).dtype == np.float64
    assert parse("2").evaluate(table).dtype == np.int64
    assert parse("1 < 2").evaluate(table).dtype == np.bool_
    text = parse("'水田'").evaluate(table)
    assert text.tolist() == ["水田"] * 4
    assert list(text.index) == list(table.index)
    assert parse("x > 1").evaluate(table.iloc[:0]).tolist() == []


def test_result_does_not_share_memory_with_the_table(table: pd.DataFrame) -> None:
    result = parse("x").evaluate(table)
    result.iloc[0] = 99.0
    assert table["x"].iloc[0] == 1.0


def test_expression_is_immutable_and_comparable() -> None:
    expr = parse("a > 1")
    assert isinstance(expr, Expression)
    assert expr.source == "a > 1"
    with pytest.raises(dataclasses.FrozenInstanceError):
        expr.source = "b > 1"  # type: ignore[misc]
    assert parse("a > 1") == expr
    assert hash(parse("a > 1")) == hash(expr)


def test_repeated_column_uses_one_conversion(table: pd.DataFrame) -> None:
    assert values("land_class == 'paddy' or land_class == 'dryland'", table) == [
        True,
        False,
        False,
        True,
    ]


def test_hundred_thousand_rows_is_fast_and_right() -> None:
    rng = np.random.default_rng(7)
    n = 100_000
    frame = pd.DataFrame(
        {
            "subs_max_m": rng.uniform(0, 6, n),
            "ponded_share": rng.uniform(0, 1, n),
            "land_class": rng.choice(["paddy", "dryland", "forest", "水田"], n),
            "is_construction": rng.random(n) < 0.2,
        }
    )
    frame.loc[::17, "subs_max_m"] = NAN
    expr = parse(
        "(ponded_share >= 0.5 or 0.5 <= subs_max_m < 3) "
        "and land_class in ['paddy', '水田'] and not is_construction "
        "or coalesce(subs_max_m, 0) * 2 > 11"
    )
    expr.evaluate_condition(frame)  # warm up
    timings = []
    for _ in range(3):
        started = time.perf_counter()
        result = expr.evaluate_condition(frame)
        timings.append(time.perf_counter() - started)
    s = frame["subs_max_m"].to_numpy()
    p = frame["ponded_share"].to_numpy()
    with np.errstate(invalid="ignore"):
        band = (s >= 0.5) & (s < 3)
    land = np.isin(frame["land_class"].to_numpy(dtype=object), ["paddy", "水田"])
    expected = ((p >= 0.5) | band) & land & ~frame["is_construction"].to_numpy()
    expected |= np.nan_to_num(s, nan=0.0) * 2 > 11
    assert result.dtype == np.bool_
    assert np.array_equal(result.to_numpy(), expected)
    assert min(timings) < 0.25, timings  # typically a few milliseconds


# --- security -------------------------------------------------------------------------------


def test_module_source_uses_no_python_evaluation() -> None:
    package = Path(expressions.__file__).parent
    for path in (package / "expressions.py", package / "_parser.py"):
        source = path.read_text(encoding="utf-8")
        for banned in (
            "eval(",
            "exec(",
            "compile(",
            "import ast",
            "from ast",
            ".query(",
            "__import__",
            "getattr(",
            "importlib",
        ):
            assert banned not in source, f"{banned!r} found in {path.name}"


@pytest.mark.parametrize(
    "attack",
    [
        "__import__('os').system('echo hacked')",
        "().__class__.__bases__[0].__subclasses__()",
        "land_use.__class__",
        "open('/etc/passwd')",
        "exec('x = 1')",
        "eval('1')",
        "[c for c in ().__class__.__base__.__subclasses__()]",
        "lambda: 1",
        "globals()",
        "x.__dict__",
        "getattr(x, 'y')",
        "import os",
        "f'{x}'",
    ],
)
def test_attacks_are_rejected_at_parse_time(attack: str) -> None:
    error = error_of(attack)
    assert isinstance(error.position, int)
    assert 0 <= error.position <= len(attack)
