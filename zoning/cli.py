"""Command-line interface.

``zoning run | validate | qc | explain | schema | subsidence | mspa | circuitscape | synth |
assess``.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
import traceback
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from zoning import __version__, qc_cli
from zoning.assess import cli as assess_cli
from zoning.corridors import circuitscape as circuitscape_cli
from zoning.corridors import mspa_cli
from zoning.errors import ValidationFailed, ZoningError
from zoning.subsidence import cli as subsidence_cli

logger = logging.getLogger("zoning")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="zoning",
        description="Rules-driven ecological restoration zoning for coal-mining areas.",
    )
    parser.add_argument("--version", action="version", version=f"zoning {__version__}")
    noise = parser.add_mutually_exclusive_group()
    noise.add_argument("-v", "--verbose", action="store_true", help="log details")
    noise.add_argument("-q", "--quiet", action="store_true", help="only warnings; no progress bar")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run a project (the embedded demo when none is given)")
    run.add_argument("project", nargs="?", type=Path, help="project.yaml")
    run.add_argument("--out", type=Path, help="parent folder of the outputs (default: ./out)")

    validate = sub.add_parser("validate", help="check a project without running it")
    validate.add_argument("project", nargs="?", type=Path, help="project.yaml")

    qc_cli.add_parser(sub)

    explain = sub.add_parser("explain", help="show every rule tried for one parcel")
    explain.add_argument("parcel_id")
    explain.add_argument("project", nargs="?", type=Path, help="project.yaml")
    explain.add_argument("--out", type=Path, help="parent folder of the last run's outputs, "
                         "read when current (default: as `zoning run`)")

    schema = sub.add_parser("schema", help="print the JSON schema of project and rule files")
    schema.add_argument("--write", type=Path, help="write it to this file instead")

    subsidence_cli.add_parser(sub)
    mspa_cli.add_parser(sub)
    circuitscape_cli.add_parser(sub)
    assess_cli.add_parser(sub)

    synth = sub.add_parser("synth", help="generate a synthetic region (demo-like) of any size")
    synth.add_argument("out", type=Path, help="folder to write the layers to")
    synth.add_argument("--parcels", type=int, default=7000)
    synth.add_argument("--seed", type=int, default=None)
    synth.add_argument("--no-raster", action="store_true", help="skip subsidence.tif")
    return parser


def _configure_logging(verbose: bool, quiet: bool) -> None:
    level = logging.DEBUG if verbose else logging.WARNING if quiet else logging.INFO
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    logger.handlers[:] = [handler]
    logger.setLevel(level)


EXIT_OK, EXIT_INPUT, EXIT_USAGE, EXIT_INTERNAL, EXIT_INTERRUPTED = 0, 1, 2, 3, 130
"""Exit codes: done; invalid input; wrong command line (argparse); a bug; Ctrl-C."""


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``zoning`` command; returns the exit code.

    0 done, 1 invalid input (every problem listed), 2 wrong command line, 3 internal error
    (the traceback goes to a log file, named on the terminal), 130 interrupted (Ctrl-C).
    """
    args = _parser().parse_args(argv)
    _configure_logging(args.verbose, args.quiet)
    try:
        return _dispatch(args)
    except ValidationFailed as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_INPUT
    except ZoningError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INPUT
    except KeyboardInterrupt:
        print("interrupted (Ctrl-C): nothing written, earlier outputs untouched",
              file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as exc:  # a bug: its traceback goes to a file
        log = crash_log(exc)
        print(f"internal error ({type(exc).__name__}: {_first_line(exc)}); this is a bug in "
              f"zoning, not in the input: the traceback is in {log}", file=sys.stderr)
        return EXIT_INTERNAL


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0][:200] if lines else "no message"


def crash_log(exc: BaseException) -> Path:
    """Write the traceback of an unexpected error, with the command line, to a new log file.

    The file is ``zoning-error-<time>-<pid>.log`` in the temporary folder (a failed run
    removes its staging folder and so its ``run.log``).
    """
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = Path(tempfile.gettempdir()) / f"zoning-error-{stamp}-{os.getpid()}.log"
    text = "".join(traceback.format_exception(exc))
    path.write_text(f"zoning {__version__}\narguments: {sys.argv}\n\n{text}", encoding="utf-8")
    logger.debug("traceback written to %s", path)
    return path


def _dispatch(args: argparse.Namespace) -> int:
    if args.command == "run":
        from zoning.runner import run

        _listing(run(args.project, args.out, progress=not args.quiet))
    elif args.command == "validate":
        from zoning.engine import prepare
        from zoning.outputs.guard import check_output
        from zoning.runner import input_paths, output_destination

        prepared = prepare(args.project)
        check_output(output_destination(prepared), input_paths(prepared))
        print(f"{prepared.project_path}: valid ({len(prepared.layers.parcels)} parcels, "
              f"working CRS {prepared.layers.crs.name})")
    elif args.command == "qc":
        code, text = qc_cli.run(args)
        print(text)
        return code
    elif args.command == "explain":
        from zoning.explain import explain

        print(explain(args.parcel_id, args.project, out_dir=args.out).to_text())
    elif args.command == "schema":
        from zoning.schema import schema_text

        if args.write:
            args.write.write_text(schema_text(), encoding="utf-8")
        else:
            print(schema_text(), end="")
    elif args.command == "subsidence":
        _listing(subsidence_cli.run(args, progress=not args.quiet))
    elif args.command == "mspa":
        return mspa_cli.run(args)
    elif args.command == "circuitscape":
        return circuitscape_cli.run(args, progress=not args.quiet)
    elif args.command == "assess":
        _listing(assess_cli.run(args))
    elif args.command == "synth":
        from zoning.synthetic import generate_region

        kwargs = {} if args.seed is None else {"seed": args.seed}
        paths = generate_region(args.out, n_parcels=args.parcels,
                                write_raster=not args.no_raster, **kwargs)
        for name, path in paths.items():
            print(f"{name}: {path}")
    return 0


def _listing(folder: Path) -> None:
    """Print where the outputs are and their names (not the hidden marker)."""
    print(f"outputs written to {folder}")
    for path in sorted(folder.iterdir()):
        if not path.name.startswith("."):
            print(f"  {path.name}")


if __name__ == "__main__":
    sys.exit(main())
