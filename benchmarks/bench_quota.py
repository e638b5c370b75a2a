"""Benchmark: quota selection for land reduction on random parcels, milp against greedy.

Random parcels (areas lognormal around 0.5 ha, scores uniform in [0, 1], 5 % triggered,
2 % locked out, target 30 % of the eligible area), without and with neighbours (the
Delaunay triangulation of random points, a planar adjacency). Prints, per case and method,
the seconds, the objective, the fragments left, the MILP's gap to greedy and to its bound,
and the peak memory.
Usage: PYTHONPATH=. python benchmarks/bench_quota.py [--parcels 20000] [--penalty 0.5]
[--time-limit 30]
"""

from __future__ import annotations

import argparse
import resource
import sys
import time

import numpy as np
import scipy.sparse as sp
from scipy.spatial import Delaunay

from zoning.reduction._quota import Selection, select

SEED = 20261201
MEDIAN_AREA_HA = 0.5
AREA_SIGMA = 0.8
TRIGGERED_SHARE = 0.05
LOCKED_OUT_SHARE = 0.02
TARGET_SHARE = 0.30


def peak_mb() -> float:
    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kb / 1024 if sys.platform != "darwin" else kb / 1024 / 1024


def parcels(n: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(SEED)
    return {
        "area_ha": rng.lognormal(np.log(MEDIAN_AREA_HA), AREA_SIGMA, n),
        "score": rng.uniform(0.0, 1.0, n),
        "triggered": rng.random(n) < TRIGGERED_SHARE,
        "locked_out": rng.random(n) < LOCKED_OUT_SHARE,
        "points": rng.uniform(0.0, 1.0, (n, 2)),
    }


def delaunay_adjacency(points: np.ndarray) -> sp.csr_array:
    indptr, indices = Delaunay(points).vertex_neighbor_vertices
    n = len(points)
    return sp.csr_array((np.ones(indices.size), indices, indptr), shape=(n, n))


def run(data: dict[str, np.ndarray], method: str, neighbours: sp.csr_array | None,
        penalty: float, time_limit: float) -> tuple[Selection, float]:
    target = TARGET_SHARE * float(data["area_ha"].sum())
    start = time.perf_counter()
    selection = select(data["area_ha"], data["score"], target, triggered=data["triggered"],
                       locked_out=data["locked_out"], neighbours=neighbours,
                       isolation_penalty=penalty if neighbours is not None else 0.0,
                       method=method,  # type: ignore[arg-type]
                       time_limit_s=time_limit)
    return selection, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--parcels", type=int, default=20_000)
    parser.add_argument("--penalty", type=float, default=0.5, help="per isolated fragment")
    parser.add_argument("--time-limit", type=float, default=30.0, help="HiGHS limit (s)")
    args = parser.parse_args()
    data = parcels(args.parcels)
    start = time.perf_counter()
    adjacency = delaunay_adjacency(data["points"])
    print(f"{args.parcels} parcels, Delaunay adjacency {adjacency.nnz // 2} edges in "
          f"{time.perf_counter() - start:.2f} s; target {TARGET_SHARE:.0%} of "
          f"{data['area_ha'].sum():.1f} ha")
    for label, neighbours in (("no neighbours", None), ("with neighbours", adjacency)):
        results = {m: run(data, m, neighbours, args.penalty, args.time_limit)
                   for m in ("greedy", "milp")}
        print(f"-- {label}" + (f" (penalty {args.penalty})" if neighbours is not None else ""))
        for name, (s, seconds) in results.items():
            print(f"  {name:6s} {seconds:7.2f} s  objective {s.objective:11.4f}  score "
                  f"{s.total_score:11.4f}  fragments {s.fragments:5d}  selected "
                  f"{int(s.selected.sum()):5d}  overshoot {s.overshoot_ha:.6f} ha")
            print(f"         method {s.method!r}; {s.status}")
        gain = results["milp"][0].objective - results["greedy"][0].objective
        print(f"  milp − greedy objective: {gain:+.4f}")
    print(f"peak memory {peak_mb():.0f} MB")


if __name__ == "__main__":
    main()
