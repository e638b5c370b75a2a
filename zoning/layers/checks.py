"""Checks of the numbers in the inputs: no silent NaN, infinity, text or wrong sign.

Every check returns :class:`~zoning.errors.Problem` s naming the file, the field and the
count, with example rows, or logs a warning (with the count and what the engine does
instead) where a value can reasonably be missing. Nothing here reads a file or changes a
layer.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from zoning.errors import Problem
from zoning.layers.grid import Grid

logger = logging.getLogger(__name__)

_SHOWN = 5
"""How many example rows a message shows."""


def _plain(value: object) -> object:
    return value.item() if isinstance(value, np.generic) else value


def _examples(labels: pd.Index, raw: pd.Series, bad: np.ndarray, word: str) -> str:
    """``"<word> <label>: <value>"`` for the first few bad rows."""
    shown = [f"{word} {label}: {_plain(value)!r}" for label, value in
             zip(labels[bad][:_SHOWN], raw.to_numpy()[bad][:_SHOWN], strict=True)]
    more = "" if int(bad.sum()) <= _SHOWN else ", ..."
    return ", ".join(shown) + more


def numbers(raw: pd.Series) -> np.ndarray:
    """``raw`` as float64: text that is not a number and missing values give NaN."""
    return pd.to_numeric(raw, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)


def value_problems(where: str, source: Path | str, field: str, raw: pd.Series, *,
                   word: str = "row", missing_ok: str | None = None,
                   used_by: str = "", count_missing: bool = True) -> list[Problem]:
    """Text, missing and infinite values of a numeric field.

    Parameters
    ----------
    where
        The project-file key or field the problems are located at.
    source, field
        The file and its field, for the messages.
    raw
        The field's values as read, indexed by what ``word`` names (rows, parcels).
    missing_ok
        When given, missing values are only logged as a warning saying this (what the
        engine does instead); else they are a problem.
    used_by
        What uses the field, appended to the messages (e.g. a rule).
    count_missing
        False: missing values are left to whoever knows which rows they matter on (a stage
        counting them among the parcels its rules apply to); text and infinity still count.
    """
    values = numbers(raw)
    missing = (raw.isna() | (raw.astype(str).str.strip() == "")).to_numpy()
    text = ~missing & np.isnan(values)
    missing = missing & count_missing
    infinite = np.isinf(values)
    n = len(raw)
    use = f"; used by {used_by}" if used_by else ""
    problems = []
    if text.any():
        problems.append(Problem(where, (
            f"{source}: {int(text.sum())} of {n} value(s) of {field!r} are not numbers "
            f"({_examples(raw.index, raw, text, word)}){use}; write plain numbers (a dot for "
            "decimals, no units or letters), or leave the value empty")))
    if infinite.any():
        problems.append(Problem(where, (
            f"{source}: {int(infinite.sum())} of {n} value(s) of {field!r} are infinite "
            f"({_examples(raw.index, raw, infinite, word)}){use}; infinity is no measurement: "
            "write the real value, or leave it empty")))
    if missing.any() and missing_ok is None:
        problems.append(Problem(where, (
            f"{source}: {int(missing.sum())} of {n} value(s) of {field!r} are missing (NaN or "
            f"empty) ({_examples(raw.index, raw, missing, word)}){use}; every {word} needs a "
            "number here, so fill them in or remove those features")))
    elif missing.any():
        logger.warning("%s: %d of %d value(s) of %r are missing (e.g. %s %s)%s; %s", source,
                       int(missing.sum()), n, field, word,
                       ", ".join(str(v) for v in raw.index[missing][:_SHOWN]), use, missing_ok)
    return problems


def negative_problem(where: str, source: Path | str, field: str, raw: pd.Series,
                     values: np.ndarray, what: str, hint: str, *,
                     word: str = "row") -> list[Problem]:
    """A problem for the values below 0 of a quantity that cannot be negative."""
    bad = values < 0
    if not bad.any():
        return []
    return [Problem(where, (
        f"{source}: {int(bad.sum())} of {len(values)} value(s) of {field!r} are negative "
        f"({_examples(raw.index, raw, bad, word)}); {what} cannot be negative; {hint}"))]


def sign_warning(source: Path | str, field: str, depths: np.ndarray, declared: str) -> None:
    """Warn when most non-zero depths (positive down, after the sign) point upward."""
    nonzero = depths[np.isfinite(depths) & (depths != 0)]
    up = int((nonzero < 0).sum())
    if nonzero.size and up > nonzero.size / 2:
        other = "down_negative" if declared == "down_positive" else "down_positive"
        logger.warning(
            "%s: %d of %d non-zero value(s) of %r are uplift under the declared sign %s "
            "(the engine counts uplift as no subsidence); if the data use the other "
            "convention, set `sign: %s` on layers.subsidence", source, up, nonzero.size, field,
            declared, other)


def raster_problems(where: str, source: Path | str, grid: Grid,
                    parcels: gpd.GeoDataFrame) -> list[Problem]:
    """A raster without a value over the parcels' extent, or with infinite cells."""
    values = grid.values
    problems = []
    infinite = np.isinf(values)
    if infinite.any():
        problems.append(Problem(where, (
            f"{source}: {int(infinite.sum())} cell(s) are infinite; mark missing cells as the "
            "raster's nodata instead, or write their real value")))
    window = _window(grid, parcels)
    finite = np.isfinite(window)
    if not finite.any():
        what = "every cell is nodata or NaN" if not np.isfinite(values).any() else (
            "no cell over the parcels has a value (nodata or NaN there)")
        problems.append(Problem(where, (
            f"{source}: {what} ({window.size} cell(s) over the parcels' extent "
            f"{np.round(parcels.total_bounds).tolist()}); the engine would read nothing from "
            "it, so check its nodata value and that it covers the parcels")))
    return problems


def _window(grid: Grid, parcels: gpd.GeoDataFrame) -> np.ndarray:
    """The cells of ``grid`` inside the parcels' bounding box."""
    rows, cols = grid.values.shape
    inverse = ~grid.transform
    minx, miny, maxx, maxy = parcels.total_bounds
    xs, ys = inverse @ (np.array([minx, maxx, minx, maxx]), np.array([miny, miny, maxy, maxy]))
    c0, c1 = (int(np.clip(np.floor(min(xs)), 0, cols)), int(np.clip(np.ceil(max(xs)), 0, cols)))
    r0, r1 = (int(np.clip(np.floor(min(ys)), 0, rows)), int(np.clip(np.ceil(max(ys)), 0, rows)))
    return grid.values[r0:r1, c0:c1]


def parcel_geometry_problem(source: Path | str, geoms: gpd.GeoSeries,
                            polygonal: Sequence[str]) -> Problem | None:
    """One problem for a parcel layer with no features, or with non-polygon geometries."""
    if len(geoms) == 0:
        return Problem("layers.parcels", (
            f"parcel layer {source} has no features; check the file, its layer name and "
            "`select` in project.yaml"))
    kinds = pd.Series(shapely.get_type_id(geoms.values)).map(_TYPE_NAMES)
    wrong = ~kinds.isin([*polygonal, "missing"])
    if not wrong.any():
        return None
    found = ", ".join(f"{n} {k}" for k, n in kinds[wrong].value_counts().items())
    return Problem("layers.parcels", (
        f"parcel layer {source} must hold Polygon or MultiPolygon geometries, found {found}; "
        "parcels are areas: give the land-survey patches (图斑), not their points or "
        "boundary lines"))


_TYPE_NAMES = {-1: "missing", 0: "Point", 1: "LineString", 2: "LinearRing", 3: "Polygon",
               4: "MultiPoint", 5: "MultiLineString", 6: "MultiPolygon",
               7: "GeometryCollection"}


def null_code_problem(source: Path | str, field: str, codes: pd.Series) -> Problem | None:
    """A problem for parcels without a land-use code (null or blank)."""
    blank = (codes.isna() | (codes.astype(str).str.strip() == "")).to_numpy()
    if not blank.any():
        return None
    ids = ", ".join(str(v) for v in codes.index[blank][:_SHOWN])
    return Problem(f"{source}:{field}", (
        f"{int(blank.sum())} of {len(codes)} parcel(s) have no land-use code in {field!r} "
        f"(parcels {ids}); every parcel needs a code of rules/landuse.yaml, so fill them in"))
