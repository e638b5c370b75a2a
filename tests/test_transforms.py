"""Scoring transforms: closed-form values, invariants and every error path."""

from __future__ import annotations

import math

import numpy as np
import pytest

from zoning.errors import ZoningError
from zoning.transforms import TRANSFORMS, breaks, categorical, check, parameters, rescale

NAN = float("nan")
X = np.linspace(0.0, 10.0, 41)

# Parameters with which every transform can score X (power needs its exponent).
MINIMAL: dict[str, dict[str, object]] = {
    name: {} for name in TRANSFORMS if name not in ("breaks", "categorical")
}
MINIMAL["power"] = {"exponent": 2.0}
CONTINUOUS = sorted(MINIMAL)


def approx(values: object) -> object:
    return pytest.approx(values, rel=1e-12, abs=1e-12)


# --------------------------------------------------------------------------- linear family

def test_linear_increasing_decreasing_endpoints_and_mid() -> None:
    x = [0.0, 2.5, 5.0, 10.0]
    assert rescale(x, "linear", lower=0, upper=10).tolist() == approx([0.0, 0.25, 0.5, 1.0])
    down = rescale(x, "linear", minimum=10, maximum=0, lower=0, upper=10)
    assert down.tolist() == approx([1.0, 0.75, 0.5, 0.0])


def test_linear_minimum_maximum_inside_thresholds_saturate() -> None:
    out = rescale([1.0, 2.0, 4.0, 6.0, 8.0], "linear", minimum=2, maximum=6, lower=0, upper=10)
    assert out.tolist() == approx([0.0, 0.0, 0.5, 1.0, 1.0])


def test_linear_defaults_to_data_range() -> None:
    assert rescale([2.0, 4.0, 6.0], "linear").tolist() == approx([0.0, 0.5, 1.0])


def test_symmetric_linear_peak_and_flanks() -> None:
    out = rescale([0.0, 2.5, 5.0, 7.5, 10.0], "symmetric_linear", minimum=0, maximum=10)
    assert out.tolist() == approx([0.0, 0.5, 1.0, 0.5, 0.0])


# --------------------------------------------------------------------------- midpoint / spread

def test_small_and_large_closed_form() -> None:
    x = [0.0, 2.0, 4.0]
    small = rescale(x, "small", midpoint=2, spread=2, lower=0, upper=10)
    large = rescale(x, "large", midpoint=2, spread=2, lower=0, upper=10)
    assert small.tolist() == approx([1.0, 0.5, 1 / (1 + 4)])
    assert large.tolist() == approx([0.0, 0.5, 4 / (1 + 4)])


def test_small_midpoint_defaults_to_centre_of_thresholds() -> None:
    assert rescale([5.0], "small", lower=0, upper=10)[0] == pytest.approx(0.5)
    assert rescale([5.0], "large", lower=0, upper=10)[0] == pytest.approx(0.5)
    # default spread 5: f(2m) = 1 / (1 + 2**5)
    assert rescale([10.0], "small", lower=0, upper=10)[0] == pytest.approx(1 / 33)


def test_small_scores_negative_inputs_as_zero() -> None:
    out = rescale([-3.0, 0.0], "small", midpoint=2, lower=-5, upper=5)
    assert out.tolist() == approx([1.0, 1.0])


def test_gaussian_and_near_closed_form() -> None:
    g = rescale([3.0, 4.0, 5.0], "gaussian", midpoint=3, spread=0.5, lower=0, upper=10)
    assert g.tolist() == approx([1.0, math.exp(-0.5), math.exp(-2.0)])
    n = rescale([3.0, 5.0], "near", midpoint=3, spread=0.25, lower=0, upper=10)
    assert n.tolist() == approx([1.0, 0.5])


@pytest.mark.parametrize("function", ["gaussian", "near"])
def test_default_spread_reaches_one_percent_at_farther_threshold(function: str) -> None:
    out = rescale([2.0, 4.0, 10.0], function, midpoint=4, lower=2, upper=10)
    assert out.tolist() == approx([out[0], 1.0, 0.01])
    assert out[0] > 0.01  # the nearer threshold scores higher


# --------------------------------------------------------------------------- mean / std

def test_ms_small_and_ms_large_with_data_statistics() -> None:
    x = np.array([0.0, 2.0, 4.0, 6.0, 8.0])  # mean 4, population std sqrt(8)
    s = math.sqrt(8.0)
    small = rescale(x, "ms_small")
    assert small.tolist() == approx([1, 1, 1, s / (2 + s), s / (4 + s)])
    assert rescale(x, "ms_large").tolist() == approx((1 - small).tolist())


def test_ms_small_with_given_statistics_and_multipliers() -> None:
    out = rescale([9.0, 10.0, 12.0, 14.0], "ms_small", mean=5, std=2, mean_multiplier=2,
                  std_multiplier=1, lower=0, upper=20)
    # a*m = 10, b*s = 2
    assert out.tolist() == approx([1.0, 1.0, 0.5, 2 / 6])


def test_ms_small_with_zero_std_is_a_step() -> None:
    out = rescale([1.0, 1.0, 3.0], "ms_small", mean=1, std=0, lower=0, upper=4)
    assert out.tolist() == approx([1.0, 1.0, 0.0])


# --------------------------------------------------------------------------- stretched functions

def test_logarithm_stretched_between_thresholds() -> None:
    e = math.e
    out = rescale([1.0, e, e**2], "logarithm", shift=0, lower=1, upper=e**2)
    assert out.tolist() == approx([0.0, 0.5, 1.0])


def test_logarithm_default_shift_starts_just_below_lower() -> None:
    # ln(x - lower + d) with d = 1e-6 * range: at the centre (ln(0.5) - ln(d)) / -ln(d)
    d = 1e-6
    expected = (math.log(0.5 + d) - math.log(d)) / (math.log(1 + d) - math.log(d))
    assert rescale([5.0], "logarithm", lower=0, upper=10)[0] == pytest.approx(expected)


def test_exponential_closed_form_and_decreasing() -> None:
    up = rescale([0.0, 1.0, 2.0], "exponential", base_factor=math.log(2), lower=0, upper=2)
    assert up.tolist() == approx([0.0, 1 / 3, 1.0])
    down = rescale([0.0, 1.0, 2.0], "exponential", base_factor=-math.log(2), lower=0, upper=2)
    assert down.tolist() == approx([1.0, 1 / 3, 0.0])


def test_exponential_default_base_factor_matches_arcgis_example() -> None:
    # base factor 10 ln(10) / 500 = 0.04605: exp(b * 250) = 1e5, exp(b * 500) = 1e10
    out = rescale([250.0], "exponential", lower=0, upper=500)
    assert out[0] == pytest.approx((1e5 - 1) / (1e10 - 1), rel=1e-9)


def test_exponential_does_not_overflow() -> None:
    out = rescale([0.0, 1e4], "exponential", base_factor=1.0)
    assert out.tolist() == [0.0, 1.0]


def test_power_closed_form_and_default_shift() -> None:
    assert rescale([1.0], "power", exponent=2, shift=0, lower=0, upper=2)[0] == pytest.approx(0.25)
    # default shift = lower = 1: ((2 - 1) / (3 - 1))**2
    assert rescale([1.0, 2.0, 3.0], "power", exponent=2, lower=1, upper=3).tolist() == approx(
        [0.0, 0.25, 1.0]
    )


def test_logistic_growth_closed_form_and_symmetry() -> None:
    # y = 1 / (1 + 99 exp(-k x)), k = 2 ln 99 / 10; at x = 2.5, exp(-k x) = 99**-0.5
    y = 1 / (1 + 99**0.5)
    out = rescale([0.0, 2.5, 5.0, 10.0], "logistic_growth", lower=0, upper=10)
    assert out.tolist() == approx([0.0, (y - 0.01) / 0.98, 0.5, 1.0])
    d = np.linspace(0, 5, 11)
    left = rescale(5 - d, "logistic_growth", y_intercept_percent=10, lower=0, upper=10)
    right = rescale(5 + d, "logistic_growth", y_intercept_percent=10, lower=0, upper=10)
    assert (left + right).tolist() == approx([1.0] * 11)


def test_logistic_decay_is_mirror_of_growth() -> None:
    growth = rescale(X, "logistic_growth", y_intercept_percent=5, lower=0, upper=10)
    decay = rescale(X, "logistic_decay", y_intercept_percent=95, lower=0, upper=10)
    assert decay.tolist() == approx((1 - growth).tolist())
    assert rescale([5.0], "logistic_decay", lower=0, upper=10)[0] == pytest.approx(0.5)


# --------------------------------------------------------------------------- thresholds

def test_values_outside_thresholds_get_below_and_above() -> None:
    x = [1.0, 2.0, 5.0, 8.0, 9.0]
    default = rescale(x, "linear", lower=2, upper=8)
    assert default.tolist() == approx([0.0, 0.0, 0.5, 1.0, 1.0])
    small = rescale(x, "small", midpoint=5, lower=2, upper=8, below=1.0, above=NAN)
    assert small[0] == 1.0 and small[2] == pytest.approx(0.5) and math.isnan(small[4])


def test_infinite_inputs_fall_outside_thresholds() -> None:
    out = rescale([-np.inf, 0.0, 10.0, np.inf], "linear")
    assert out.tolist() == [0.0, 0.0, 1.0, 1.0]


@pytest.mark.parametrize("function", ["linear", "small", "large", "ms_small", "ms_large"])
def test_monotone(function: str) -> None:
    diffs = np.diff(rescale(X, function, lower=0, upper=10))
    if function in ("small", "ms_small"):
        assert (diffs <= 0).all() and diffs.sum() < 0
    else:
        assert (diffs >= 0).all() and diffs.sum() > 0


# --------------------------------------------------------------------------- invariants

@pytest.mark.parametrize("function", CONTINUOUS)
def test_output_in_unit_interval_and_nan_passthrough(function: str) -> None:
    rng = np.random.default_rng(7)
    x = np.concatenate([rng.uniform(-5, 15, 200), [NAN]])
    out = rescale(x, function, lower=0, upper=10, **MINIMAL[function])
    assert out.shape == x.shape
    assert math.isnan(out[-1])
    assert ((out[:-1] >= 0) & (out[:-1] <= 1)).all()


@pytest.mark.parametrize("function", CONTINUOUS)
def test_none_is_missing_and_inputs_not_mutated(function: str) -> None:
    as_list = [1.0, None, 3.0, 7.0]
    as_array = np.array([1.0, NAN, 3.0, 7.0])
    before = as_array.copy()
    from_list = rescale(as_list, function, **MINIMAL[function])
    from_array = rescale(as_array, function, **MINIMAL[function])
    assert as_list == [1.0, None, 3.0, 7.0]
    np.testing.assert_array_equal(as_array, before)
    np.testing.assert_array_equal(from_list, from_array)
    assert math.isnan(from_list[1]) and not np.isnan(from_list[[0, 2, 3]]).any()


@pytest.mark.parametrize("function", CONTINUOUS)
def test_all_missing_scores_all_nan(function: str) -> None:
    out = rescale([NAN, None], function, **MINIMAL[function])
    assert np.isnan(out).all() and out.shape == (2,)


# --------------------------------------------------------------------------- breaks

def test_breaks_value_at_break_goes_to_lower_class() -> None:
    x = [0.5, 1.0, 1.5, 2.0, 3.0, NAN]
    out = breaks(x, breaks=[1, 2], scores=[1.0, 0.5, 0.0])
    assert out[:5].tolist() == [1.0, 1.0, 0.5, 0.5, 0.0] and math.isnan(out[5])


def test_breaks_right_false_puts_break_in_upper_class() -> None:
    out = rescale([0.5, 1.0, 1.5, 2.0, 3.0], "breaks", breaks=[1, 2], scores=[1.0, 0.5, 0.0],
                  right=False)
    assert out.tolist() == [1.0, 0.5, 0.5, 0.0, 0.0]


# --------------------------------------------------------------------------- categorical

def test_categorical_default_and_missing() -> None:
    values = np.array(["wetland", 3, "road", None, NAN], dtype=object)
    table = {"wetland": 1.0, 3: 0.4}
    unlisted_nan = categorical(values, table)
    assert unlisted_nan[:2].tolist() == [1.0, 0.4] and np.isnan(unlisted_nan[2:]).all()
    with_default = categorical(values, table, default=0.2)
    assert with_default[:3].tolist() == [1.0, 0.4, 0.2] and np.isnan(with_default[3:]).all()


def test_categorical_pandas_missing_values_score_nan() -> None:
    pd = pytest.importorskip("pandas")
    out = categorical(pd.Series(["a", None, pd.NA, "b"]), {"a": 1.0}, default=0.0)
    assert out[[0, 3]].tolist() == [1.0, 0.0] and np.isnan(out[[1, 2]]).all()
    assert rescale(pd.Series([1.0, None, 3.0], dtype="Float64"), "linear")[[0, 2]].tolist() == [
        0.0, 1.0]


def test_categorical_matches_integer_codes_stored_as_floats_not_strings() -> None:
    out = rescale([1.0, 1, "1"], "categorical", scores={1: 0.7}, default=0.0)
    assert out.tolist() == [0.7, 0.7, 0.0]


# --------------------------------------------------------------------------- parameters

def test_parameters_lists_names_and_defaults() -> None:
    assert parameters("small") == {"midpoint": None, "spread": 5.0, "lower": None,
                                   "upper": None, "below": 0.0, "above": 1.0}
    assert parameters("logistic_decay")["y_intercept_percent"] == 99.0
    assert parameters("breaks") == {"breaks": None, "scores": None, "right": True}


@pytest.mark.parametrize("function", CONTINUOUS)
def test_defaults_pass_check(function: str) -> None:
    given = {k: v for k, v in parameters(function).items() if v is not None}
    assert check(function, {**given, **MINIMAL[function]}) == []


def test_every_transform_documents_its_formula() -> None:
    for transform in TRANSFORMS.values():
        assert "=" in transform.formula or "class" in transform.formula, transform.name


# --------------------------------------------------------------------------- errors

def test_unknown_function_lists_names_and_closest() -> None:
    with pytest.raises(ZoningError) as err:
        rescale([1.0], "gausian")
    message = str(err.value)
    assert "'gausian'" in message and "did you mean 'gaussian'" in message
    assert all(name in message for name in TRANSFORMS)
    with pytest.raises(ZoningError, match="unknown transform 'nope'"):
        parameters("nope")


# (function, params, parameter named in the message)
ERRORS = [
    ("small", {"sprad": 1}, "sprad"),
    ("small", {"spread": 0}, "spread"),
    ("small", {"midpoint": -1}, "midpoint"),
    ("gaussian", {"spread": -0.1}, "spread"),
    ("near", {"midpoint": "3"}, "midpoint"),
    ("linear", {"lower": 5, "upper": 5}, "lower"),
    ("linear", {"minimum": 3, "maximum": 3}, "minimum"),
    ("linear", {"below": 2}, "below"),
    ("symmetric_linear", {"minimum": 4, "maximum": 1}, "minimum"),
    ("ms_small", {"std_multiplier": 0}, "std_multiplier"),
    ("ms_large", {"std": -1}, "std"),
    ("logarithm", {"factor": 2}, "factor"),
    ("logarithm", {"shift": 1, "lower": 1}, "shift"),
    ("exponential", {"base_factor": 0}, "base_factor"),
    ("exponential", {"shift": 1}, "shift"),
    ("power", {}, "exponent"),
    ("power", {"exponent": 1}, "exponent"),
    ("power", {"exponent": 2, "shift": 2, "lower": 1}, "shift"),
    ("logistic_growth", {"y_intercept_percent": 60}, "y_intercept_percent"),
    ("logistic_decay", {"y_intercept_percent": 40}, "y_intercept_percent"),
    ("logistic_growth", {"minimum": 5, "maximum": 2}, "minimum"),
    ("breaks", {"scores": [1, 0]}, "breaks"),
    ("breaks", {"breaks": [2, 1], "scores": [1, 0.5, 0]}, "breaks"),
    ("breaks", {"breaks": [1, 2], "scores": [1, 0]}, "scores"),
    ("breaks", {"breaks": [1], "scores": [1, 2]}, "scores"),
    ("breaks", {"breaks": [1], "scores": [1, 0], "right": "yes"}, "right"),
    ("categorical", {}, "scores"),
    ("categorical", {"scores": {1.5: 1.0}}, "scores"),
    ("categorical", {"scores": {"a": 1.0}, "default": 3}, "default"),
]


@pytest.mark.parametrize(("function", "params", "name"), ERRORS)
def test_error_names_function_and_parameter(function: str, params: dict[str, object],
                                            name: str) -> None:
    problems = check(function, params)
    assert problems and f"{function}:" in problems[0] and repr(name) in problems[0]
    with pytest.raises(ZoningError) as err:
        rescale([1.0, 2.0, 3.0], function, **params)
    assert str(err.value) == problems[0]


def test_unknown_and_missing_parameters_list_accepted_names() -> None:
    (message,) = check("power", {"exponent": 2, "sprad": 1})
    assert "shift, exponent, lower, upper, below, above" in message
    (message,) = check("power", {})
    assert "'exponent' is required" in message and "accepted parameters: shift" in message


def test_check_reports_all_problems_at_once() -> None:
    problems = check("gaussian", {"spread": 0, "sprad": 1, "lower": 3, "upper": 1})
    assert len(problems) == 3
    assert any("'sprad'" in p for p in problems) and any("'spread'" in p for p in problems)
    assert any("'lower' must be < 'upper'" in p for p in problems)


def test_none_counts_as_not_given() -> None:
    assert check("small", {"midpoint": None}) == []
    assert rescale([5.0], "small", midpoint=None, lower=0, upper=10)[0] == pytest.approx(0.5)


def test_constant_column_cannot_derive_thresholds() -> None:
    with pytest.raises(ZoningError, match=r"linear: thresholds 'lower' \(4.0\) and 'upper'"):
        rescale([4.0, 4.0], "linear")
    assert rescale([4.0, 4.0], "linear", lower=0, upper=8).tolist() == [0.5, 0.5]


def test_derived_parameter_problems_are_reported() -> None:
    with pytest.raises(ZoningError, match=r"small: parameter 'midpoint' must be a finite number "
                                          r"> 0; found -2\.0\. \(after filling defaults"):
        rescale([-4.0, 0.0], "small")
    with pytest.raises(ZoningError, match="logarithm: parameter 'shift' must be < 'lower'"):
        rescale([1.0, 2.0], "logarithm", shift=1.5)


def test_non_numeric_values_are_rejected() -> None:
    with pytest.raises(ZoningError, match=r"linear: expected numeric values.*'categorical'"):
        rescale(["a", "b"], "linear")
    with pytest.raises(ZoningError, match="breaks: expected numeric values"):
        breaks(np.array(["1", "2"]), breaks=[1], scores=[0, 1])
