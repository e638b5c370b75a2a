"""Subsidence and deformation predicted from mined panels by the probability integral method.

Each panel adds ``W0 · ∫∫_D G`` (see :mod:`zoning.subsidence._kernel`) with

- ``W0 = m · q · cos α`` (thickness m, subsidence factor q, seam dip α);
- ``r = H / tan β`` (mean depth H, tangent of the major influence angle β);
- ``D`` the panel polygon shrunk by the inflection offset ``s`` on every side and, for a
  dipping seam, moved down-dip by ``H / tan θ`` (θ the propagation angle, by default
  ``90° − k·α``), which is where the basin's centre lies above an inclined panel.

Tilt is the gradient of W, curvature its Hessian; horizontal displacement is
``U = b · r · ∇W`` and horizontal strain ``ε = b · r · ∇∇W`` (b the horizontal
displacement coefficient), summed over panels with each panel's own r. Reported values
are the magnitude of the tilt and of the displacement, and for curvature and strain the
principal value of larger magnitude, with its sign (+ convex / tension, − concave /
compression).

Simplifications, stated: one influence radius per panel (from its mean depth) rather than
separate up-dip and down-dip radii; the down-dip shift applies to the whole panel.

Examples
--------
>>> import geopandas as gpd, shapely
>>> panel = gpd.GeoDataFrame({"thickness_m": [3.0], "depth_m": [400.0], "dip_deg": [0.0]},
...                          geometry=[shapely.box(0, 0, 2000, 2000)], crs="EPSG:4548")
>>> d = predict(panel, PimParameters(q=0.8, s_ratio=0.0), resolution_m=50)
>>> round(float(d.subsidence.values.max()), 3)
2.4
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, fields, replace
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from affine import Affine
from tqdm import tqdm

from zoning.errors import LayerError, did_you_mean
from zoning.layers.grid import Grid, GridSpec, snapped_grid
from zoning.subsidence._kernel import REACH, FloatArray, polygon_influence

logger = logging.getLogger(__name__)

REQUIRED_FIELDS = ("thickness_m", "depth_m", "dip_deg")
"""Panel fields every panel must carry (mining thickness, mean depth, seam dip)."""
OPTIONAL_FIELDS = ("dip_dir_deg", "q", "tan_beta", "b", "theta_deg", "s_m")
"""Panel fields that, when present and not empty, override the defaults per panel."""


@dataclass(frozen=True)
class PimParameters:
    """Probability-integral parameters; per-panel fields of the same names override them.

    Attributes
    ----------
    q
        Subsidence factor (W0 = m · q · cos α).
    tan_beta
        Tangent of the major influence angle (r = H / tan β).
    b
        Horizontal displacement coefficient (U = b · r · tilt).
    theta_deg
        Propagation angle θ in degrees; None: ``90 − theta_k · dip``.
    theta_k
        k of the default propagation angle.
    s_m
        Inflection offset in metres; None: ``s_ratio · H``.
    s_ratio
        Inflection offset as a fraction of the mean depth H.
    """

    q: float = 0.9
    tan_beta: float = 2.0
    b: float = 0.3
    theta_deg: float | None = None
    theta_k: float = 0.68
    s_m: float | None = None
    s_ratio: float = 0.05

    def __post_init__(self) -> None:
        checks = {"q": self.q > 0, "tan_beta": self.tan_beta > 0, "b": self.b >= 0,
                  "s_ratio": 0 <= self.s_ratio < 1, "theta_k": self.theta_k >= 0}
        if self.theta_deg is not None:
            checks["theta_deg"] = 0 < self.theta_deg <= 90
        if self.s_m is not None:
            checks["s_m"] = self.s_m >= 0
        bad = [f"{name}={getattr(self, name)}" for name, ok in checks.items() if not ok]
        if bad:
            raise ValueError(f"probability-integral parameters out of range: {', '.join(bad)} "
                             "(q, tan_beta > 0; b, s_m >= 0; 0 < theta_deg <= 90; "
                             "0 <= s_ratio < 1)")


@dataclass(frozen=True)
class Deformation:
    """Predicted surface movement on one grid.

    Attributes
    ----------
    subsidence
        W in metres, positive down.
    tilt
        Magnitude of the tilt, mm/m.
    curvature
        Principal curvature of larger magnitude, 1/km (+ convex).
    strain
        Principal horizontal strain of larger magnitude, mm/m (+ tension).
    displacement
        Magnitude of the horizontal displacement, mm.
    """

    subsidence: Grid
    tilt: Grid
    curvature: Grid
    strain: Grid
    displacement: Grid

    def grids(self) -> dict[str, Grid]:
        """The five grids by file stem (``subsidence``, ``tilt``, ...)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def write(self, folder: Path) -> dict[str, Path]:
        """Write each grid as ``<name>.tif`` into ``folder``."""
        folder.mkdir(parents=True, exist_ok=True)
        return {name: grid.write(folder / f"{name}.tif") for name, grid in self.grids().items()}


@dataclass(frozen=True)
class _Panel:
    polygon: shapely.Polygon | shapely.MultiPolygon
    w0: float
    r: float
    br: float


def panel_table(panels: gpd.GeoDataFrame, params: PimParameters,
                fields_map: dict[str, str] | None = None, source: str = "panels") -> pd.DataFrame:
    """Per-panel values actually used: W0, r, s, θ, shift, with overrides applied.

    Parameters
    ----------
    panels
        Panel polygons in a projected CRS with the fields of :data:`REQUIRED_FIELDS`.
    params
        Defaults for what the panels do not carry.
    fields_map
        ``{engine name: field name}`` when the layer names them differently.
    source
        Name of the layer in error messages.

    Raises
    ------
    LayerError
        Naming the missing fields (with the closest existing names) or the bad values.
    """
    rename = {v: k for k, v in (fields_map or {}).items()}
    frame = panels.rename(columns=rename)
    missing = [f for f in REQUIRED_FIELDS if f not in frame.columns]
    if missing:
        hints = "; ".join(f"{f!r}{did_you_mean(f, list(panels.columns))}" for f in missing)
        raise LayerError(f"{source}: panel field(s) missing: {hints}; map the layer's names "
                         "in project.yaml (layers.panels.fields: {thickness_m: HOUDU}) or, "
                         "on the command line, with --field thickness_m=HOUDU")
    if frame.crs is None or frame.crs.is_geographic:
        raise LayerError(f"{source}: panels need a projected CRS in metres (found "
                         f"{'none' if frame.crs is None else frame.crs.name})")
    values = pd.DataFrame(index=frame.index)
    for name in (*REQUIRED_FIELDS, *OPTIONAL_FIELDS):
        if name in frame.columns:
            values[name] = pd.to_numeric(frame[name], errors="coerce")
    bad = ~np.isfinite(values[list(REQUIRED_FIELDS)]).all(axis=1) | np.isinf(values).any(axis=1)
    bad |= (values["thickness_m"] <= 0) | (values["depth_m"] <= 0)
    bad |= ~values["dip_deg"].between(0, 89.9)
    if bad.any():
        rows = ", ".join(str(i) for i in values.index[bad][:5])
        raise LayerError(f"{source}: {int(bad.sum())} panel(s) with missing or impossible "
                         "thickness_m/depth_m/dip_deg (need finite numbers > 0, > 0, 0-90) "
                         f"or infinite {'/'.join(OPTIONAL_FIELDS)}, e.g. rows {rows}")

    def per_panel(name: str, default: float | None) -> pd.Series:
        given = values[name] if name in values else pd.Series(np.nan, index=values.index)
        return given.fillna(np.nan if default is None else default)

    dip = values["dip_deg"]
    out = pd.DataFrame(index=frame.index)
    out["q"] = per_panel("q", params.q)
    out["tan_beta"] = per_panel("tan_beta", params.tan_beta)
    out["b"] = per_panel("b", params.b)
    out["w0_m"] = values["thickness_m"] * out["q"] * np.cos(np.radians(dip))
    out["r_m"] = values["depth_m"] / out["tan_beta"]
    out["s_m"] = per_panel("s_m", params.s_m).fillna(params.s_ratio * values["depth_m"])
    theta = per_panel("theta_deg", params.theta_deg).fillna(90 - params.theta_k * dip)
    out["theta_deg"] = theta
    shift = np.where(dip > 0, values["depth_m"] / np.tan(np.radians(theta)), 0.0)
    direction = per_panel("dip_dir_deg", None)
    unknown = (shift > 0) & direction.isna()
    if unknown.any():
        logger.warning("%s: %d dipping panel(s) have no dip_dir_deg; their basins are not "
                       "shifted down-dip", source, int(unknown.sum()))
    out["shift_m"] = np.where(unknown, 0.0, shift)
    out["dip_dir_deg"] = direction
    return out


def _panels(panels: gpd.GeoDataFrame, table: pd.DataFrame) -> list[_Panel]:
    out = []
    for geom, row in zip(panels.geometry.values, table.itertuples(), strict=True):
        shrunk = shapely.buffer(geom, -row.s_m, join_style="mitre") if row.s_m > 0 else geom
        if shrunk.is_empty:
            logger.warning("panel %s is narrower than twice the inflection offset (%.0f m); "
                           "it is left out", row.Index, row.s_m)
            continue
        if row.shift_m > 0:
            azimuth = np.radians(row.dip_dir_deg)
            shrunk = shapely.affinity.translate(shrunk, row.shift_m * np.sin(azimuth),
                                                row.shift_m * np.cos(azimuth))
        out.append(_Panel(shrunk, row.w0_m, row.r_m, row.b * row.r_m))
    return out


def grid_for(panels: gpd.GeoDataFrame, table: pd.DataFrame,
             resolution_m: float) -> GridSpec:
    """A north-up grid covering every panel's basin (panel plus REACH · r), snapped."""
    bounds = panels.geometry.bounds
    margin = REACH * table["r_m"] + table["shift_m"]
    return snapped_grid(((bounds["minx"] - margin).min(), (bounds["miny"] - margin).min(),
                         (bounds["maxx"] + margin).max(), (bounds["maxy"] + margin).max()),
                        resolution_m)


def predict(panels: gpd.GeoDataFrame, params: PimParameters | None = None, *,
            resolution_m: float = 10.0, grid: GridSpec | None = None,
            fields_map: dict[str, str] | None = None, progress: bool = False,
            source: str = "panels") -> Deformation:
    """Predict subsidence, tilt, curvature, strain and displacement from mined panels.

    Parameters
    ----------
    panels
        Panel polygons (any shape; holes allowed) in a projected CRS with
        ``thickness_m``, ``depth_m``, ``dip_deg`` and optionally the fields of
        :data:`OPTIONAL_FIELDS`.
    params
        Default parameters (:class:`PimParameters`).
    resolution_m
        Cell size when ``grid`` is not given.
    grid
        ``(transform, (rows, columns))`` of a north-up grid to predict on; default a grid
        covering every basin.
    fields_map
        ``{engine name: field name}`` for panels whose fields are named differently.
    progress
        Show a progress bar over the panels.
    source
        Name of the layer in messages.

    Returns
    -------
    Deformation
    """
    params = params or PimParameters()
    table = panel_table(panels, params, fields_map, source)
    transform, shape = grid or grid_for(panels, table, resolution_m)
    acc = {k: np.zeros(shape) for k in ("w", "gx", "gy", "hxx", "hxy", "hyy",
                                        "ux", "uy", "exx", "exy", "eyy")}
    for panel in tqdm(_panels(panels, table), desc="panels", unit="panel", disable=not progress):
        window = _window(panel, transform, shape)
        if window is None:
            continue
        (r0, r1), (c0, c1) = window
        sub = transform @ Affine.translation(c0, r0)
        inf = polygon_influence(panel.polygon, panel.r, sub, (r1 - r0, c1 - c0))
        part = np.s_[r0:r1, c0:c1]
        for key in ("w", "gx", "gy", "hxx", "hxy", "hyy"):
            acc[key][part] += panel.w0 * getattr(inf, key)
        for key, src in (("ux", "gx"), ("uy", "gy"), ("exx", "hxx"), ("exy", "hxy"),
                         ("eyy", "hyy")):
            acc[key][part] += panel.br * panel.w0 * getattr(inf, src)
    crs = panels.crs

    def grid_of(values: FloatArray) -> Grid:
        return Grid(values, transform, crs)

    return Deformation(
        subsidence=grid_of(acc["w"]),
        tilt=grid_of(1000 * np.hypot(acc["gx"], acc["gy"])),
        curvature=grid_of(1000 * principal(acc["hxx"], acc["hxy"], acc["hyy"])),
        strain=grid_of(1000 * principal(acc["exx"], acc["exy"], acc["eyy"])),
        displacement=grid_of(1000 * np.hypot(acc["ux"], acc["uy"])),
    )


def principal(a: FloatArray, b: FloatArray, c: FloatArray) -> FloatArray:
    """Eigenvalue of larger magnitude of the symmetric 2×2 tensors [[a, b], [b, c]]."""
    mean = (a + c) / 2
    radius = np.hypot((a - c) / 2, b)
    return np.where(mean >= 0, mean + radius, mean - radius)


def _window(panel: _Panel, transform: Affine,
            shape: tuple[int, int]) -> tuple[tuple[int, int], tuple[int, int]] | None:
    """Rows and columns of the grid within REACH · r of the panel, or None if outside."""
    minx, miny, maxx, maxy = panel.polygon.bounds
    reach = REACH * panel.r
    inverse = ~transform
    c_lo, r_lo = inverse @ (minx - reach, maxy + reach)
    c_hi, r_hi = inverse @ (maxx + reach, miny - reach)
    r0, r1 = max(int(np.floor(r_lo)), 0), min(int(np.ceil(r_hi)), shape[0])
    c0, c1 = max(int(np.floor(c_lo)), 0), min(int(np.ceil(c_hi)), shape[1])
    if r0 >= r1 or c0 >= c1:
        return None
    return (r0, r1), (c0, c1)


def with_overrides(params: PimParameters, **given: float | None) -> PimParameters:
    """``params`` with the given (not None) values replaced, e.g. from CLI options."""
    return replace(params, **{k: v for k, v in given.items() if v is not None})
