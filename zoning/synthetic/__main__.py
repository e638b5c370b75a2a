"""Command line: ``python -m zoning.synthetic OUT_DIR [--parcels N] [--seed S] [--no-raster]``.

The same as ``zoning synth``; kept so the generator runs without the console script.
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    """Generate the SYNTHETIC demo region into a folder (see ``zoning synth --help``)."""
    from zoning.cli import main as zoning_main

    return zoning_main(["synth", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    sys.exit(main())
