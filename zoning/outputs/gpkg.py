"""GeoPackage output: the parcel table with every column, and the other layers."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path

import geopandas as gpd
import pandas as pd

logger = logging.getLogger(__name__)


def _plain(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Index as a column, and types every GeoPackage driver accepts."""
    out = frame.reset_index() if frame.index.name else frame.reset_index(drop=True)
    for name in out.columns:
        if name != out.geometry.name and isinstance(out[name].dtype, pd.StringDtype):
            out[name] = out[name].astype(object)
    return out


def write_geopackage(path: Path, layers: Mapping[str, gpd.GeoDataFrame]) -> Path:
    """Write each non-empty layer of ``layers`` to the GeoPackage at ``path``.

    Examples
    --------
    >>> import tempfile, shapely
    >>> frame = gpd.GeoDataFrame({"zone": ["a"]}, geometry=[shapely.box(0, 0, 1, 1)],
    ...                          crs="EPSG:4548")
    >>> out = write_geopackage(Path(tempfile.mkdtemp()) / "r.gpkg", {"zones": frame})
    >>> gpd.read_file(out, layer="zones")["zone"].tolist()
    ['a']
    """
    for name, frame in layers.items():
        if frame.empty:
            logger.info("layer %s is empty; not written", name)
            continue
        _plain(frame).to_file(path, layer=name, driver="GPKG", engine="pyogrio")
    return path
