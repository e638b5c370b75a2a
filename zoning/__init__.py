"""zoning: rules-driven ecological restoration zoning for coal-mining areas.

The public API is small:

- :func:`run` runs a project end to end and writes its outputs;
- :func:`prepare` loads and validates a project; :func:`run_stages` runs its stages in
  memory and returns the parcel table; :func:`write` writes such a result's outputs;
- :func:`explain` shows why one parcel got its grade, modes and zone;
- :func:`load_project` and :func:`load_rules` read project and rule files;
- :mod:`assess` assesses social-ecological vulnerability and resilience over time.

Examples
--------
>>> import zoning
>>> result = zoning.run_stages(zoning.prepare(), progress=False)   # the demo region
>>> result.parcels["zone"].notna().all()
np.True_
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from zoning import assess
from zoning.engine import RunResult, prepare, run_stages
from zoning.errors import ValidationFailed, ZoningError
from zoning.explain import explain
from zoning.project import load_project
from zoning.rules.ruleset import load_rules
from zoning.runner import run, write

try:
    __version__ = version("zoning")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0"

__all__ = [
    "RunResult",
    "ValidationFailed",
    "ZoningError",
    "__version__",
    "assess",
    "explain",
    "load_project",
    "load_rules",
    "prepare",
    "run",
    "run_stages",
    "write",
]
