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
GANGUE_SHARE = "gangue_share"

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
    """Column naming the limiting factor(s) of ``use``."""
    return f"{SUIT_PREFIX}{use}_limit"


SUIT_CLASSES = ("S1", "S2", "S3", "N")
"""Suitability classes from best to worst."""

# --- modes ---------------------------------------------------------------------------
RESTORATION_MODE = "restoration_mode"
MEASURES = "measures"
MODE_RULE = "mode_rule"
MODE_REASON = "mode_reason"
VALUE_MODE = "value_mode"
VALUE_RULE = "value_rule"
VALUE_REASON = "value_reason"

# --- zoning --------------------------------------------------------------------------
ZONE = "zone"
ZONE_RULE = "zone_rule"
ZONE_REASON = "zone_reason"
ZONE_NAME_ZH = "zone_name_zh"
ZONE_NAME_EN = "zone_name_en"

# --- units, for documentation and data dictionaries -----------------------------------
UNITS: dict[str, str] = {
    AREA_HA: "ha",
    DIST_ROAD_M: "m",
    DIST_TOWN_M: "m",
    GANGUE_SHARE: "fraction",
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
}
