"""Gravity model of corridor importance and the important/general split."""

from __future__ import annotations

import doctest
import math

import numpy as np
import pandas as pd
import pytest

from zoning.corridors import _gravity
from zoning.corridors._gravity import corridor_levels, gravity
from zoning.errors import CorridorError


@pytest.fixture
def sources() -> pd.DataFrame:
    return pd.DataFrame(
        {"area": [1e6, 4e5, 2.5e5, 9e4], "mean_resistance": [1.5, 3.0, 2.0, 4.0]},
        index=pd.Index(["A", "B", "C", "D"], name="source"),
    )


@pytest.fixture
def links() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "a": ["A", "A", "B", "C"],
            "b": ["B", "C", "C", "D"],
            "cost": [800.0, 2000.0, 500.0, 1200.0],
        },
        index=[10, 11, 12, 13],
    )


def test_hand_computed_gravity(links: pd.DataFrame, sources: pd.DataFrame) -> None:
    g = gravity(links, sources)
    assert g.name == "gravity"
    assert g.index.tolist() == [10, 11, 12, 13]
    l_max = 2000.0
    # G_AB = L_max² ln S_A ln S_B / (L_AB² P_A P_B)
    expected_ab = l_max**2 * math.log(1e6) * math.log(4e5) / (800.0**2 * 1.5 * 3.0)
    assert g[10] == pytest.approx(expected_ab)
    # the longest corridor has D = 1: G = N_A N_C
    assert g[11] == pytest.approx(math.log(1e6) / 1.5 * math.log(2.5e5) / 2.0)
    assert g.idxmax() == 12


def test_gravity_is_symmetric_in_the_ends(links: pd.DataFrame, sources: pd.DataFrame) -> None:
    swapped = links.rename(columns={"a": "b", "b": "a"})
    pd.testing.assert_series_equal(gravity(swapped, sources), gravity(links, sources))


def test_doubling_resistance_keeps_the_ranking(links: pd.DataFrame, sources: pd.DataFrame) -> None:
    g = gravity(links, sources)
    doubled = gravity(
        links.assign(cost=links["cost"] * 2),
        sources.assign(mean_resistance=sources["mean_resistance"] * 2),
    )
    pd.testing.assert_series_equal(doubled, g / 4)
    assert doubled.rank().tolist() == g.rank().tolist()


def test_larger_source_pulls_harder(links: pd.DataFrame, sources: pd.DataFrame) -> None:
    bigger = sources.assign(area=sources["area"].where(sources.index != "D", 9e6))
    g, g2 = gravity(links, sources), gravity(links, bigger)
    assert g2[13] > g[13]
    pd.testing.assert_series_equal(g2.drop(13), g.drop(13))


def test_inputs_are_not_mutated(links: pd.DataFrame, sources: pd.DataFrame) -> None:
    before = links.copy(), sources.copy()
    gravity(links, sources)
    pd.testing.assert_frame_equal(links, before[0])
    pd.testing.assert_frame_equal(sources, before[1])


BAD_INPUTS = {
    "no cost": (lambda lk, src: (lk.drop(columns="cost"), src), r"missing \['cost'\]"),
    "misspelt area": (
        lambda lk, src: (lk, src.rename(columns={"area": "areas"})),
        r"missing \['area'\] \(did you mean 'areas'\?\)",
    ),
    "zero cost": (
        lambda lk, src: (lk.assign(cost=[800.0, 0.0, 1.0, 1.0]), src),
        r"'cost' must be finite and > 0; row 11 has 0.0",
    ),
    "infinite cost": (
        lambda lk, src: (lk.assign(cost=[800.0, np.inf, 1, 1]), src),
        "'cost' must be finite",
    ),
    "unknown source": (
        lambda lk, src: (lk.assign(b=["B", "C", "C", "Z"]), src),
        r"'b' names sources that are not in sources' index: \['Z'\]",
    ),
    "self link": (
        lambda lk, src: (lk.assign(b=["B", "C", "C", "C"]), src),
        "two different sources; row 13 joins 'C' to itself",
    ),
    "tiny area": (
        lambda lk, src: (lk, src.assign(area=[1e6, 4e5, 2.5e5, 1.0])),
        r"m² and > 1 .* source 'D' has 1.0",
    ),
    "negative resistance": (
        lambda lk, src: (lk, src.assign(mean_resistance=[1, -2, 1, 1])),
        "'mean_resistance' must be finite and > 0; row 'B' has -2",
    ),
    "repeated id": (
        lambda lk, src: (lk, pd.concat([src, src.iloc[:1]])),
        r"unique; repeated ids: \['A'\]",
    ),
}


@pytest.mark.parametrize("case", BAD_INPUTS)
def test_invalid_input_is_explained(links, sources, case) -> None:
    edit, message = BAD_INPUTS[case]
    bad_links, bad_sources = edit(links, sources)
    with pytest.raises(CorridorError, match=message):
        gravity(bad_links, bad_sources)


def test_levels_by_absolute_threshold() -> None:
    g = pd.Series([10.0, 100.0, 99.9, 500.0], index=list("wxyz"), name="gravity")
    levels = corridor_levels(g, {"important": 100})
    assert levels.name == "level"
    assert levels.to_dict() == {"w": "general", "x": "important", "y": "general", "z": "important"}
    assert list(levels.cat.categories) == ["general", "important"]


def test_levels_by_quantile() -> None:
    g = pd.Series(np.arange(1.0, 11.0))
    levels = corridor_levels(g, {"important": {"quantile": 0.8}})
    assert levels[levels == "important"].index.tolist() == [8, 9]  # G >= 8.2: top 20 %
    assert (corridor_levels(g, {"important": {"quantile": 0}}) == "important").all()


@pytest.mark.parametrize(
    ("thresholds", "message"),
    [
        ({"importnt": 100}, r"exactly the key 'important'; got \['importnt'\].*did you mean"),
        ({}, "exactly the key 'important'"),
        ({"important": "high"}, "must be a finite number or"),
        ({"important": True}, "must be a finite number or"),
        ({"important": math.nan}, "must be a finite number or"),
        ({"important": {"quantile": 1.5}}, "0 <= q <= 1"),
        ({"important": {"q": 0.5}}, "0 <= q <= 1"),
    ],
)
def test_invalid_thresholds_are_explained(thresholds, message) -> None:
    with pytest.raises(CorridorError, match=message):
        corridor_levels(pd.Series([1.0, 2.0]), thresholds)


def test_quantile_of_no_corridor_is_an_error() -> None:
    with pytest.raises(CorridorError, match="at least one corridor"):
        corridor_levels(pd.Series([], dtype=float), {"important": {"quantile": 0.5}})


def test_docstring_examples_run():
    outcome = doctest.testmod(_gravity)
    assert outcome.failed == 0 and outcome.attempted > 0
