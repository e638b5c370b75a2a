"""Output writers: GeoPackage, tables, web map, static map, report and manifest.

Writers render columns that earlier stages computed; they never compute analysis.
Import the writers from their modules (``zoning.outputs.gpkg``, ``zoning.outputs.tables``,
``zoning.outputs.webmap``, ``zoning.outputs.staticmap``, ``zoning.outputs.report``,
``zoning.outputs.manifest``); only light helpers are exported here: :class:`LegendEntry`
and :func:`staged` (a folder that appears whole or not at all). The CJK font settings
for matplotlib are in :mod:`zoning.outputs.fonts`.
"""

from __future__ import annotations

from zoning.outputs._atomic import staged
from zoning.outputs._legend import LegendEntry

__all__ = ["LegendEntry", "staged"]
