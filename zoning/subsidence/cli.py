"""``zoning subsidence predict``: probability-integral prediction from a panels file.

Writes ``subsidence.tif`` (W, m, positive down), ``tilt.tif`` and ``strain.tif`` (mm/m),
``curvature.tif`` (1/km), ``displacement.tif`` (mm), ``contours.gpkg`` (nested polygons at
the rule file's depths), ``panels.csv`` (the parameters used per panel) and
``bands.csv`` (area per depth band), into a temporary folder moved into place at the end.
"""

from __future__ import annotations

import argparse
import logging
from itertools import pairwise
from pathlib import Path

import numpy as np
import pandas as pd
import pyogrio

from zoning.errors import LayerError
from zoning.outputs import staged
from zoning.outputs.guard import check_output
from zoning.rules.models import SubsidenceRules
from zoning.rules.ruleset import default_rule_paths, load_rules
from zoning.subsidence.predict import panel_table, predict, with_overrides
from zoning.subsidence.stage import parameters
from zoning.subsidence.surface import level_polygons

logger = logging.getLogger(__name__)


def add_parser(commands: argparse._SubParsersAction) -> None:
    """Add ``subsidence predict`` to the ``zoning`` command."""
    group = commands.add_parser("subsidence", help="subsidence tools")
    tools = group.add_subparsers(dest="tool", required=True)
    p = tools.add_parser("predict", help="predict subsidence and deformation from mined panels "
                         "(probability integral method)")
    p.add_argument("panels", type=Path, help="vector file of panel polygons with thickness_m, "
                   "depth_m, dip_deg (and optionally dip_dir_deg, q, tan_beta, b, theta_deg, s_m)")
    p.add_argument("--out", type=Path, required=True, help="output folder")
    p.add_argument("--layer", help="layer of a multi-layer panels file")
    p.add_argument("--rules", type=Path, help="subsidence rule file (default: the shipped one)")
    p.add_argument("--resolution", type=float, help="cell size, m (default from the rules)")
    p.add_argument("--q", type=float, help="subsidence factor")
    p.add_argument("--tan-beta", type=float, help="tangent of the major influence angle")
    p.add_argument("--b", type=float, help="horizontal displacement coefficient")
    p.add_argument("--theta", type=float, help="propagation angle, degrees")
    p.add_argument("--s", type=float, help="inflection offset, m")
    p.add_argument("--field", action="append", default=[], metavar="NAME=FIELD",
                   help="read the engine field NAME from FIELD (e.g. thickness_m=HOUDU)")


def run(args: argparse.Namespace, progress: bool = True) -> Path:
    """Run ``subsidence predict`` and return the output folder."""
    check_output(Path(args.out), [Path(args.panels)])  # before any computation
    fields_map = dict(_pair(text) for text in args.field)
    paths = default_rule_paths()
    if args.rules:
        paths["subsidence"] = args.rules
    spec = load_rules(paths).get("subsidence", SubsidenceRules)
    params = with_overrides(parameters(spec), q=args.q, tan_beta=args.tan_beta, b=args.b,
                            theta_deg=args.theta, s_m=args.s)
    try:
        panels = pyogrio.read_dataframe(args.panels, layer=args.layer)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
        raise LayerError(f"{args.panels}: cannot read the panels ({exc})") from exc
    if panels.crs is not None and panels.crs.is_geographic:
        from zoning.crs import choose_working_crs

        x0, y0, x1, y1 = panels.total_bounds
        crs = choose_working_crs((x0 + x1) / 2, (y0 + y1) / 2)
        logger.info("%s: geographic coordinates; predicting in %s", args.panels, crs.name)
        panels = panels.to_crs(crs)
    resolution = args.resolution or spec.prediction.resolution_m
    deformation = predict(panels, params, resolution_m=resolution, fields_map=fields_map,
                          progress=progress, source=str(args.panels))
    out = Path(args.out)
    with staged(out, [Path(args.panels)]) as staging:
        deformation.write(staging)
        contours = level_polygons(deformation.subsidence, spec.contours_m)
        contours.to_file(staging / "contours.gpkg", layer="contours", driver="GPKG")
        panel_table(panels, params, fields_map, str(args.panels)).to_csv(staging / "panels.csv")
        band_areas(deformation.subsidence.values, deformation.subsidence.cell_area,
                   spec.contours_m).to_csv(staging / "bands.csv", index=False)
    return out


def band_areas(values: np.ndarray, cell_area: float, levels: list[float]) -> pd.DataFrame:
    """Area (ha) of ground in each depth band between consecutive levels."""
    rows = [{"from_m": lo, "to_m": hi,
             "area_ha": float(((values >= lo) & (values < hi)).sum() * cell_area / 10_000)}
            for lo, hi in pairwise([*levels, np.inf])]
    return pd.DataFrame(rows)


def _pair(text: str) -> tuple[str, str]:
    name, sep, field = text.partition("=")
    if not sep or not name or not field:
        raise LayerError(f"--field expects NAME=FIELD (e.g. thickness_m=HOUDU), got {text!r}")
    return name, field
