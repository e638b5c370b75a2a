"""Command line: ``python -m zoning.synthetic OUT_DIR [--parcels N] [--seed S]``."""

from __future__ import annotations

import argparse
import logging
import sys

from zoning.synthetic._region import DEFAULT_SEED, generate_region


def main(argv: list[str] | None = None) -> int:
    """Generate the SYNTHETIC demo region into a folder and print the paths written."""
    parser = argparse.ArgumentParser(
        prog="python -m zoning.synthetic",
        description="Write the SYNTHETIC demo coalfield region (EPSG:4548) to OUT_DIR.",
    )
    parser.add_argument("out_dir", metavar="OUT_DIR", help="folder to write the layers to")
    parser.add_argument("--parcels", type=int, default=7000, help="target number of parcels")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed")
    parser.add_argument("--no-raster", action="store_true", help="skip subsidence.tif")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(name)s %(levelname)s %(message)s",
    )
    paths = generate_region(
        args.out_dir, n_parcels=args.parcels, seed=args.seed, write_raster=not args.no_raster
    )
    for key, path in paths.items():
        print(f"{key}\t{path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
