"""Output writers: web map, static map and (later) GeoPackage, tables and manifest.

Writers render columns that earlier stages computed; they never compute analysis.
Import the writers from their modules (``zoning.outputs.webmap``,
``zoning.outputs.staticmap``); only the light :class:`LegendEntry` is exported here.
"""

from __future__ import annotations

from zoning.outputs._legend import LegendEntry

__all__ = ["LegendEntry"]
