r"""``zoning circuitscape CONFIG.ini``: run a Circuitscape INI file (raster data, all modes).

Output files carry Circuitscape's names: ``<stem>_resistances.out`` and
``_resistances_3columns.out``, ``_curmap_<i>_<j>.asc``, ``_voltmap_<i>_<j>.asc``,
``_cum_curmap.asc``, ``_max_curmap.asc`` (pairwise); ``_curmap_<id>.asc`` and
``_voltmap_<id>.asc`` (one-to-all, all-to-one); ``_curmap.asc`` and ``_voltmap.asc``
(advanced), where ``<stem>`` is ``output_file`` without ``.out``. They are written to a
temporary folder and moved into place at the end, so a failed run leaves none behind.

Examples
--------
>>> from pathlib import Path
>>> import tempfile
>>> import numpy as np
>>> from zoning.corridors._ascgrid import GridMeta, write_grid
>>> folder = Path(tempfile.mkdtemp())
>>> meta = GridMeta(ncols=3, nrows=1, xllcorner=0.0, yllcorner=0.0, cellsize=1.0)
>>> write_grid(folder / "r.asc", np.ones((1, 3)), meta)
>>> write_grid(folder / "p.asc", np.array([[1.0, 0, 2]]), meta)
>>> _ = (folder / "run.ini").write_text(
...     "[x]\nscenario = pairwise\nhabitat_file = r.asc\npoint_file = p.asc\n"
...     "connect_four_neighbors_only = True\nconnect_using_avg_resistances = True\n"
...     f"output_file = {folder}/out/run.out\n")
>>> paths = run_config(read_config(folder / "run.ini"))
>>> (folder / "out" / "run_resistances.out").read_text()
'0 1 2\n1 0 2\n2 2 0\n'
"""

from __future__ import annotations

import argparse
import logging
import shutil
import tempfile
from dataclasses import replace
from pathlib import Path

import numpy as np

from zoning.corridors._ascgrid import DEFAULT_NODATA, format_number, write_grid
from zoning.corridors._circuit import PairSolution, solve_pairwise
from zoning.corridors._circuit_graph import conductance_grid
from zoning.corridors._circuit_sources import Injection, advanced, solve_each
from zoning.corridors._circuitscape_ini import Config, Inputs, read_config, read_inputs
from zoning.errors import CorridorError

__all__ = ["add_parser", "read_config", "run", "run_config"]

logger = logging.getLogger(__name__)


def add_parser(commands: argparse._SubParsersAction) -> None:
    """Add ``circuitscape CONFIG.ini`` to the ``zoning`` command."""
    p = commands.add_parser("circuitscape", help="run a Circuitscape INI file (raster: "
                            "pairwise, one-to-all, all-to-one, advanced)")
    p.add_argument("config", type=Path, help="Circuitscape .ini file")
    p.add_argument("--out", type=Path, help="output folder (default: output_file's folder, "
                   "relative to the current folder)")


def run(args: argparse.Namespace, progress: bool = True) -> int:
    """Run ``zoning circuitscape``; returns the exit code (0)."""
    config = read_config(args.config, getattr(args, "out", None))
    paths = run_config(config, progress=progress)
    logger.info("%d files written to %s", len(paths), config.output_stem.parent)
    return 0


def run_config(config: Config, progress: bool = False) -> list[Path]:
    """Run a parsed configuration and write its outputs; returns the files written."""
    inputs = read_inputs(config)
    folder = config.output_stem.parent
    folder.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{config.output_stem.name}-", dir=folder))
    try:
        writer = _Writer(config, inputs, staging)
        try:
            cond = conductance_grid(inputs.habitat, is_resistance=config.habitat_is_resistance)
        except CorridorError as exc:
            raise CorridorError(f"{config.habitat_file}: {exc}") from exc
        _MODES[config.scenario](config, inputs, cond, writer, progress)
        written = []
        for tmp in sorted(staging.iterdir()):
            target = folder / tmp.name
            tmp.replace(target)
            written.append(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return written


class _Writer:
    """Writes grids and tables under the staging folder with Circuitscape's names."""

    def __init__(self, config: Config, inputs: Inputs, folder: Path) -> None:
        self.config, self.folder = config, folder
        self.null = ~(np.nan_to_num(inputs.habitat, nan=0.0) > 0)
        meta = inputs.meta
        self.meta = meta if meta.nodata is not None else replace(meta, nodata=DEFAULT_NODATA)
        if config.write_as_tif:
            self.suffix = ".tif"
        else:
            self.suffix = ".asc.gz" if config.compress_grids else ".asc"

    def name(self, kind: str) -> Path:
        return self.folder / f"{self.config.output_stem.name}_{kind}"

    def currents(self, kind: str, values: np.ndarray) -> None:
        out = values
        if self.config.log_transform_maps:
            with np.errstate(divide="ignore", invalid="ignore"):
                out = np.where(out > 0, np.log10(np.where(out > 0, out, 1.0)), np.nan)
        if self.config.null_currents_to_nodata:
            out = np.where(self.null, np.nan, out)
        write_grid(self.name(kind + self.suffix), out, self.meta)

    def voltages(self, kind: str, values: np.ndarray) -> None:
        out = np.where(self.null, np.nan, values) if self.config.null_voltages_to_nodata \
            else values
        write_grid(self.name(kind + self.suffix), out, self.meta)

    def table(self, kind: str, rows: np.ndarray) -> None:
        text = "".join(" ".join(format_number(x) for x in row) + "\n" for row in rows)
        self.name(kind).write_text(text, encoding="utf-8")


def _wants_current(config: Config) -> bool:
    return config.write_cur_maps or config.write_cum_cur_map_only


def _run_pairwise(config: Config, inputs: Inputs, cond: np.ndarray, writer: _Writer,
                  progress: bool) -> None:
    cum, peak = np.zeros(cond.shape), np.zeros(cond.shape)
    per_pair_currents = config.write_cur_maps and not config.write_cum_cur_map_only

    def on_pair(pair: PairSolution) -> None:
        name = f"{pair.a}_{pair.b}"
        if config.write_volt_maps:
            writer.voltages(f"voltmap_{name}", pair.voltages())
        if _wants_current(config) or config.write_max_cur_maps:
            current = pair.currents()
            cum[...] += current
            np.maximum(peak, current, out=peak)
            if per_pair_currents:
                writer.currents(f"curmap_{name}", current)

    if not inputs.focal:
        raise CorridorError(f"{config.point_file}: no focal points (ids > 0) found")
    ids, matrix = solve_pairwise(cond, inputs.focal, on_pair=on_pair, connect=config.connect,
                                 average=config.average, polygons=inputs.polygons,
                                 pairs=inputs.pairs, progress=progress, solver=config.solver)
    table = np.vstack([np.concatenate([[0], ids]), np.column_stack([ids, matrix])])
    writer.table("resistances.out", table)
    three = [(a, b, matrix[i, j]) for i, a in enumerate(ids) for j, b in enumerate(ids) if i < j]
    writer.table("resistances_3columns.out", np.array(three, dtype=float).reshape(-1, 3))
    if _wants_current(config):
        writer.currents("cum_curmap", cum)
    if config.write_max_cur_maps:
        writer.currents("max_curmap", peak)


def _run_each(config: Config, inputs: Inputs, cond: np.ndarray, writer: _Writer,
              progress: bool) -> None:
    per_id_currents = config.write_cur_maps and not config.write_cum_cur_map_only

    def on_solve(focal_id: int, result: Injection) -> None:
        if config.write_volt_maps:
            writer.voltages(f"voltmap_{focal_id}", result.grid(result.voltages))
        if per_id_currents:
            writer.currents(f"curmap_{focal_id}", result.grid(result.currents))

    if not inputs.focal:
        raise CorridorError(f"{config.point_file}: no focal points (ids > 0) found")
    out = solve_each(cond, inputs.focal, one_to_all=config.scenario == "one-to-all",
                     strengths=inputs.strengths, pairs=inputs.pairs, connect=config.connect,
                     average=config.average, polygons=inputs.polygons, maps=False,
                     progress=progress, solver=config.solver, on_solve=on_solve)
    writer.table("resistances.out", np.column_stack([out.ids, out.resistances.to_numpy()]))
    if _wants_current(config):
        writer.currents("cum_curmap", out.cumulative)
        if config.write_max_cur_maps:
            writer.currents("max_curmap", out.maximum)


def _run_advanced(config: Config, inputs: Inputs, cond: np.ndarray, writer: _Writer,
                  progress: bool) -> None:
    assert inputs.sources is not None and inputs.grounds is not None  # read_config checked
    out = advanced(cond, inputs.sources, inputs.grounds, connect=config.connect,
                   average=config.average, polygons=inputs.polygons,
                   ground_is_resistance=config.ground_is_resistance,
                   direct_grounds=config.direct_grounds, unit_currents=config.unit_currents,
                   policy=config.policy, is_resistance=False, solver=config.solver)
    if config.write_volt_maps:
        writer.voltages("voltmap", out.voltages)
    if config.write_cur_maps and not config.write_cum_cur_map_only:
        writer.currents("curmap", out.currents)


_MODES = {"pairwise": _run_pairwise, "one-to-all": _run_each, "all-to-one": _run_each,
          "advanced": _run_advanced}
