"""Benchmark: the zones and planning-units stages at scale.

Runs every stage before zones on a project (default the synthetic 108,591-parcel region
in /tmp/synth100k, made with ``zoning synth``), then times the zones stage and its steps:
the decision table, the shared boundaries (STR tree and boundary intersections), the
merging rounds, the statistics, and the dissolved zone polygons; then the planning units
(Ward clustering of each zone piece) and their dissolved layer. Prints a table of seconds,
the spread of unit areas, and the peak memory of the process.
Usage: python benchmarks/bench_zones.py [--project /tmp/synth100k/project.yaml]
"""

from __future__ import annotations

import argparse
import resource
import time
from pathlib import Path

import numpy as np
import pandas as pd

from zoning import columns as col
from zoning import units, zones
from zoning.decision import evaluate
from zoning.engine import STAGES, prepare, run_stages
from zoning.mmu import merge_fragments, shared_boundaries
from zoning.rules.models import ZonesRules


def _peak_mb() -> float:
    """Peak resident memory of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--project", type=Path, default=Path("/tmp/synth100k/project.yaml"))
    args = parser.parse_args()
    prepared = prepare(args.project)
    rules = prepared.rules
    model = rules.get("zones", ZonesRules)
    start = time.perf_counter()
    before = run_stages(prepared, progress=False, stages=STAGES[:STAGES.index(zones.STAGE)])
    rows = [("stages before zones", time.perf_counter() - start)]
    parcels = before.parcels
    memory_before = _peak_mb()

    start = time.perf_counter()
    table = evaluate(zones.table(rules), parcels, rules)
    rows.append(("decision table", time.perf_counter() - start))
    start = time.perf_counter()
    i, j, length = shared_boundaries(parcels.geometry.to_numpy())
    rows.append(("shared boundaries", time.perf_counter() - start))
    codes = pd.Categorical(table[col.ZONE], categories=list(model.zones)).codes.astype(np.int64)
    start = time.perf_counter()
    merged = merge_fragments(codes, parcels[col.AREA_HA].to_numpy(dtype=float), i, j, length,
                             model.min_mapping_unit_ha,
                             np.isin(list(model.zones), model.mmu_exempt))
    rows.append((f"merging ({merged.rounds} rounds)", time.perf_counter() - start))
    start = time.perf_counter()
    output = zones.run(parcels, rules, prepared.layers)
    rows.append(("zones stage (all of it)", time.perf_counter() - start))
    start = time.perf_counter()
    polygons = zones.zone_polygons(parcels.join(output.columns), rules)["zones"]
    rows.append(("zone polygons (dissolve)", time.perf_counter() - start))

    zoned = parcels.join(output.columns)
    start = time.perf_counter()
    unit = units.run(zoned, rules, prepared.layers)[col.PLANNING_UNIT]
    rows.append(("planning units", time.perf_counter() - start))
    start = time.perf_counter()
    units.unit_polygons(zoned.assign(**{col.PLANNING_UNIT: unit}), rules)
    rows.append(("planning units (dissolve)", time.perf_counter() - start))
    unit_area = zoned.groupby(unit)[col.AREA_HA].sum()

    changed = int((merged.labels != codes).sum())
    print(f"{args.project}: {len(parcels)} parcels, {len(i)} neighbouring pairs, "
          f"minimum mapping unit {model.min_mapping_unit_ha:g} ha: {changed} parcels merged; "
          f"{len(polygons)} zones, {len(polygons.explode())} pieces")
    print(f"{unit.nunique()} planning units: area (ha) quartiles "
          + " / ".join(f"{q:.1f}" for q in unit_area.quantile([0, 0.25, 0.5, 0.75, 1])))
    for name, seconds in rows:
        print(f"{name:28s} {seconds:8.2f} s")
    print(f"{'peak memory':28s} {_peak_mb():8.0f} MB  ({memory_before:.0f} MB before zones)")


if __name__ == "__main__":
    main()
