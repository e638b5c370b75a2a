"""zoning.weights: AHP, entropy weights, direct and combined weights.

Published examples (Saaty 2008, Xu 2004, the random-index tables) are read from
../shared/data/methods; the rest are closed-form cases.
"""

from __future__ import annotations

import doctest
import logging
import math
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from conftest import shared

import zoning.weights
from zoning.errors import WeightsError
from zoning.weights import (
    RANDOM_INDEX,
    _ahp,
    _combine,
    _entropy,
    _random_index,
    ahp,
    combine,
    direct,
    entropy,
    random_index,
)

METHODS = ["eigenvector", "geometric_mean", "column_average"]


def decimals(text: str) -> int:
    """Number of printed decimals of a number written as text."""
    return len(text.split(".")[1]) if "." in text else 0


def consistent_matrix(w: np.ndarray) -> np.ndarray:
    return w[:, None] / w[None, :]


# --- AHP: published example ------------------------------------------------------------------

@pytest.fixture
def drinks() -> pd.DataFrame:
    text = pd.read_csv(shared("methods", "ahp_saaty2008_drinks_matrix.csv"), index_col=0,
                       dtype=str)
    return text.map(lambda cell: float(Fraction(cell)))


def test_saaty2008_drinks_reproduces_published_weights_and_cr(drinks):
    expected = pd.read_csv(shared("methods", "ahp_saaty2008_drinks_expected.csv"), dtype=str)
    items = expected[expected["item"].isin(drinks.index)]
    cr_row = expected[expected["item"].str.startswith("CR")].iloc[0]
    assert "Saaty2005" in cr_row["item"] and "1.35" in cr_row["item"]

    result = ahp(drinks, ri="saaty2005")

    assert list(result.weights.index) == list(items["item"])
    for item, printed in zip(items["item"], items["ahp_weight_published"], strict=True):
        assert round(result.weights[item], decimals(printed)) == float(printed), item
    printed_cr = cr_row["ahp_weight_published"]
    assert round(result.cr, decimals(printed_cr)) == float(printed_cr)
    assert result.ri == 1.35
    assert result.consistent and result.worst_pair is None
    assert result.ci == pytest.approx((result.lambda_max - 7) / 6)
    assert result.weights.sum() == pytest.approx(1.0)


@pytest.mark.parametrize("method", ["geometric_mean", "column_average"])
def test_drinks_approximations_stay_close_to_the_eigenvector(drinks, method):
    exact = ahp(drinks, ri="saaty2005").weights
    approx = ahp(drinks, ri="saaty2005", method=method)
    assert np.abs(approx.weights - exact).max() < 0.003
    assert approx.lambda_max == pytest.approx(float(np.mean(drinks.values @ approx.weights.values
                                                            / approx.weights.values)))
    assert approx.method == method


# --- AHP: random-index tables ----------------------------------------------------------------

def test_random_index_tables_match_the_published_tables():
    table = pd.read_csv(shared("methods", "ahp_random_index_tables.csv"))
    columns = {"saaty1980": "Saaty1980", "saaty2005": "Saaty2005", "chinese": "Chinese",
               "donegan_dodd": "Donegan_Dodd"}
    assert set(columns) == set(RANDOM_INDEX)
    assert list(table["n"]) == list(range(1, len(table) + 1))
    for name, prefix in columns.items():
        (column,) = [c for c in table.columns if c.startswith(prefix)]
        published = table[column].dropna()
        assert RANDOM_INDEX[name] == tuple(published), name
        assert list(published.index + 1) == list(range(1, len(published) + 1))


def test_unknown_table_lists_the_names():
    with pytest.raises(WeightsError, match="saaty1980, saaty2005, chinese, donegan_dodd") as err:
        ahp([[1, 2], [0.5, 1]], ri="saaty")
    assert "did you mean" in str(err.value)


def test_matrix_larger_than_the_table_is_a_clear_error():
    n = 12
    a = consistent_matrix(np.arange(1.0, n + 1))
    with pytest.raises(WeightsError, match=r"'saaty1980' goes up to n = 11.*n = 12.*saaty2005"):
        ahp(a)
    assert ahp(a, ri="donegan_dodd").ri == 1.4497
    with pytest.raises(WeightsError, match="split the comparison"):
        random_index(16, "chinese")


# --- AHP: closed-form cases ------------------------------------------------------------------

@pytest.mark.parametrize("method", METHODS)
def test_consistent_matrix_gives_back_its_weights(method):
    w = np.array([0.4, 0.25, 0.15, 0.12, 0.08])
    result = ahp(consistent_matrix(w), method=method)
    np.testing.assert_allclose(result.weights, w, rtol=1e-12)
    assert result.lambda_max == pytest.approx(5.0, abs=1e-12)
    assert result.ci == pytest.approx(0.0, abs=1e-12)
    assert result.cr == pytest.approx(0.0, abs=1e-12)
    assert result.ri == 1.12
    assert result.consistent and result.worst_pair is None


@pytest.mark.parametrize("method", METHODS)
def test_two_by_two_is_always_consistent(method):
    result = ahp([[1, 3], [1 / 3, 1]], method=method)
    np.testing.assert_allclose(result.weights, [0.75, 0.25], rtol=1e-12)
    assert result.lambda_max == pytest.approx(2.0)
    assert (result.ri, result.cr, result.consistent) == (0.0, 0.0, True)


def test_single_element():
    result = ahp([[1.0]])
    assert result.weights.tolist() == [1.0]
    assert (result.lambda_max, result.ci, result.cr) == (pytest.approx(1.0), 0.0, 0.0)


@pytest.mark.parametrize("method", METHODS)
def test_worst_pair_is_the_perturbed_judgement(method, caplog):
    w = np.array([0.4, 0.25, 0.15, 0.12, 0.08])
    a = consistent_matrix(w)
    a[0, 4] /= 9  # 5 becomes 5/9: element 0 now judged less important than element 4
    a[4, 0] = 1 / a[0, 4]
    with caplog.at_level(logging.WARNING, logger="zoning.weights"):
        result = ahp(a, method=method)
    assert not result.consistent and result.cr >= 0.1
    pair = result.worst_pair
    assert pair is not None and (pair.i, pair.j) == (0, 4)
    assert pair.value == pytest.approx(5 / 9)
    assert pair.suggested == pytest.approx(result.weights[0] / result.weights[4])
    assert pair.ratio == pytest.approx(pair.value / pair.suggested)
    assert "a[0, 4]" in caplog.text and "inconsistent" in caplog.text


def test_worst_pair_closed_form_for_geometric_mean():
    # One judgement off by a factor f moves the row geometric means of i and j by f^(±1/n):
    # then eps_ij = f^((n-2)/n) and the suggested value is (w_i/w_j) · f^(2/n).
    w, f, n = np.array([0.4, 0.25, 0.15, 0.12, 0.08]), 1 / 9, 5
    a = consistent_matrix(w)
    a[0, 4] *= f
    a[4, 0] = 1 / a[0, 4]
    pair = ahp(a, method="geometric_mean").worst_pair
    assert pair is not None
    assert pair.ratio == pytest.approx(f ** ((n - 2) / n), rel=1e-12)
    assert pair.suggested == pytest.approx(5 * f ** (2 / n), rel=1e-12)


def test_non_reciprocal_cell_is_named():
    a = [[1, 2, 4], [0.5, 1, 3], [0.25, 3, 1]]
    message = r"a\[1, 2\] = 3 but a\[2, 1\] = 3 \(expected 0\.3333 there\)"
    with pytest.raises(WeightsError, match=message):
        ahp(a)
    frame = pd.DataFrame(a, index=list("xyz"), columns=list("xyz"))
    with pytest.raises(WeightsError, match=r"\(y vs z\)"):
        ahp(frame)


def test_rounded_reciprocals_are_accepted():
    exact = ahp([[1, 3, 7], [1 / 3, 1, 3], [1 / 7, 1 / 3, 1]])
    rounded = ahp([[1, 3, 7], [0.33, 1, 3], [0.14, 0.33, 1]])
    np.testing.assert_allclose(rounded.weights, exact.weights, atol=0.005)


@pytest.mark.parametrize(("matrix", "message"), [
    ([[1, 2], [0.5, 2]], r"1 on the diagonal.*a\[1, 1\] = 2"),
    ([[1, -2], [-0.5, 1]], r"positive.*a\[0, 1\] = -2, a\[1, 0\] = -0.5"),
    ([[1, 2, 3], [0.5, 1, 2]], "square"),
    ([[1, np.nan], [1, 1]], r"NaN or infinite values at \(0, 1\)"),
    ([["1", "1/3"], ["3", "1"]], "expected numbers"),
    ([1, 2, 3], "matrix"),
])
def test_invalid_matrices(matrix, message):
    with pytest.raises(WeightsError, match=message):
        ahp(matrix)


def test_dataframe_rows_and_columns_must_match():
    frame = pd.DataFrame([[1, 2], [0.5, 1]], index=["a", "b"], columns=["b", "a"])
    with pytest.raises(WeightsError, match="same labels on rows and columns"):
        ahp(frame)


def test_unknown_method_lists_the_methods():
    with pytest.raises(WeightsError, match="eigenvector, geometric_mean, column_average"):
        ahp([[1]], method="geometric")


# --- entropy: published example --------------------------------------------------------------

def test_xu2004_reproduces_published_weights():
    table = pd.read_csv(shared("methods", "entropy_xu2004_EJOR156.csv"), index_col=0, dtype=str)
    data = table.loc[table.index.str.match(r"A\d+$")].astype(float)
    published = table.loc["expected_weight_published"]
    recomputed = table.loc["recomputed_weight_sum_normalisation"]

    result = entropy(data, normalisation="sum")

    assert list(result.weights.index) == ["C1", "C2", "C3", "C4"]
    for column in data.columns:
        for printed in (published[column], recomputed[column]):
            assert round(result.weights[column], decimals(printed)) == float(printed), column
    assert 0 < result.weights["C4"] < 1e-5  # 29, 29, 28.9, 29: almost no information
    np.testing.assert_allclose(result.normalised.sum(axis=0), 1.0)
    np.testing.assert_allclose(result.divergence, 1 - result.entropy)
    assert result.normalised.loc["A2", "C3"] == pytest.approx(86 / (38 + 86 + 85 + 60))


# --- entropy: closed-form cases --------------------------------------------------------------

def plogp_entropy(*shares: float) -> float:
    return -sum(p * math.log(p) for p in shares if p > 0) / math.log(len(shares))


def test_minmax_hand_computed_and_direction_swap():
    x = np.array([[0.0, 5.0], [1.0, 5.0], [4.0, 8.0]])
    # column 0 as benefit: z = 0, 1/4, 1 -> p = 0, 0.2, 0.8; as cost: z = 1, 3/4, 0 -> 4/7, 3/7, 0
    # column 1 as benefit: z = 0, 0, 1 -> p = 0, 0, 1 -> e = 0
    benefit, cost = plogp_entropy(0, 0.2, 0.8), plogp_entropy(4 / 7, 3 / 7, 0)
    for direction, e0 in (("+", benefit), ("-", cost)):
        result = entropy(x, normalisation="minmax", directions=[direction, "benefit"])
        np.testing.assert_allclose(result.entropy, [e0, 0.0], atol=1e-15)
        np.testing.assert_allclose(result.weights, [(1 - e0) / (2 - e0), 1 / (2 - e0)])
    swapped = entropy(x * [-1, 1], normalisation="minmax", directions=["cost", "+"])
    np.testing.assert_allclose(swapped.weights,
                               entropy(x, normalisation="minmax", directions=["+", "+"]).weights)


def test_minmax_shift_is_added_after_standardisation():
    x = np.array([[0.0, 5.0], [1.0, 6.0], [4.0, 8.0]])
    result = entropy(x, normalisation="minmax", directions=["+", "-"], shift=0.01)
    z = np.array([0.0, 0.25, 1.0]) + 0.01
    np.testing.assert_allclose(result.normalised[:, 0], z / z.sum())
    z = np.array([1.0, 2 / 3, 0.0]) + 0.01
    np.testing.assert_allclose(result.normalised[:, 1], z / z.sum())
    assert (result.normalised > 0).all()


@pytest.mark.parametrize(("normalisation", "directions"), [("sum", None), ("minmax", "++-")])
def test_constant_column_gets_weight_zero_and_a_warning(normalisation, directions, caplog):
    frame = pd.DataFrame({"a": [1.0, 2.0, 6.0], "flat": [3.0, 3.0, 3.0], "b": [4.0, 1.0, 2.0]})
    dirs = list(directions) if directions else None
    with caplog.at_level(logging.WARNING, logger="zoning.weights"):
        result = entropy(frame, normalisation=normalisation, directions=dirs)
    assert result.weights["flat"] == 0.0 and result.entropy["flat"] == 1.0
    np.testing.assert_allclose(result.normalised["flat"], 1 / 3)
    assert "['flat']" in caplog.text
    others = entropy(frame[["a", "b"]], normalisation=normalisation,
                     directions=[dirs[0], dirs[2]] if dirs else None)
    np.testing.assert_allclose(result.weights[["a", "b"]], others.weights)


def test_all_constant_columns_is_an_error():
    with pytest.raises(WeightsError, match="no indicator tells the alternatives apart"):
        entropy([[1.0, 0.0], [1.0, 0.0], [1.0, 0.0]])


def test_input_is_not_mutated():
    frame = pd.DataFrame({"a": [1.0, 2.0, 6.0], "b": [4.0, 1.0, 2.0]})
    before = frame.copy()
    entropy(frame, normalisation="minmax", directions=["+", "-"], shift=0.1)
    pd.testing.assert_frame_equal(frame, before)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"matrix": [[1.0, -2.0], [3.0, 4.0]]}, r"non-negative data.*\(0, 1\).*minmax"),
    ({"directions": ["+", "+"]}, "apply to normalisation 'minmax' only"),
    ({"shift": 0.01}, "apply to normalisation 'minmax' only"),
    ({"normalisation": "minmax"}, "needs directions"),
    ({"normalisation": "minmax", "directions": ["+"]}, "expected 2 directions"),
    ({"normalisation": "minmax", "directions": "+-"}, "found the string"),
    ({"normalisation": "minmax", "directions": ["+", "up"]}, r"unknown direction\(s\) \['up'\]"),
    ({"normalisation": "minmax", "directions": ["+", "-"], "shift": -1}, "shift >= 0"),
    ({"normalisation": "zscore"}, "expected one of sum, minmax"),
    ({"matrix": [[1.0, 2.0]]}, "at least 2 rows"),
])
def test_invalid_entropy_input(kwargs, message):
    arguments = {"matrix": [[1.0, 2.0], [3.0, 4.0]], **kwargs}
    with pytest.raises(WeightsError, match=message):
        entropy(**arguments)


# --- combine and direct ----------------------------------------------------------------------

W1, W2 = np.array([0.5, 0.3, 0.2]), np.array([0.2, 0.3, 0.5])


def test_combine_rules_hand_computed():
    np.testing.assert_allclose(combine(W1, W2, rule="linear", alpha=0.6), [0.38, 0.30, 0.32])
    np.testing.assert_allclose(combine(W1, W2, rule="multiplicative"),
                               np.array([0.10, 0.09, 0.10]) / 0.29)
    root = np.sqrt([0.10, 0.09, 0.10])
    np.testing.assert_allclose(combine(W1, W2, rule="min_information_entropy"),
                               root / root.sum())
    np.testing.assert_allclose(combine(W1, W2, rule="linear", alpha=1.0), W1)
    np.testing.assert_allclose(combine(W1, W2, rule="linear", alpha=0.0), W2)


def test_combine_rescales_rounded_weights_and_refuses_other_sums():
    rounded = np.array([0.463, 0.399, 0.138, 0.0])  # printed weights summing to 1.000
    nearly = np.array([0.33, 0.33, 0.33, 0.0])      # sums to 0.99
    result = combine(rounded, nearly, rule="linear", alpha=0.5)
    assert result.sum() == pytest.approx(1.0, abs=1e-15)
    np.testing.assert_allclose(result, 0.5 * rounded / rounded.sum() + 0.5 * nearly / 0.99)
    with pytest.raises(WeightsError, match=r"w2: expected weights summing to 1.*100.*direct"):
        combine(W1, [50.0, 30.0, 20.0], rule="multiplicative")


def test_combine_needs_a_rule():
    with pytest.raises(TypeError):
        combine(W1, W2)  # type: ignore[call-arg]


@pytest.mark.parametrize(("w1", "w2", "kwargs", "message"), [
    (W1, W2, {"rule": "linear"}, r"needs alpha in \[0, 1\].*found None"),
    (W1, W2, {"rule": "linear", "alpha": 1.5}, "found 1.5"),
    (W1, W2, {"rule": "multiplicative", "alpha": 0.5}, "alpha applies to rule 'linear' only"),
    (W1, W2, {"rule": "geometric"}, "expected one of linear, multiplicative"),
    (W1, [0.5, 0.5], {"rule": "multiplicative"}, "same length, found 3 and 2"),
    (W1, [1.2, -0.2, 0.0], {"rule": "multiplicative"}, r"negative values at position\(s\) 1"),
    ([1.0, 0.0], [0.0, 1.0], {"rule": "min_information_entropy"}, "positive weight in both"),
])
def test_invalid_combine_input(w1, w2, kwargs, message):
    with pytest.raises(WeightsError, match=message):
        combine(w1, w2, **kwargs)


def test_combine_matches_series_by_label():
    s1 = pd.Series([0.5, 0.3, 0.2], index=["slope", "water", "soil"])
    s2 = pd.Series([0.5, 0.3, 0.2], index=["soil", "water", "slope"])
    result = combine(s1, s2, rule="multiplicative")
    assert list(result.index) == ["slope", "water", "soil"]
    np.testing.assert_allclose(result, np.array([0.10, 0.09, 0.10]) / 0.29)
    assert list(combine(W1, s2, rule="linear", alpha=0.5).index) == list(s2.index)
    with pytest.raises(WeightsError, match="same unique labels"):
        combine(s1, s2.rename({"soil": "dem"}), rule="multiplicative")


def test_direct_normalises_and_validates():
    np.testing.assert_allclose(direct([40, 35, 25]), [0.40, 0.35, 0.25])
    series = direct(pd.Series([2.0, 0.0, 6.0], index=list("abc")))
    assert series.to_dict() == {"a": 0.25, "b": 0.0, "c": 0.75}
    with pytest.raises(WeightsError, match="all zeros"):
        direct([0, 0])
    with pytest.raises(WeightsError, match="non-negative"):
        direct([1, -1, 2])


# --- docstring examples ----------------------------------------------------------------------

@pytest.mark.parametrize("module", [zoning.weights, _ahp, _entropy, _combine, _random_index])
def test_docstring_examples_run(module):
    outcome = doctest.testmod(module)
    assert outcome.failed == 0 and outcome.attempted > 0
