"""Benchmark: Linkage Mapper links, corridors and barriers on a blobby resistance grid.

A 1000 × 1000 grid of 30 m cells: resistance 1-100 from smoothed noise, a few NODATA
holes, 20 round cores on low-resistance ground. Prints the time of one cost-distance run
(one core), the cost allocation, the whole linkage, the barrier scores and the peak memory.
Usage: python benchmarks/bench_linkage.py [--side 1000] [--cores 20] [--radii 60 150 300]
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np
from scipy import ndimage

from zoning.corridors._barriers import barrier_improvement
from zoning.corridors._cost import cost_allocation, cost_distance
from zoning.corridors._linkage import linkage

CELL = 30.0


def blobby_resistance(side: int, rng: np.random.Generator) -> np.ndarray:
    noise = ndimage.gaussian_filter(rng.standard_normal((side, side)), sigma=side / 60)
    noise = (noise - noise.min()) / np.ptp(noise)
    res = 1.0 + 99.0 * noise**2
    holes = ndimage.gaussian_filter(rng.standard_normal((side, side)), sigma=side / 100)
    res[holes > np.quantile(holes, 0.97)] = np.nan
    return res


def round_cores(res: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    side = res.shape[0]
    rows, cols = np.indices(res.shape)
    cores = np.zeros(res.shape, dtype=np.int32)
    candidates = np.argwhere(res < np.nanquantile(res, 0.2))
    for k in range(1, n + 1):
        r, c = candidates[rng.integers(len(candidates))]
        radius = rng.uniform(0.01, 0.025) * side
        disc = (rows - r) ** 2 + (cols - c) ** 2 <= radius**2
        cores[disc & (cores == 0) & np.isfinite(res)] = k
    return cores


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--side", type=int, default=1000, help="grid cells per side")
    parser.add_argument("--cores", type=int, default=20)
    parser.add_argument("--radii", type=float, nargs="+", default=[60.0, 150.0, 300.0],
                        help="barrier radii in metres")
    args = parser.parse_args()
    rng = np.random.default_rng(11)
    res = blobby_resistance(args.side, rng)
    cores = round_cores(res, args.cores, rng)
    before = rss_mb()
    start = time.perf_counter()
    cost_distance(res, cores == 1, CELL)
    one = time.perf_counter()
    cost_allocation(res, cores, CELL)
    alloc = time.perf_counter()
    result = linkage(res, cores, CELL, width=50_000.0)
    linked = time.perf_counter()
    after_linkage = rss_mb()
    scores = barrier_improvement(res, cores, result, CELL, args.radii)
    done = time.perf_counter()
    peak = rss_mb()
    kept = result.kept()
    print(f"{res.size:,} cells, {len(np.unique(cores)) - 1} cores, "
          f"{len(result.links)} candidate links, {len(kept)} kept")
    print(f"CWD, one core       {one - start:6.2f} s")
    print(f"cost allocation     {alloc - one:6.2f} s")
    print(f"linkage (all cores) {linked - alloc:6.2f} s  ({len(result.cwd)} CWD runs)")
    print(f"barriers, {len(args.radii)} radii   {done - linked:6.2f} s  "
          f"(max score {scores.max():.1f})")
    print(f"peak memory         {peak:6.0f} MB  ({before:.0f} MB before the first run, "
          f"{after_linkage:.0f} MB after the linkage)")
    print(result.links.drop(columns="crossed_cores").head(8).to_string())


if __name__ == "__main__":
    main()
