"""Outputs that appear whole or not at all: a staged folder replaces its destination."""

from __future__ import annotations

import shutil
import time
from pathlib import Path


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
