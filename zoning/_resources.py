"""Find the shipped rule files and demo layers, installed or in a source checkout.

In a wheel the data folders travel as ``zoning/_data/rules`` and ``zoning/_data/layers``
(see ``pyproject.toml``); in a source checkout they sit beside the package. Neither
lookup depends on the working directory.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def data_dir(kind: str) -> Path:
    """Return the folder of shipped data ``kind`` (``"rules"`` or ``"layers"``)."""
    packaged = resources.files("zoning").joinpath("_data", kind)
    if packaged.is_dir():
        return Path(str(packaged))
    checkout = Path(str(resources.files("zoning"))).parent / kind
    if checkout.is_dir():
        return checkout
    raise FileNotFoundError(f"shipped data folder {kind!r} not found in the zoning installation")


def rules_dir() -> Path:
    """Folder of the shipped rule files."""
    return data_dir("rules")


def demo_project() -> Path:
    """Path of the embedded demo region's project file."""
    return data_dir("layers") / "demo" / "project.yaml"
