"""Split parcels by subsidence depth band and ponding before the stages run (``split:``).

A land-survey patch can straddle a subsidence basin's rim: half of it dry farmland, half of
it under water. With ``split: {by: [subsidence_bands, ponding]}`` in the project file every
parcel is cut along the depth bands of the damage rules (``depth_bands_m`` of
``rules/damage.yaml``) and along the edge of the ponded ground, so each piece gets its own
suitability, mode and zone.

The classes come from the subsidence surface the subsidence stage uses
(:func:`zoning.subsidence.stage.subsidence_grids`): depth polygons with a constant (or no)
groundwater depth are cut exactly along the polygons; every other form is classified cell by
cell and the classes polygonised along the cell edges (``rasterio.features.shapes``), so the
cell-centre statistics of the stages see one class per piece. Ground outside the surface
counts as not subsided.

Pieces keep the parent's fields, get the id ``<parent>-<k>`` (k from 1, shallow and dry
first) and the columns ``parent_id`` and ``split``; a parcel that lies in one class keeps its
id. Pieces smaller than ``min_area_ha`` merge back into the largest piece of their parent,
and the largest piece is the parent minus the others, so the pieces' areas add up to the
parent's.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio.features
import shapely

from zoning import columns as col
from zoning.declare import Column
from zoning.errors import Problem, ZoningError
from zoning.layers import LayerSet
from zoning.overlay import flatten_depth_polygons
from zoning.project import Split
from zoning.rules.models import DamageRules
from zoning.rules.ruleset import RuleSet
from zoning.subsidence.stage import groundwater_grid, subsidence_grids

logger = logging.getLogger(__name__)

DECLARED: tuple[Column, ...] = (
    Column(col.PARENT_ID, "text", "原图斑编号", "Parent parcel ID",
           "id of the parcel a piece was split from (split: option); its own id when not split"),
    Column(col.SPLIT, "boolean", "是否分割", "Split",
           "piece of a parcel split by subsidence band or ponding (id <parent id>-<k>)"),
)
"""The columns every parcel gets here, before the stages."""

BANDS, PONDING = "subsidence_bands", "ponding"
"""What parcels can be split by (``split.by``)."""
_WATER_DECIMALS = 6  # as the subsidence stage: ground at the water table counts as ponded
_NOT_SUBSIDED = 0
"""Class code of ground outside the surface: the shallowest band (bounds are > 0), dry."""


@dataclass(frozen=True)
class Classes:
    """Class polygons tiling the parcels' extent: one geometry per class code."""

    codes: np.ndarray
    geometries: np.ndarray


def check(spec: Split | None, layers: LayerSet) -> list[Problem]:
    """Splitting needs a subsidence layer; splitting by ponding a groundwater depth too."""
    if spec is None:
        return []
    problems = []
    if layers.subsidence is None:
        problems.append(Problem("split", "the parcels are split by the subsidence surface "
                                "(split.by: " + ", ".join(spec.by) + ") but the project has no "
                                "layers.subsidence; add one or remove `split`"))
    if PONDING in spec.by and layers.groundwater_m is None and "groundwater" not in layers.grids:
        problems.append(Problem("split.by", "splitting by ponding needs the depth of the water "
                                "table (groundwater.depth_m or groundwater.path); add it or remove "
                                "'ponding' from split.by"))
    return problems


def _code(depth: np.ndarray, water: np.ndarray | None, bounds: Sequence[float],
          by: Sequence[str]) -> np.ndarray:
    """Class code per depth: 2 × band index + ponded (each only when split by it)."""
    band = np.digitize(np.maximum(depth, 0), bounds) if BANDS in by else np.zeros(depth.shape)
    ponded = (water >= 0) if (PONDING in by and water is not None) else np.zeros(depth.shape)
    return (2 * band + ponded).astype("int32")


def classes(parcels: gpd.GeoSeries, rules: RuleSet, layers: LayerSet,
            by: Sequence[str]) -> Classes:
    """Polygons of the subsidence classes (band, ponded) over the parcels' extent.

    Parameters
    ----------
    parcels
        Parcel polygons in the working CRS.
    rules
        Rule set (the damage rules' ``depth_bands_m``, the subsidence rules' grid).
    layers
        The project's layers; ``layers.subsidence`` must be given.
    by
        ``subsidence_bands``, ``ponding`` or both.
    """
    sub = layers.subsidence
    if sub is None:
        raise ZoningError("split: the parcels are split by the subsidence surface, but the "
                          "project has no layers.subsidence")
    bounds = rules.get("damage", DamageRules).depth_bands_m
    gw = layers.groundwater_m
    extent = shapely.box(*parcels.total_bounds).buffer(1.0)
    if sub.form == "polygons" and "groundwater" not in layers.grids:
        flat = flatten_depth_polygons(layers.vectors["subsidence"])
        depth = flat["depth_m"].to_numpy()
        water = None if gw is None else np.round(depth - gw, _WATER_DECIMALS)
        codes, geoms = _code(depth, water, bounds, by), flat.geometry.values
    else:
        grid = subsidence_grids(parcels, rules, layers, sub)["subsidence"]
        depth_grid = np.nan_to_num(grid.values, nan=0.0)
        ground = groundwater_grid(layers, grid)
        water_grid = (None if ground is None else
                      np.round(np.maximum(depth_grid, 0) - ground.values, _WATER_DECIMALS))
        code_grid = _code(depth_grid, water_grid, bounds, by)
        shapes = list(rasterio.features.shapes(code_grid, transform=grid.transform,
                                               connectivity=4))
        codes = np.array([int(v) for _, v in shapes], dtype="int32")
        geoms = np.array([shapely.geometry.shape(g) for g, _ in shapes], dtype=object)
    unique = np.unique(codes)
    merged = [shapely.union_all(geoms[codes == c]) for c in unique]
    outside = shapely.difference(extent, shapely.union_all(merged))
    if _NOT_SUBSIDED in unique:
        at = int(np.flatnonzero(unique == _NOT_SUBSIDED)[0])
        merged[at] = shapely.union(merged[at], outside)
    else:
        unique, merged = np.append(unique, _NOT_SUBSIDED), [*merged, outside]
    return Classes(np.asarray(unique), np.asarray(merged, dtype=object))


def _polygonal(geom: shapely.Geometry) -> shapely.Geometry:
    """The polygonal part of an intersection (it may hold lines and points on shared edges)."""
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    parts = [g for g in shapely.get_parts(geom) if g.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts) if parts else shapely.Polygon()


def pieces(parcels: gpd.GeoDataFrame, zones: Classes, min_area_ha: float) -> gpd.GeoDataFrame:
    """Cut ``parcels`` (indexed by id) along ``zones``; see the module notes.

    Returns
    -------
    geopandas.GeoDataFrame
        The pieces with the parents' fields plus ``parent_id`` and ``split``, indexed by the
        new ids (``<parent>-<k>``; unsplit parcels keep theirs).
    """
    geoms = parcels.geometry.values
    tree = shapely.STRtree(zones.geometries)
    parcel_pos, zone_pos = tree.query(geoms, predicate="intersects")
    cut = shapely.intersection(geoms[parcel_pos], zones.geometries[zone_pos])
    area = shapely.area(cut)
    keep = area >= min_area_ha * 10_000
    frame = pd.DataFrame({"parent": parcel_pos[keep], "code": zones.codes[zone_pos[keep]],
                          "area": area[keep]})
    frame["geometry"] = cut[keep]
    frame = frame[frame["area"] > 0].sort_values(["parent", "code"], kind="stable")
    counts = frame.groupby("parent")["code"].transform("size")
    many = frame[counts > 1]
    rows, out_geoms, ids = [], [], []
    index = parcels.index.to_numpy()
    is_split = np.zeros(len(parcels), dtype=bool)
    is_split[many["parent"].unique()] = True
    for parent, group in many.groupby("parent", sort=True):
        largest = int(np.argmax(group["area"].to_numpy()))
        others = [_polygonal(g) for i, g in enumerate(group["geometry"]) if i != largest]
        rest = shapely.difference(geoms[parent], shapely.union_all(others))
        for k, i in enumerate(range(len(group)), start=1):
            rows.append(parent)
            out_geoms.append(rest if i == largest else others[i - (i > largest)])
            ids.append(f"{index[parent]}-{k}")
    whole = np.flatnonzero(~is_split)
    rows += whole.tolist()
    out_geoms += list(geoms[whole])
    ids += list(index[whole])
    out = parcels.iloc[rows].copy()
    out[col.PARENT_ID] = index[rows]
    out[col.SPLIT] = is_split[rows]
    out = out.set_geometry(gpd.GeoSeries(out_geoms, crs=parcels.crs, index=out.index))
    out.index = pd.Index(ids, name=parcels.index.name)
    return out.iloc[np.argsort(rows, kind="stable")]  # back into the input order


def apply(spec: Split | None, parcels: gpd.GeoDataFrame, rules: RuleSet,
          layers: LayerSet) -> tuple[gpd.GeoDataFrame, list[Problem]]:
    """The parcels split as ``spec`` says (unchanged without it), with ``parent_id``, ``split``.

    Returns the split parcels and the problems (new ids that clash with existing ones).
    """
    if spec is None:
        return parcels.assign(**{col.PARENT_ID: parcels.index.to_numpy(), col.SPLIT: False}), []
    zones = classes(parcels.geometry, rules, layers, spec.by)
    out = pieces(parcels, zones, spec.min_area_ha)
    clashes = out.index[out.index.duplicated()].unique().tolist()
    if clashes:
        return out, [Problem("split", f"the ids of the pieces clash with parcel ids "
                             f"{clashes[:5]}: pieces are named <parent id>-<k>; rename those "
                             "parcels")]
    n_split = int(out.loc[out[col.SPLIT], col.PARENT_ID].nunique())
    note = (f"split: {n_split} of {len(parcels)} parcels split by {' and '.join(spec.by)} into "
            f"{int(out[col.SPLIT].sum())} pieces ({len(out)} parcels now; pieces under "
            f"{spec.min_area_ha:g} ha merged into the largest piece of their parcel)")
    logger.info(note)
    layers.notes.append(note)
    return out, []
