"""Benchmark: the parcel topology check (overlaps and gaps) on the demo and a large region.

Reads each parcel layer, then times :func:`zoning.topology.parcel_topology` alone (the STR
tree query of candidate pairs, the interiors test, the intersection areas, the union and its
holes), best of ``--repeat`` runs. A region is given by its ``parcels.gpkg`` (a folder
written by ``zoning synth DIR --parcels 100000``; default /tmp/synth100k). Each region is
timed as it is and with every tenth parcel held twice (under a second id, 10 % duplicate
geometries, like a cadastre holding two tiers). Prints a table: parcels, candidate pairs
(touching or overlapping, the STR tree's), overlapping pairs, gaps, seconds (wall clock,
best run) and CPU seconds (what the check costs on a machine shared with others).
Usage: python benchmarks/bench_topology.py [--region DIR ...] [--repeat 3]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import geopandas as gpd
import pandas as pd

from zoning._resources import demo_project
from zoning.topology import parcel_topology


def _parcels(folder: Path) -> gpd.GeoDataFrame:
    frame = gpd.read_file(folder / "parcels.gpkg", engine="pyogrio", use_arrow=True)
    return frame.set_index("BSM")


def _with_duplicates(parcels: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """``parcels`` and a copy of every tenth parcel under a new id."""
    copies = parcels.iloc[::10]
    copies = copies.set_axis(copies.index.astype(str) + "-copy", axis=0)
    return pd.concat([parcels, copies])


def _row(name: str, parcels: gpd.GeoDataFrame, repeat: int) -> str:
    left, right = parcels.sindex.query(parcels.geometry.array, predicate="intersects")
    seconds, cpu = [], []
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        found = parcel_topology(parcels)
        seconds.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return (f"{name:40s} {len(parcels):9,d} {int((left < right).sum()):11,d} "
            f"{len(found.overlaps):9,d} {len(found.gaps):6,d} {min(seconds):8.2f} "
            f"{min(cpu):8.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--region", type=Path, nargs="*", default=[Path("/tmp/synth100k")])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    regions = {"demo": demo_project().parent, **{str(r): r for r in args.region}}
    print(f"{'region':40s} {'parcels':>9s} {'candidates':>11s} {'overlaps':>9s} "
          f"{'gaps':>6s} {'seconds':>8s} {'cpu s':>8s}")
    for name, folder in regions.items():
        if not (folder / "parcels.gpkg").exists():
            print(f"{name:40s} (no parcels.gpkg: make one with `zoning synth {folder} "
                  "--parcels 100000`)")
            continue
        parcels = _parcels(folder)
        print(_row(name, parcels, args.repeat), flush=True)
        print(_row(f"{name} + 10 % duplicates", _with_duplicates(parcels), args.repeat),
              flush=True)


if __name__ == "__main__":
    main()
