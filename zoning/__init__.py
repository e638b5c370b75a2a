"""zoning: rules-driven ecological restoration zoning for coal-mining areas."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("zoning")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0"
