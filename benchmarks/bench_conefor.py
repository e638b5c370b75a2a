"""Benchmark: Conefor indices, edge distances and gravity for random patches.

Prints the time of the edge-to-edge distances (vector and raster), of IIC with dIIC, of
PC with dPC, of the gravity ranking, the peak memory of the two indices and of the process.
Usage: python benchmarks/bench_conefor.py [--patches 300] [--threshold 1500]
"""

from __future__ import annotations

import argparse
import resource
import time
import tracemalloc

import numpy as np
import pandas as pd
import shapely

from zoning.corridors._conefor import connectivity
from zoning.corridors._distances import edge_distances, raster_edge_distances
from zoning.corridors._gravity import gravity

EXTENT_M = 20_000.0
CELL_M = 30.0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--patches", type=int, default=300)
    parser.add_argument("--threshold", type=float, default=1500.0, help="IIC threshold (m)")
    args = parser.parse_args()
    rng = np.random.default_rng(11)
    n = args.patches
    discs = shapely.buffer(
        shapely.points(rng.uniform(0, EXTENT_M, (n, 2))), rng.uniform(30, 400, n)
    )
    areas = shapely.area(discs)

    start = time.perf_counter()
    d = edge_distances(discs)
    vector = time.perf_counter()
    labels = _rasterise(discs)
    rasterised = time.perf_counter()
    raster_edge_distances(labels, CELL_M, max_distance=5000)
    raster = time.perf_counter()
    tracemalloc.start()
    iic = connectivity(areas, d, threshold=args.threshold, landscape_area=EXTENT_M**2)
    iic_done = time.perf_counter()
    pc = connectivity(areas, d, distance=1000, probability=0.5, landscape_area=EXTENT_M**2)
    pc_done = time.perf_counter()
    indices_peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    i, j = np.triu_indices(n, 1)
    links = pd.DataFrame({"a": i, "b": j, "cost": d[i, j] + 1.0})
    sources = pd.DataFrame({"area": areas, "mean_resistance": rng.uniform(1, 5, n)})
    gravity(links, sources)
    done = time.perf_counter()

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    side = labels.shape[0]
    print(f"{n} patches, IIC threshold {args.threshold:g} m, PC p = 0.5 at 1000 m")
    print(f"edge_distances (vector)          {vector - start:6.2f} s")
    print(f"raster_edge_distances {side}²     {raster - rasterised:6.2f} s")
    print(f"IIC + dIIC                       {iic_done - raster:6.2f} s")
    print(f"PC + dPC                         {pc_done - iic_done:6.2f} s")
    print(f"gravity of {len(links):,} links        {done - pc_done:6.2f} s")
    print(f"peak memory of the two indices   {indices_peak:6.0f} MB (tracemalloc)")
    print(f"peak memory of the process       {peak:6.0f} MB")
    print(f"IIC = {iic.iic:.3e}, EC(IIC) = {iic.ec_iic / 1e4:.0f} ha")
    print(f"PC  = {pc.pc:.3e}, ECA = {pc.eca / 1e4:.0f} ha")
    top = pc.table["dPC"].nlargest(3).round(2).to_dict()
    print(f"top dPC: {top}")


def _rasterise(discs: np.ndarray) -> np.ndarray:
    """Label the cells whose centre falls in a disc (an overlap goes to one of them)."""
    side = int(EXTENT_M / CELL_M)
    centres = (np.arange(side) + 0.5) * CELL_M
    x, y = np.meshgrid(centres, centres)
    labels = np.zeros((side, side), dtype=np.int32)
    tree = shapely.STRtree(discs)
    cell_idx, disc_idx = tree.query(shapely.points(x.ravel(), y.ravel()), predicate="within")
    flat = labels.ravel()
    flat[cell_idx] = disc_idx + 1
    return labels


if __name__ == "__main__":
    main()
