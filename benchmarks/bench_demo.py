"""Benchmark: the demo end to end, and the subsidence overlay on a 100,000-parcel region.

Prints a table of seconds per stage (median of --repeat runs) and peak memory.
Usage: python benchmarks/bench_demo.py [--repeat 3] [--parcels 100000] [--cache DIR]
"""

from __future__ import annotations

import argparse
import logging
import resource
import statistics
import tempfile
import time
from pathlib import Path

from zoning import columns as col
from zoning.engine import prepare
from zoning.overlay import depth_from_polygons
from zoning.runner import run
from zoning.synthetic import generate_region


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bench_demo(repeat: int) -> dict[str, list[float]]:
    import json

    times: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(repeat):
            start = time.perf_counter()
            folder = run(None, Path(tmp), progress=False)
            total = time.perf_counter() - start
            manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
            for stage, seconds in manifest["timings_s"].items():
                times.setdefault(stage, []).append(seconds)
            times.setdefault("TOTAL (wall)", []).append(total)
    return times


def bench_overlay(n_parcels: int, cache: Path) -> dict[str, float]:
    project = cache / "project.yaml"
    out: dict[str, float] = {}
    if not project.exists():
        start = time.perf_counter()
        generate_region(cache, n_parcels=n_parcels)
        out["generate region"] = time.perf_counter() - start
        project.write_text(
            (Path(__file__).resolve().parents[1] / "layers" / "demo" / "project.yaml")
            .read_text(encoding="utf-8").replace("name: demo", f"name: synth{n_parcels}"),
            encoding="utf-8")
    start = time.perf_counter()
    prepared = prepare(project)
    out["load + validate layers"] = time.perf_counter() - start
    parcels = prepared.layers.parcels.geometry
    start = time.perf_counter()
    gw = prepared.layers.groundwater_m
    stats = depth_from_polygons(parcels, prepared.layers.vectors["subsidence"], [0.5, 1.5, 3, 5],
                                None if gw is None else {col.PONDED_SHARE: gw})
    out[f"overlay ({len(parcels)} parcels)"] = time.perf_counter() - start
    out["  parcels with subsidence"] = float((stats[col.SUBS_MAX_M] > 0).sum())
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--parcels", type=int, default=100_000)
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "zoning-bench")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    demo = bench_demo(args.repeat)
    print(f"\nDemo end to end, median of {args.repeat} runs (target: total < 60 s)")
    print(f"{'stage':<28}{'median s':>10}{'min s':>10}")
    for stage, values in demo.items():
        print(f"{stage:<28}{statistics.median(values):>10.2f}{min(values):>10.2f}")
    overlay = bench_overlay(args.parcels, args.cache / str(args.parcels))
    print(f"\nSubsidence overlay on a synthetic region of {args.parcels} parcels")
    for name, value in overlay.items():
        print(f"{name:<40}{value:>10.2f}")
    print(f"\npeak memory (max RSS): {peak_mb():.0f} MB")


if __name__ == "__main__":
    main()
