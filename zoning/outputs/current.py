"""Read a run's result back from its outputs, when they are current.

Outputs are current when their ``manifest.json`` lists the same project file, input files
and rule files, byte for byte (SHA-256), and the same zoning version, as the project now.
Then ``result.gpkg`` (the ``parcels`` layer holds every column of every stage, the inputs'
fields among them, and the geometry) and ``suitability_weights.csv`` hold all that
:func:`zoning.explain.explain` needs: it replays the rules, the damage grading and the
minimum mapping unit on the parcel table, as the stages did.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from zoning import columns as col
from zoning.engine import Prepared, RunResult
from zoning.outputs.manifest import package_versions, sha256
from zoning.runner import input_files, rule_files
from zoning.suitability import WEIGHTS_TABLE

logger = logging.getLogger(__name__)

MANIFEST = "manifest.json"
RESULT = "result.gpkg"
DTYPES = "parcel_dtypes"
"""Manifest entry: the pandas dtype of every parcel column, to read ``result.gpkg`` back."""


def _hashes(entries: object) -> dict[str, str]:
    if not isinstance(entries, dict):
        return {}
    return {k: v.get("sha256", "") for k, v in entries.items() if isinstance(v, dict)}


def stale_reason(prepared: Prepared, folder: Path) -> str | None:
    """Why the outputs in ``folder`` are not those of the project as it is now (None: current).

    Compares the manifest's checksums of the project file, the inputs and the rule files,
    and its zoning version, with the files and the engine now.
    """
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return f"{folder / MANIFEST} is missing or unreadable"
    if DTYPES not in manifest:
        return f"{folder / MANIFEST} lacks {DTYPES} (written by an earlier version)"
    if not (folder / RESULT).is_file() or not (folder / f"{WEIGHTS_TABLE}.csv").is_file():
        return f"{folder} lacks {RESULT} or {WEIGHTS_TABLE}.csv"
    version = package_versions()["zoning"]
    written = (manifest.get("versions") or {}).get("zoning")
    if written != version:
        return f"they were written by zoning {written}, this is zoning {version}"
    now = {("project", "file"): sha256(prepared.project_path),
           **{("inputs", k): sha256(p) for k, p in input_files(prepared).items()},
           **{("rules", k): sha256(p) for k, p in rule_files(prepared).items()}}
    then = {("project", "file"): (manifest.get("project") or {}).get("file", {}).get("sha256"),
            **{("inputs", k): v for k, v in _hashes(manifest.get("inputs")).items()},
            **{("rules", k): v for k, v in _hashes(manifest.get("rules")).items()}}
    changed = sorted(f"{kind} {name}" for kind, name in set(now) | set(then)
                     if now.get((kind, name)) != then.get((kind, name)))
    if changed:
        return "changed since they were written: " + ", ".join(changed)
    return None


def read_result(prepared: Prepared, folder: Path) -> RunResult:
    """The parcel table and suitability weights of the run written to ``folder``.

    Only what explaining a parcel needs: the parcels with every column and their geometry,
    and the weights table; the other layers, grids and tables stay in the files.
    """
    parcels = gpd.read_file(folder / RESULT, layer="parcels", engine="pyogrio")
    parcels[col.PARCEL_ID] = parcels[col.PARCEL_ID].astype(str)
    parcels = parcels.set_index(col.PARCEL_ID)
    manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    for name, dtype in manifest[DTYPES].items():  # GeoPackage has no nullable booleans
        values = parcels[name]
        parcels[name] = (values.astype(object).where(values.notna(), np.nan)
                         if dtype == "object" else values.astype(dtype))
    parcels = parcels.copy()  # one block per dtype again: the column-by-column casts split it
    weights = pd.read_csv(folder / f"{WEIGHTS_TABLE}.csv", encoding="utf-8-sig")
    return RunResult(prepared, parcels, tables={WEIGHTS_TABLE: weights})
