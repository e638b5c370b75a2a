"""The project file: which layers, which rule files, which output folder.

A project file is YAML validated by the pydantic models below. Paths inside it are
relative to the project file's folder, so a project folder can be moved as a whole.

Examples
--------
>>> from zoning._resources import demo_project
>>> project = load_project(demo_project())
>>> project.name
'demo'

"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from zoning.errors import Problem, ValidationFailed
from zoning.rules.loader import load_yaml
from zoning.rules.models import CityType


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FileLayer(_Strict):
    """A layer read from a file: any OGR vector format, or a CSV or Excel table of points."""

    path: str = Field(description="File path, relative to the project file.")
    layer: str | None = Field(
        None, description="Layer name inside a multi-layer file (sheet of an Excel table).")
    select: dict[str, list[str | int | float]] | None = Field(
        None, description="Keep only features whose field has one of these values."
    )
    encoding: str | None = Field(
        None, description="Encoding of the file's text (e.g. GBK) when it is not UTF-8 and "
        "the file does not say so; default: UTF-8, else GB18030 (logged).")
    crs: str | None = Field(
        None, description="CRS of a CSV/Excel table's coordinates (required for tables), or "
        "of a file that has none (e.g. a shapefile without .prj).")


class PointFields(_Strict):
    """Coordinate columns of a CSV or Excel table of points."""

    x: str | None = Field(None, description="Easting or longitude column; default: x, lon, "
                          "lng, longitude, easting, 经度.")
    y: str | None = Field(None, description="Northing or latitude column; default: y, lat, "
                          "latitude, northing, 纬度.")


class VectorLayer(FileLayer):
    """A vector layer: any OGR format (GeoPackage, Shapefile, GeoJSON, FlatGeobuf, ...)."""

    fields: PointFields | None = Field(
        None, description="Coordinate columns when the layer is a table of points.")


class ParcelFields(_Strict):
    """Which fields of the parcel layer hold the id and the land-use code."""

    id: str = Field(description="Field with a unique parcel id.")
    landuse: str = Field(description="Field with the land-use code (GB/T 21010 by default).")


class ParcelLayer(FileLayer):
    """The parcel layer (land-survey patches)."""

    fields: ParcelFields


class Interpolation(_Strict):
    """How survey or InSAR points are interpolated to a subsidence raster."""

    method: Literal["linear", "idw"] = Field(
        "linear", description="linear: on the points' Delaunay mesh; idw: inverse distance.")
    resolution_m: float = Field(10.0, gt=0, description="Cell size of the raster, metres.")
    buffer_m: float = Field(
        100.0, ge=0, description="The raster covers the points' convex hull plus this buffer.")
    power: float = Field(2.0, gt=0, description="IDW power.")
    neighbours: int = Field(12, ge=1, description="IDW: number of nearest points used.")


Sign = Literal["down_positive", "down_negative"]
"""Sign convention of subsidence values: subsidence positive or negative."""


class SubsidenceLayer(_Strict):
    """Subsidence in one of four forms, all ending as the same per-parcel columns.

    ``polygons``: depth polygons (contours or bands) with ``depth_field``;
    ``raster``: cumulative subsidence; ``points``: survey or InSAR points whose
    ``depth_field`` is interpolated to a raster; ``panels``: predicted from the
    project's ``panels`` layer by the probability integral method (no ``path``).
    """

    form: Literal["polygons", "raster", "points", "panels"]
    path: str | None = Field(None, description="File path; not used by form 'panels'.")
    layer: str | None = None
    encoding: str | None = Field(None, description="As for any vector layer.")
    crs: str | None = Field(None, description="CRS of a CSV/Excel table of points (required "
                            "for tables), or of a file that has none.")
    fields: PointFields | None = Field(
        None, description="Form 'points' from a CSV/Excel table: the coordinate columns.")
    depth_field: str = Field(
        "depth_m", description="Depth field of the polygons, value field of the points.")
    units: Literal["m", "mm"] = Field("m", description="Units of the depth values.")
    sign: Sign | None = Field(
        None, description="Sign convention of the depth values: down_positive (subsidence "
        "positive, as surveyed depths) or down_negative (subsidence negative, as InSAR "
        "displacement). Default: down_negative for form 'points', else down_positive.")
    interpolation: Interpolation = Field(
        default_factory=Interpolation, description="Form 'points' only.")

    @property
    def down_sign(self) -> float:
        """Factor turning the layer's values into the engine's depths (positive down)."""
        sign = self.sign or ("down_negative" if self.form == "points" else "down_positive")
        return -1.0 if sign == "down_negative" else 1.0

    @model_validator(mode="after")
    def _path_given(self) -> SubsidenceLayer:
        if self.form != "panels" and self.path is None:
            raise ValueError(f"subsidence form {self.form!r} needs a 'path'")
        return self


class MineFields(_Strict):
    """Fields of the mined-area layer: mine id, stage and type."""

    id: str = Field("mine", description="Field with the mine's id or name.")
    stage: str = Field("stage", description="Field with the stage: new, producing or closed.")
    type: str = Field("type", description="Field with the type: underground or open_pit.")


class MinesLayer(FileLayer):
    """Mined areas (mine fields or concessions) with their stage and type."""

    fields: MineFields = Field(default_factory=MineFields)


class PanelFields(_Strict):
    """Fields of the panels layer when they are named otherwise (None: the engine's name).

    Each maps the engine's name to the layer's field, e.g. ``thickness_m: HOUDU``.
    """

    thickness_m: str | None = Field(None, description="Mined seam thickness, m.")
    depth_m: str | None = Field(None, description="Mean mining depth, m.")
    dip_deg: str | None = Field(None, description="Seam dip, degrees.")
    dip_dir_deg: str | None = Field(None, description="Dip direction, degrees from north.")
    end_year: str | None = Field(None, description="Year mining of the panel ended.")
    q: str | None = Field(None, description="Subsidence factor per panel.")
    tan_beta: str | None = Field(None, description="tan β per panel.")
    b: str | None = Field(None, description="Horizontal displacement factor per panel.")
    theta_deg: str | None = Field(None, description="Propagation angle per panel, degrees.")
    s_m: str | None = Field(None, description="Inflection-point offset per panel, m.")

    def renames(self) -> dict[str, str]:
        """``{layer field: engine name}`` of the fields given."""
        return {field: name for name, field in self.model_dump().items() if field is not None}


class PanelsLayer(FileLayer):
    """Mined longwall panels for the probability integral method."""

    fields: PanelFields = Field(default_factory=PanelFields)


class RoadFields(_Strict):
    """Fields of a vector road layer."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    road_class: str = Field(
        "highway", alias="class", description="Field with the road class (OSM highway "
        "values by default: motorway ... track; any values with speeds).")
    speed: str | None = Field(
        None, description="Field with speeds in km/h; missing values fall back to the class.")


class RoadsLayer(_Strict):
    """Roads from exactly one of a file (``path``), a place name or a bounding box.

    ``path``: an OSM XML file (``.osm``, ``.osm.bz2``) or PBF file (``.osm.pbf``) read with
    osmnx, or a vector layer of lines (``layer`` names it in a multi-layer file); read
    offline. ``place`` or ``bbox``: downloaded from OpenStreetMap through osmnx (drivable
    roads only), cached in ``cache_dir``.
    """

    path: str | None = Field(
        None, description="OSM XML/PBF file or vector file of road lines, relative to the "
        "project file.")
    layer: str | None = Field(None, description="Layer name inside a multi-layer vector file.")
    place: str | None = Field(
        None, min_length=1, description="Place name to download the drivable roads of, e.g. "
        "'Peixian, Xuzhou, Jiangsu, China' (needs the network).")
    bbox: tuple[float, float, float, float] | None = Field(
        None, description="[west, south, east, north] in degrees (EPSG:4326) to download the "
        "drivable roads of (needs the network).")
    cache_dir: str | None = Field(
        None, description="osmnx's download cache, relative to the project file; default "
        "~/.cache/zoning/osmnx.")
    encoding: str | None = Field(None, description="As for any vector layer.")
    fields: RoadFields | None = Field(
        None, description="Vector road layers: the class field (default highway) and a speed "
        "field.")
    speeds: dict[str, Annotated[float, Field(gt=0)]] | None = Field(
        None, description="Speed (km/h) by road class, over the engine's OSM defaults; with "
        "it every class of the layer must have a speed.")
    main: list[str] | None = Field(
        None, min_length=1, description="Road classes that are main roads (distance to main "
        "road); default: OSM motorway, trunk, primary, secondary, tertiary and their links.")

    @model_validator(mode="after")
    def _one_source(self) -> RoadsLayer:
        given = [key for key in ("path", "place", "bbox") if getattr(self, key) is not None]
        if len(given) != 1:
            found = f"given: {', '.join(given)}" if given else "none is given"
            raise ValueError("give exactly one of 'path' (a local file), 'place' (a place name) "
                             f"or 'bbox' ([west, south, east, north] in degrees); {found}")
        if self.layer is not None and self.path is None:
            raise ValueError("'layer' names a layer of the 'path' file; remove it or give 'path'")
        if self.cache_dir is not None and self.path is not None:
            raise ValueError("'cache_dir' is the download cache for 'place' or 'bbox'; a local "
                             "'path' is read offline: remove 'cache_dir'")
        if self.bbox is not None:
            _check_bbox(self.bbox)
        return self


def _check_bbox(bbox: tuple[float, float, float, float]) -> None:
    west, south, east, north = bbox
    if not (-180 <= west < east <= 180):
        raise ValueError(f"bbox {list(bbox)}: need -180 <= west < east <= 180 (longitudes in "
                         "degrees, EPSG:4326), in the order [west, south, east, north]")
    if not (-90 <= south < north <= 90):
        raise ValueError(f"bbox {list(bbox)}: need -90 <= south < north <= 90 (latitudes in "
                         "degrees, EPSG:4326), in the order [west, south, east, north]")


class RasterLayer(_Strict):
    """Any other raster the rules may name (``grid: <name>`` in a resistance factor).

    A raster named ``dem`` (elevation, m) also gives ``slope_deg``, its slope in degrees, and
    the parcel columns ``slope_mean_deg``, ``slope_max_deg``, ``slope_share_gt_15`` and
    ``slope_share_gt_25``. Every raster ``<name>`` gives the parcel columns ``<name>_mean``,
    ``<name>_max`` and ``<name>_share_gt_<t>`` for each threshold ``t`` of ``shares``
    (:mod:`zoning.rasterstats`).
    """

    path: str = Field(description="GDAL raster, relative to the project file.")
    scale: float = Field(1.0, gt=0, description="Factor applied to the values (units).")
    shares: list[float] = Field(
        default_factory=list, description="Thresholds t: each gives the parcel column "
        "<name>_share_gt_<t>, the share of the parcel's cells with a value above t.")

    @field_validator("shares")
    @classmethod
    def _distinct(cls, shares: list[float]) -> list[float]:
        if len(set(shares)) != len(shares) or any(not math.isfinite(t) for t in shares):
            raise ValueError(f"shares must be distinct finite numbers, found {shares}")
        return shares


RESERVED_RASTERS = ("subsidence", "groundwater", "tilt", "curvature", "strain",
                    "displacement", "slope_deg")
"""Raster names the engine makes itself; project rasters may not take them."""


class Basemap(_Strict):
    """Online tiles under the web map (it has none by default and works offline)."""

    provider: Literal["openstreetmap", "tianditu"]
    key: str | None = Field(None, description="Tianditu (天地图) key; written into the page.")
    kind: Literal["vector", "image"] = "vector"

    @model_validator(mode="after")
    def _key_for_tianditu(self) -> Basemap:
        if (self.provider == "tianditu") != (self.key is not None):
            raise ValueError("basemap: give `key` with provider tianditu (a 天地图 key from "
                             "console.tianditu.gov.cn) and only with it")
        return self


class Groundwater(_Strict):
    """Depth of the water table below the ground before subsidence, positive down.

    Exactly one of ``depth_m`` (a constant, metres) or ``path`` (a raster of depths in
    ``units``, any GDAL format) is given.
    """

    depth_m: float | None = Field(
        None, gt=0, description="Constant depth of the water table, metres.")
    path: str | None = Field(
        None, description="Raster of water-table depths (any GDAL format), relative to the "
        "project file.")
    units: Literal["m", "mm"] = Field("m", description="Units of the raster's values.")

    @model_validator(mode="after")
    def _one_form(self) -> Groundwater:
        if (self.path is None) == (self.depth_m is None):
            given = "both are given" if self.path is not None else "neither is given"
            raise ValueError("give exactly one of 'path' (a raster of water-table depths) or "
                             f"'depth_m' (a constant depth in metres); {given}")
        if self.depth_m is not None and "units" in self.model_fields_set:
            raise ValueError("'units' applies to a groundwater raster ('path') only; "
                             "'depth_m' is always in metres")
        return self


class Outputs(_Strict):
    """Options of the files a run writes."""

    xlsx_headers: Literal["zh", "en"] = Field(
        "zh", description="Language of the column headings and sheet names of parcels.xlsx: "
        "zh (Chinese, the default) or en (English).")


class QualityControl(_Strict):
    """Parcel topology checks (拓扑检查): how much overlap and gap between parcels is tolerated."""

    overlap_tolerance_ha: float = Field(
        0.01, ge=0, description="A partial overlap of two parcels up to this area (ha) is a "
        "digitising sliver: counted, not a problem. Duplicates and parcels inside another "
        "are a problem at any size.")
    overlap_tolerance_share: float = Field(
        0.001, ge=0, le=1, description="Slivers together may cover at most this share of "
        "the area the parcels cover; more is a problem too (a shifted or twice-digitised "
        "layer).")
    gap_tolerance_ha: float = Field(
        0.01, ge=0, description="A gap between parcels up to this area (ha) is a digitising "
        "sliver: counted, no warning.")
    accept_overlaps: bool = Field(
        False, description="Run although parcels overlap (every area total then counts the "
        "overlaps twice), with a logged warning, instead of stopping with a problem.")


class AssessmentInput(_Strict):
    """A social-ecological assessment to run with the project (:mod:`zoning.assess`)."""

    table: str = Field(description="CSV or Excel table of years (or units) × indicators.")
    rules: str | None = Field(
        None, description="kind: assessment rule file, or a shipped set by name: engine (the "
                          "default, rules/assessment.yaml) or jiawang (Table 1 of Ma et al. "
                          "2026 with its published weights, rules/assessment_jiawang.yaml).")
    illustrative: bool = Field(
        False, description="True when the table holds invented values: every output says so.")


class Split(_Strict):
    """Split parcels by subsidence depth band and ponding before the stages run."""

    by: list[Literal["subsidence_bands", "ponding"]] = Field(
        min_length=1, description="subsidence_bands: the depth bands of the damage rules "
        "(depth_bands_m); ponding: the edge of the ground subsided to the water table.")
    min_area_ha: float = Field(
        0.01, ge=0, description="Pieces smaller than this merge back into the largest piece "
        "of their parcel (ha).")

    @field_validator("by")
    @classmethod
    def _once(cls, by: list[str]) -> list[str]:
        if len(set(by)) != len(by):
            raise ValueError(f"split.by lists a criterion twice: {by}")
        return by


class Layers(_Strict):
    """All layers of a project; only parcels are required."""

    parcels: ParcelLayer
    subsidence: SubsidenceLayer | None = None
    panels: PanelsLayer | None = None
    mines: MinesLayer | None = None
    gangue: VectorLayer | None = None
    towns: VectorLayer | None = None
    roads: RoadsLayer | None = None
    redline: VectorLayer | None = Field(
        None, description="Ecological protection red line (生态保护红线): polygons.")
    geohazard: VectorLayer | None = Field(
        None, description="Geological hazard prone areas (地质灾害易发区): polygons; buffer hazard "
        "points (隐患点) to their influence areas first.")
    boundary: VectorLayer | None = Field(
        None, description="Urban development boundary (城镇开发边界): polygons.")


_NOT_IN_NAMES = '/\\:*?"<>|'
"""Characters a project name may not hold: path separators and what Windows forbids."""

RuleKind = Literal["landuse", "subsidence", "damage", "suitability", "corridors", "reduction",
                   "modes", "zones", "esv", "carbon", "costs"]


class Project(_Strict):
    """A project file (``project.yaml``).

    Attributes
    ----------
    name
        Short name; outputs go to ``<output_dir>/<name>/``.
    crs
        ``auto`` or any CRS pyproj understands (``EPSG:4548``); must be projected.
    rules
        Rule-file path per kind; kinds not given use the shipped defaults.

    """

    schema_version: Literal[1]
    name: str = Field(description="Folder name of the outputs below output_dir: any letters "
                      "(Chinese welcome), not starting with '.', without / \\ : * ? \" < > |.")
    title: str
    synthetic: bool = Field(False, description="True for synthetic data; shown on every output.")
    crs: str = "auto"
    output_dir: str = Field(
        "out", description="Parent folder of the outputs, relative to the project file."
    )
    layers: Layers
    groundwater: Groundwater | None = None
    rasters: dict[Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")], RasterLayer] = Field(
        default_factory=dict, description="Further rasters by name (dem, ndvi, ...).")
    split: Split | None = Field(
        None, description="Split parcels by subsidence band and ponding before the stages "
        "(pieces <parent id>-<k>, columns parent_id and split).")
    basemap: Basemap | None = Field(
        None, description="Online tiles under map.html; none by default (works offline).")
    city_type: CityType | None = Field(
        None, description="Resource-based city type (growing, mature, declining, regenerating): "
                          "sets the land-reduction strategy of rules/reduction.yaml.")
    rules: dict[RuleKind, str] = Field(default_factory=dict)
    assessment: AssessmentInput | None = Field(
        None, description="Vulnerability and resilience over time by set pair analysis, "
                          "written to assessment/ and shown in the report.")
    outputs: Outputs = Field(
        default_factory=Outputs, description="Options of the written files (parcels.xlsx "
        "headings).")
    qc: QualityControl = Field(
        default_factory=QualityControl, description="Parcel topology checks: overlaps "
        "between parcels and gaps inside the study area (qc_overlaps, qc_gaps).")
    folder: Path = Field(Path("."), exclude=True, description="Folder of the project file.")

    @field_validator("name")
    @classmethod
    def _folder_name(cls, name: str) -> str:
        bad = sorted(set(name) & set(_NOT_IN_NAMES) | {c for c in name if ord(c) < 32})
        if not name.strip() or name.startswith(".") or name != name.strip() or bad:
            found = f"found {name!r}" + (f" (with {bad})" if bad else "")
            raise ValueError(
                "the name is the output folder's name below output_dir: it may not be empty, "
                "start with '.' (no '.' or '..') or with a space, nor hold / \\ : * ? \" < > | "
                f"or control characters; {found}; e.g. 'demo' or '贾汪2025'")
        return name

    @model_validator(mode="after")
    def _raster_names_free(self) -> Project:
        taken = sorted(set(self.rasters) & set(RESERVED_RASTERS))
        if taken:
            raise ValueError(f"rasters: {taken} are made by the engine; give the raster "
                             "another name")
        return self

    def resolve(self, path: str) -> Path:
        """Resolve a path from the project file against the project's folder."""
        candidate = Path(path).expanduser()
        return candidate if candidate.is_absolute() else (self.folder / candidate).resolve()

    def rule_paths(self) -> dict[str, Path]:
        """Rule files named by the project, resolved."""
        return {kind: self.resolve(p) for kind, p in self.rules.items()}

    def output_folder(self, out_dir: Path | None = None) -> Path:
        """Folder the run writes to: ``<out_dir or output_dir>/<name>``."""
        parent = out_dir if out_dir is not None else self.resolve(self.output_dir)
        return Path(parent) / self.name


def load_project(path: Path | str) -> Project:
    """Read and validate a project file.

    Raises
    ------
    ValidationFailed
        With every problem found, each located at ``file:line:column``.

    """
    path = Path(path)
    if not path.is_file():
        raise ValidationFailed([Problem(str(path), "project file not found")])
    doc = load_yaml(path)
    if not isinstance(doc.data, dict):
        raise ValidationFailed([Problem(str(path), "expected a mapping at the top of the file")])
    try:
        return Project.model_validate({**doc.data, "folder": path.resolve().parent})
    except ValidationError as exc:
        raise ValidationFailed(doc.validation_problems(exc)) from None
