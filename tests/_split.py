"""Helpers of the parcel-splitting tests (``split:``): the option, areas, one class a piece."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
import yaml

from zoning import columns as col
from zoning.engine import prepare, run_stages
from zoning.rules.models import DamageRules
from zoning.subsidence.stage import STAGE as SUBSIDENCE

BOTH = {"by": ["subsidence_bands", "ponding"], "min_area_ha": 0.0}
"""Split by both criteria and keep every piece, however small."""


def with_split(project: Path, split: dict[str, object], **extra: object) -> Path:
    """The project file with ``split`` (and any other top-level ``extra`` keys) written in."""
    data = yaml.safe_load(project.read_text(encoding="utf-8"))
    data.update(split=split, **extra)
    project.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return project


def area_by_parent(parcels) -> dict[str, float]:
    """Hectares of the (pieces of) each parent parcel, from the geometries."""
    return (parcels.geometry.area / 10_000).groupby(parcels[col.PARENT_ID]).sum().to_dict()


def one_class_each(project: Path) -> None:
    """Each piece lies in one depth band and is ponded all over or not at all."""
    prepared = prepare(project)
    parcels = run_stages(prepared, progress=False, stages=[SUBSIDENCE]).parcels
    bounds = prepared.rules.get("damage", DamageRules).depth_bands_m
    bands = parcels.filter(like=col.SUBS_SHARE_PREFIX)
    assert bands.shape[1] == len(bounds) + 1
    assert np.allclose(bands.max(axis=1), 1.0, atol=1e-9), bands[bands.max(axis=1) < 1 - 1e-9]
    ponded = parcels[col.PONDED_SHARE].to_numpy()
    assert np.allclose(np.minimum(ponded, 1 - ponded), 0.0, atol=1e-9)


def layers_with(project: Path, **layers: dict[str, object]) -> dict[str, object]:
    """The project's layers with ``layers`` replaced or added."""
    return {**yaml.safe_load(project.read_text(encoding="utf-8"))["layers"], **layers}


def write_points(path: Path) -> Path:
    """Points every 20 m over the tiny parcels: W = 0 m at x = 536 000 rising to 5 m at 536 300."""
    x, y = np.meshgrid(np.arange(535_900, 536_401, 20.0), np.arange(3_806_900, 3_807_201, 20.0))
    depth = np.clip((x - 536_000) / 60, 0, None).ravel()
    gpd.GeoDataFrame({"W": depth}, geometry=shapely.points(x.ravel(), y.ravel()),
                     crs="EPSG:4548").to_file(path)
    return path
