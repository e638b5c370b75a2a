"""Run a project end to end and write its outputs whole, or not at all.

Outputs are written into a temporary folder beside the destination and moved into place
at the end, so a failed run leaves no half output. Inputs are only ever read.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import geopandas as gpd
import matplotlib

from zoning import assess
from zoning import columns as col
from zoning._resources import demo_project
from zoning.corridors.maplayers import network_map_layers
from zoning.dictionary import header
from zoning.engine import Prepared, RunResult, prepare, run_stages
from zoning.outputs import LegendEntry, staged
from zoning.outputs.gpkg import write_geopackage
from zoning.outputs.guard import check_output, output_lock
from zoning.outputs.manifest import file_entry, package_versions, write_manifest
from zoning.outputs.qcmap import qc_map_layer
from zoning.outputs.report import write_report
from zoning.outputs.staticmap import write_static_map
from zoning.outputs.styles import run_styles, write_styles
from zoning.outputs.tables import write_csv, write_parquet, write_table, write_xlsx
from zoning.outputs.webmap import write_webmap
from zoning.reduction.stage import LAYER as REDUCTION_LAYER
from zoning.rules.models import (
    Category,
    ModesRules,
    ReductionRules,
    SuitabilityRules,
    ZonesRules,
)
from zoning.rules.ruleset import RuleSet
from zoning.subsidence.stage import CONTOURS, PONDING
from zoning.units import LAYER as UNITS_LAYER

logger = logging.getLogger(__name__)

ASSESSMENT_FOLDER = "assessment"
"""Sub-folder of the outputs holding the project's social-ecological assessment."""

SYNTHETIC_NOTICE = "SYNTHETIC DATA — 合成数据，非真实地区"
POPUP_COLUMNS = (col.LANDUSE_NAME_ZH, col.ZONE_NAME_ZH, col.ZONE_RULE, col.PLANNING_UNIT,
                 col.RESTORATION_MODE,
                 col.MODE_REASON, col.VALUE_MODE, col.VALUE_REASON, col.DAMAGE_GRADE,
                 col.SUBS_MAX_M, col.PONDED_SHARE, col.BEST_USE, col.IS_SOURCE,
                 col.CORRIDOR_LEVEL, col.NODE_TYPE, col.REDUCE_REASON, col.REDUCE_TARGET_USE,
                 col.AREA_HA)
POPUP_LABELS = {name: (header(name, "zh"), header(name, "en"))
                for name in (col.PARCEL_ID, *POPUP_COLUMNS)}
"""Popup headers: the labels the stages declare (one label per concept, as in parcels.xlsx)."""
"""Popup column headings on the web map, (Chinese, English)."""
SUITABILITY_LEGEND = [
    LegendEntry("S1", "高度适宜 S1", "Highly suitable S1", "#1a9850"),
    LegendEntry("S2", "中度适宜 S2", "Moderately suitable S2", "#a6d96a"),
    LegendEntry("S3", "勉强适宜 S3", "Marginally suitable S3", "#fee08b"),
    LegendEntry("N", "不适宜 N", "Not suitable N", "#d73027"),
]
"""Web-map legend of the suitability classes (``col.SUIT_CLASSES``)."""


def legend(categories: dict[str, Category]) -> list[LegendEntry]:
    """Legend entries of a rule file's categories (zones, modes, grades)."""
    return [LegendEntry(k, c.label.zh, c.label.en, c.color) for k, c in categories.items()]


def run(project_path: Path | str | None = None, out_dir: Path | None = None, *,
        progress: bool = True) -> Path:
    """Run a project (the demo when none is given) and write its outputs.

    Parameters
    ----------
    project_path
        The project file; the embedded demo project when None.
    out_dir
        Parent folder of the outputs; default the project's ``output_dir`` (``./out`` for
        the demo). Outputs go to ``<out_dir>/<project name>/``, replacing an earlier run.

    Returns
    -------
    pathlib.Path
        The output folder.

    Raises
    ------
    ValidationFailed
        Before any stage runs: for a problem in the project, or when the output folder may
        not be replaced (it holds an input, lies below a file, or exists without the
        engine's marker: :mod:`zoning.outputs.guard`) or another run is writing it.
    """
    started = datetime.now(UTC)
    t0 = time.perf_counter()
    prepared = prepare(project_path)
    destination = output_destination(prepared, out_dir)
    check_output(destination, input_paths(prepared))
    prepare_seconds = time.perf_counter() - t0
    with output_lock(destination):
        result = run_stages(prepared, progress=progress)
        result.timings = {"prepare": prepare_seconds, **result.timings}
        return write(result, out_dir, started=started)


def output_destination(prepared: Prepared, out_dir: Path | str | None = None) -> Path:
    """The output folder of a run: ``<out_dir>/<name>``; ``./out/demo`` for the embedded demo.

    The default parent is the project's ``output_dir``, except for the embedded demo,
    whose outputs go below the working directory, never into the installed package.
    """
    if out_dir is None and prepared.project_path.resolve() == demo_project().resolve():
        out_dir = Path.cwd() / "out"
    return prepared.project.output_folder(None if out_dir is None else Path(out_dir))


def input_paths(prepared: Prepared) -> list[Path]:
    """Every file a run reads: the project file, the layers and tables, the rule files."""
    return [prepared.project_path, *input_files(prepared).values(),
            *rule_files(prepared).values()]


def write(result: RunResult, out_dir: Path | str | None = None, *,
          started: datetime | None = None) -> Path:
    """Write the outputs of stages already run, whole or not at all.

    Parameters
    ----------
    result
        What :func:`zoning.run_stages` returned (not changed).
    out_dir
        Parent folder of the outputs; default the project's ``output_dir`` (``./out`` for
        the embedded demo, never the installed package). Outputs go to
        ``<out_dir>/<project name>/``, replacing an earlier run there.
    started
        When the run started, for the manifest; now when not given.

    Returns
    -------
    pathlib.Path
        The output folder.

    Examples
    --------
    >>> import tempfile, zoning
    >>> result = zoning.run_stages(zoning.prepare(), progress=False)  # doctest: +SKIP
    >>> zoning.write(result, tempfile.mkdtemp()).name                 # doctest: +SKIP
    'demo'
    """
    started = started if started is not None else datetime.now(UTC)
    prepared = result.prepared
    destination = output_destination(prepared, out_dir)
    with staged(destination, input_paths(prepared)) as staging:
        handler = logging.FileHandler(staging / "run.log", encoding="utf-8")
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        logging.getLogger("zoning").addHandler(handler)
        try:
            logger.info("run of %s (%s) with arguments %s", prepared.project_path,
                        prepared.project.title, sys.argv)
            _write_all(result, staging, started)
        finally:
            logging.getLogger("zoning").removeHandler(handler)
            handler.close()
    logger.info("outputs written to %s", destination)
    return destination


def _write_all(result: RunResult, folder: Path, started: datetime) -> None:
    project = result.prepared.project
    rules = result.prepared.rules
    notice = SYNTHETIC_NOTICE if project.synthetic else None
    timings = dict(result.timings)  # the result is not changed; the writes are added here
    static_map: dict[str, Any] = {
        "zones": result.layers["zones"], "zone_column": col.ZONE,
        "legend": legend(rules.get("zones", ZonesRules).zones), "title": project.title,
        "notice": notice}
    manifest: dict[str, Any] = {}

    def report() -> Path:
        manifest.update(_manifest(result, started), timings_s=_timings(timings))  # so far
        return write_report(folder / "report.html", result, manifest)

    steps: dict[str, Callable[[], object]] = {
        "geopackage": lambda: write_geopackage(folder / "result.gpkg",
                                               {"parcels": result.parcels, **result.layers}),
        "qgis_styles": lambda: write_styles(folder / "result.gpkg", run_styles(
            rules, {"parcels": result.parcels, **result.layers})),
        "csv": lambda: write_csv(folder / "parcels.csv", result.parcels),
        "parquet": lambda: write_parquet(folder / "parcels.parquet", result.parcels),
        "xlsx": lambda: write_xlsx(folder / "parcels.xlsx", result.parcels,
                                   headers=project.outputs.xlsx_headers),
        "grids": lambda: [grid.write(folder / f"{name}.tif")
                          for name, grid in result.grids.items()],
        "tables": lambda: [write_table(folder / f"{name}.csv", table)
                           for name, table in result.tables.items()],
        "map_html": lambda: _webmap(result, folder, notice),
        "map_png": lambda: write_static_map(folder / "zoning.png", **static_map),
        "map_pdf": lambda: write_static_map(folder / "zoning.pdf", **static_map),
        "assessment": lambda: _assessment(result, folder),
        "report": report,
    }
    for name, step in steps.items():
        start = time.perf_counter()
        step()
        timings[f"write_{name}"] = time.perf_counter() - start
    # built once, for the report (inputs hashed once); the writes since are added here
    manifest["timings_s"] = _timings(timings)
    manifest["finished_utc"] = datetime.now(UTC).isoformat()
    write_manifest(folder / "manifest.json", manifest)


def _assessment(result: RunResult, folder: Path) -> Path | None:
    """The project's social-ecological assessment into ``assessment/``, when it has one."""
    found = result.prepared.assessment
    spec = result.prepared.project.assessment
    if found is None or spec is None:
        return None
    return assess.write(found, folder / ASSESSMENT_FOLDER,
                        notice=assess.ILLUSTRATIVE_NOTICE if spec.illustrative else None,
                        arguments=sys.argv)


def _webmap(result: RunResult, folder: Path, notice: str | None) -> Path:
    rules = result.prepared.rules
    modes = rules.get("modes", ModesRules)
    parcels = result.parcels.reset_index()
    extra = {
        "Restoration modes 修复模式":
            (parcels, col.RESTORATION_MODE, legend(modes.restoration_modes)),
        "Value modes 价值实现模式": (parcels, col.VALUE_MODE, legend(modes.value_modes)),
        **_suitability_layers(parcels, rules),
        **_subsidence_layers(result.layers),
        **network_map_layers(result.layers),
        **_reduction_layer(result.layers, rules),
        **_units_layer(result.layers, rules),
    }
    basemap = result.prepared.project.basemap
    return write_webmap(
        folder / "map.html", parcels, result.layers["zones"], zone_column=col.ZONE,
        legend=legend(rules.get("zones", ZonesRules).zones),
        popup_columns=[col.PARCEL_ID, *POPUP_COLUMNS], title=result.prepared.project.title,
        notice=notice, extra_layers=extra, column_labels=POPUP_LABELS,
        outline_layers=qc_map_layer(result.layers),
        basemap=None if basemap is None else basemap.model_dump(exclude_none=True),
    )


def _suitability_layers(parcels: gpd.GeoDataFrame, rules: RuleSet,
                        ) -> dict[str, tuple[gpd.GeoDataFrame, str, list[LegendEntry]]]:
    """One layer per use of the suitability rules: its class S1 / S2 / S3 / N per parcel.

    The layers are ``parcels`` itself with another column, so the map shares the parcel
    geometry between them.
    """
    uses = rules.get("suitability", SuitabilityRules).uses
    return {f"Suitability: {use.label.en} 适宜性：{use.label.zh}":
            (parcels, col.suit_class(key), SUITABILITY_LEGEND) for key, use in uses.items()}


def _reduction_layer(layers: dict[str, gpd.GeoDataFrame],
                     rules: RuleSet) -> dict[str, tuple[gpd.GeoDataFrame, str, list[LegendEntry]]]:
    """The retired parcels by target use."""
    retired = layers.get(REDUCTION_LAYER)
    if retired is None or retired.empty:
        return {}
    uses = rules.get("reduction", ReductionRules).target_uses
    return {"Land reduction 减量": (retired, col.REDUCE_TARGET_USE, legend(uses))}


def _units_layer(layers: dict[str, gpd.GeoDataFrame],
                 rules: RuleSet) -> dict[str, tuple[gpd.GeoDataFrame, str, list[LegendEntry]]]:
    """The planning units, coloured by their zone (their outlines show the cuts)."""
    drawn = layers.get(UNITS_LAYER)
    if drawn is None or drawn.empty:
        return {}
    zones = legend(rules.get("zones", ZonesRules).zones)
    return {"Planning units 规划单元": (drawn, col.ZONE, zones)}


def _subsidence_layers(
    layers: dict[str, gpd.GeoDataFrame],
) -> dict[str, tuple[gpd.GeoDataFrame, str, list[LegendEntry]]]:
    """Subsidence contours (a blue ramp by depth) and the ponded area, for the web map."""
    out: dict[str, tuple[gpd.GeoDataFrame, str, list[LegendEntry]]] = {}
    contours = layers.get(CONTOURS)
    if contours is not None and not contours.empty:
        ramp = matplotlib.colormaps["Blues"]
        levels = contours["depth_m"].to_list()
        keys = [f"W >= {level:g} m" for level in levels]
        shades = [ramp(0.25 + 0.75 * i / max(len(keys) - 1, 1)) for i in range(len(keys))]
        entries = [LegendEntry(key, f"下沉 ≥ {level:g} m", f"Subsidence ≥ {level:g} m",
                               matplotlib.colors.to_hex(shade))
                   for key, level, shade in zip(keys, levels, shades, strict=True)]
        out["Subsidence 地表下沉"] = (contours.assign(level=keys), "level", entries)
    ponding = layers.get(PONDING)
    if ponding is not None and not ponding.empty:
        entry = LegendEntry("ponded", "积水区", "Ponded (below the water table)", "#0d47a1")
        out["Ponding 积水"] = (ponding.assign(level="ponded"), "level", [entry])
    return out


def _timings(timings: dict[str, float]) -> dict[str, float]:
    return {k: round(v, 3) for k, v in timings.items()}


def input_files(prepared: Prepared) -> dict[str, Path]:
    """Every input file by role: the layers, and the assessment table when there is one."""
    files = dict(prepared.layers.sources)
    if prepared.assessment is not None:
        files["assessment_table"] = prepared.assessment.table.path
    return files


def rule_files(prepared: Prepared) -> dict[str, Path]:
    """Every rule file by kind, the assessment's among them when there is one."""
    files = {kind: prepared.rules.path(kind) for kind in prepared.rules.models}
    if prepared.assessment is not None:
        files["assessment"] = prepared.assessment.rules_path
    return files


def _manifest(result: RunResult, started: datetime) -> dict[str, object]:
    """The run's manifest: inputs and rule files with SHA-256, CRS, counts, timings so far.

    ``finished_utc`` and ``timings_s`` are those of the moment it is built; the runner
    builds it once, before the report, and updates both before writing ``manifest.json``.
    """
    prepared = result.prepared
    parcels = result.parcels
    return {
        "project": {"name": prepared.project.name, "title": prepared.project.title,
                    "synthetic": prepared.project.synthetic,
                    "file": file_entry(prepared.project_path)},
        "arguments": sys.argv,
        "started_utc": started.isoformat(),
        "finished_utc": datetime.now(UTC).isoformat(),
        "inputs": {role: file_entry(path) for role, path in input_files(prepared).items()},
        "rules": {kind: file_entry(path) for kind, path in rule_files(prepared).items()},
        "crs": {"name": prepared.layers.crs.name, "epsg": prepared.layers.crs.to_epsg(),
                "wkt": prepared.layers.crs.to_wkt()},
        "groundwater_m": prepared.layers.groundwater_m,
        "notes": prepared.layers.notes,
        "parcels": len(parcels),
        "parcel_dtypes": {name: str(dtype) for name, dtype in parcels.dtypes.items()
                          if name != parcels.geometry.name},
        "area_ha": float(parcels[col.AREA_HA].sum()),
        "zones": parcels[col.ZONE].value_counts().to_dict(),
        "restoration_modes": parcels[col.RESTORATION_MODE].value_counts().to_dict(),
        "value_modes": parcels[col.VALUE_MODE].value_counts().to_dict(),
        "timings_s": _timings(result.timings),
        "versions": package_versions(),
    }
