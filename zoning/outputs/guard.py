"""Never delete what the engine did not write: output-folder checks, the marker and the lock.

A run replaces its output folder whole (:func:`zoning.outputs.staged`). Before it does,

- the folder may not hold (or be) any input, nor lie below a file;
- an existing folder is replaced only if it carries the engine's marker file
  (:data:`MARKER`, written into every output folder, listing the files written) and holds
  no other file, or is empty;
- one run at a time writes a folder: a lock file (:func:`output_lock`) beside it holds the
  process id; a second run is refused while that process lives, and a lock left by a dead
  process is taken over;
- staging folders left beside it by a killed run carry the marker too (it is the first file
  written into them) and are removed by the next run (:func:`remove_stale`).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from zoning.errors import Problem, ValidationFailed

logger = logging.getLogger(__name__)

MARKER = ".zoning-output"
"""File in every folder the engine writes; only a folder carrying it is ever replaced."""

LEGACY_MANIFEST = "manifest.json"
"""Outputs of versions before the marker are recognised by their manifest's ``versions.zoning``."""


def mark(folder: Path, destination: Path, files: list[str] | None = None) -> None:
    """Write the marker into ``folder``, recording the output folder it is meant to become.

    ``files`` lists the files the engine wrote into it, once it is finished (:func:`seal`).
    """
    from zoning import __version__  # the package imports this module while it loads

    (folder / MARKER).write_text(json.dumps(
        {"engine": "zoning", "version": __version__, "destination": destination.name,
         "note": "written by zoning; the next run into this folder replaces it whole",
         "files": files}, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def seal(folder: Path, destination: Path) -> None:
    """Rewrite the marker of a finished ``folder`` listing every file in it.

    A later run then refuses to replace the folder while it holds files that are not in
    the list (added by someone since), instead of deleting them.
    """
    mark(folder, destination, files=sorted(
        p.relative_to(folder).as_posix() for p in folder.rglob("*")
        if p.is_file() and p.name != MARKER))


def foreign_files(folder: Path) -> list[str]:
    """Files in an output folder that its marker does not list (none when it lists none)."""
    try:
        listed = json.loads((folder / MARKER).read_text(encoding="utf-8")).get("files")
    except (OSError, ValueError, AttributeError):
        return []
    if not isinstance(listed, list):
        return []
    known = set(listed)
    return sorted(name for p in folder.rglob("*") if p.is_file() and p.name != MARKER
                  and (name := p.relative_to(folder).as_posix()) not in known)


def written_by_engine(folder: Path, name: str | None = None) -> bool:
    """Whether ``folder`` carries the marker (of output folder ``name``, when given).

    A folder from a version before the marker counts when its ``manifest.json`` lists the
    zoning version it was written by.
    """
    try:
        found = json.loads((folder / MARKER).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return name is None and _legacy(folder)
    except (OSError, ValueError):
        return False
    return isinstance(found, dict) and (name is None or found.get("destination") == name)


def _legacy(folder: Path) -> bool:
    try:
        manifest = json.loads((folder / LEGACY_MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(manifest, dict) and "zoning" in (manifest.get("versions") or {})


def _within(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def _some(names: list[str], n: int = 5) -> str:
    return ", ".join(names[:n]) + (f" and {len(names) - n} more" if len(names) > n else "")


def output_problems(destination: Path, inputs: Iterable[Path] = ()) -> list[Problem]:
    """What stops a run from replacing ``destination`` (empty when nothing does).

    Parameters
    ----------
    destination
        The output folder a run replaces whole.
    inputs
        Every file (or folder) the run reads; none may lie inside ``destination``.
    """
    destination = destination.resolve()
    where = str(destination)
    fix = "choose another output folder (--out, or the project's output_dir or name)"
    for ancestor in (destination, *destination.parents):
        if ancestor.exists():
            if not ancestor.is_dir():
                return [Problem(where, f"{ancestor} is a file, not a folder; the outputs need a "
                                       f"folder: {fix}")]
            break
    held = sorted({str(p) for p in inputs if _within(Path(p).resolve(), destination)})
    if held:
        return [Problem(where, f"the output folder holds {len(held)} input(s) of the run "
                               f"({_some(held)}); the run replaces its output folder whole, which "
                               f"would delete them: {fix}")]
    if (destination.is_dir() and any(destination.iterdir())
            and not written_by_engine(destination)):
        return [Problem(where, f"the folder exists and was not written by zoning (it has no "
                               f"{MARKER} file); the run replaces its output folder whole, so "
                               f"it refuses to: move or delete the folder yourself, or {fix}")]
    added = foreign_files(destination) if destination.is_dir() else []
    if added:
        return [Problem(where, f"the output folder holds {len(added)} file(s) zoning did not "
                               f"write ({_some(added)}); the run replaces its output folder whole, "
                               f"which would delete them: move them out of it, or {fix}")]
    return []


def check_output(destination: Path, inputs: Iterable[Path] = ()) -> None:
    """Raise :class:`~zoning.errors.ValidationFailed` if ``destination`` may not be replaced."""
    problems = output_problems(destination, inputs)
    if problems:
        raise ValidationFailed(problems)


def lock_path(destination: Path) -> Path:
    """The lock file of an output folder: ``.<name>.lock`` beside it."""
    return destination.parent / f".{destination.name}.lock"


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    if os.name == "nt":  # os.kill would end the process there: assume it lives
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _holder(lock: Path) -> int | None:
    try:
        return int(lock.read_text(encoding="utf-8").split()[0])
    except (OSError, ValueError, IndexError):
        return None


@contextmanager
def output_lock(destination: Path) -> Iterator[None]:
    """Hold the lock of ``destination`` for the block (re-entrant within a process).

    Raises
    ------
    ValidationFailed
        When another living process holds it.
    """
    lock = lock_path(destination)
    lock.parent.mkdir(parents=True, exist_ok=True)
    if _holder(lock) == os.getpid():
        yield
        return
    for attempt in range(2):
        try:
            handle = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
            break
        except FileExistsError:
            pid = _holder(lock)
            if attempt == 0 and pid is not None and not _alive(pid):
                logger.warning("%s: taking over the lock left by process %d, which has ended",
                               lock, pid)
                lock.unlink(missing_ok=True)
                continue
            holder = f"process {pid}" if pid is not None else "another process"
            raise ValidationFailed([Problem(str(destination), (
                f"another zoning run ({holder}) is writing to this folder (lock file {lock}); "
                "wait for it to finish, or delete the lock file if no run is going"))]) from None
    try:
        os.write(handle, f"{os.getpid()}\n".encode())
    finally:
        os.close(handle)
    try:
        yield
    finally:
        lock.unlink(missing_ok=True)


def remove_stale(destination: Path) -> list[Path]:
    """Remove staging folders of earlier runs into ``destination`` (hold its lock first).

    They are the hidden folders beside it whose marker names ``destination``: the staging
    folders of killed runs and old outputs set aside by an interrupted replacement.
    """
    removed = []
    for folder in sorted(destination.parent.iterdir()):
        if (folder.name.startswith(".") and folder.is_dir() and folder != destination
                and written_by_engine(folder, destination.name)):
            size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
            shutil.rmtree(folder, ignore_errors=True)
            logger.info("removed %s, left by an earlier run (%.1f MB)", folder, size / 1e6)
            removed.append(folder)
    return removed
