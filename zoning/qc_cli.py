"""``zoning qc``: the parcel topology check alone, written where a planner can see it.

A run stopped by overlapping parcels lists the worst pairs but writes nothing. ``zoning qc
PROJECT`` reads only the project's parcel layer (through :func:`zoning.layers.load_layers`,
so encodings, CRS, ``select`` and field mappings apply as in a run), measures its topology
(:func:`zoning.topology.measure`) whatever the tolerances, and writes one GeoPackage with
the layers a run writes, ``qc_overlaps`` and ``qc_gaps`` (styled for QGIS; written empty
when there is none, unlike a run), and the totals as the non-spatial table ``qc_topology``.
The file is written beside the run's output folder (``<output_dir>/<name>_qc.gpkg``), not
inside it (a run replaces that folder whole), into a temporary file renamed at the end. It
never replaces an input, nor a file it did not write.

Exit code: 0 when the layer is clean, 1 when overlaps stop a run (the rule of ``zoning
validate``, whether or not the project accepts them), or when the parcel layer cannot be read.
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import sqlite3
import tempfile
from contextlib import closing
from pathlib import Path

import pyogrio

from zoning import columns as col
from zoning._resources import demo_project
from zoning.errors import Problem, ValidationFailed
from zoning.layers import LayerSet, load_layers
from zoning.outputs.gpkg import write_geopackage
from zoning.outputs.styles import qc_styles, write_styles
from zoning.project import Layers, Project, load_project
from zoning.topology import TABLE, TopologyReport, check_topology, largest_pairs, measure

logger = logging.getLogger(__name__)

SUFFIX = "_qc.gpkg"
"""Name of the default output beside the run's output folder: ``<name>_qc.gpkg``."""
EXIT_CLEAN, EXIT_OVERLAPS = 0, 1
EMPTY_GEOMETRY = "MultiPolygon"
"""Geometry type declared for a QC layer written empty (a run writes no empty layer)."""


def add_parser(commands: argparse._SubParsersAction) -> None:
    """Add ``qc`` to the ``zoning`` command."""
    p = commands.add_parser("qc", help="check the parcel layer's topology (overlaps, gaps) and "
                            "write them to a GeoPackage for QGIS, without running")
    p.add_argument("project", nargs="?", type=Path, help="project.yaml (default: the demo)")
    p.add_argument("--out", type=Path, help=f"GeoPackage to write (default: "
                   f"<output_dir>/<name>{SUFFIX}, beside the run's output folder)")


def run(args: argparse.Namespace) -> tuple[int, str]:
    """Run ``zoning qc``: the exit code and the summary to print.

    Raises
    ------
    ValidationFailed
        When the project file or its parcel layer cannot be read, or the output may not be
        written there.
    """
    project_path = Path(args.project) if args.project is not None else demo_project()
    project = load_project(project_path)
    folder = run_folder(project, project_path)
    destination = Path(args.out) if args.out is not None else folder.with_name(
        f"{folder.name}{SUFFIX}")
    problems = destination_problems(destination, project, [project_path], folder)
    if problems:  # before reading anything
        raise ValidationFailed(problems)
    layers = parcel_layer(project)
    source = layers.sources["parcels"]
    found = measure(layers.parcels, project.qc)
    strict = project.qc.model_copy(update={"accept_overlaps": False})
    overlapping = bool(check_topology(found, strict, source, [], project_path))
    write_qc(destination, found)
    text = summary(found, project, source, len(layers.parcels), overlapping)
    return (EXIT_OVERLAPS if overlapping else EXIT_CLEAN), f"{text}\nwritten to {destination}"


def parcel_layer(project: Project) -> LayerSet:
    """The project's parcel layer alone, read and checked as a run reads it.

    The other layers, the groundwater and the rasters are left out (not read, not checked).
    """
    alone = project.model_copy(update={"layers": Layers(parcels=project.layers.parcels),
                                       "groundwater": None, "rasters": {}})
    return load_layers(alone)


def run_folder(project: Project, project_path: Path) -> Path:
    """The run's output folder, ``<output_dir>/<name>``; the QC file goes beside it.

    For the embedded demo it is below ``./out``, as :func:`zoning.runner.output_destination`
    has it.
    """
    demo = project_path.resolve() == demo_project().resolve()
    return project.output_folder(Path.cwd() / "out" if demo else None)


def _inputs(project: Project, read: list[Path]) -> list[Path]:
    """Every file the project names (layers, rasters, tables, rule files) and those read."""
    named = [getattr(project.layers, role) for role in Layers.model_fields]
    paths = [spec.path for spec in named if spec is not None and spec.path is not None]
    paths += [raster.path for raster in project.rasters.values()]
    if project.groundwater is not None and project.groundwater.path is not None:
        paths.append(project.groundwater.path)
    if project.assessment is not None:
        paths.append(project.assessment.table)
    return [*read, *(project.resolve(p) for p in paths), *project.rule_paths().values()]


def destination_problems(destination: Path, project: Project, read: list[Path],
                         run_output: Path) -> list[Problem]:
    """What stops ``zoning qc`` from writing ``destination`` (empty when nothing does).

    It must end in ``.gpkg``, be no input of the project, lie outside the run's output
    folder, and, when it exists, be a GeoPackage an earlier ``zoning qc`` wrote.
    """
    where = str(destination)
    target = destination.resolve()
    fix = "choose another file with --out"
    if destination.suffix.lower() != ".gpkg":
        return [Problem(where, f"the QC output is a GeoPackage; expected a name ending in "
                               f".gpkg, found {destination.name!r}: {fix}")]
    held = [str(p) for p in _inputs(project, read) if p.resolve() == target]
    if held:
        return [Problem(where, f"this is an input of the project ({held[0]}); zoning never "
                               f"writes over its inputs: {fix}")]
    inside = run_output.resolve()
    if inside in target.parents:
        return [Problem(where, f"this lies inside the run's output folder {inside}, which "
                               f"a run replaces whole: {fix} (the default is beside it)")]
    if target.is_dir():
        return [Problem(where, f"this is a folder; expected a GeoPackage file: {fix}")]
    if target.exists() and not _written_by_qc(target):
        return [Problem(where, f"the file exists and was not written by `zoning qc` (it has "
                               f"no {TABLE} table); zoning does not replace it: move or "
                               f"delete it yourself, or {fix}")]
    below = next((a for a in target.parents if a.exists()), None)
    if below is not None and not below.is_dir():
        return [Problem(where, f"{below} is a file, not a folder: {fix}")]
    return []


def _written_by_qc(path: Path) -> bool:
    """Whether ``path`` is a GeoPackage holding the ``qc_topology`` table."""
    try:
        with closing(sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)) as db:
            row = db.execute("SELECT 1 FROM gpkg_contents WHERE table_name = ?",
                             (TABLE,)).fetchone()
    except sqlite3.DatabaseError:
        return False
    return row is not None


def write_qc(destination: Path, found: TopologyReport) -> Path:
    """Write the QC layers, their styles and the totals to ``destination``, whole.

    A temporary file beside it is renamed over it at the end; on any error it is removed
    and ``destination`` is untouched.
    """
    destination.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{destination.stem}-", dir=destination.parent))
    try:
        path = staging / destination.name
        layers = found.layers()
        write_geopackage(path, {name: frame for name, frame in layers.items() if not frame.empty})
        for name, frame in layers.items():  # empty too: the file itself says there is none
            if frame.empty:
                pyogrio.write_dataframe(frame, path, layer=name, driver="GPKG",
                                        geometry_type=EMPTY_GEOMETRY)
        pyogrio.write_dataframe(found.summary(), path, layer=TABLE, driver="GPKG")
        write_styles(path, qc_styles(layers))
        os.replace(path, destination)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return destination


def summary(found: TopologyReport, project: Project, source: Path, parcels: int,
            overlapping: bool) -> str:
    """The short summary printed by ``zoning qc``."""
    rows = found.summary().set_index("item")
    qc = project.qc

    def counted(item: str) -> str:
        return f"{rows.loc[item, 'count']} ({rows.loc[item, col.QC_AREA_HA]:,.4g} ha)"

    lines = [
        f"{source}: {parcels} parcels; their areas sum to {found.parcels_ha:,.4f} ha, their "
        f"union covers {found.union_ha:,.4f} ha ({found.parcels_ha - found.union_ha:,.4f} ha "
        "counted twice)",
        f"overlapping pairs: {counted('overlaps')} above qc.overlap_tolerance_ha = "
        f"{qc.overlap_tolerance_ha:g} ha or whole, {counted('overlap_slivers')} at most "
        "the tolerance",
        f"gaps: {counted('gaps')} above qc.gap_tolerance_ha = {qc.gap_tolerance_ha:g} ha, "
        f"{counted('gap_slivers')} at most the tolerance",
    ]
    if overlapping:
        lines.append(f"NOT CLEAN: the overlaps stop a run (largest "
                     f"{largest_pairs(found.overlaps)})")
    else:
        lines.append("clean: no overlap stops a run")
    return "\n".join(lines)
