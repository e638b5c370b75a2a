"""Parcel lists for valuation tools and spreadsheets (one row per parcel, no geometry)."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

X_COLUMN = "x"
Y_COLUMN = "y"


def parcel_table(parcels: gpd.GeoDataFrame) -> pd.DataFrame:
    """The parcel table without geometry, with the id first and a representative point.

    ``x`` and ``y`` are a point inside each parcel, in the working CRS.
    """
    points = shapely.point_on_surface(parcels.geometry.values)
    table = pd.DataFrame(parcels.drop(columns=parcels.geometry.name)).reset_index()
    table[X_COLUMN] = shapely.get_x(points).round(2)
    table[Y_COLUMN] = shapely.get_y(points).round(2)
    return table


def write_table(path: Path, table: pd.DataFrame) -> Path:
    """Write a table as CSV, UTF-8 with BOM so Excel shows Chinese correctly."""
    table.to_csv(path, index=False, encoding="utf-8-sig", float_format="%.6g")
    return path


def write_csv(path: Path, parcels: gpd.GeoDataFrame) -> Path:
    """Write ``parcels.csv``: one row per parcel, see :func:`parcel_table`."""
    return write_table(path, parcel_table(parcels))
