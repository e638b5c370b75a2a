"""Working-CRS policy: every measurement happens in one projected CRS.

Geographic input is reprojected to the CGCS2000 3-degree Gauss–Krüger zone whose
central meridian is nearest, when the data lie inside that zone's area of use in China;
elsewhere to the UTM zone of the data. The choice is logged.
"""

from __future__ import annotations

import logging

from pyproj import CRS
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


def choose_working_crs(lon: float, lat: float) -> CRS:
    """Choose the projected working CRS for data centred on ``lon``, ``lat``.

    Examples
    --------
    >>> choose_working_crs(117.4, 34.4).name
    'CGCS2000 / 3-degree Gauss-Kruger CM 117E'
    >>> choose_working_crs(7.2, 51.5).name
    'WGS 84 / UTM zone 32N'

    """
    crs = gauss_kruger_crs(lon, lat) or utm_crs(lon, lat)
    logger.info(
        "working CRS chosen for data centred at %.4f, %.4f: %s (EPSG:%s)",
        lon,
        lat,
        crs.name,
        crs.to_epsg(),
    )
    return crs
