"""Circuitscape INI files and the input files they name.

Keys are read from any section (Circuitscape ignores sections too). File values such as
``(Browse for ...)``, ``None``, ``False`` or an empty string mean "not set". Relative paths
resolve against the current folder, as Circuitscape does, and fall back to the INI's own
folder when the file is not found there. Every problem found is reported at once.
"""

from __future__ import annotations

import configparser
import logging
import math
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path

import numpy as np

from zoning.corridors._ascgrid import GridMeta, read_grid
from zoning.corridors._circuit import FocalCells
from zoning.errors import CorridorError

logger = logging.getLogger(__name__)

SCENARIOS = {"pairwise": "pairwise", "advanced": "advanced", "one-to-all": "one-to-all",
             "one_to_all": "one-to-all", "all-to-one": "all-to-one",
             "all_to_one": "all-to-one"}
UNSET = {"", "none", "false", "not entered", "(none)"}
TRUE = {"true", "1", "yes", "on"}
POLICY_DEFAULT = "keepall"
OUTPUT_SUFFIX = ".out"
UNSUPPORTED_FLAGS = ("set_focal_node_currents_to_zero",)


@dataclass(frozen=True)
class Config:
    """The settings of one Circuitscape run (paths resolved, flags parsed)."""

    path: Path
    scenario: str
    habitat_file: Path
    habitat_is_resistance: bool
    connect: int
    average: str
    output_stem: Path
    polygon_file: Path | None = None
    mask_file: Path | None = None
    point_file: Path | None = None
    included_pairs_file: Path | None = None
    variable_source_file: Path | None = None
    source_file: Path | None = None
    ground_file: Path | None = None
    ground_is_resistance: bool = False
    direct_grounds: bool = False
    unit_currents: bool = False
    policy: str = POLICY_DEFAULT
    write_cur_maps: bool = False
    write_volt_maps: bool = False
    write_cum_cur_map_only: bool = False
    write_max_cur_maps: bool = False
    compress_grids: bool = False
    log_transform_maps: bool = False
    null_currents_to_nodata: bool = False
    null_voltages_to_nodata: bool = False
    solver: str = "auto"
    write_as_tif: bool = False


def read_config(path: str | Path, output_dir: str | Path | None = None) -> Config:
    """Parse a Circuitscape INI file.

    Parameters
    ----------
    path
        The INI file.
    output_dir
        Put the outputs here instead of ``output_file``'s folder (same file names).

    Raises
    ------
    CorridorError
        Listing every problem: missing keys or files, unknown scenario or policy.
    """
    path = Path(path)
    if not path.is_file():
        raise CorridorError(f"{path}: Circuitscape INI file not found")
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    try:
        parser.read(path, encoding="utf-8")
    except configparser.Error as exc:
        raise CorridorError(f"{path}: not a readable INI file ({exc})") from exc
    values = {k.lower(): v.strip() for s in parser.sections() for k, v in parser[s].items()}
    return _Reader(path, values, output_dir).config()


class _Reader:
    def __init__(self, path: Path, values: dict[str, str], output_dir: str | Path | None):
        self.path, self.values, self.output_dir = path, values, output_dir
        self.problems: list[str] = []

    def flag(self, key: str, default: bool = False) -> bool:
        text = self.values.get(key)
        return default if text is None else text.lower() in TRUE

    def file(self, key: str, *, when: bool = True) -> Path | None:
        text = self.values.get(key, "")
        if not when or (text.lower() in UNSET or text.lower().startswith("(browse")):
            if when:
                self.problems.append(f"{key} is not set; give the path of the file")
            return None
        found = resolve(text, self.path)
        if found is None:
            self.problems.append(f"{key} = {text}: file not found in the current folder "
                                 f"({Path.cwd()}) nor beside the INI ({self.path.parent})")
        return found

    def config(self) -> Config:
        v = self.values
        data_type = v.get("data_type", "raster").lower()
        if data_type != "raster":
            self.problems.append(f"data_type = {data_type}: only raster data is supported")
        scenario = SCENARIOS.get(v.get("scenario", "").lower())
        if scenario is None:
            self.problems.append(f"scenario = {v.get('scenario', '')!r}: expected one of "
                                 "pairwise, advanced, one-to-all, all-to-one")
        habitat = self.file("habitat_file")
        sources_mode = scenario == "advanced"
        policy = v.get("remove_src_or_gnd", POLICY_DEFAULT).lower()
        if policy in UNSET:
            policy = POLICY_DEFAULT
        if sources_mode and policy not in ("keepall", "rmvsrc", "rmvgnd", "rmvall"):
            self.problems.append(f"remove_src_or_gnd = {policy}: expected keepall, rmvsrc, "
                                 "rmvgnd or rmvall")
        output = v.get("output_file", "")
        if output.lower() in UNSET:
            self.problems.append("output_file is not set; give e.g. output/run.out")
        files = {
            "polygon_file": self.file("polygon_file", when=self.flag("use_polygons")),
            "mask_file": self.file("mask_file", when=self.flag("use_mask")),
            "point_file": self.file("point_file", when=scenario is not None
                                    and not sources_mode),
            "included_pairs_file": self.file(
                "included_pairs_file", when=self.flag("use_included_pairs")
                and not sources_mode),
            "variable_source_file": self.file(
                "variable_source_file", when=self.flag("use_variable_source_strengths")
                and scenario in ("one-to-all", "all-to-one")),
            "source_file": self.file("source_file", when=sources_mode),
            "ground_file": self.file("ground_file", when=sources_mode),
        }
        for key in UNSUPPORTED_FLAGS:
            if self.flag(key):
                logger.warning("%s: %s = True is not supported and is ignored", self.path, key)
        if self.problems or habitat is None or scenario is None:
            lines = "\n".join(f"  - {p}" for p in self.problems)
            raise CorridorError(f"{self.path}: {len(self.problems)} problem(s):\n{lines}")
        return Config(
            path=self.path, scenario=scenario, habitat_file=habitat,
            habitat_is_resistance=self.flag("habitat_map_is_resistances", True),
            connect=4 if self.flag("connect_four_neighbors_only") else 8,
            average="resistance" if self.flag("connect_using_avg_resistances") else
            "conductance",
            output_stem=self.stem(output), ground_is_resistance=self.flag(
                "ground_file_is_resistances", True),
            direct_grounds=self.flag("use_direct_grounds"),
            unit_currents=self.flag("use_unit_currents"), policy=policy,
            write_cur_maps=self.flag("write_cur_maps"),
            write_volt_maps=self.flag("write_volt_maps"),
            write_cum_cur_map_only=self.flag("write_cum_cur_map_only"),
            write_max_cur_maps=self.flag("write_max_cur_maps"),
            compress_grids=self.flag("compress_grids"),
            log_transform_maps=self.flag("log_transform_maps"),
            null_currents_to_nodata=self.flag("set_null_currents_to_nodata"),
            null_voltages_to_nodata=self.flag("set_null_voltages_to_nodata"),
            write_as_tif=self.flag("write_as_tif"),
            **files,  # type: ignore[arg-type]
        )

    def stem(self, output: str) -> Path:
        name = Path(output)
        base = name.name.split(OUTPUT_SUFFIX)[0]  # as Circuitscape: the name up to ".out"
        folder = Path(self.output_dir) if self.output_dir is not None else name.parent
        return folder / base


def resolve(text: str, ini: Path) -> Path | None:
    """``text`` as a path: absolute, else under the current folder, else beside ``ini``."""
    path = Path(text).expanduser()
    if path.is_absolute():
        return path if path.exists() else None
    for base in (Path.cwd(), ini.parent):
        if (base / path).exists():
            return base / path
    return None


@dataclass(frozen=True)
class Inputs:
    """The grids and tables a run needs, read and checked."""

    habitat: np.ndarray
    meta: GridMeta
    polygons: np.ndarray | None
    focal: FocalCells
    pairs: set[tuple[int, int]] | None
    strengths: dict[int, float] | None
    sources: np.ndarray | None
    grounds: np.ndarray | None


def read_inputs(config: Config) -> Inputs:
    """Read every file the configuration names (grids must match the habitat grid)."""
    habitat, meta = read_grid(config.habitat_file)
    if config.mask_file is not None:
        mask = _matching(config.mask_file, meta)
        habitat = np.where(np.nan_to_num(mask, nan=0.0) > 0, habitat, np.nan)
        if np.all(np.isnan(habitat)):
            raise CorridorError(f"{config.mask_file}: the mask removes every cell (cells "
                                "<= 0 or NODATA in the mask are dropped)")
    polygons = None
    if config.polygon_file is not None:
        polygons = _integers(_matching(config.polygon_file, meta), config.polygon_file)
    focal: FocalCells = {}
    if config.point_file is not None:
        focal = read_points(config.point_file, meta)
    pairs = None
    if config.included_pairs_file is not None:
        include, ids, listed = read_included_pairs(config.included_pairs_file)
        if include and config.scenario != "pairwise":
            # Circuitscape drops the focal ids the file does not name (not in pairwise mode)
            focal = {i: c for i, c in focal.items() if i in ids}
        pairs = listed if include else set(combinations(sorted(focal), 2)) - listed
    strengths = (read_strengths(config.variable_source_file)
                 if config.variable_source_file is not None else None)
    sources = grounds = None
    if config.source_file is not None and config.ground_file is not None:
        sources = read_values(config.source_file, meta)
        grounds = read_values(config.ground_file, meta)
    return Inputs(habitat, meta, polygons, focal, pairs, strengths, sources, grounds)


def _matching(path: Path, meta: GridMeta) -> np.ndarray:
    values, other = read_grid(path)
    if other.shape != meta.shape:
        raise CorridorError(f"{path}: {other.nrows} rows x {other.ncols} columns, but the "
                            f"habitat grid has {meta.nrows} x {meta.ncols}; resample it")
    return values


def _integers(values: np.ndarray, path: Path) -> np.ndarray:
    filled = np.nan_to_num(values, nan=0.0)
    if np.any(filled != np.round(filled)):
        raise CorridorError(f"{path}: ids must be whole numbers")
    return filled.astype(np.int64)


def _text_rows(path: Path, skip: int = 0) -> list[list[float]]:
    rows = []
    lines = path.read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines[skip:], skip + 1):
        parts = line.replace(",", " ").split()
        if not parts:
            continue
        try:
            rows.append([float(p) for p in parts])
        except ValueError as exc:
            raise CorridorError(f"{path}:{number}: expected numbers, got {line!r}") from exc
    return rows


def read_points(path: Path, meta: GridMeta) -> FocalCells:
    """Focal cells by id from a grid of ids or a text list of ``id x y`` rows.

    Ids <= 0 are ignored, as Circuitscape does. A point outside the grid is an error.
    """
    if path.suffix.lower() != ".txt":
        ids = _integers(_matching(path, meta), path)
        return _group(ids.ravel(), np.arange(ids.size))
    values, cells = _listed_cells(path, meta, "id")
    return _group(values.astype(np.int64), cells)


def read_values(path: Path, meta: GridMeta) -> np.ndarray:
    """A source or ground grid, from a grid file or a text list of ``value x y`` rows.

    Values of a list that fall in one cell add up; other cells are NaN (none).
    """
    if path.suffix.lower() != ".txt":
        return _matching(path, meta)
    values, cells = _listed_cells(path, meta, "value")
    out = np.zeros(meta.nrows * meta.ncols)
    np.add.at(out, cells, values)
    listed = np.zeros(out.size, dtype=bool)
    listed[cells] = True
    return np.where(listed, out, np.nan).reshape(meta.shape)


def _listed_cells(path: Path, meta: GridMeta, what: str) -> tuple[np.ndarray, np.ndarray]:
    """Values and flat cell indices of a text list of ``<what> x y`` rows."""
    listed = _text_rows(path)
    if any(len(r) != 3 for r in listed):
        raise CorridorError(f"{path}: expected rows of '{what} x y' (three numbers per line)")
    rows = np.array(listed, dtype=float).reshape(-1, 3)
    row = np.array([math.ceil(meta.nrows - (y - meta.yllcorner) / meta.cellsize) - 1
                    for y in rows[:, 2]], dtype=np.int64)
    col = np.array([math.ceil((x - meta.xllcorner) / meta.cellsize) - 1 for x in rows[:, 1]],
                   dtype=np.int64)
    outside = (row < 0) | (row >= meta.nrows) | (col < 0) | (col >= meta.ncols)
    if np.any(outside):
        bad = rows[outside][0]
        raise CorridorError(f"{path}: point {bad[0]:g} at ({bad[1]:g}, {bad[2]:g}) lies "
                            "outside the habitat grid; fix its coordinates or remove it")
    return rows[:, 0], row * meta.ncols + col


def _group(ids: np.ndarray, cells: np.ndarray) -> FocalCells:
    keep = ids > 0
    ids, cells = ids[keep], cells[keep]
    order = np.argsort(ids, kind="stable")
    ids, cells = ids[order], cells[order]
    if ids.size == 0:
        return {}
    unique, starts = np.unique(ids, return_index=True)
    return {int(i): np.unique(part) for i, part in
            zip(unique, np.split(cells.astype(np.int64), starts[1:]), strict=True)}


def read_included_pairs(path: Path) -> tuple[bool, set[int], set[tuple[int, int]]]:
    """Mode (include?), the file's ids and its listed pairs ``(a, b)``, ``a < b``.

    In include mode only listed pairs are solved (and, in one-to-all and all-to-one modes,
    focal ids absent from the file are dropped, as Circuitscape does); in exclude mode the
    listed pairs are skipped.

    Two layouts: ``mode include|exclude`` followed by ``a b`` rows (or by a matrix whose
    first row and column are ids, 1 = listed); or ``min X`` / ``max Y`` lines followed by
    such a matrix, a pair being included when its value is within [X, Y].
    """
    lines = path.read_text(encoding="utf-8").splitlines()
    head = [line.split() for line in lines[:2]]
    if head and head[0] and head[0][0].lower() == "min":
        lo, hi = float(head[0][1]), float(head[1][1])
        ids, mat = _matrix(_text_rows(path, skip=2), path)
        listed = np.where(mat > hi, 0, mat) >= lo
        return True, set(ids), _listed_pairs(ids, listed | listed.T)
    if not head or not head[0] or head[0][0].lower() != "mode" or len(head[0]) < 2:
        raise CorridorError(f"{path}: the first line must be 'mode include', 'mode exclude' "
                            "or 'min <value>'")
    mode = head[0][1].lower()
    if mode not in ("include", "exclude"):
        raise CorridorError(f"{path}: mode must be include or exclude, got {mode!r}")
    rows = _text_rows(path, skip=1)
    if rows and len(rows[0]) == 2:
        pairs = {(int(a), int(b)) for a, b in rows}
        ids = sorted({i for p in pairs for i in p} - {0})
        listed = np.zeros((len(ids), len(ids)), dtype=bool)
        pos = {i: k for k, i in enumerate(ids)}
        for a, b in pairs:
            if a in pos and b in pos:
                listed[pos[a], pos[b]] = listed[pos[b], pos[a]] = True
    else:
        ids, mat = _matrix(rows, path)
        listed = mat == 1
    include = mode == "include"
    return include, set(ids), _listed_pairs(ids, (listed | listed.T) if include
                                            else (listed & listed.T))


def _matrix(rows: list[list[float]], path: Path) -> tuple[list[int], np.ndarray]:
    try:
        table = np.array(rows, dtype=float)
    except ValueError as exc:
        raise CorridorError(f"{path}: the matrix rows have different lengths") from exc
    if table.ndim != 2 or table.shape[0] != table.shape[1] or table.shape[0] < 2:
        raise CorridorError(f"{path}: expected a square matrix whose first row and column "
                            "are focal ids")
    return [int(i) for i in table[1:, 0]], table[1:, 1:]


def _listed_pairs(ids: list[int], listed: np.ndarray) -> set[tuple[int, int]]:
    rows, cols = np.nonzero(np.triu(listed, k=1))
    return {(min(ids[a], ids[b]), max(ids[a], ids[b])) for a, b in zip(rows, cols, strict=True)}


def read_strengths(path: Path) -> dict[int, float]:
    """Source strengths from ``id strength`` rows."""
    rows = _text_rows(path)
    if any(len(r) < 2 for r in rows):
        raise CorridorError(f"{path}: expected rows of 'id strength'")
    return {int(r[0]): float(r[1]) for r in rows}
