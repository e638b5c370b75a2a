"""Names and units of the parcel-table columns, in one place.

Every stage reads and writes the parcel table through these names; outputs and the
parcel list for valuation tools keep them stable. Units are in the names: ``_ha``
hectares, ``_m`` metres, ``_mm_m`` millimetres per metre, ``_share`` a fraction in
[0, 1].
"""

from __future__ import annotations

# --- identity and land use ---------------------------------------------------------
PARCEL_ID = "parcel_id"
"""Unique parcel identifier (text)."""
LANDUSE_CODE = "landuse_code"
"""Land-use code as given by the parcel layer (GB/T 21010-2017 by default)."""
LANDUSE_NAME_ZH = "landuse_name_zh"
LANDUSE_NAME_EN = "landuse_name_en"
LANDUSE_L1 = "landuse_l1"
"""First-level class code of the land-use classification (e.g. ``01`` cultivated land)."""
LAND_CLASS = "land_class"
"""Canonical land class used by the rules (e.g. ``paddy``, ``forest``, ``mining``)."""
IS_CONSTRUCTION = "is_construction"
"""True for construction land (建设用地) according to the land-use mapping."""

# --- geometry-derived ----------------------------------------------------------------
AREA_HA = "area_ha"
DIST_ROAD_M = "dist_road_m"
DIST_TOWN_M = "dist_town_m"
TRAVEL_MIN_TOWN = "travel_min_town"
"""Minutes from the parcel to the nearest town over the drivable road graph (``zoning.travel``);
missing where the parcel's nearest road node cannot reach a town."""
GANGUE_SHARE = "gangue_share"
MINE_ID = "mine_id"
"""Mine whose mined area covers most of the parcel; missing outside every mine."""
MINE_STAGE = "mine_stage"
"""Stage of that mine: ``new``, ``producing`` or ``closed``."""
MINE_TYPE = "mine_type"
"""Type of that mine: ``underground`` or ``open_pit``."""
MINE_STAGES = ("new", "producing", "closed")
MINE_TYPES = ("underground", "open_pit")

# --- planning layers (land reduction inputs) -------------------------------------------
REDLINE_SHARE = "redline_share"
"""Share of the parcel's area inside the ecological protection red line (生态保护红线);
missing when the project has no ``redline`` layer."""
GEOHAZARD_SHARE = "geohazard_share"
"""Share of the parcel's area in geological hazard prone areas (地质灾害易发区); missing when
the project has no ``geohazard`` layer."""
DIST_BOUNDARY_M = "dist_boundary_m"
"""Distance from the parcel to the urban development boundary (城镇开发边界), 0 for a parcel
that touches or lies inside it (m); missing when the project has no ``boundary`` layer."""
INSIDE_BOUNDARY = "inside_boundary"
"""True when at least :data:`INSIDE_BOUNDARY_MIN_SHARE` of the parcel's area is inside the urban
development boundary; missing when the project has no ``boundary`` layer."""
INSIDE_BOUNDARY_MIN_SHARE = 0.5
"""Share of its area a parcel needs inside the urban development boundary to count as inside."""

# --- subsidence ---------------------------------------------------------------------
SUBS_MAX_M = "subs_max_m"
SUBS_MEAN_M = "subs_mean_m"
SUBS_SHARE_PREFIX = "subs_share_"
"""Prefix of the per-depth-band area shares, e.g. ``subs_share_0p5_to_1p5m``."""
GW_BEFORE_M = "gw_before_m"
"""Groundwater depth below the ground before subsidence (m); with a groundwater raster, its
area-weighted mean over the parcel."""
GW_AFTER_M = "gw_after_m"
"""Water-table depth below the parcel's lowest ground after subsidence (m), the least of
groundwater depth minus subsidence over the parcel (a constant depth: it minus ``subs_max_m``);
negative: ponded."""
PONDED_SHARE = "ponded_share"
"""Share of the parcel's area where the ground has fallen to or below the water table."""
POND_DEPTH_M = "pond_depth_m"
"""Deepest water over the parcel: the most subsidence minus groundwater depth, 0 if not ponded
(m)."""
SEASONAL_SHARE = "seasonal_share"
"""Share of the area within the seasonal band above the water table (waterlogged in wet seasons)."""
TILT_MAX_MM_M = "tilt_max_mm_m"
"""Largest tilt (gradient of the subsidence) over the parcel (mm/m)."""
CURV_MAX_PER_KM = "curv_max_per_km"
"""Largest absolute principal curvature of the subsidence surface over the parcel (1/km)."""
STRAIN_MAX_MM_M = "strain_max_mm_m"
"""Largest absolute principal horizontal strain over the parcel (mm/m, tension or compression)."""
YEARS_SINCE_MINING = "years_since_mining"
"""Years since the last panel that influences the parcel finished; 0 while mining goes on."""
STABLE = "stable"
"""True when the ground is considered stable (rule in ``subsidence.yaml``)."""
DAMAGE_GRADE = "damage_grade"
"""Land damage grade (``none``, ``light``, ``moderate``, ``severe``) by the worst factor."""
DAMAGE_FACTOR = "damage_factor"
"""Column of the factor that decided the damage grade, or ``outside_basin``, ``building_grade``,
``inside_basin`` (no factor known inside the basin) or ``no_data``."""
DAMAGE_REASON = "damage_reason"
"""The deciding factor's value and limit in words, e.g. ``gw_after_m = 0.3 m < 0.5 m: severe``."""
BUILDING_GRADE = "building_grade"
"""Building damage grade I-IV of construction land; missing without deformation values."""
BUILDING_FACTOR = "building_factor"
"""Column of the deformation factor that decided the building grade."""

# --- raster statistics per parcel (zoning.rasterstats) ---------------------------------
SLOPE_MEAN_DEG = "slope_mean_deg"
"""Mean slope over the parcel's cells (degrees) from the project's ``dem``; missing without one."""
SLOPE_MAX_DEG = "slope_max_deg"
"""Steepest cell of the parcel (degrees) from the project's ``dem``; missing without one."""
SLOPE_SHARE_THRESHOLDS_DEG = (15.0, 25.0)
"""Slopes whose exceedance share every parcel gets (``slope_share_gt_15``, ``_25``): the upper
limits of the third national land survey's cropland slope grades 6-15° and 15-25° (TD/T
1055-2019, grades ≤2°, 2-6°, 6-15°, 15-25°, >25°)."""
RASTER_SLOPE = "slope"
"""Stem of the slope share columns (``slope_share_gt_15``)."""


def _number(value: float) -> str:
    """A threshold in a column name: ``0.3`` → ``0p3``, ``-1`` → ``m1``, ``15.0`` → ``15``."""
    return f"{value:g}".replace(".", "p").replace("-", "m")


def raster_mean(name: str) -> str:
    """Column with the mean of project raster ``name`` over the parcel (``ndvi_mean``)."""
    return f"{name}_mean"


def raster_max(name: str) -> str:
    """Column with the largest value of project raster ``name`` over the parcel (``ndvi_max``)."""
    return f"{name}_max"


def raster_share_gt(name: str, threshold: float) -> str:
    """Column with the share of the parcel's cells of ``name`` above ``threshold``.

    Examples
    --------
    >>> raster_share_gt("ndvi", 0.3), raster_share_gt("slope", 15.0)
    ('ndvi_share_gt_0p3', 'slope_share_gt_15')
    """
    return f"{name}_share_gt_{_number(threshold)}"


SLOPE_SHARES = tuple(raster_share_gt(RASTER_SLOPE, t) for t in SLOPE_SHARE_THRESHOLDS_DEG)
"""Columns of the share of the parcel steeper than each of :data:`SLOPE_SHARE_THRESHOLDS_DEG`."""
SLOPE_COLUMNS = (SLOPE_MEAN_DEG, SLOPE_MAX_DEG, *SLOPE_SHARES)
"""Every parcel gets these (missing without a ``dem``)."""

# --- parcel splitting (zoning.split) ----------------------------------------------------
PARENT_ID = "parent_id"
"""Id of the parcel a piece was split from (the parcel's own id when it was not split)."""
SPLIT = "split"
"""True for a piece of a parcel split by subsidence band or ponding (``split:`` option)."""

# --- suitability ----------------------------------------------------------------------
SUIT_PREFIX = "suit_"
BEST_USE = "best_use"
BEST_USE_CLASS = "best_use_class"


def suit_score(use: str) -> str:
    """Column with the suitability score of ``use`` (0 to 1, higher is better)."""
    return f"{SUIT_PREFIX}{use}_score"


def suit_class(use: str) -> str:
    """Column with the suitability class of ``use`` (S1, S2, S3 or N)."""
    return f"{SUIT_PREFIX}{use}_class"


def suit_limit(use: str) -> str:
    """Column naming the limiting factors of ``use``: capping vetoes, then by obstacle degree."""
    return f"{SUIT_PREFIX}{use}_limit"


def suit_factor(use: str, factor: str) -> str:
    """Column with the score (0 to 1) of one factor of ``use`` (``suit_cultivated_by_ponding``)."""
    return f"{SUIT_PREFIX}{use}_by_{factor}"


SUIT_CLASSES = ("S1", "S2", "S3", "N")
"""Suitability classes from best to worst."""

# --- ecological security pattern ----------------------------------------------------
IS_SOURCE = "is_source"
"""True when the parcel is part of an ecological source (生态源地)."""
IN_CORRIDOR = "in_corridor"
"""True when at least ``min_corridor_share`` of the parcel lies in a (truncated) corridor."""
CORRIDOR_LEVEL = "corridor_level"
"""Level of the best corridor over the parcel: ``important`` or ``general``; missing outside."""
CORRIDOR_LEVELS = ("important", "general")
NODE_TYPE = "node_type"
"""Ecological node on the parcel: ``barrier``, ``pinch_point`` or ``stepping_stone``."""
NODE_TYPES = ("barrier", "pinch_point", "stepping_stone")
"""Node types, the first taking precedence when a parcel holds several."""

# --- land reduction ------------------------------------------------------------------
CITY_TYPE = "city_type"
"""Resource-based city type in force (``growing``, ``mature``, ``declining``, ``regenerating``),
the same on every parcel; added first by the reduction stage so any later rule may name it."""
REDUCE_CANDIDATE = "reduce_candidate"
"""True for eligible construction land that may be retired (and is not locked out)."""
REDUCE_TRIGGERS = "reduce_triggers"
"""Hard triggers that hold on the parcel, comma-separated (empty: none)."""
REDUCE_SCORE = "reduce_score"
"""Reduction score in [0, 1] (1: the strongest case for retiring); missing off candidates."""
REDUCE_INDICATORS = "reduce_indicators"
"""The indicators contributing most to the score, comma-separated."""
REDUCE_SELECTED = "reduce_selected"
"""True when the parcel is retired within the quota."""
REDUCE_REASON = "reduce_reason"
"""Why it is retired: ``locked_in``, ``triggered: <ids>`` or ``score <s>: <indicators>``."""
REDUCE_TARGET_USE = "reduce_target_use"
"""Use after retirement (cropland, forest, grass, water, ...); missing when not retired."""
REDUCE_TARGET_RULE = "reduce_target_rule"
REDUCE_TARGET_REASON = "reduce_target_reason"

# --- modes ---------------------------------------------------------------------------
SAFETY_RISK = "safety_risk"
"""Safety risk level of the parcel (``high``, ``medium``, ``low`` by default)."""
SAFETY_RULE = "safety_rule"
SAFETY_REASON = "safety_reason"
MARKET_ACCESS = "market_access"
"""Market environment of the parcel (``good``, ``fair``, ``poor`` by default)."""
MARKET_RULE = "market_rule"
MARKET_REASON = "market_reason"
RESTORATION_MODE = "restoration_mode"
MEASURES = "measures"
MODE_RULE = "mode_rule"
MODE_REASON = "mode_reason"
VALUE_MODE = "value_mode"
VALUE_RULE = "value_rule"
VALUE_REASON = "value_reason"
STRATEGY = "strategy"
"""Restoration strategy from the mine's stage and type (new: restore and prevent hazards while
mining; producing: historical damage with safety retrofits; closed: long-term monitoring)."""
MONITORING = "monitoring"
"""Monitoring requirement; never ``none`` on ground that is not stable."""
STRATEGY_RULE = "strategy_rule"
STRATEGY_REASON = "strategy_reason"
MONITORING_RULE = "monitoring_rule"
MONITORING_REASON = "monitoring_reason"
NO_MONITORING = "none"
RIGHTS_KIND = "rights_kind"
"""Right the restoration creates: ``linked_quota`` (增减挂钩), ``balance_credit`` (占补平衡),
``carbon_sink`` or ``none`` (rules/modes.yaml ``rights_rules``)."""
RIGHTS_AREA_HA = "rights_area_ha"
"""Area of that right on the parcel (ha); 0 with ``none``."""
RIGHTS_RULE = "rights_rule"
RIGHTS_REASON = "rights_reason"
NO_RIGHTS = "none"

# --- dig-deep-fill-shallow earth balance ------------------------------------------------
POND_AREA_HA = "pond_area_ha"
"""Area dug into fish ponds in a dig-deep-fill-shallow parcel (ha)."""
FIELD_AREA_HA = "field_area_ha"
"""Area raised into fields with the spoil (ha)."""
POND_SHARE = "pond_share"
"""Pond area over the parcel area covered by the subsidence grid."""
EARTH_VOLUME_M3 = "earth_volume_m3"
"""Bank volume cut from the ponds (m³); the fill placed on the fields is ``bulking`` times it."""
FIELD_HEIGHT_M = "field_height_m"
"""Lowest field surface above the water table after the earthwork (m); the target when balanced."""
POND_EDGE_SUBS_M = "pond_edge_subs_m"
"""Subsidence at the pond edge (m): the pond covers the ground subsided more than this."""
EARTHWORK_STATUS = "earthwork_status"
"""``balanced``, ``no_fill_needed``, ``insufficient_cut``, ``no_cells``, ``no_groundwater``;
missing where the parcel is not balanced (another mode)."""

# --- per-mine plans (一矿一策) ----------------------------------------------------------
RESTORATION_COST_YUAN = "restoration_cost_yuan"
"""Estimated restoration cost of the parcel (yuan): unit cost of each measure of its
restoration mode × area, plus the earthwork volume × its unit cost (``rules/costs.yaml``)."""

# --- zoning --------------------------------------------------------------------------
ZONE = "zone"
ZONE_RULE = "zone_rule"
ZONE_REASON = "zone_reason"
ZONE_NAME_ZH = "zone_name_zh"
ZONE_NAME_EN = "zone_name_en"
ZONE_BEFORE_MMU = "zone_before_mmu"
"""Zone the decision table gave, before small fragments merged (minimum mapping unit)."""
ZONE_RULE_MMU = "mmu"
"""``zone_rule`` of a parcel whose zone the minimum mapping unit changed."""
PLANNING_UNIT = "planning_unit"
"""Planning unit (``<zone>-NNN``): a compact group of contiguous parcels inside one zone."""

# --- units, for documentation and data dictionaries -----------------------------------
UNITS: dict[str, str] = {
    AREA_HA: "ha",
    DIST_ROAD_M: "m",
    DIST_TOWN_M: "m",
    TRAVEL_MIN_TOWN: "min",
    GANGUE_SHARE: "fraction",
    REDLINE_SHARE: "fraction",
    GEOHAZARD_SHARE: "fraction",
    DIST_BOUNDARY_M: "m",
    SUBS_MAX_M: "m",
    SUBS_MEAN_M: "m",
    GW_BEFORE_M: "m",
    GW_AFTER_M: "m",
    PONDED_SHARE: "fraction",
    POND_DEPTH_M: "m",
    SEASONAL_SHARE: "fraction",
    TILT_MAX_MM_M: "mm/m",
    CURV_MAX_PER_KM: "1/km",
    STRAIN_MAX_MM_M: "mm/m",
    YEARS_SINCE_MINING: "years",
    POND_AREA_HA: "ha",
    RIGHTS_AREA_HA: "ha",
    FIELD_AREA_HA: "ha",
    POND_SHARE: "fraction",
    EARTH_VOLUME_M3: "m3",
    RESTORATION_COST_YUAN: "yuan",
    FIELD_HEIGHT_M: "m",
    POND_EDGE_SUBS_M: "m",
    SLOPE_MEAN_DEG: "deg",
    SLOPE_MAX_DEG: "deg",
    **dict.fromkeys(SLOPE_SHARES, "fraction"),
}

# --- valuation: land use after restoration, ecosystem service value, carbon --------------
LAND_CLASS_AFTER = "land_class_after"
"""Canonical land class after restoration, by the ordered ``after_rules`` of ``esv.yaml``."""
LAND_CLASS_AFTER_RULE = "land_class_after_rule"
LAND_CLASS_AFTER_REASON = "land_class_after_reason"
LAND_CLASS_AFTER_NAME_ZH = "land_class_after_name_zh"
LAND_CLASS_AFTER_NAME_EN = "land_class_after_name_en"
ESV_BEFORE_YUAN = "esv_before_yuan"
"""Ecosystem service value before restoration (yuan per year), equivalent-factor method."""
ESV_AFTER_YUAN = "esv_after_yuan"
"""Ecosystem service value after restoration (yuan per year), of ``land_class_after``."""
CARBON_BEFORE_T = "carbon_before_t"
"""Carbon stored in the four InVEST pools before restoration (t C)."""
CARBON_AFTER_T = "carbon_after_t"
"""Carbon stored in the four InVEST pools after restoration (t C)."""
ESV_BY_SERVICE = "esv_by_service"
"""Table: ESV before and after per service, totalled over the parcels (yuan per year)."""
CARBON_BY_POOL = "carbon_by_pool"
"""Table: carbon before and after per pool, totalled over the parcels (t C)."""
UNITS.update({ESV_BEFORE_YUAN: "yuan/yr", ESV_AFTER_YUAN: "yuan/yr", CARBON_BEFORE_T: "t C",
              CARBON_AFTER_T: "t C"})

# --- parcel topology QC layers (qc_overlaps, qc_gaps; zoning.topology) -------------------
QC_PARCEL_A = "parcel_a"
"""First parcel of an overlapping pair (the earlier in the layer)."""
QC_PARCEL_B = "parcel_b"
QC_OVERLAP_HA = "overlap_ha"
"""Area the two parcels share (ha)."""
QC_KIND = "kind"
"""``duplicate`` (the same geometry twice), ``contained`` (one inside the other), ``partial``."""
QC_SIGNIFICANT = "significant"
"""Above ``qc.overlap_tolerance_ha``, or a whole parcel; else a digitising sliver."""
QC_GAP_ID = "gap_id"
"""Gap number, 1 the largest."""
QC_AREA_HA = "area_ha"
QC_X = "x"
QC_Y = "y"
"""A point inside the gap (working CRS)."""
QC_BORDERING = "bordering"
"""Ids of (up to five) parcels around the gap."""
QC_ITEM = "qc_item"
"""Web map's topology QC layer: ``overlap`` or ``gap``."""
QC_PARCELS = "qc_parcels"
"""Web map's topology QC layer: the overlapping pair ``a / b``, or ``gap <n>: <bordering>``."""
