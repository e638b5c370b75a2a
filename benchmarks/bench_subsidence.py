"""Benchmark: probability-integral prediction for 20 panels on a 1-million-cell grid.

Prints the median time over --repeat runs, per panel shape (rectangles, then the same
panels as irregular 12-sided polygons), and the peak memory. Target: under 10 s.
Usage: python benchmarks/bench_subsidence.py [--repeat 3] [--cells 1000000]
"""

from __future__ import annotations

import argparse
import math
import resource
import statistics
import time

import geopandas as gpd
import numpy as np
import shapely
import shapely.affinity
from affine import Affine

from zoning.subsidence import PimParameters, predict


def panels(irregular: bool) -> gpd.GeoDataFrame:
    """20 longwall panels 1.2-2 km × 180-250 m, in two districts, depths 350-650 m."""
    rng = np.random.default_rng(7)
    geoms, depth = [], []
    for district, (cx, cy, angle) in enumerate(((3000, 3000, 20), (7000, 6500, -35))):
        for i in range(10):
            length, width = rng.uniform(1200, 2000), rng.uniform(180, 250)
            box = shapely.box(-length / 2, i * 260.0, length / 2, i * 260.0 + width)
            if irregular:  # a 12-sided outline inside the panel's box
                t = np.linspace(0, 2 * np.pi, 13)[:-1]
                x = np.cos(t) * length / 2 * rng.uniform(0.85, 1.0, 12)
                y = i * 260.0 + width / 2 + np.sin(t) * width / 2 * rng.uniform(0.85, 1.0, 12)
                box = shapely.Polygon(np.column_stack([x, y]))
            geoms.append(shapely.affinity.translate(
                shapely.affinity.rotate(box, angle, origin=(0, 0)), cx, cy))
            depth.append(350 + 300 * district * 0.5 + rng.uniform(0, 150))
    return gpd.GeoDataFrame({"thickness_m": 3.0, "depth_m": depth, "dip_deg": 5.0,
                             "dip_dir_deg": 150.0}, geometry=geoms, crs="EPSG:4548")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--cells", type=int, default=1_000_000)
    args = parser.parse_args()
    side = math.isqrt(args.cells)
    cell = 10_000 / side
    grid = (Affine(cell, 0, 0, 0, -cell, 10_000), (side, side))
    print(f"20 panels, grid {side} x {side} = {side * side:,} cells of {cell:.1f} m")
    print(f"{'panels':<24}{'median s':>10}{'min s':>10}{'max W m':>10}")
    for label, irregular in (("rectangles", False), ("12-sided polygons", True)):
        frame = panels(irregular)
        times, wmax = [], 0.0
        for _ in range(args.repeat):
            start = time.perf_counter()
            result = predict(frame, PimParameters(), grid=grid)
            times.append(time.perf_counter() - start)
            wmax = float(result.subsidence.values.max())
        print(f"{label:<24}{statistics.median(times):>10.2f}{min(times):>10.2f}{wmax:>10.2f}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory: {peak:.0f} MB (target: under 10 s per prediction)")


if __name__ == "__main__":
    main()
