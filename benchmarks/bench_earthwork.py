"""Benchmark: dig-deep-fill-shallow earth balance of 10,000 parcels on a 2000 × 2000 grid.

Prints the time of the CellIndex (rasterising the parcels) and of the balance itself, and
the peak memory. Usage: python benchmarks/bench_earthwork.py [--side 2000] [--parcels 10000]
"""

from __future__ import annotations

import argparse
import resource
import time

import geopandas as gpd
import numpy as np
import shapely
from affine import Affine
from pyproj import CRS

from zoning.columns import EARTHWORK_STATUS
from zoning.earthwork import earth_balance
from zoning.layers.grid import Grid
from zoning.overlay import CellIndex


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--side", type=int, default=2000, help="grid cells per side")
    parser.add_argument("--parcels", type=int, default=10_000)
    args = parser.parse_args()
    rng = np.random.default_rng(3)
    side, size = args.side, 5.0
    y, x = np.mgrid[0:side, 0:side] / side
    subs = 4 * np.exp(-((x - 0.4) ** 2 + (y - 0.5) ** 2) / 0.05) + rng.uniform(0, 0.2, x.shape)
    grid = Grid(subs, Affine(size, 0, 0, 0, -size, side * size), CRS(4548))
    gw = Grid(rng.uniform(1.5, 3.0, x.shape), grid.transform, grid.crs)
    per_side = int(np.sqrt(args.parcels))
    edges = np.linspace(0, side * size, per_side + 1)
    parcels = gpd.GeoSeries(shapely.box(*np.meshgrid(edges[:-1], edges[:-1]),
                                        *np.meshgrid(edges[1:], edges[1:])).ravel(),
                            crs=grid.crs)
    start = time.perf_counter()
    cells = CellIndex(parcels, grid)
    indexed = time.perf_counter()
    out = earth_balance(parcels, grid, gw, field_height_m=1.0, pond_depth_m=2.0, cells=cells)
    done = time.perf_counter()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{len(parcels)} parcels, {subs.size:,} cells ({cells.flat.size:,} in parcels)")
    print(f"CellIndex     {indexed - start:6.2f} s")
    print(f"earth_balance {done - indexed:6.2f} s")
    print(f"peak memory   {peak:6.0f} MB")
    print(out[EARTHWORK_STATUS].value_counts().to_string())


if __name__ == "__main__":
    main()
