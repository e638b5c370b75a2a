"""Outputs that appear whole or not at all: a staged folder replaces its destination."""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from zoning.outputs.guard import check_output, mark, output_lock, remove_stale


def replace_folder(staging: Path, destination: Path) -> None:
    """Move the finished ``staging`` folder to ``destination``, replacing any folder there.

    The old folder is renamed aside first and removed only once the new one is in place,
    so ``destination`` holds either the old outputs or the new ones, never a mixture.
    """
    if destination.exists():
        old = destination.with_name(f".{destination.name}-old-{time.time_ns()}")
        destination.rename(old)
        staging.rename(destination)
        shutil.rmtree(old, ignore_errors=True)
    else:
        staging.rename(destination)


@contextmanager
def staged(destination: Path, inputs: Iterable[Path] = ()) -> Iterator[Path]:
    """Yield a new staging folder that replaces ``destination`` when the block succeeds.

    The destination is checked first (:func:`zoning.outputs.guard.check_output`: it holds
    no input and is the engine's own or new), its lock is held throughout, staging folders
    of earlier killed runs are removed, and the staging folder carries the marker from the
    start. When the block raises (an error, Ctrl-C), the staging folder is removed and the
    destination is untouched.

    Raises
    ------
    ValidationFailed
        When the destination may not be replaced or another run holds its lock.
    """
    check_output(destination, inputs)
    with output_lock(destination):
        remove_stale(destination)
        staging = Path(tempfile.mkdtemp(prefix=f".{destination.name}-", dir=destination.parent))
        try:
            mark(staging, destination)
            yield staging
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        replace_folder(staging, destination)
