"""``zoning assess``: social-ecological vulnerability and resilience of a table over time."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from zoning.assess._assessment import DEFAULT_RULE_SET, RULE_SETS, assess
from zoning.assess._write import ILLUSTRATIVE_NOTICE, write

logger = logging.getLogger(__name__)

DEFAULT_OUT = Path("out") / "assessment"
"""Output folder when ``--out`` is not given (relative to the working directory)."""


def add_parser(commands: argparse._SubParsersAction) -> None:
    """Add ``assess`` to the ``zoning`` command."""
    p = commands.add_parser(
        "assess", help="vulnerability and resilience over time by set pair analysis "
                       "(the shipped ILLUSTRATIVE table when no TABLE is given)")
    p.add_argument("table", nargs="?", type=Path,
                   help="CSV or Excel table: first column year (or unit), one column per "
                        "indicator id, optional second row 'unit'")
    p.add_argument("--rules", default=None,
                   help="kind: assessment rule file, or a shipped set by name: "
                   f"{', '.join(RULE_SETS)} (default: {DEFAULT_RULE_SET}, rules/assessment.yaml; "
                   "jiawang: Table 1 of Ma et al. 2026 with its published weights)")
    p.add_argument("--out", type=Path, default=None,
                   help=f"output folder, replaced whole (default: ./{DEFAULT_OUT})")


def run(args: argparse.Namespace) -> Path:
    """Run ``zoning assess`` and return the output folder."""
    result = assess(args.table, args.rules)
    notice = ILLUSTRATIVE_NOTICE if args.table is None else None
    if notice:
        logger.warning("no TABLE given: assessing the shipped ILLUSTRATIVE table (%s)",
                       result.table.path)
    out = args.out if args.out is not None else Path.cwd() / DEFAULT_OUT
    return write(result, out, notice=notice, arguments=sys.argv)
