"""Working-CRS policy: every measurement happens in one projected CRS.

Geographic input is reprojected to the CGCS2000 3-degree Gauss–Krüger zone whose
central meridian is nearest, when the data lie inside that zone's area of use in China;
elsewhere to the UTM zone of the data. The choice is logged.
"""

from __future__ import annotations

import logging

import numpy as np
from pyproj import CRS, Transformer
from pyproj.aoi import AreaOfInterest
from pyproj.database import query_utm_crs_info

logger = logging.getLogger(__name__)

_GK_FIRST_EPSG = 4534
"""EPSG code of CGCS2000 / 3-degree Gauss-Kruger CM 75E; codes step by one per 3 degrees."""
_GK_FIRST_CM = 75
_GK_LAST_CM = 135


def gauss_kruger_crs(lon: float, lat: float) -> CRS | None:
    """Return the CGCS2000 3-degree Gauss–Krüger CRS (CM variant) for a point in China.

    Parameters
    ----------
    lon, lat
        Longitude and latitude in degrees.

    Returns
    -------
    pyproj.CRS or None
        The zone whose central meridian is nearest to ``lon``, if the point lies inside
        that zone's published area of use (which is limited to China); otherwise None.

    Examples
    --------
    >>> gauss_kruger_crs(117.4, 34.4).to_epsg()
    4548
    >>> gauss_kruger_crs(7.2, 51.5) is None
    True

    """
    cm = 3 * round(lon / 3)
    if not _GK_FIRST_CM <= cm <= _GK_LAST_CM:
        return None
    crs = CRS.from_epsg(_GK_FIRST_EPSG + (cm - _GK_FIRST_CM) // 3)
    area = crs.area_of_use
    if area is None:
        return None
    inside = area.west <= lon <= area.east and area.south <= lat <= area.north
    return crs if inside else None


def utm_crs(lon: float, lat: float) -> CRS:
    """Return the WGS 84 UTM CRS of the zone containing ``lon``, ``lat``.

    Examples
    --------
    >>> utm_crs(7.2, 51.5).to_epsg()
    32632

    """
    infos = query_utm_crs_info(
        datum_name="WGS 84",
        area_of_interest=AreaOfInterest(lon, lat, lon, lat),
    )
    if not infos:
        raise ValueError(f"no UTM zone found for longitude {lon}, latitude {lat}")
    return CRS.from_authority(infos[0].auth_name, infos[0].code)


def zone_crs(lon: float, lat: float) -> CRS:
    """The CGCS2000 3° Gauss–Krüger zone of a point in China, else its UTM zone (not logged).

    Examples
    --------
    >>> zone_crs(19.8, -33.9).to_epsg()
    32734
    """
    return gauss_kruger_crs(lon, lat) or utm_crs(lon, lat)


def choose_working_crs(lon: float, lat: float) -> CRS:
    """Choose the projected working CRS for data centred on ``lon``, ``lat``.

    Examples
    --------
    >>> choose_working_crs(117.4, 34.4).name
    'CGCS2000 / 3-degree Gauss-Kruger CM 117E'
    >>> choose_working_crs(7.2, 51.5).name
    'WGS 84 / UTM zone 32N'

    """
    crs = zone_crs(lon, lat)
    logger.info(
        "working CRS chosen for data centred at %.4f, %.4f: %s (EPSG:%s)",
        lon,
        lat,
        crs.name,
        crs.to_epsg(),
    )
    return crs


LonLatBounds = tuple[float, float, float, float]
"""(west, south, east, north) in degrees."""


def lonlat_bounds(crs: CRS, bounds: tuple[float, float, float, float]) -> LonLatBounds:
    """Bounds given in ``crs`` as longitudes and latitudes (EPSG:4326), edges densified.

    Examples
    --------
    >>> [round(v, 2) for v in lonlat_bounds(CRS(4548), (500_000, 3_800_000, 510_000, 3_810_000))]
    [117.0, 34.33, 117.11, 34.42]
    """
    transformer = Transformer.from_crs(crs, CRS.from_epsg(4326), always_xy=True)
    west, south, east, north = transformer.transform_bounds(*bounds, densify_pts=21)
    return float(west), float(south), float(east), float(north)


def impossible_bounds(crs: CRS, bounds: tuple[float, float, float, float]) -> str | None:
    """Why ``bounds`` cannot be coordinates in ``crs``, or None when they can.

    Geographic coordinates beyond ±180° or ±90° are projected ones under a wrong CRS label;
    projected coordinates that do not transform to longitudes and latitudes are too.

    Examples
    --------
    >>> impossible_bounds(CRS(4326), (536000, 3807000, 537000, 3808000))[:40]
    'coordinates 536000..537000, 3807000..380'
    >>> impossible_bounds(CRS(4326), (117.1, 34.2, 117.3, 34.4)) is None
    True
    """
    minx, miny, maxx, maxy = bounds
    if crs.is_geographic and not (-180 <= minx <= maxx <= 360 and -90 <= miny <= maxy <= 90):
        return (f"coordinates {minx:.0f}..{maxx:.0f}, {miny:.0f}..{maxy:.0f} cannot be "
                "longitudes and "
                f"latitudes ({crs.name}); they look projected (metres): give the file its "
                "projected CRS")
    if crs.is_geographic:
        return None
    try:
        found = lonlat_bounds(crs, bounds)
    except Exception:  # pyproj raises ProjError for points outside the projection's domain
        found = (np.inf,) * 4
    if not np.isfinite(found).all():
        return (f"coordinates {minx:.0f}..{maxx:.0f}, {miny:.0f}..{maxy:.0f} lie outside the "
                "domain of "
                f"{crs.name}; is it the right CRS?")
    return None


def area_of_use(crs: CRS) -> LonLatBounds | None:
    """The published area of use of ``crs`` (west, south, east, north), if it has one."""
    area = crs.area_of_use
    return None if area is None else (area.west, area.south, area.east, area.north)


def outside_area_of_use(crs: CRS, data: LonLatBounds) -> tuple[bool, str] | None:
    r"""Whether data lying in ``data`` (degrees) fall outside the area of use of ``crs``.

    Returns
    -------
    tuple or None
        None when the data lie inside (or ``crs`` has no area of use); else whether the
        data's centre is outside too (not only part of their extent), and a sentence
        saying where the CRS applies and where the data lie.

    Examples
    --------
    >>> centre_out, text = outside_area_of_use(CRS(4548), (18.2, -34.1, 20.9, -33.5))
    >>> print(centre_out, *text.split("; "), sep="\n")
    True
    EPSG:4548 covers 115.5–118.5° E, 22.6–49.9° N
    the data lie at 18.2–20.9° E, 34.1–33.5° S
    >>> outside_area_of_use(CRS(4548), (117.0, 34.2, 117.6, 34.5)) is None
    True
    """
    area = area_of_use(crs)
    if area is None:
        return None
    west, south, east, north = area
    lon0, lat0, lon1, lat1 = data
    if west <= lon0 and lon1 <= east and south <= lat0 and lat1 <= north:
        return None
    lon, lat = (lon0 + lon1) / 2, (lat0 + lat1) / 2
    centre_out = not (west <= lon <= east and south <= lat <= north)
    return centre_out, (f"{crs_label(crs)} covers {_span(west, east, 'E', 'W')}, "
                        f"{_span(south, north, 'N', 'S')}; the data lie at "
                        f"{_span(lon0, lon1, 'E', 'W')}, {_span(lat0, lat1, 'N', 'S')}")


def crs_label(crs: CRS) -> str:
    """``EPSG:<code>`` when ``crs`` has one, else its name.

    Examples
    --------
    >>> crs_label(CRS(32734))
    'EPSG:32734'
    """
    code = crs.to_epsg()
    return f"EPSG:{code}" if code is not None else crs.name


def _span(low: float, high: float, positive: str, negative: str) -> str:
    def one(value: float) -> str:
        return f"{abs(value):.1f}"

    if low >= 0:
        return f"{one(low)}–{one(high)}° {positive}"
    if high <= 0:
        return f"{one(low)}–{one(high)}° {negative}"
    return f"{one(low)}° {negative}–{one(high)}° {positive}"
