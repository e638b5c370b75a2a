"""Benchmark: travel times and land-reduction selection on a large synthetic region.

Generates (once, into --region) a synthetic region of --parcels parcels with
``zoning synth``, runs every stage up to reduction, then times on their output: the road
graph and the travel time of every parcel to its nearest town (one multi-source Dijkstra),
and the reduction stage (scoring and the quota by milp and by greedy). Prints a table of
seconds and the peak memory.
Usage: python benchmarks/bench_reduction.py [--parcels 100000] [--region /tmp/zoning_100k]
"""

from __future__ import annotations

import argparse
import resource
import time
from dataclasses import replace
from pathlib import Path

import yaml

from zoning import columns as col
from zoning._resources import demo_project
from zoning.engine import STAGES, prepare, run_stages
from zoning.layers.roads import drive_graph
from zoning.reduction import stage as reduction_stage
from zoning.rules.models import ReductionRules
from zoning.synthetic import generate_region
from zoning.travel import travel_time_to_nearest


def _project(region: Path, parcels: int) -> Path:
    path = region / "project.yaml"
    if not path.exists():
        generate_region(region, n_parcels=parcels, seed=7)
        spec = yaml.safe_load(demo_project().read_text(encoding="utf-8"))
        spec["name"] = f"synthetic_{parcels}"
        path.write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    return path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--parcels", type=int, default=100_000)
    parser.add_argument("--region", type=Path, default=Path("/tmp/zoning_100k"))
    args = parser.parse_args()
    prepared = prepare(_project(args.region, args.parcels))
    upto = STAGES.index(reduction_stage.STAGE)
    before = run_stages(prepared, progress=False, stages=STAGES[:upto])
    parcels, layers = before.parcels, prepared.layers
    rows = []
    t0 = time.perf_counter()
    graph = drive_graph(layers.sources["roads"], crs=layers.crs)
    t1 = time.perf_counter()
    minutes = travel_time_to_nearest(graph, parcels.geometry, layers.vectors["towns"].geometry)
    t2 = time.perf_counter()
    rows += [("road graph", t1 - t0), ("travel times", t2 - t1)]
    rules = prepared.rules
    model = rules.get("reduction", ReductionRules)
    for method in ("milp", "greedy"):
        selection = model.selection.model_copy(update={"method": method})
        rules.models["reduction"] = model.model_copy(update={"selection": selection})
        start = time.perf_counter()
        out = reduction_stage.run(parcels, rules, replace(layers))
        rows.append((f"reduction stage ({method})", time.perf_counter() - start))
        summary = out.tables[reduction_stage.SUMMARY_TABLE].iloc[0]
        print(f"{method}: target {summary['target_ha']:.1f} ha, reached "
              f"{summary['reached_ha']:.1f} ha, score {summary['total_score']:.2f}, "
              f"{summary['status']}")
    rules.models["reduction"] = model
    eligible = int(out.columns[col.REDUCE_SCORE].notna().sum())
    print(f"{len(parcels)} parcels, {eligible} eligible; {graph.number_of_nodes()} road nodes; "
          f"{int(minutes.isna().sum())} parcels unreachable")
    print(f"{'phase':<26}{'seconds':>10}")
    for name, seconds in rows:
        print(f"{name:<26}{seconds:>10.2f}")
    print(f"peak memory {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
