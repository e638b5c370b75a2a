"""Benchmark: the full corridor stage on the demo region (or any project).

Runs the stages before it once, then the corridor stage's phases ``--repeat`` times and
prints the median seconds per phase, the grid size, the network's size and the peak memory.
Usage: python benchmarks/bench_corridors.py [PROJECT] [--repeat 3] [--resolution M]
"""

from __future__ import annotations

import argparse
import resource
import statistics
import time
from dataclasses import replace

from zoning.corridors import stage as corridor_stage
from zoning.corridors.network import build_network
from zoning.corridors.resistance import resistance_surface
from zoning.corridors.sources import choose_sources
from zoning.engine import STAGES, prepare, run_stages
from zoning.rules.models import CorridorRules


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("project", nargs="?", help="project.yaml (default: the demo)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--resolution", type=float, help="override resolution_m")
    args = parser.parse_args()
    prepared = prepare(args.project)
    rules = prepared.rules
    if args.resolution:
        model = rules.get("corridors", CorridorRules)
        rules.models["corridors"] = model.model_copy(update={"resolution_m": args.resolution})
    upto = STAGES.index(corridor_stage.STAGE)
    before = run_stages(prepared, progress=False, stages=STAGES[:upto])
    layers = replace(prepared.layers, grids={**prepared.layers.grids, **before.grids})
    parcels = before.parcels
    model = rules.get("corridors", CorridorRules)
    times: dict[str, list[float]] = {"resistance": [], "sources": [], "network": [],
                                     "whole stage": []}
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        surface = resistance_surface(parcels, rules, layers)
        t1 = time.perf_counter()
        patches = choose_sources(parcels, rules, surface)
        t2 = time.perf_counter()
        network = build_network(surface, patches, model)
        t3 = time.perf_counter()
        corridor_stage.run(parcels, rules, layers)
        t4 = time.perf_counter()
        for key, dt in zip(times, (t1 - t0, t2 - t1, t3 - t2, t4 - t3), strict=True):
            times[key].append(dt)
    rows, cols = surface.grid.values.shape
    print(f"{len(parcels)} parcels, grid {rows} x {cols} = {rows * cols:,} cells at "
          f"{model.resolution_m:g} m; {len(patches.frame)} sources, {len(network.links)} links, "
          f"{len(network.nodes)} nodes; median of {args.repeat}")
    print(f"{'phase':<14}{'median s':>10}{'min s':>10}")
    for key, values in times.items():
        print(f"{key:<14}{statistics.median(values):>10.2f}{min(values):>10.2f}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory {peak:.0f} MB")


if __name__ == "__main__":
    main()
