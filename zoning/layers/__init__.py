"""Reading and validating the project's layers (the only part that touches files and the network).

:func:`load_layers` reads every layer a project names, checks everything it can, repairs
what is safe to repair (invalid geometries, differing CRSs) and reports the rest together.
"""

from __future__ import annotations

from zoning.layers.grid import Grid
from zoning.layers.load import LayerSet, load_layers

__all__ = ["Grid", "LayerSet", "load_layers"]
