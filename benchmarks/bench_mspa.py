"""Benchmark: MSPA of a blobby random foreground map (smoothed noise, thresholded).

Prints, per parameter set, the median time over --repeat runs, the pixels of each class
and the peak memory of the process (resource.getrusage, so it only grows from row to
row). Usage: python benchmarks/bench_mspa.py [--size 2000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import resource
import statistics
import time

import numpy as np
from scipy import ndimage

from zoning.corridors._mspa import mspa, mspa_statistics

SETTINGS = ({"connectivity": 8, "edge_width": 1}, {"connectivity": 4, "edge_width": 1},
            {"connectivity": 8, "edge_width": 3})


def blobby_map(size: int, seed: int = 42) -> np.ndarray:
    """0/1/2 map: foreground blobs ~10 px across, about half the area, 1 % missing."""
    rng = np.random.default_rng(seed)
    noise = ndimage.gaussian_filter(rng.standard_normal((size, size)), 4.0)
    image = np.where(noise > 0.0, 2, 1).astype(np.uint8)
    image[rng.random((size, size)) < 0.01] = 0
    return image


def _peak_mb() -> float:
    """Peak resident memory of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    image = blobby_map(args.size)
    print(f"MSPA of a {args.size}×{args.size} map, {(image == 2).mean():.0%} foreground; "
          f"peak memory before MSPA (imports, map): {_peak_mb():.0f} MB")
    print(f"{'connectivity':>12} {'edge':>4} {'median s':>9} {'core %':>7} {'bridge px':>9} "
          f"{'peak MB':>8}")
    for setting in SETTINGS:
        times = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            codes = mspa(image, **setting)
            times.append(time.perf_counter() - start)
        stats = mspa_statistics(codes, setting["connectivity"])
        peak_mb = _peak_mb()
        print(f"{setting['connectivity']:>12} {setting['edge_width']:>4} "
              f"{statistics.median(times):>9.2f} "
              f"{100 * stats.loc['core', 'share_of_foreground']:>7.1f} "
              f"{stats.loc['bridge', 'pixels']:>9} {peak_mb:>8.0f}")


if __name__ == "__main__":
    main()
