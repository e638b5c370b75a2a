"""Benchmark: travel time from many random origins to the nearest of a few centres.

Builds the drivable graph of the demo's roads.osm (or --roads FILE), draws --origins random
points over the graph's extent and --centres random centres, and prints the time of each
step (graph build, snapping, the one Dijkstra, total) and the peak memory of the process
(resource.getrusage). Snapping and the search are also timed alone, through the
module's private steps. Usage:
python benchmarks/bench_travel.py [--roads FILE] [--origins 100000] [--centres 20]
"""

from __future__ import annotations

import argparse
import logging
import resource
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
from scipy.spatial import cKDTree

from zoning import travel
from zoning._resources import demo_project
from zoning.layers.roads import drive_graph


def _peak_mb() -> float:
    """Peak resident memory of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _random_points(rng: np.random.Generator, bounds: np.ndarray, n: int,
                   crs: object) -> gpd.GeoSeries:
    xmin, ymin, xmax, ymax = bounds
    return gpd.GeoSeries(gpd.points_from_xy(rng.uniform(xmin, xmax, n),
                                            rng.uniform(ymin, ymax, n)), crs=crs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--roads", type=Path, default=demo_project().parent / "roads.osm")
    parser.add_argument("--origins", type=int, default=100_000)
    parser.add_argument("--centres", type=int, default=20)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(message)s")

    start = time.perf_counter()
    graph = drive_graph(args.roads)
    built = time.perf_counter()
    _, xy = travel._node_table(graph)
    bounds = np.concatenate([xy.min(axis=0), xy.max(axis=0)])
    rng = np.random.default_rng(42)
    origins = _random_points(rng, bounds, args.origins, graph.graph["crs"])
    centres = _random_points(rng, bounds, args.centres, graph.graph["crs"])

    # The steps of travel_time_to_nearest one by one, then the whole call.
    step = time.perf_counter()
    nodes, xy = travel._node_table(graph)
    tree = cKDTree(xy)
    centre_leg, centre_node = tree.query(np.column_stack([centres.x, centres.y]))
    tree.query(np.column_stack([origins.x, origins.y]))
    snapping = time.perf_counter() - step
    step = time.perf_counter()
    centre_leg_s = centre_leg / (travel.ACCESS_SPEED_KMH / 3.6)
    travel._seconds_from_centres(graph, nodes, centre_node, centre_leg_s)
    search = time.perf_counter() - step
    step = time.perf_counter()
    minutes = travel.travel_time_to_nearest(graph, origins, centres)
    call = time.perf_counter() - step

    print(f"roads {args.roads.name}: {graph.number_of_nodes()} nodes, "
          f"{graph.number_of_edges()} edges; {args.origins} origins, {args.centres} centres")
    print(f"graph build  {built - start:8.2f} s")
    print(f"snapping     {snapping:8.2f} s  (node table, KD-tree, both queries)")
    print(f"dijkstra     {search:8.2f} s  (sparse matrix and one search)")
    print(f"call         {call:8.2f} s  (travel_time_to_nearest, all of the above)")
    print(f"total        {built - start + call:8.2f} s  (build + call)")
    print(f"peak memory  {_peak_mb():8.0f} MB")
    print(f"minutes: median {minutes.median():.1f}, max {minutes.max():.1f}, "
          f"unreachable {int(minutes.isna().sum())}")


if __name__ == "__main__":
    main()
