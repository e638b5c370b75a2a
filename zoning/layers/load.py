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
from zoning.crs import (
    choose_working_crs,
    crs_label,
    impossible_bounds,
    lonlat_bounds,
    outside_area_of_use,
    zone_crs,
)
from zoning.errors import LayerError, Problem, ValidationFailed, did_you_mean
from zoning.layers.checks import (
    negative_problem,
    null_code_problem,
    numbers,
    parcel_geometry_problem,
    raster_problems,
    sign_warning,
)
from zoning.layers.grid import Grid, read_grid, slope_degrees
from zoning.layers.read import read_vector_file
from zoning.layers.roads import (
    FALLBACK_SPEED_KMH,
    UNKNOWN_HIGHWAY,
    describe_request,
    download_graph,
    drive_graph,
    flag_main_roads,
    is_osm_file,
    osm_format,
    osm_road_lines,
    read_osm_graph,
    unknown_classes,
)
from zoning.layers.table import is_table, read_point_table
from zoning.project import (
    FileLayer,
    Layers,
    MinesLayer,
    PanelsLayer,
    PointFields,
    Project,
    RoadFields,
    RoadsLayer,
    SubsidenceLayer,
    VectorLayer,
)

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
        ``polygons`` under ``subsidence``; both have ``depth_m`` in metres, positive down
        (after the layer's ``sign``), and single-part geometries.
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
    if parcels is not None and not _possible("parcels", parcels.crs, parcels.total_bounds,
                                             sources, problems, notes):
        parcels = None
    crs = _working_crs(project, parcels, problems, notes)
    raw: dict[str, gpd.GeoDataFrame] = {}
    for role in ("panels", "mines", "gangue", "towns", *PLANNING_ROLES):
        layer = getattr(spec, role)
        if layer is not None:
            frame = _read_vector(project, role, layer, problems, sources, notes)
            if frame is not None and isinstance(layer, PanelsLayer):
                frame = _mapped_panel_fields(layer, sources[role], frame, problems)
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
            as_layer = VectorLayer(path=path.as_posix(), layer=sub.layer, encoding=sub.encoding,
                                   crs=sub.crs, fields=sub.fields)
            frame = _read_vector(project, "subsidence", as_layer, problems, sources, notes)
            if frame is not None:
                role = POINTS if sub.form == "points" else "subsidence"
                depths = _depth_vectors(sub, path, frame, scale, problems)
                if depths is not None:
                    raw[role] = depths
    if spec.roads is not None:
        roads = _read_roads(project, spec.roads, problems, notes, sources)
        if roads is not None:
            raw["roads"] = roads
    raw = {role: frame for role, frame in raw.items() if frame.empty or _possible(
        role, frame.crs, frame.total_bounds, sources, problems, notes)}
    grids = {role: grid for role, grid in grids.items()
             if _possible(role, grid.crs, grid.bounds, sources, problems, notes)}
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
    if not problems:
        for role, grid in grids.items():
            problems += raster_problems(_where(role), sources[role], grid, parcels)
    if "subsidence" in grids and sub is not None:
        grids["subsidence"] = _down_positive(grids["subsidence"], sub, sources["subsidence"])
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


def _down_positive(grid: Grid, sub: SubsidenceLayer, path: Path) -> Grid:
    """The subsidence raster in the engine's convention (positive down), sign checked."""
    values = grid.values * sub.down_sign
    sign_warning(path, "band 1", values, "down_negative" if sub.down_sign < 0
                 else "down_positive")
    return Grid(values, grid.transform, grid.crs)


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
    depth = numbers(frame[sub.depth_field]) * scale * sub.down_sign
    word = "point" if points else "polygon"
    where = f"layers.subsidence.fields.{sub.depth_field}"
    for what, bad in (("a missing or non-numeric", np.isnan(depth)),
                      ("an infinite", np.isinf(depth))):
        if not bad.any():
            continue
        shown = ", ".join(f"{i}: {_plain(v)!r}" for i, v in zip(
            np.flatnonzero(bad)[:5], frame[sub.depth_field].to_numpy()[bad][:5], strict=True))
        problems.append(Problem(where, (
            f"{path}: {int(bad.sum())} of {len(frame)} {word}(s) have {what} "
            f"{sub.depth_field!r} (row: value {shown}); every {word} needs a finite depth in "
            f"{sub.units}, so fix or remove them")))
    declared = "down_negative" if sub.down_sign < 0 else "down_positive"
    if points:
        sign_warning(path, sub.depth_field, depth, declared)
    else:
        problems += negative_problem(
            where, path, sub.depth_field, frame[sub.depth_field].reset_index(drop=True), depth,
            f"subsidence depths under `sign: {declared}`",
            "depth polygons give subsidence; if the data use negative for subsidence, set "
            "`sign: down_negative` on layers.subsidence")
    return gpd.GeoDataFrame({"depth_m": depth}, geometry=frame.geometry.values,
                            crs=frame.crs).explode(index_parts=False)


def _read_raster(project: Project, role: str, path_text: str, units: str,
                 problems: list[Problem], sources: dict[str, Path]) -> Grid | None:
    """Band 1 of the raster of ``role`` in metres, or None with the problem recorded."""
    path = _existing(project, role, path_text, problems, sources)
    if path is None:
        return None
    try:
        grid = read_grid(path, _SCALE[units])
    except LayerError as exc:
        problems.append(Problem(_where(role), str(exc)))
        return None
    rows, cols = grid.values.shape
    if role in _GRADIENT_ROLES and min(rows, cols) < 2:
        problems.append(Problem(_where(role), (
            f"{path}: the raster has {rows}×{cols} cell(s); the {role} raster needs at least "
            "2×2 cells (tilt, curvature and slope are differences between neighbouring "
            "cells): resample it to smaller cells (e.g. gdalwarp -tr 10 10)")))
        return None
    return grid


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
    fields = spec.fields or RoadFields()
    try:
        return drive_graph(path, place=spec.place, bbox=spec.bbox, crs=crs, layer=spec.layer,
                           highway_field=fields.road_class, speed_field=fields.speed,
                           speeds=spec.speeds, encoding=spec.encoding, cache_dir=cache)
    except LayerError as exc:
        problems.append(Problem("layers.roads", f"road graph for travel times: {exc}"))
        return None


def _read_roads(project: Project, spec: RoadsLayer, problems: list[Problem], notes: list[str],
                sources: dict[str, Path]) -> gpd.GeoDataFrame | None:
    """Road lines with their ``highway`` class and main-road flag, from any source."""
    lines = _road_lines(project, spec, problems, notes, sources)
    if lines is None:
        return None
    unknown = unknown_classes(lines, spec.speeds)
    if not unknown.empty:
        listed = ", ".join(f"{name!r} ({n} lines)" for name, n in unknown.head(10).items())
        where = sources.get("roads", "the roads")
        surveyed = spec.path is not None and not is_osm_file(Path(spec.path))
        if spec.speeds is not None and surveyed:  # OSM has rare classes no one lists
            problems.append(Problem("layers.roads.speeds", (
                f"{where}: {len(unknown)} road class(es) have no speed: {listed}; add them to "
                "roads.speeds (km/h)")))
            return None
        logger.warning("roads: %d road class(es) of %s have no speed and are driven at "
                       "%g km/h: %s; give their speeds in roads.speeds (km/h)",
                       len(unknown), where, FALLBACK_SPEED_KMH, listed)
    return flag_main_roads(lines, spec.main)


def _road_lines(project: Project, spec: RoadsLayer, problems: list[Problem], notes: list[str],
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
    if is_osm_file(path):
        if spec.layer is not None:
            problems.append(Problem("layers.roads.layer", (
                f"{path} is an {osm_format(path)} extract, read whole: 'layer' names a layer "
                "of a vector file (GeoPackage, ...); remove it")))
            return None
        try:
            return osm_road_lines(read_osm_graph(path))
        except LayerError as exc:
            problems.append(Problem("layers.roads", str(exc)))
            return None
    as_layer = VectorLayer(path=spec.path, layer=spec.layer, encoding=spec.encoding)
    frame = _read_vector(project, "roads", as_layer, problems, sources, notes)
    if frame is None:
        return None
    field = (spec.fields or RoadFields()).road_class
    if field in frame.columns:
        return frame.assign(highway=frame[field].astype("string").fillna(UNKNOWN_HIGHWAY)
                            .astype(str))
    if spec.fields is not None:
        problems.append(_missing_field("roads", path, field, frame))
        return None
    notes.append(f"roads: {path} has no {field!r} field; every line is a main road of class "
                 f"{UNKNOWN_HIGHWAY!r} (name the class field with roads.fields.class)")
    return frame


def _read_vector(project: Project, role: str, spec: FileLayer, problems: list[Problem],
                 sources: dict[str, Path], notes: list[str]) -> gpd.GeoDataFrame | None:
    path = _existing(project, role, spec.path, problems, sources)
    if path is None:
        return None
    where = _where(role)
    try:
        if is_table(path):
            xy = getattr(spec, "fields", None)
            xy = xy if isinstance(xy, PointFields) else PointFields()
            frame, note = read_point_table(path, x=xy.x, y=xy.y, crs=spec.crs, sheet=spec.layer,
                                           encoding=spec.encoding)
        else:
            if spec.layer is not None and not _has_layer(path, spec.layer, where, problems):
                return None
            frame, note = read_vector_file(path, spec.layer, spec.encoding)
    except LayerError as exc:
        problems.append(Problem(where, str(exc)))
        return None
    except (UnicodeDecodeError, LookupError) as exc:
        problems.append(Problem(f"{where}.encoding", (
            f"{path}: the text cannot be decoded as {spec.encoding!r} ({exc}); give the file's "
            "encoding (GBK, GB18030, UTF-8, ...) or remove encoding: to detect it")))
        return None
    except Exception as exc:  # pyogrio raises DataSourceError and friends
        problems.append(Problem(where, f"{path}: cannot read ({exc})"))
        return None
    if note is not None:
        notes.append(f"{role}: {note}")
    frame = _with_crs(role, path, spec.crs, frame, problems, notes)
    if frame is None:
        return None
    if spec.select:
        for name, values in spec.select.items():
            if name not in frame.columns:
                problems.append(_missing_field(role, path, name, frame))
                return None
            frame = frame[frame[name].isin(values)]
    return frame


def _has_layer(path: Path, layer: str, where: str, problems: list[Problem]) -> bool:
    available = [str(name) for name in pyogrio.list_layers(path)[:, 0]]
    if layer in available:
        return True
    problems.append(Problem(
        f"{where}.layer",
        f"{path} has no layer {layer!r}{did_you_mean(layer, available)}; "
        f"layers in the file: {available}",
    ))
    return False


def _with_crs(role: str, path: Path, given: str | None, frame: gpd.GeoDataFrame,
              problems: list[Problem], notes: list[str]) -> gpd.GeoDataFrame | None:
    """``frame`` with its CRS: the file's, else the project's ``crs:`` for the layer."""
    where = _where(role)
    if frame.crs is None and given is None:
        problems.append(Problem(
            where,
            f"{path} has no CRS; give it in project.yaml ({where}.crs: EPSG:4548) or assign "
            f"one in the file (e.g. `ogr2ogr -a_srs EPSG:4548 out.gpkg {path.name}`)",
        ))
        return None
    if given is None:
        return frame
    try:
        declared = CRS.from_user_input(given)
    except Exception:  # pyproj raises CRSError; any failure means the same to the user
        problems.append(Problem(f"{where}.crs", f"{given!r} is not a CRS pyproj understands "
                                "(e.g. EPSG:4548)"))
        return None
    if frame.crs is None:
        notes.append(f"{role}: {path} has no CRS; {declared.name} assigned from the project")
        return frame.set_crs(declared)
    if CRS.from_user_input(frame.crs) != declared:
        problems.append(Problem(f"{where}.crs", (
            f"{path} says its CRS is {frame.crs.name} but the project gives {given}; remove "
            "crs: to use the file's, or fix the file")))
        return None
    return frame


def _mapped_panel_fields(spec: PanelsLayer, path: Path, frame: gpd.GeoDataFrame,
                         problems: list[Problem]) -> gpd.GeoDataFrame | None:
    """Panels with the fields named in ``layers.panels.fields`` renamed to the engine's names."""
    renames = spec.fields.renames()
    fields = [c for c in frame.columns if c != frame.geometry.name]
    missing = [(name, given) for given, name in renames.items() if given not in frame.columns]
    for name, given in missing:
        problems.append(Problem(f"layers.panels.fields.{name}", (
            f"{path} has no field {given!r}{did_you_mean(given, fields)} (mapped to {name}); "
            f"fields: {fields}")))
    if missing:
        return None
    return frame.drop(columns=[n for n in renames.values() if n in frame.columns
                               and n not in renames]).rename(columns=renames)


def _missing_field(role: str, path: Path, name: str, frame: pd.DataFrame) -> Problem:
    fields = [c for c in frame.columns if c != "geometry"]
    return Problem(
        f"layers.{role}.fields",
        f"{path} has no field {name!r}{did_you_mean(name, fields)}; fields: {fields}",
    )


def _read_parcels(project: Project, problems: list[Problem], notes: list[str],
                  sources: dict[str, Path]) -> gpd.GeoDataFrame | None:
    spec = project.layers.parcels
    frame = _read_vector(project, "parcels", spec, problems, sources, notes)
    if frame is None:
        return None
    path = sources["parcels"]
    missing = [f for f in (spec.fields.id, spec.fields.landuse) if f not in frame.columns]
    for name in missing:
        problems.append(_missing_field("parcels", path, name, frame))
    if missing:
        return None
    wrong_geometry = parcel_geometry_problem(path, frame.geometry, _POLYGONAL)
    if wrong_geometry is not None:
        problems.append(wrong_geometry)
        return None
    ids = frame[spec.fields.id]
    blank = ids.isna() | (ids.astype(str).str.strip() == "")
    if blank.any():
        problems.append(Problem(
            f"{path}:{spec.fields.id}",
            f"{int(blank.sum())} parcel(s) have no id (rows {_examples(np.flatnonzero(blank))}); "
            "every parcel needs a unique id",
        ))
    text_ids = id_text(ids)
    dup = text_ids[text_ids.duplicated(keep=False) & ~blank]
    if not dup.empty:
        problems.append(Problem(
            f"{path}:{spec.fields.id}",
            f"{dup.nunique()} id(s) are used by more than one parcel, e.g. "
            f"{_examples(dup.unique())}; ids must be unique",
        ))
    if blank.any() or not dup.empty:
        return None
    no_code = null_code_problem(path, spec.fields.landuse,
                                frame[spec.fields.landuse].set_axis(text_ids.values))
    if no_code is not None:
        problems.append(no_code)
        return None
    renamed = frame.rename(columns={spec.fields.landuse: col.LANDUSE_CODE})
    renamed[col.LANDUSE_CODE] = renamed[col.LANDUSE_CODE].astype(str)
    renamed.index = pd.Index(text_ids.values, name=col.PARCEL_ID)
    renamed = renamed.drop(columns=[spec.fields.id])
    cleaned = _clean("parcels", renamed, notes)
    if cleaned.empty:
        problems.append(Problem("layers.parcels", (
            f"parcel layer {path}: none of its {len(renamed)} feature(s) has a geometry with "
            "an area (all missing or empty); check the file")))
        return None
    return cleaned


def id_text(ids: pd.Series) -> pd.Series:
    """Parcel ids as text; whole numbers stored as floats lose their ``.0``.

    Examples
    --------
    >>> id_text(pd.Series([6242406.0, 17.0])).tolist()
    ['6242406', '17']
    >>> id_text(pd.Series([1.5, 2.0])).tolist()
    ['1.5', '2.0']
    """
    if pd.api.types.is_float_dtype(ids):
        values = ids.dropna()
        if (values == values.round()).all() and (values.abs() < 2**53).all():
            return ids.astype("Int64").astype(str)
    return ids.astype(str)


def _examples(values: object, n: int = 5) -> str:
    items = list(values)[:n]  # type: ignore[call-overload]
    return ", ".join(str(v) for v in items)


def _possible(role: str, crs: object, bounds: object, sources: dict[str, Path],
              problems: list[Problem], notes: list[str]) -> bool:
    """False (with the problem) when a layer's coordinates cannot be in its CRS.

    A projected layer lying outside its own CRS's area of use is possible but suspect: a
    warning says so.
    """
    given = CRS.from_user_input(crs)
    box = _box(bounds)
    where = sources.get(role, role)
    why = impossible_bounds(given, box)
    if why is not None:
        problems.append(Problem(_where(role), f"{where}: {why}"))
        return False
    if given.is_projected:
        outside = outside_area_of_use(given, lonlat_bounds(given, box))
        if outside is not None:
            text = (f"{role}: {where} lies outside the area of use of its own CRS ({outside[1]}); "
                    "are the coordinates in this CRS? measured there, lengths and areas are "
                    "distorted")
            logger.warning(text)
            notes.append(text)
    return True


def _working_crs(project: Project, parcels: gpd.GeoDataFrame | None, problems: list[Problem],
                 notes: list[str]) -> CRS | None:
    """The working CRS: the project's (checked against the parcels' location), or chosen."""
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
        if parcels is not None and _covers(crs, parcels, problems, notes):
            return crs
        return None if parcels is not None else crs
    if parcels is None:
        return None
    given = CRS.from_user_input(parcels.crs)
    lonlat = _lonlat(parcels)
    lon, lat = (lonlat[0] + lonlat[2]) / 2, (lonlat[1] + lonlat[3]) / 2
    outside = outside_area_of_use(given, lonlat)
    if given.is_projected and not _is_mercator(given) and not (outside and outside[0]):
        return given
    crs = choose_working_crs(lon, lat)
    if given.is_projected and not _is_mercator(given):
        note = (f"parcels are in {given.name}, but their centre lies outside its area of use "
                f"({outside[1] if outside else ''}); working CRS {crs.name} "
                f"({crs_label(crs)}) chosen for their centre {lon:.3f}, {lat:.3f}, every layer "
                "reprojected to it")
        logger.warning(note)
    else:
        why = "Mercator, which distorts areas" if given.is_projected else "geographic"
        note = (f"parcels are in {given.name} ({why}); working CRS {crs.name} "
                f"(EPSG:{crs.to_epsg()}) chosen for their centre {lon:.3f}, {lat:.3f}")
    notes.append(note)
    return crs


def _covers(crs: CRS, parcels: gpd.GeoDataFrame, problems: list[Problem],
            notes: list[str]) -> bool:
    """True when the project's ``crs`` may measure the parcels (its area of use holds them)."""
    lonlat = _lonlat(parcels)
    outside = outside_area_of_use(crs, lonlat)
    if outside is None:
        return True
    centre_out, text = outside
    if centre_out:
        right = zone_crs((lonlat[0] + lonlat[2]) / 2, (lonlat[1] + lonlat[3]) / 2)
        problems.append(Problem("crs", (
            f"{text} (the parcels): lengths and areas measured in it would be distorted; "
            f"use crs: auto or {crs_label(right)}")))
        return False
    note = (f"crs: part of the parcels lie outside the area of use of {crs_label(crs)} "
            f"({text}); measurements there carry more distortion")
    logger.warning(note)
    notes.append(note)
    return True


def _is_mercator(crs: CRS) -> bool:
    operation = crs.coordinate_operation
    name = operation.method_name.lower() if operation is not None else ""
    return "mercator" in name and "transverse" not in name


def _lonlat(frame: gpd.GeoDataFrame) -> tuple[float, float, float, float]:
    """The layer's bounds in longitudes and latitudes."""
    return lonlat_bounds(CRS.from_user_input(frame.crs), _box(frame.total_bounds))


def _box(bounds: object) -> tuple[float, float, float, float]:
    minx, miny, maxx, maxy = (float(v) for v in np.asarray(bounds))
    return minx, miny, maxx, maxy


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
_GRADIENT_ROLES = ("subsidence", DEM)
"""Rasters whose differences between neighbouring cells are taken (need 2×2 cells)."""
POINTS = "subsidence_points"
"""Role of subsidence survey or InSAR points among the vector layers."""
SEARCH_DISTANCE_M = 20_000.0
"""Towns and roads within this distance (m) of the parcels' bounding box are used (distance
and travel time to the nearest town); beyond it they are a "does not overlap" problem."""
NEARBY_ROLES = ("towns", "roads")
"""Context layers that may lie outside the parcels' bounding box, up to
:data:`SEARCH_DISTANCE_M`; every other layer must overlap it."""
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
    """A problem for each layer lying beyond the parcels' bounding box.

    Towns and roads (:data:`NEARBY_ROLES`) may lie up to :data:`SEARCH_DISTANCE_M` from it:
    the county seat beside a coalfield serves it. The layers describing the study area
    itself must overlap it.
    """
    box = shapely.box(*parcels.total_bounds)
    bounds = {role: f.total_bounds for role, f in vectors.items() if not f.empty}
    bounds.update({role: np.array(g.bounds) for role, g in grids.items()})
    for role, b in bounds.items():
        away = float(shapely.distance(box, shapely.box(*b)))
        allowed = SEARCH_DISTANCE_M if role in NEARBY_ROLES else 0.0
        if away > allowed:
            within = (f" (towns and roads may lie up to {SEARCH_DISTANCE_M / 1000:g} km away)"
                      if role in NEARBY_ROLES else "")
            problems.append(Problem(
                _where(role),
                f"{sources.get(role, role)} does not overlap the parcels: it lies "
                f"{away / 1000:,.1f} km from their bounding box{within} (its bounds "
                f"{np.round(b).tolist()}, parcels {np.round(parcels.total_bounds).tolist()}); "
                "check that both have the right CRS",
            ))
