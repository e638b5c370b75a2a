"""Read every layer of a project, check it, repair what is safe, and report the rest at once."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyproj import CRS
from rasterio.features import rasterize

from zoning import columns as col
from zoning.crs import choose_working_crs
from zoning.errors import LayerError, Problem, ValidationFailed, did_you_mean
from zoning.layers.grid import Grid, read_grid, slope_degrees
from zoning.layers.roads import (
    describe_request,
    download_graph,
    drive_graph,
    is_osm_file,
    osm_road_lines,
    read_osm_graph,
)
from zoning.project import Layers, MinesLayer, Project, RoadsLayer, SubsidenceLayer, VectorLayer

logger = logging.getLogger(__name__)


@dataclass
class LayerSet:
    """Every layer of a project, in the working CRS, checked and repaired.

    Attributes
    ----------
    crs
        The projected working CRS.
    parcels
        Parcels indexed by ``parcel_id`` (text), with ``landuse_code`` and the layer's
        other fields; valid, non-empty polygons.
    vectors
        Other vector layers by role (``subsidence``, ``panels``, ``mines``, ``gangue``,
        ``towns``, ``roads`` and the planning layers :data:`PLANNING_ROLES`). Subsidence
        of form ``points`` is under ``subsidence_points`` (:data:`POINTS`), form
        ``polygons`` under ``subsidence``; both have ``depth_m`` in metres and single-part
        geometries.
    grids
        Raster layers by role, in metres: ``subsidence`` (form ``raster``) and
        ``groundwater`` (depth of the water table below the ground before subsidence,
        positive down, when the project gives ``groundwater.path``). The groundwater
        raster is checked to have a positive depth in every cell under the parcels.
    groundwater_m
        Constant depth of the water table before subsidence (``groundwater.depth_m``);
        None when the depth is a raster (``grids["groundwater"]``) or not given.
    subsidence
        The project's subsidence entry (its form and settings), if any.
    mines
        The project's mines entry (its field names), if any.
    notes
        What was repaired or reprojected, for the log and the manifest.
    sources
        Input files by role, for checksums in the manifest.
    city_type
        The project's resource-based city type (``growing``, ``mature``, ``declining``,
        ``regenerating``), the planning context of land reduction; None: the rule file's.
    road_graph
        The drivable road graph in the working CRS (edges with ``travel_time``, s), when the
        project has roads and towns: travel times to the towns are measured over it.
    """

    crs: CRS
    parcels: gpd.GeoDataFrame
    vectors: dict[str, gpd.GeoDataFrame] = field(default_factory=dict)
    grids: dict[str, Grid] = field(default_factory=dict)
    groundwater_m: float | None = None
    subsidence: SubsidenceLayer | None = None
    mines: MinesLayer | None = None
    notes: list[str] = field(default_factory=list)
    sources: dict[str, Path] = field(default_factory=dict)
    city_type: str | None = None
    road_graph: nx.MultiDiGraph | None = None


def load_layers(project: Project) -> LayerSet:
    """Read and check all layers of ``project``.

    Raises
    ------
    ValidationFailed
        Listing every problem found in every layer.
    """
    problems: list[Problem] = []
    notes: list[str] = []
    sources: dict[str, Path] = {}
    spec = project.layers
    parcels = _read_parcels(project, problems, notes, sources)
    crs = _working_crs(project, parcels, problems, notes)
    raw: dict[str, gpd.GeoDataFrame] = {}
    for role in ("panels", "mines", "gangue", "towns", *PLANNING_ROLES):
        layer = getattr(spec, role)
        if layer is not None:
            frame = _read_vector(project, role, layer, problems, sources)
            if frame is not None and role in PLANNING_ROLES:
                frame = _only_polygons(role, sources[role], frame, problems)
            if frame is not None:
                raw[role] = frame
    grids: dict[str, Grid] = {}
    sub = spec.subsidence
    rasters: dict[str, tuple[str, str]] = {}  # role: (path, units)
    if sub is not None and sub.form == "raster" and sub.path is not None:
        rasters["subsidence"] = (sub.path, sub.units)
    water = project.groundwater
    if water is not None and water.path is not None:
        rasters[GROUNDWATER] = (water.path, water.units)
    for role, (path_text, units) in rasters.items():
        grid = _read_raster(project, role, path_text, units, problems, sources)
        if grid is not None:
            grids[role] = grid
    for name, raster in project.rasters.items():
        grid = _read_raster(project, name, raster.path, "m", problems, sources)
        if grid is not None:
            grids[name] = Grid(grid.values * raster.scale, grid.transform, grid.crs)
    if sub is not None and sub.path is not None and sub.form != "raster":
        path = _existing(project, "subsidence", sub.path, problems, sources)
        scale = _SCALE[sub.units]
        if path is not None:
            frame = _read_vector(project, "subsidence", VectorLayer(path=path.as_posix(),
                                                                    layer=sub.layer),
                                 problems, sources)
            if frame is not None:
                role = POINTS if sub.form == "points" else "subsidence"
                depths = _depth_vectors(sub, path, frame, scale, problems)
                if depths is not None:
                    raw[role] = depths
    if spec.roads is not None:
        roads = _read_roads(project, spec.roads, problems, notes, sources)
        if roads is not None:
            raw["roads"] = roads
    if problems or parcels is None or crs is None:
        raise ValidationFailed(problems)
    parcels = _to_crs("parcels", parcels, crs, notes)
    vectors = {role: _clean(role, _to_crs(role, frame, crs, notes), notes)
               for role, frame in raw.items()}
    for role, grid in list(grids.items()):
        if grid.crs != crs:
            notes.append(f"{role}: raster reprojected from {grid.crs.name} to {crs.name}")
            grids[role] = grid.reprojected(crs)
    _check_overlap(parcels, vectors, grids, sources, problems)
    if DEM in grids:
        grids[SLOPE] = slope_degrees(grids[DEM])
    if GROUNDWATER in grids and not problems:
        problems += _depth_problems(parcels, grids[GROUNDWATER], sources[GROUNDWATER])
    graph = None
    if spec.roads is not None and {"roads", "towns"} <= set(vectors) and not problems:
        graph = _road_graph(project, spec.roads, crs, problems)
    if problems:
        raise ValidationFailed(problems)
    for note in notes:
        logger.info(note)
    gw = project.groundwater.depth_m if project.groundwater is not None else None
    return LayerSet(crs=crs, parcels=parcels, vectors=vectors, grids=grids, groundwater_m=gw,
                    subsidence=spec.subsidence, mines=spec.mines,
                    notes=notes, sources=sources, city_type=project.city_type,
                    road_graph=graph)


def _only_polygons(role: str, path: Path, frame: gpd.GeoDataFrame,
                   problems: list[Problem]) -> gpd.GeoDataFrame | None:
    """``frame`` if all its geometries are polygons (or missing), else None with the problem."""
    kinds = frame.geometry.geom_type
    wrong = kinds.notna() & ~kinds.isin(_POLYGONAL)
    if not wrong.any():
        return frame
    found = ", ".join(f"{n} {k}" for k, n in kinds[wrong].value_counts().items())
    hint = ("; buffer hazard points (隐患点) or lines to the areas they threaten first"
            if role == "geohazard" else "")
    problems.append(Problem(
        f"layers.{role}", f"{path}: the {role} layer must hold Polygon or MultiPolygon "
        f"geometries only, found {found}{hint}"))
    return None


def _depth_vectors(sub: SubsidenceLayer, path: Path, frame: gpd.GeoDataFrame, scale: float,
                   problems: list[Problem]) -> gpd.GeoDataFrame | None:
    """Subsidence polygons or points with ``depth_m`` in metres, exploded to single parts.

    Form ``points`` wants Point or MultiPoint geometries and a number in every depth value
    (they are interpolated later); form ``polygons`` wants polygons.
    """
    if sub.depth_field not in frame.columns:
        problems.append(_missing_field("subsidence", path, sub.depth_field, frame))
        return None
    points = sub.form == "points"
    expected = ("Point", "MultiPoint") if points else _POLYGONAL
    kinds = frame.geometry.geom_type
    wrong = kinds.notna() & ~kinds.isin(expected)
    if wrong.any():
        found = ", ".join(f"{n} {k}" for k, n in kinds[wrong].value_counts().items())
        hint = ("depth polygons or contours need form 'polygons'" if points
                else "survey or InSAR points need form 'points'")
        problems.append(Problem(
            "layers.subsidence", f"{path}: form {sub.form!r} expects {' or '.join(expected)} "
            f"geometries, found {found}; {hint}"))
    depth = pd.to_numeric(frame[sub.depth_field], errors="coerce") * scale
    if points and depth.isna().any():
        bad = depth.isna().to_numpy()
        shown = ", ".join(f"{i}: {_plain(v)!r}" for i, v in zip(
            np.flatnonzero(bad)[:5], frame[sub.depth_field].to_numpy()[bad][:5], strict=True))
        problems.append(Problem(
            f"layers.subsidence.fields.{sub.depth_field}",
            f"{path}: {int(bad.sum())} of {len(frame)} point(s) have a missing or non-numeric "
            f"{sub.depth_field!r} (row: value {shown}); every point needs a depth in "
            f"{sub.units}, so fix or remove them"))
    return gpd.GeoDataFrame({"depth_m": depth}, geometry=frame.geometry.values,
                            crs=frame.crs).explode(index_parts=False)


def _read_raster(project: Project, role: str, path_text: str, units: str,
                 problems: list[Problem], sources: dict[str, Path]) -> Grid | None:
    """Band 1 of the raster of ``role`` in metres, or None with the problem recorded."""
    path = _existing(project, role, path_text, problems, sources)
    if path is None:
        return None
    try:
        return read_grid(path, _SCALE[units])
    except LayerError as exc:
        problems.append(Problem(_where(role), str(exc)))
        return None


def _depth_problems(parcels: gpd.GeoDataFrame, grid: Grid, path: Path) -> list[Problem]:
    """Cells under the parcels (any cell a parcel touches) without a positive depth.

    Missing cells (NaN or the raster's nodata, or outside the raster after reprojection)
    and depths of 0 or less are reported with their counts and the parcels they touch;
    parcels reaching beyond the raster are reported too.
    """
    problems: list[Problem] = []
    geoms = parcels.geometry.values
    outside = ~shapely.within(geoms, shapely.box(*grid.bounds))
    if outside.any():
        problems.append(Problem(GROUNDWATER, (
            f"{path}: {int(outside.sum())} of {len(geoms)} parcel(s) reach beyond the raster "
            f"(e.g. {_examples(parcels.index[outside])}); the raster bounds "
            f"{np.round(grid.bounds).tolist()} must cover every parcel "
            f"{np.round(parcels.total_bounds).tolist()}")))
    labels = rasterize(zip(geoms, range(1, len(geoms) + 1), strict=True),
                       out_shape=grid.values.shape, transform=grid.transform, fill=0,
                       all_touched=True, dtype="int32")
    under = labels > 0
    values = grid.values
    checks = (("have no value (NaN or nodata)", np.isnan(values)),
              ("have a depth of 0 or less (the water table at or above the ground)",
               values <= 0))
    for what, bad in checks:
        hit = bad & under
        if not hit.any():
            continue
        ids = parcels.index[np.unique(labels[hit]) - 1]
        lowest = f"; lowest {np.nanmin(values[hit]):.3g} m" if what.startswith("have a") else ""
        problems.append(Problem(GROUNDWATER, (
            f"{path}: {int(hit.sum())} cell(s) under {len(ids)} parcel(s) {what}"
            f"{lowest} (parcels {_examples(ids)}); the water-table depth below the ground "
            "must be positive over every parcel, so fill or correct those cells")))
    return problems


def _where(role: str) -> str:
    """The project-file key of a layer role (groundwater and rasters are top-level keys)."""
    if role == GROUNDWATER:
        return GROUNDWATER
    return f"layers.{role}" if role in Layers.model_fields else f"rasters.{role}"


def _plain(value: object) -> object:
    """A numpy scalar as the Python value (so ``nan``, not ``np.float64(nan)``, is shown)."""
    return value.item() if isinstance(value, np.generic) else value


def _existing(project: Project, role: str, path_text: str, problems: list[Problem],
              sources: dict[str, Path]) -> Path | None:
    path = project.resolve(path_text)
    if not path.exists():
        problems.append(Problem(f"{_where(role)}.path", f"file not found: {path}"))
        return None
    sources[role] = path
    return path


def _road_graph(project: Project, spec: RoadsLayer, crs: CRS,
                problems: list[Problem]) -> nx.MultiDiGraph | None:
    """The drivable road graph in the working CRS, for travel times to the towns."""
    path = project.resolve(spec.path) if spec.path is not None else None
    cache = project.resolve(spec.cache_dir) if spec.cache_dir is not None else None
    try:
        return drive_graph(path, place=spec.place, bbox=spec.bbox, crs=crs, layer=spec.layer,
                           cache_dir=cache)
    except LayerError as exc:
        problems.append(Problem("layers.roads", f"road graph for travel times: {exc}"))
        return None


def _read_roads(project: Project, spec: RoadsLayer, problems: list[Problem], notes: list[str],
                sources: dict[str, Path]) -> gpd.GeoDataFrame | None:
    """Road lines from the project's file, or downloaded for its place or bounding box."""
    if spec.path is None:
        cache = project.resolve(spec.cache_dir) if spec.cache_dir is not None else None
        try:
            graph = download_graph(place=spec.place, bbox=spec.bbox, cache_dir=cache)
        except LayerError as exc:
            problems.append(Problem("layers.roads", str(exc)))
            return None
        notes.append(f"roads: drivable roads of {describe_request(spec.place, spec.bbox)} "
                     "downloaded from OpenStreetMap")
        return osm_road_lines(graph)
    path = _existing(project, "roads", spec.path, problems, sources)
    if path is None:
        return None
    if not is_osm_file(path):
        return _read_vector(project, "roads", VectorLayer(path=spec.path, layer=spec.layer),
                            problems, sources)
    try:
        return osm_road_lines(read_osm_graph(path))
    except LayerError as exc:
        problems.append(Problem("layers.roads", str(exc)))
        return None


def _read_vector(project: Project, role: str, spec: VectorLayer, problems: list[Problem],
                 sources: dict[str, Path]) -> gpd.GeoDataFrame | None:
    path = _existing(project, role, spec.path, problems, sources)
    if path is None:
        return None
    try:
        if spec.layer is not None:
            available = [str(name) for name in pyogrio.list_layers(path)[:, 0]]
            if spec.layer not in available:
                problems.append(Problem(
                    f"layers.{role}.layer",
                    f"{path} has no layer {spec.layer!r}{did_you_mean(spec.layer, available)}; "
                    f"layers in the file: {available}",
                ))
                return None
        frame = gpd.read_file(path, layer=spec.layer, engine="pyogrio", use_arrow=True)
    except Exception as exc:  # pyogrio raises DataSourceError and friends
        problems.append(Problem(f"layers.{role}", f"{path}: cannot read ({exc})"))
        return None
    if frame.crs is None:
        problems.append(Problem(
            f"layers.{role}",
            f"{path} has no CRS; assign one in the file (e.g. `ogr2ogr -a_srs EPSG:4548 out.gpkg "
            f"{path.name}`) or export it again with its projection",
        ))
        return None
    if spec.select:
        for name, values in spec.select.items():
            if name not in frame.columns:
                problems.append(_missing_field(role, path, name, frame))
                return None
            frame = frame[frame[name].isin(values)]
    return frame


def _missing_field(role: str, path: Path, name: str, frame: pd.DataFrame) -> Problem:
    fields = [c for c in frame.columns if c != "geometry"]
    return Problem(
        f"layers.{role}.fields",
        f"{path} has no field {name!r}{did_you_mean(name, fields)}; fields: {fields}",
    )


def _read_parcels(project: Project, problems: list[Problem], notes: list[str],
                  sources: dict[str, Path]) -> gpd.GeoDataFrame | None:
    spec = project.layers.parcels
    frame = _read_vector(project, "parcels", spec, problems, sources)
    if frame is None:
        return None
    path = sources["parcels"]
    missing = [f for f in (spec.fields.id, spec.fields.landuse) if f not in frame.columns]
    for name in missing:
        problems.append(_missing_field("parcels", path, name, frame))
    if missing:
        return None
    ids = frame[spec.fields.id]
    blank = ids.isna() | (ids.astype(str).str.strip() == "")
    if blank.any():
        problems.append(Problem(
            f"{path}:{spec.fields.id}",
            f"{int(blank.sum())} parcel(s) have no id (rows {_examples(np.flatnonzero(blank))}); "
            "every parcel needs a unique id",
        ))
    text_ids = ids.astype(str)
    dup = text_ids[text_ids.duplicated(keep=False) & ~blank]
    if not dup.empty:
        problems.append(Problem(
            f"{path}:{spec.fields.id}",
            f"{dup.nunique()} id(s) are used by more than one parcel, e.g. "
            f"{_examples(dup.unique())}; ids must be unique",
        ))
    if blank.any() or not dup.empty:
        return None
    renamed = frame.rename(columns={spec.fields.landuse: col.LANDUSE_CODE})
    renamed[col.LANDUSE_CODE] = renamed[col.LANDUSE_CODE].astype(str)
    renamed.index = pd.Index(text_ids.values, name=col.PARCEL_ID)
    renamed = renamed.drop(columns=[spec.fields.id])
    return _clean("parcels", renamed, notes)


def _examples(values: object, n: int = 5) -> str:
    items = list(values)[:n]  # type: ignore[call-overload]
    return ", ".join(str(v) for v in items)


def _working_crs(project: Project, parcels: gpd.GeoDataFrame | None, problems: list[Problem],
                 notes: list[str]) -> CRS | None:
    if project.crs != "auto":
        try:
            crs = CRS.from_user_input(project.crs)
        except Exception:
            problems.append(Problem("crs", f"{project.crs!r} is not a CRS pyproj understands; "
                                    "use 'auto' or e.g. 'EPSG:4548'"))
            return None
        if not crs.is_projected:
            problems.append(Problem("crs", f"{project.crs} is geographic; measuring needs a "
                                    "projected CRS (or 'auto')"))
            return None
        return crs
    if parcels is None:
        return None
    given = CRS.from_user_input(parcels.crs)
    if given.is_projected and not _is_mercator(given):
        return given
    lon, lat = _centre_lonlat(parcels)
    crs = choose_working_crs(lon, lat)
    why = "Mercator, which distorts areas" if given.is_projected else "geographic"
    notes.append(f"parcels are in {given.name} ({why}); working CRS {crs.name} "
                 f"(EPSG:{crs.to_epsg()}) chosen for their centre {lon:.3f}, {lat:.3f}")
    return crs


def _is_mercator(crs: CRS) -> bool:
    operation = crs.coordinate_operation
    name = operation.method_name.lower() if operation is not None else ""
    return "mercator" in name and "transverse" not in name


def _centre_lonlat(frame: gpd.GeoDataFrame) -> tuple[float, float]:
    minx, miny, maxx, maxy = frame.to_crs("EPSG:4326").total_bounds
    return (minx + maxx) / 2, (miny + maxy) / 2


def _to_crs(role: str, frame: gpd.GeoDataFrame, crs: CRS, notes: list[str]) -> gpd.GeoDataFrame:
    if CRS.from_user_input(frame.crs) == crs:
        return frame
    notes.append(f"{role}: reprojected from {frame.crs.name} to {crs.name}")
    return frame.to_crs(crs)


_POLYGONAL = ("Polygon", "MultiPolygon")
_SCALE = {"m": 1.0, "mm": 0.001}
"""Factor from a layer's ``units`` to metres."""
GROUNDWATER = "groundwater"
"""Role of the groundwater depth raster among the grids (and its project-file key)."""
DEM = "dem"
"""A project raster of this name is elevation (m); the engine adds its slope as :data:`SLOPE`."""
SLOPE = "slope_deg"
POINTS = "subsidence_points"
"""Role of subsidence survey or InSAR points among the vector layers."""
PLANNING_ROLES = ("redline", "geohazard", "boundary")
"""Optional planning layers (polygons only): ecological protection red line, geological hazard
prone areas and urban development boundary."""
# Roles whose geometries must be polygons. Subsidence is polygonal for form 'polygons' only:
# form 'points' is kept under its own role POINTS, which is not in this table.
_KIND = {"parcels": _POLYGONAL, "subsidence": _POLYGONAL, "panels": _POLYGONAL,
         "mines": _POLYGONAL, "gangue": _POLYGONAL,
         **dict.fromkeys(PLANNING_ROLES, _POLYGONAL)}


def _clean(role: str, frame: gpd.GeoDataFrame, notes: list[str]) -> gpd.GeoDataFrame:
    """Repair invalid geometries, keep the parts of the layer's geometry type, drop empties."""
    geoms = frame.geometry.values
    invalid = ~shapely.is_valid(geoms) & ~shapely.is_missing(geoms)
    if invalid.any():
        geoms = geoms.copy()
        geoms[invalid] = shapely.make_valid(geoms[invalid])
        notes.append(f"{role}: {int(invalid.sum())} invalid geometr(ies) repaired with make_valid")
    if role in _KIND:
        geoms = polygonal_part(geoms)
    empty = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    if role in _KIND:
        empty |= shapely.area(geoms) <= 0
    out = frame.set_geometry(gpd.GeoSeries(geoms, index=frame.index, crs=frame.crs))
    if empty.any():
        notes.append(f"{role}: {int(empty.sum())} empty geometr(ies) dropped")
        out = out[~empty]
    return out


def polygonal_part(geoms: np.ndarray) -> np.ndarray:
    """Polygonal parts of each geometry (make_valid and intersections may return collections)."""
    types = shapely.get_type_id(geoms)
    mixed = np.flatnonzero(types == 7)  # GeometryCollection
    if mixed.size == 0:
        return geoms
    out = geoms.copy()
    for i in mixed:  # only repaired collections, usually a handful
        parts = [g for g in shapely.get_parts(geoms[i]) if g.geom_type in _POLYGONAL]
        out[i] = shapely.union_all(parts) if parts else shapely.Polygon()
    return out


def _check_overlap(parcels: gpd.GeoDataFrame, vectors: dict[str, gpd.GeoDataFrame],
                   grids: dict[str, Grid], sources: dict[str, Path],
                   problems: list[Problem]) -> None:
    box = shapely.box(*parcels.total_bounds)
    bounds = {role: f.total_bounds for role, f in vectors.items() if not f.empty}
    bounds.update({role: np.array(g.bounds) for role, g in grids.items()})
    for role, b in bounds.items():
        if not shapely.intersects(box, shapely.box(*b)):
            problems.append(Problem(
                _where(role),
                f"{sources.get(role, role)} does not overlap the parcels (its bounds "
                f"{np.round(b).tolist()}, parcels {np.round(parcels.total_bounds).tolist()}); "
                "check that both have the right CRS",
            ))
