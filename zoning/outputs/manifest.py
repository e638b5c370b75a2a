"""The run manifest: inputs with checksums, rule files, versions, CRS and timings."""

from __future__ import annotations

import hashlib
import json
import platform
from collections.abc import Mapping
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

PACKAGES = ("zoning", "geopandas", "shapely", "pyproj", "pyogrio", "rasterio", "pandas", "numpy",
            "osmnx", "networkx", "pydantic", "folium", "matplotlib", "scipy")


def sha256(path: Path) -> str:
    """SHA-256 of a file, or of every file below a folder in name order."""
    digest = hashlib.sha256()
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    for file in files:
        with file.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def package_versions() -> dict[str, str]:
    """Installed versions of the packages a run depends on."""
    found = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = "not installed"
    return found


def file_entry(path: Path) -> dict[str, Any]:
    """Path, size and checksum of an input file."""
    return {"path": str(path), "bytes": path.stat().st_size, "sha256": sha256(path)}


def write_manifest(path: Path, content: Mapping[str, Any]) -> Path:
    """Write the manifest as indented UTF-8 JSON."""
    path.write_text(json.dumps(content, indent=2, ensure_ascii=False, default=str) + "\n",
                    encoding="utf-8")
    return path
