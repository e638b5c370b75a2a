"""Scoring transforms: turn a parcel column into a suitability score in [0, 1] (1 = best).

The continuous transforms follow the functions of ArcGIS Pro's *Rescale by Function* tool and
keep its parameter meanings, in snake_case: ``linear``, ``symmetric_linear``, ``small``,
``large``, ``ms_small``, ``ms_large``, ``gaussian``, ``near``, ``logarithm``, ``exponential``,
``power``, ``logistic_growth`` and ``logistic_decay``. Two discrete ones complete the set:
``breaks`` (class breaks) and ``categorical`` (a remap of category values).

Every continuous transform takes the thresholds ``lower`` and ``upper`` (default: the minimum
and maximum of the finite input, as in ArcGIS). Inputs from ``lower`` to ``upper`` (inclusive)
are scored by the function; inputs below ``lower`` get ``below`` and inputs above ``upper`` get
``above`` (defaults 0 and 1, ArcGIS's "from" and "to" values on a 0..1 scale; pass ``nan`` to
leave them missing). With a decreasing function such as ``small`` the defaults mean that a
value below ``lower`` scores 0 although ``lower`` itself scores near 1: set ``below=1`` if
that is what the factor means.

The output scale is fixed to 0..1. Functions whose values already lie in 0..1 (linear,
symmetric linear, small, large, MS small, MS large, Gaussian, near) are used as they are, so a
midpoint keeps its meaning (``small`` scores 0.5 there). ``logarithm``, ``exponential``,
``power`` and the logistic functions are stretched linearly so that the smaller of the two
values the function takes at ``lower`` and ``upper`` becomes 0 and the larger becomes 1,
as ArcGIS does. The formula of each function is in ``TRANSFORMS[name].formula``.

A missing input (NaN or None) always scores NaN: the caller decides what missing means.
"""

from __future__ import annotations

import inspect
import logging
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from itertools import pairwise
from types import MappingProxyType
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from zoning.errors import ZoningError, did_you_mean

__all__ = ["TRANSFORMS", "Param", "Transform", "breaks", "categorical", "check", "parameters",
           "rescale"]

logger = logging.getLogger(__name__)

Params = dict[str, Any]
Rule = Callable[[Any], str | None]
"""A parameter rule returns ``None`` when a value is fine, else what was expected."""


# --------------------------------------------------------------------------- parameter rules

def _is_real(value: object) -> bool:
    return isinstance(value, int | float | np.integer | np.floating) and not isinstance(
        value, bool | np.bool_
    )


def _real_rule(expected: str, ok: Callable[[float], bool]) -> Rule:
    def rule(value: Any) -> str | None:
        return None if _is_real(value) and ok(float(value)) else expected

    return rule


_NUMBER = _real_rule("a finite number", math.isfinite)
_POSITIVE = _real_rule("a finite number > 0", lambda v: math.isfinite(v) and v > 0)
_NON_NEGATIVE = _real_rule("a finite number >= 0", lambda v: math.isfinite(v) and v >= 0)
_SCORE = _real_rule("a score in [0, 1]", lambda v: 0.0 <= v <= 1.0)
_SCORE_OR_NAN = _real_rule("a score in [0, 1], or nan", lambda v: math.isnan(v) or 0 <= v <= 1)
_NON_ZERO = _real_rule("a finite number other than 0", lambda v: math.isfinite(v) and v != 0)
_EXPONENT = _real_rule(
    "a finite number > 0 other than 1 (an exponent of 1 is the 'linear' transform)",
    lambda v: math.isfinite(v) and v > 0 and v != 1,
)
_GROWTH_PERCENT = _real_rule("a number strictly between 0 and 50", lambda v: 0 < v < 50)
_DECAY_PERCENT = _real_rule("a number strictly between 50 and 100", lambda v: 50 < v < 100)


def _bool_rule(value: Any) -> str | None:
    return None if isinstance(value, bool | np.bool_) else "true or false"


def _breaks_rule(value: Any) -> str | None:
    expected = "a non-empty list of finite numbers in strictly increasing order"
    if isinstance(value, str | bytes | Mapping) or not hasattr(value, "__len__") or not value:
        return expected
    if not all(_NUMBER(v) is None for v in value):
        return expected
    return None if all(a < b for a, b in pairwise(value)) else expected


def _scores_rule(value: Any) -> str | None:
    expected = "a list of scores in [0, 1]"
    if isinstance(value, str | bytes | Mapping) or not hasattr(value, "__len__"):
        return expected
    return None if all(_SCORE(v) is None for v in value) else expected


def _category_scores_rule(value: Any) -> str | None:
    expected = "a mapping of category (string or integer) to a score in [0, 1]"
    if not isinstance(value, Mapping) or not value:
        return expected
    keys_ok = all(isinstance(k, str | int | np.integer) and not isinstance(k, bool) for k in value)
    return None if keys_ok and all(_SCORE(v) is None for v in value.values()) else expected


def _optional_score_rule(value: Any) -> str | None:
    return None if value is None else _SCORE(value)


# --------------------------------------------------------------------------- the table types

@dataclass(frozen=True)
class Param:
    """One parameter of a transform.

    Attributes
    ----------
    name
        Parameter name, as written in a rule file.
    default
        Value used when the parameter is not given (or given as ``None``). ``None`` means the
        value is derived from the data, or that the parameter is required.
    required
        Whether the parameter must be given.
    rule
        Returns ``None`` for a valid value, else a phrase saying what was expected.
    doc
        What the parameter means.

    """

    name: str
    default: Any = None
    required: bool = False
    rule: Rule = _NUMBER
    doc: str = ""


@dataclass(frozen=True)
class Transform:
    """A named scoring transform: its parameters and its implementation.

    Attributes
    ----------
    name
        The transform's name, as used by :func:`rescale`.
    params
        Accepted parameters, in order.
    score
        ``score(values, params)`` with every parameter present and valid.
    relations
        ``relations(params)`` lists problems between parameters (values may be ``None``).
    formula
        The formula and the derived defaults, in words.

    """

    name: str
    params: tuple[Param, ...]
    score: Callable[[ArrayLike, Params], np.ndarray]
    relations: Callable[[Params], list[str]]
    formula: str


def _no_relations(params: Params) -> list[str]:
    return []


# --------------------------------------------------------------------------- input handling

def _numbers(values: ArrayLike, function: str) -> np.ndarray:
    """Return ``values`` as a new float array; None becomes NaN."""
    kind = np.asarray(values).dtype.kind
    try:
        if kind in "USb":
            raise ValueError(f"values of dtype kind {kind!r}")
        return np.array(values, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ZoningError(
            f"{function}: expected numeric values (NaN or None for missing); found values "
            f"that are not numbers ({exc}). Convert the column to numbers, or score "
            "categories with 'categorical'."
        ) from exc


# --------------------------------------------------------------------------- continuous shapes
# Each shape gets the inputs between the thresholds and the resolved parameters; its
# docstring is the formula shown in TRANSFORMS[name].formula.

def _linear(x: np.ndarray, p: Params) -> np.ndarray:
    """Linear: f(x) = (x - minimum) / (maximum - minimum), clipped to [0, 1].

    ``minimum`` and ``maximum`` default to the thresholds. ``minimum > maximum`` gives a
    decreasing line: inputs up to ``maximum`` score 1, inputs from ``minimum`` on score 0.
    """
    return np.clip((x - p["minimum"]) / (p["maximum"] - p["minimum"]), 0.0, 1.0)


def _symmetric_linear(x: np.ndarray, p: Params) -> np.ndarray:
    """Symmetric linear: f(x) = 1 - |x - c| / h, clipped to [0, 1].

    c = (minimum + maximum) / 2 and h = (maximum - minimum) / 2. The peak (1) is at the centre
    c; 0 at and beyond ``minimum`` and ``maximum``, which default to the thresholds.
    """
    centre = (p["minimum"] + p["maximum"]) / 2
    half = (p["maximum"] - p["minimum"]) / 2
    return np.clip(1.0 - np.abs(x - centre) / half, 0.0, 1.0)


def _small(x: np.ndarray, p: Params) -> np.ndarray:
    """Small: f(x) = 1 / (1 + (x / midpoint) ** spread), negative x scored as x = 0 (f = 1).

    f(midpoint) = 0.5, decreasing. ``midpoint`` (> 0) defaults to the centre of the
    thresholds, (lower + upper) / 2; ``spread`` (> 0) defaults to 5 (ArcGIS's default).
    """
    with np.errstate(over="ignore"):
        ratio = np.power(np.maximum(x, 0.0) / p["midpoint"], p["spread"])
    return 1.0 / (1.0 + ratio)


def _large(x: np.ndarray, p: Params) -> np.ndarray:
    """Large: f(x) = 1 / (1 + (x / midpoint) ** -spread) = 1 - small(x).

    Negative x is scored as x = 0 (f = 0). f(midpoint) = 0.5, increasing. Defaults as for
    ``small``: ``midpoint`` = (lower + upper)
    / 2, ``spread`` = 5.
    """
    return 1.0 - _small(x, p)


def _gaussian(x: np.ndarray, p: Params) -> np.ndarray:
    """Gaussian: f(x) = exp(-spread * (x - midpoint) ** 2).

    f(midpoint) = 1. ``midpoint`` defaults to (lower + upper) / 2. ``spread`` (> 0)
    defaults to ln(100) / d**2 with d the distance from the midpoint to the farther
    threshold, so f falls to 0.01 there (ArcGIS also fits the default spread to the
    thresholds; its exact rule is not published, so this one is the engine's).
    """
    return np.exp(-p["spread"] * (x - p["midpoint"]) ** 2)


def _near(x: np.ndarray, p: Params) -> np.ndarray:
    """Near: f(x) = 1 / (1 + spread * (x - midpoint) ** 2).

    f(midpoint) = 1; falls faster near the midpoint and slower in the tails than
    ``gaussian``. ``midpoint`` defaults to (lower + upper) / 2; ``spread`` (> 0) defaults to
    99 / d**2 with d the distance from the midpoint to the farther threshold (f = 0.01
    there; the engine's fit, as for ``gaussian``).
    """
    return 1.0 / (1.0 + p["spread"] * (x - p["midpoint"]) ** 2)


def _ms_small(x: np.ndarray, p: Params) -> np.ndarray:
    """MS small: f(x) = 1 if x <= a*m, else b*s / (x - a*m + b*s).

    a = ``mean_multiplier`` (> 0, default 1), b = ``std_multiplier`` (> 0, default 1),
    m = ``mean`` and s = ``std``, by default the mean and the population standard deviation
    (ddof = 0) of all finite input values, as ArcGIS uses the input's statistics.
    """
    excess = np.maximum(x - p["mean_multiplier"] * p["mean"], 0.0)
    bs = p["std_multiplier"] * p["std"]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(excess > 0, bs / (excess + bs), 1.0)


def _ms_large(x: np.ndarray, p: Params) -> np.ndarray:
    """MS large: f(x) = 0 if x <= a*m, else 1 - b*s / (x - a*m + b*s).

    Equal to 1 - ms_small(x); parameters and defaults as for ``ms_small``.
    """
    return 1.0 - _ms_small(x, p)


def _logarithm(x: np.ndarray, p: Params) -> np.ndarray:
    """Logarithm: y = ln(x - shift), stretched between its values at the thresholds.

    The score is (y - y_lo) / (y_hi - y_lo), y_lo and y_hi being the smaller and the larger of
    y(lower) and y(upper) (the same stretch for every stretched function). ``shift`` must be
    below ``lower``; it defaults to lower - 1e-6 * (upper - lower), just below the lower
    threshold so the curve starts there (ArcGIS's default shift is also a tiny distance below
    the minimum). ArcGIS's multiplier ``factor`` is not offered: after the stretch ln(factor *
    u) = ln(factor) + ln(u) gives the same scores for every factor.
    """
    return np.log(x - p["shift"])


def _exponential(x: np.ndarray, p: Params) -> np.ndarray:
    """Exponential: y = exp(base_factor * x), stretched between its values at the thresholds.

    ``base_factor`` (not 0; negative = decreasing) defaults to 10 * ln(10) / (upper -
    lower), which reproduces ArcGIS's documented default (0.04605 for inputs 0..500).
    ArcGIS's ``shift`` is not offered: exp(b * (x - shift)) = exp(-b * shift) * exp(b * x)
    and the constant factor cancels in the stretch. Computed as exp(b * (x - t)) with t the
    threshold where it is largest, which cannot overflow.
    """
    anchor = p["upper"] if p["base_factor"] > 0 else p["lower"]
    return np.exp(p["base_factor"] * (x - anchor))


def _power(x: np.ndarray, p: Params) -> np.ndarray:
    """Power: y = (x - shift) ** exponent, stretched between its values at the thresholds.

    ``exponent`` (> 0, not 1) is required; ``shift`` (<= lower) defaults to ``lower``, so
    the curve starts at 0 on the lower threshold (ArcGIS's default).
    """
    return np.power(x - p["shift"], p["exponent"])


def _growth(x: np.ndarray, minimum: float, maximum: float, percent: float) -> np.ndarray:
    c = 100.0 / percent - 1.0
    k = 2.0 * math.log(c) / (maximum - minimum)
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + c * np.exp(-k * (x - minimum)))


def _logistic_growth(x: np.ndarray, p: Params) -> np.ndarray:
    """Logistic growth: y = 1 / (1 + c * exp(-k * (x - minimum))), stretched.

    c = 100/P - 1 and k = 2 ln(c) / (maximum - minimum); y is stretched between its values at
    the thresholds. P = ``y_intercept_percent`` (0 < P < 50, default 1, as ArcGIS): the curve is
    at P % of its ceiling at ``minimum``, at 100 - P % at ``maximum`` and at 50 % halfway, and
    is point-symmetric about that midpoint. ``minimum`` and ``maximum`` default to the
    thresholds, so with the defaults scores run from 0 at ``lower`` to 1 at ``upper``. (ArcGIS
    names the same parameters minimum, maximum and yInterceptPercent; it publishes no base
    factor for the logistic functions.)
    """
    return _growth(x, p["minimum"], p["maximum"], p["y_intercept_percent"])


def _logistic_decay(x: np.ndarray, p: Params) -> np.ndarray:
    """Logistic decay: y = 1 / (1 + c * exp(k * (x - minimum))), stretched.

    c = 100/P - 1 and k = 2 ln(1/c) / (maximum - minimum), i.e. y is 1 - logistic_growth with
    100 - P; y is stretched between its values at the thresholds. P = ``y_intercept_percent``
    (50 < P < 100, default 99, as ArcGIS): P % at ``minimum``, 100 - P % at ``maximum``, 50 %
    halfway. ``minimum`` and ``maximum`` default to the thresholds.
    """
    return 1.0 - _growth(x, p["minimum"], p["maximum"], 100.0 - p["y_intercept_percent"])


# --------------------------------------------------------------------------- defaults from data

Derive = Callable[[Params, np.ndarray], Params]


def _keep(p: Params, data: np.ndarray) -> Params:
    return p


def _defaults(**rules: Callable[[Params, np.ndarray], float]) -> Derive:
    """Build a ``derive`` that fills each named parameter left as ``None``, in order."""

    def derive(p: Params, data: np.ndarray) -> Params:
        q = dict(p)
        for name, rule in rules.items():
            if q[name] is None:
                q[name] = rule(q, data)
        return q

    return derive


def _centre(p: Params, data: np.ndarray) -> float:
    return (p["lower"] + p["upper"]) / 2


def _far(p: Params) -> float:
    return max(abs(p["midpoint"] - p["lower"]), abs(p["upper"] - p["midpoint"]))


def _lower(p: Params, data: np.ndarray) -> float:
    return float(p["lower"])


def _upper(p: Params, data: np.ndarray) -> float:
    return float(p["upper"])


_RANGE_FROM_THRESHOLDS = _defaults(minimum=_lower, maximum=_upper)


# --------------------------------------------------------------------------- relations

def _ordered(function: str, low: str, high: str, strict: bool = True) -> Callable[[Params], str]:
    sign = "<" if strict else "<="

    def relation(p: Params) -> str:
        a, b = p.get(low), p.get(high)
        if a is None or b is None or (a < b if strict else a <= b):
            return ""
        return (f"{function}: parameter {low!r} must be {sign} {high!r}; found {low}={a!r}, "
                f"{high}={b!r}. Swap or correct them.")

    return relation


def _relations(*rules: Callable[[Params], str]) -> Callable[[Params], list[str]]:
    def relations(p: Params) -> list[str]:
        return [message for message in (rule(p) for rule in rules) if message]

    return relations


def _distinct(function: str) -> Callable[[Params], str]:
    def relation(p: Params) -> str:
        a, b = p.get("minimum"), p.get("maximum")
        if a is None or b is None or a != b:
            return ""
        return (f"{function}: parameters 'minimum' and 'maximum' must differ; both are {a!r}. "
                "Use minimum < maximum to score rising values, minimum > maximum for falling.")

    return relation


# --------------------------------------------------------------------------- continuous table

_THRESHOLDS = (
    Param("lower", doc="lowest input scored by the function (default: data minimum)"),
    Param("upper", doc="highest input scored by the function (default: data maximum)"),
    Param("below", 0.0, rule=_SCORE_OR_NAN, doc="score of inputs below 'lower'"),
    Param("above", 1.0, rule=_SCORE_OR_NAN, doc="score of inputs above 'upper'"),
)
_MIN_MAX = (
    Param("minimum", doc="start of the function's range (default: 'lower')"),
    Param("maximum", doc="end of the function's range (default: 'upper')"),
)
_MS = (
    Param("mean_multiplier", 1.0, rule=_POSITIVE, doc="a, multiplier of the mean"),
    Param("std_multiplier", 1.0, rule=_POSITIVE, doc="b, multiplier of the standard deviation"),
    Param("mean", doc="m (default: mean of the finite input)"),
    Param("std", rule=_NON_NEGATIVE, doc="s (default: population std of the finite input)"),
)


def _midpoint_spread(spread_default: float | None, positive_midpoint: bool) -> tuple[Param, ...]:
    return (
        Param("midpoint", rule=_POSITIVE if positive_midpoint else _NUMBER,
              doc="centre of the curve (default: (lower + upper) / 2)"),
        Param("spread", spread_default, rule=_POSITIVE, doc="steepness around the midpoint"),
    )


@dataclass(frozen=True)
class _Continuous:
    name: str
    shape: Callable[[np.ndarray, Params], np.ndarray]
    own: tuple[Param, ...]
    derive: Derive = _keep
    relations: tuple[Callable[[str], Callable[[Params], str]], ...] = ()
    stretch: bool = False

    def transform(self) -> Transform:
        rules = [_ordered(self.name, "lower", "upper")] + [r(self.name) for r in self.relations]
        return Transform(self.name, self.own + _THRESHOLDS, self.score, _relations(*rules),
                         inspect.getdoc(self.shape) or "")

    def score(self, values: ArrayLike, params: Params) -> np.ndarray:
        x = _numbers(values, self.name)
        data = x[np.isfinite(x)]
        out = np.full(x.shape, np.nan)
        if data.size == 0:
            logger.debug("%s: no finite input values; every score is NaN", self.name)
            return out
        p = dict(params)
        # Thresholds left unset bound nothing when the function needs nothing from the
        # data (its own parameters given, no stretch): the score of a parcel then does
        # not depend on the other parcels. Otherwise they are the data's range (ArcGIS).
        free = not self.stretch and all(p[q.name] is not None for q in self.own)
        low, high = (-math.inf, math.inf) if free else (float(data.min()), float(data.max()))
        p["lower"] = low if p["lower"] is None else float(p["lower"])
        p["upper"] = high if p["upper"] is None else float(p["upper"])
        if p["lower"] >= p["upper"]:
            raise ZoningError(
                f"{self.name}: thresholds 'lower' ({p['lower']!r}) and 'upper' "
                f"({p['upper']!r}) must satisfy lower < upper; given or taken from the data "
                f"(all finite inputs lie in [{data.min()!r}, {data.max()!r}]). Set 'lower' "
                "and 'upper' explicitly."
            )
        p = self.derive(p, data)
        unbounded = {k: None for k in ("lower", "upper") if math.isinf(p[k])}
        problems = _problems(TRANSFORMS[self.name], {**p, **unbounded})
        if problems:
            raise ZoningError(f"{problems[0]} (after filling defaults from the data: "
                              f"lower={p['lower']!r}, upper={p['upper']!r})")
        logger.debug("%s: resolved parameters %s", self.name, p)
        inside = (x >= p["lower"]) & (x <= p["upper"])
        y = self.shape(x[inside], p)
        if self.stretch:
            ends = self.shape(np.array([p["lower"], p["upper"]]), p)
            y = (y - ends.min()) / (ends.max() - ends.min())
        out[inside] = np.clip(y, 0.0, 1.0)
        out[x < p["lower"]] = p["below"]
        out[x > p["upper"]] = p["above"]
        return out


def _shift_rule(low: str, strict: bool) -> Callable[[str], Callable[[Params], str]]:
    return lambda name: _ordered(name, "shift", low, strict)


_CONTINUOUS = (
    _Continuous("linear", _linear, _MIN_MAX, _RANGE_FROM_THRESHOLDS, (_distinct,)),
    _Continuous("symmetric_linear", _symmetric_linear, _MIN_MAX, _RANGE_FROM_THRESHOLDS,
                (lambda name: _ordered(name, "minimum", "maximum"),)),
    _Continuous("small", _small, _midpoint_spread(5.0, True), _defaults(midpoint=_centre)),
    _Continuous("large", _large, _midpoint_spread(5.0, True), _defaults(midpoint=_centre)),
    _Continuous("gaussian", _gaussian, _midpoint_spread(None, False), _defaults(
        midpoint=_centre, spread=lambda p, d: math.log(100.0) / _far(p) ** 2)),
    _Continuous("near", _near, _midpoint_spread(None, False), _defaults(
        midpoint=_centre, spread=lambda p, d: 99.0 / _far(p) ** 2)),
    _Continuous("ms_small", _ms_small, _MS, _defaults(
        mean=lambda p, d: float(d.mean()), std=lambda p, d: float(d.std()))),
    _Continuous("ms_large", _ms_large, _MS, _defaults(
        mean=lambda p, d: float(d.mean()), std=lambda p, d: float(d.std()))),
    _Continuous("logarithm", _logarithm,
                (Param("shift", doc="subtracted from the input (default: just below 'lower')"),),
                _defaults(shift=lambda p, d: p["lower"] - 1e-6 * (p["upper"] - p["lower"])),
                (_shift_rule("lower", strict=True),), stretch=True),
    _Continuous("exponential", _exponential,
                (Param("base_factor", rule=_NON_ZERO, doc="multiplier b of the input"),),
                _defaults(base_factor=lambda p, d: 10 * math.log(10) / (p["upper"] - p["lower"])),
                stretch=True),
    _Continuous("power", _power,
                (Param("shift", doc="subtracted from the input (default: 'lower')"),
                 Param("exponent", required=True, rule=_EXPONENT, doc="power of the input")),
                _defaults(shift=_lower), (_shift_rule("lower", strict=False),), stretch=True),
    _Continuous("logistic_growth", _logistic_growth,
                (*_MIN_MAX, Param("y_intercept_percent", 1.0, rule=_GROWTH_PERCENT,
                                  doc="curve height at 'minimum', in % of its ceiling")),
                _RANGE_FROM_THRESHOLDS, (lambda name: _ordered(name, "minimum", "maximum"),),
                stretch=True),
    _Continuous("logistic_decay", _logistic_decay,
                (*_MIN_MAX, Param("y_intercept_percent", 99.0, rule=_DECAY_PERCENT,
                                  doc="curve height at 'minimum', in % of its ceiling")),
                _RANGE_FROM_THRESHOLDS, (lambda name: _ordered(name, "minimum", "maximum"),),
                stretch=True),
)


# --------------------------------------------------------------------------- discrete transforms

def breaks(values: ArrayLike, breaks: list[float], scores: list[float],
           right: bool = True) -> np.ndarray:
    """Score numbers by class breaks.

    With breaks ``b1 < b2 < ... < bk`` and scores ``s0, s1, ..., sk``: with ``right=True``
    (default) class i is ``b_i < x <= b_(i+1)``, so a value exactly at a break goes to the
    lower class: x <= b1 scores s0, b1 < x <= b2 scores s1, ..., x > bk scores sk. With
    ``right=False`` classes are ``b_i <= x < b_(i+1)`` and a value at a break goes to the
    upper class. NaN or None scores NaN.

    Parameters
    ----------
    values
        Numbers to score.
    breaks
        Class limits in strictly increasing order.
    scores
        One score in [0, 1] per class: ``len(breaks) + 1`` of them.
    right
        Whether a value equal to a break belongs to the class below it.

    Returns
    -------
    numpy.ndarray
        Scores, shaped like ``values``.

    Examples
    --------
    >>> breaks([0.5, 1.0, 1.5, 3.0], breaks=[1, 2], scores=[1.0, 0.5, 0.0])
    array([1. , 1. , 0.5, 0. ])

    """
    return rescale(values, "breaks", breaks=breaks, scores=scores, right=right)


def _score_breaks(values: ArrayLike, p: Params) -> np.ndarray:
    x = _numbers(values, "breaks")
    classes = np.digitize(x, np.asarray(p["breaks"], dtype=float), right=p["right"])
    out = np.asarray(p["scores"], dtype=float)[classes]
    out[np.isnan(x)] = np.nan
    return out


def _breaks_relations(p: Params) -> list[str]:
    b, s = p.get("breaks"), p.get("scores")
    if b is None or s is None or _breaks_rule(b) or _scores_rule(s) or len(s) == len(b) + 1:
        return []
    return [f"breaks: parameter 'scores' must have one more entry than 'breaks' (one score per "
            f"class); found {len(b)} breaks and {len(s)} scores. Give {len(b) + 1} scores."]


def categorical(values: ArrayLike, scores: Mapping[str | int, float],
                default: float | None = None) -> np.ndarray:
    """Score category values (strings or integers) by a lookup table.

    A category listed in ``scores`` gets its score; any other category gets ``default``
    (``None``, the default, gives NaN for unlisted categories, without an error). A missing
    value (None, NaN, NaT or pandas' NA) always scores NaN. Matching is by equality: the
    string ``"1"`` and the integer ``1`` are different categories, while ``1`` and ``1.0``
    are the same.

    Parameters
    ----------
    values
        Category values.
    scores
        Mapping of category to score in [0, 1].
    default
        Score in [0, 1] for unlisted categories, or ``None`` for NaN.

    Returns
    -------
    numpy.ndarray
        Scores as floats, shaped like ``values``.

    Examples
    --------
    >>> categorical(["0101", "1107", "0301", None], {"0101": 0.3, "1107": 1.0}, default=0.0)
    array([0.3, 1. , 0. , nan])

    """
    return rescale(values, "categorical", scores=scores, default=default)


def _is_missing(value: object) -> bool:
    """None, NaN, NaT and pandas' NA (whose comparisons are themselves missing)."""
    if value is None:
        return True
    try:
        return bool(value != value)
    except TypeError:
        return True


def _score_categories(values: ArrayLike, p: Params) -> np.ndarray:
    items = np.asarray(values, dtype=object)
    table: Mapping[Any, float] = p["scores"]
    fallback = math.nan if p["default"] is None else float(p["default"])
    scored = [math.nan if _is_missing(v) else float(table.get(v, fallback)) for v in items.flat]
    return np.array(scored, dtype=float).reshape(items.shape)


_DISCRETE = (
    Transform("breaks", (
        Param("breaks", required=True, rule=_breaks_rule, doc="class limits, increasing"),
        Param("scores", required=True, rule=_scores_rule, doc="one score per class"),
        Param("right", True, rule=_bool_rule, doc="a value at a break goes to the lower class"),
    ), _score_breaks, _breaks_relations, inspect.getdoc(breaks) or ""),
    Transform("categorical", (
        Param("scores", required=True, rule=_category_scores_rule, doc="category -> score"),
        Param("default", None, rule=_optional_score_rule, doc="score of unlisted categories"),
    ), _score_categories, _no_relations, inspect.getdoc(categorical) or ""),
)

TRANSFORMS: Mapping[str, Transform] = MappingProxyType(
    {c.name: c.transform() for c in _CONTINUOUS} | {t.name: t for t in _DISCRETE}
)
"""Every transform by name: its parameters, implementation and formula."""


# --------------------------------------------------------------------------- public API

def _unknown_function(function: object) -> str:
    names = ", ".join(TRANSFORMS)
    hint = did_you_mean(function, TRANSFORMS) if isinstance(function, str) else ""
    return f"unknown transform {function!r}{hint}; expected one of: {names}."


def _problems(transform: Transform, params: Mapping[str, object]) -> list[str]:
    """Problems of a parameter set for a known transform (``None`` = not given)."""
    accepted = {p.name: p for p in transform.params}
    listing = ", ".join(accepted)
    problems = [
        f"{transform.name}: unknown parameter {name!r}{did_you_mean(name, accepted)}; "
        f"accepted parameters: {listing}."
        for name in params if name not in accepted
    ]
    for param in transform.params:
        value = params.get(param.name)
        if value is None:
            if param.required:
                problems.append(f"{transform.name}: parameter {param.name!r} is required "
                                f"({param.doc}); accepted parameters: {listing}.")
            continue
        expected = param.rule(value)
        if expected:
            problems.append(f"{transform.name}: parameter {param.name!r} must be {expected}; "
                            f"found {value!r}.")
    valid = {k: v for k, v in params.items()
             if k in accepted and v is not None and accepted[k].rule(v) is None}
    return problems + transform.relations(valid)


def parameters(function: str) -> dict[str, object]:
    """Accepted parameters of a transform and their defaults.

    Parameters
    ----------
    function
        Name of a transform (a key of :data:`TRANSFORMS`).

    Returns
    -------
    dict
        Parameter name to default value; ``None`` means derived from the data or required
        (``TRANSFORMS[function].params`` tells which).

    Raises
    ------
    ZoningError
        If ``function`` is not a known transform.

    Examples
    --------
    >>> parameters("small")
    {'midpoint': None, 'spread': 5.0, 'lower': None, 'upper': None, 'below': 0.0, 'above': 1.0}

    """
    if function not in TRANSFORMS:
        raise ZoningError(_unknown_function(function))
    return {p.name: p.default for p in TRANSFORMS[function].params}


def check(function: str, params: Mapping[str, object]) -> list[str]:
    """Every problem of a parameter set, without looking at data.

    Unknown and missing parameters, invalid values (e.g. ``spread <= 0``) and invalid
    combinations of given values (e.g. ``lower >= upper``) are all reported. A value of
    ``None`` counts as not given. Problems that depend on defaults taken from the data (for
    instance a derived ``midpoint`` that is not positive) can only be found by
    :func:`rescale`.

    Parameters
    ----------
    function
        Name of a transform.
    params
        Parameter names and values, as in a rule file.

    Returns
    -------
    list of str
        One message per problem, each naming the transform and the parameter; empty if the
        set is valid.

    Examples
    --------
    >>> for message in check("small", {"spread": 0, "lower": 5, "upper": 1}):
    ...     print(message)
    small: parameter 'spread' must be a finite number > 0; found 0.
    small: parameter 'lower' must be < 'upper'; found lower=5, upper=1. Swap or correct them.
    >>> check("large", {"midpoint": 2.0})
    []

    """
    if function not in TRANSFORMS:
        return [_unknown_function(function)]
    return _problems(TRANSFORMS[function], params)


def rescale(values: ArrayLike, function: str, **params: Any) -> np.ndarray:
    """Score values in [0, 1] (1 = most suitable) with a named transform.

    Parameters
    ----------
    values
        Input values (numbers; for ``categorical``, strings or integers). NaN or None
        scores NaN. Never modified.
    function
        Name of a transform: a key of :data:`TRANSFORMS`. Its formula and defaults are in
        ``TRANSFORMS[function].formula``; its parameters in :func:`parameters`.
    **params
        The transform's parameters; ``None`` or absent means the default.

    Returns
    -------
    numpy.ndarray
        Float scores in [0, 1] or NaN, shaped like ``values``.

    Raises
    ------
    ZoningError
        For an unknown transform, an unknown, missing or invalid parameter (the first
        message of :func:`check`), non-numeric input to a numeric transform, or defaults
        derived from the data that do not work (e.g. equal minimum and maximum).

    Examples
    --------
    >>> rescale([0.0, 5.0, 10.0], "linear")
    array([0. , 0.5, 1. ])
    >>> rescale([2.0, 4.0, float("nan")], "small", midpoint=2.0, spread=2.0, lower=0, upper=10)
    array([0.5, 0.2, nan])

    """
    problems = check(function, params)
    if problems:
        raise ZoningError(problems[0])
    transform = TRANSFORMS[function]
    resolved = {p.name: p.default if params.get(p.name) is None else params[p.name]
                for p in transform.params}
    return transform.score(values, resolved)
