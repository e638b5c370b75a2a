"""Gravity model of the interaction between ecological sources, to rank corridors.

Following Kong et al. (2010, Landscape and Urban Planning 95:16-27)::

    G_ab = N_a N_b / D_ab² = (L_max² · ln S_a · ln S_b) / (L_ab² · P_a · P_b)

with ``N = ln(S) / P`` the weight of a source (``S`` its area, ``P`` its mean
resistance), ``D_ab = L_ab / L_max`` the normalised corridor resistance, ``L_ab`` the
cumulative resistance (least-cost distance) of corridor ``a``-``b`` and ``L_max`` the
largest ``L`` over the corridors ranked together. ``S`` is in **square metres**: ``ln S``
must be positive, so a source of 1 m² or less is an error rather than a negative or
zero weight.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pandas as pd

from zoning.errors import CorridorError, did_you_mean

FROM, TO, COST = "a", "b", "cost"
AREA, MEAN_RESISTANCE = "area", "mean_resistance"
GRAVITY, LEVEL = "gravity", "level"
IMPORTANT, GENERAL = "important", "general"
QUANTILE = "quantile"


def gravity(links: pd.DataFrame, sources: pd.DataFrame) -> pd.Series:
    """Gravity ``G_ab`` of every corridor between two sources.

    Parameters
    ----------
    links
        One row per corridor with columns ``a``, ``b`` (source ids) and ``cost``
        (``L_ab``, the corridor's cumulative resistance, > 0).
    sources
        Indexed by source id, with ``area`` (m², > 1) and ``mean_resistance`` (> 0).

    Returns
    -------
    pandas.Series
        ``gravity``, indexed like ``links``. Scaling every resistance by the same
        factor scales every ``G`` alike, so the ranking is unchanged.

    Raises
    ------
    CorridorError
        On a missing column, an unknown source id, a link from a source to itself, a
        non-positive or non-finite cost,
        an area of 1 m² or less, or a non-positive mean resistance.

    Examples
    --------
    >>> import pandas as pd
    >>> links = pd.DataFrame({"a": [1, 1], "b": [2, 3], "cost": [100.0, 200.0]})
    >>> sources = pd.DataFrame({"area": [1e4, 1e4, 1e4], "mean_resistance": [1.0, 1.0, 2.0]},
    ...                        index=[1, 2, 3])
    >>> gravity(links, sources).round(2).tolist()
    [339.32, 42.42]

    """
    _require(links, (FROM, TO, COST), "links")
    _require(sources, (AREA, MEAN_RESISTANCE), "sources")
    cost = _positive(links[COST], "links", COST)
    weight = _source_weights(sources)
    for end in (FROM, TO):
        unknown = ~links[end].isin(weight.index)
        if unknown.any():
            raise CorridorError(
                f"links column {end!r} names sources that are not in sources' index: "
                f"{sorted(links.loc[unknown, end].unique().tolist())}"
            )
    loops = links[FROM] == links[TO]
    if loops.any():
        raise CorridorError(
            f"links must join two different sources; row {_plain(links.index[loops][0])!r} "
            f"joins {_plain(links.loc[loops, FROM].iloc[0])!r} to itself"
        )
    n_a = weight.loc[links[FROM]].to_numpy()
    n_b = weight.loc[links[TO]].to_numpy()
    normalised = cost.to_numpy() / cost.max()
    return pd.Series(n_a * n_b / normalised**2, index=links.index, name=GRAVITY)


def corridor_levels(g: pd.Series, thresholds: Mapping[str, object]) -> pd.Series:
    """Split corridors into ``important`` (``G >= threshold``) and ``general``.

    Parameters
    ----------
    g
        Gravity values, as returned by :func:`gravity`.
    thresholds
        From a rule file: ``{"important": 100}`` (an absolute ``G``) or
        ``{"important": {"quantile": 0.8}}`` (the top 20 % of corridors).

    Returns
    -------
    pandas.Series
        ``level``, categorical ``general``/``important``, indexed like ``g``.

    Raises
    ------
    CorridorError
        On a key other than ``important``, or a threshold that is not a finite number
        or a ``{"quantile": q}`` with ``0 <= q <= 1``.

    Examples
    --------
    >>> import pandas as pd
    >>> g = pd.Series([5.0, 50.0, 500.0], name="gravity")
    >>> corridor_levels(g, {"important": 100}).tolist()
    ['general', 'general', 'important']
    >>> corridor_levels(g, {"important": {"quantile": 0.5}}).tolist()
    ['general', 'important', 'important']

    """
    cut = _threshold(g, thresholds)
    levels = np.where(g.to_numpy() >= cut, IMPORTANT, GENERAL)
    return pd.Series(
        pd.Categorical(levels, categories=[GENERAL, IMPORTANT], ordered=True),
        index=g.index,
        name=LEVEL,
    )


def _threshold(g: pd.Series, thresholds: Mapping[str, object]) -> float:
    extra = [key for key in thresholds if key != IMPORTANT]
    if extra or IMPORTANT not in thresholds:
        hint = did_you_mean(extra[0], [IMPORTANT]) if extra else ""
        raise CorridorError(
            f"corridor thresholds must have exactly the key {IMPORTANT!r}; "
            f"got {sorted(thresholds)}{hint}"
        )
    value = thresholds[IMPORTANT]
    if isinstance(value, Mapping):
        return _quantile(g, value)
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    raise CorridorError(
        f"thresholds[{IMPORTANT!r}] must be a finite number or {{{QUANTILE!r}: q}}; got {value!r}"
    )


def _quantile(g: pd.Series, spec: Mapping[str, object]) -> float:
    q = spec.get(QUANTILE)
    if set(spec) != {QUANTILE} or not isinstance(q, int | float) or not 0 <= q <= 1:
        raise CorridorError(
            f"a quantile threshold must be {{{QUANTILE!r}: q}} with 0 <= q <= 1; got {dict(spec)}"
        )
    if g.empty:
        raise CorridorError("a quantile threshold needs at least one corridor; got none")
    return float(np.quantile(g.to_numpy(), q))


def _source_weights(sources: pd.DataFrame) -> pd.Series:
    """``N = ln(S) / P`` of every source."""
    if not sources.index.is_unique:
        dup = sources.index[sources.index.duplicated()].unique().tolist()
        raise CorridorError(f"sources' index must be unique; repeated ids: {dup}")
    area = _positive(sources[AREA], "sources", AREA)
    small = area <= 1
    if small.any():
        raise CorridorError(
            f"sources' area must be in m² and > 1 (ln S must be > 0); "
            f"source {_plain(area.index[small][0])!r} has {_plain(area[small].iloc[0])}"
        )
    return np.log(area) / _positive(sources[MEAN_RESISTANCE], "sources", MEAN_RESISTANCE)


def _positive(values: pd.Series, table: str, column: str) -> pd.Series:
    v = pd.to_numeric(values, errors="coerce").astype(float)
    bad = ~(np.isfinite(v) & (v > 0))
    if bad.any():
        raise CorridorError(
            f"{table} column {column!r} must be finite and > 0; "
            f"row {_plain(v.index[bad][0])!r} has {_plain(values[bad].iloc[0])!r}"
        )
    return v


def _require(frame: pd.DataFrame, columns: tuple[str, ...], name: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        hints = "".join(did_you_mean(c, map(str, frame.columns)) for c in missing)
        raise CorridorError(
            f"{name} must have columns {list(columns)}; missing {missing}{hints}"
        )


def _plain(value: object) -> object:
    """A numpy scalar as the Python number it holds, for readable messages."""
    return value.item() if isinstance(value, np.generic) else value
