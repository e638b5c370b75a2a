"""Pairwise circuit benchmark: a random resistance grid, 10 focal nodes, 8 neighbours.

Run: ``PYTHONPATH=. python benchmarks/bench_circuit.py [--size 1000] [--focal 10]
[--solver both|direct|amg]``. Prints the time of each phase per solver and the peak memory.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from itertools import combinations

import numpy as np

from zoning.corridors._circuit import pairwise, placement
from zoning.corridors._circuit_graph import build_circuit, conductance_grid, node_map
from zoning.corridors._circuit_solve import GroundedSystem, node_currents, part_of

SEED = 20261201


def peak_mb() -> float:
    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kb / 1024 if sys.platform != "darwin" else kb / 1024 / 1024


def problem(size: int, n_focal: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(SEED)
    resistance = rng.uniform(1.0, 100.0, (size, size))
    resistance[rng.random((size, size)) < 0.05] = np.nan  # 5 % barriers
    focal = np.zeros((size, size), dtype=int)
    rows = rng.integers(0, size, n_focal)
    cols = rng.integers(0, size, n_focal)
    resistance[rows, cols] = 1.0
    focal[rows, cols] = np.arange(1, n_focal + 1)
    return resistance, focal


def phases(resistance: np.ndarray, focal: np.ndarray, solver: str) -> dict[str, float]:
    times: dict[str, float] = {}
    t = time.perf_counter()
    cond = conductance_grid(resistance)
    nodes = node_map(cond)
    circuit = build_circuit(cond, nodes, connect=8)
    labels = circuit.components
    focal_nodes = nodes[focal > 0]
    main = np.bincount(labels[focal_nodes]).argmax()
    part = part_of(circuit, np.flatnonzero(labels == main))
    where = placement(circuit.nodes, part)
    local = np.searchsorted(part.nodes, focal_nodes[labels[focal_nodes] == main])
    times["graph build"] = time.perf_counter() - t
    t = time.perf_counter()
    fixed = np.zeros(part.size, dtype=bool)
    fixed[local[0]] = True
    system = GroundedSystem(part.laplacian, fixed, solver=solver,
                            coordinates=part.coordinates)
    times["factorisation / AMG setup"] = time.perf_counter() - t
    t = time.perf_counter()
    x = [np.zeros(part.size)]
    for k in local[1:]:
        b = np.zeros(part.size)
        b[k] = 1.0
        x.append(system.solve(b))
    times[f"solves ({len(local) - 1})"] = time.perf_counter() - t
    t = time.perf_counter()
    cum = np.zeros(resistance.shape)
    for a, b in combinations(range(len(local)), 2):
        v = x[b] - x[a]
        cum += where.grid(node_currents(part, v))
        where.grid(v)
    times[f"maps ({len(local) * (len(local) - 1) // 2} pairs)"] = time.perf_counter() - t
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, default=1000)
    parser.add_argument("--focal", type=int, default=10)
    parser.add_argument("--solver", choices=["both", "direct", "amg"], default="both")
    args = parser.parse_args()
    resistance, focal = problem(args.size, args.focal)
    solvers = ["amg", "direct"] if args.solver == "both" else [args.solver]
    print(f"grid {args.size}x{args.size}, {args.focal} focal nodes, 8 neighbours")
    for solver in solvers:
        before = peak_mb()
        times = phases(resistance, focal, solver)
        print(f"\n{solver}:")
        for name, seconds in times.items():
            print(f"  {name:<28} {seconds:8.2f} s")
        print(f"  {'total':<28} {sum(times.values()):8.2f} s")
        print(f"  peak RSS so far {peak_mb():.0f} MB (before: {before:.0f} MB)")
    t = time.perf_counter()
    result = pairwise(resistance, focal, maps=False)
    print(f"\npairwise(..., maps=False), solver=auto: {time.perf_counter() - t:.2f} s, "
          f"{int((result.resistances.to_numpy() > 0).sum() // 2)} pairs, "
          f"peak RSS {peak_mb():.0f} MB")


if __name__ == "__main__":
    main()
