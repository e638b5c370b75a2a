"""Compact geometry for the web map: each ring or line as an encoded-polyline string.

Coordinates (EPSG:4326, already rounded to ``10**-decimals`` degree) become integers,
each ring or line stores its first point and then the differences between neighbouring
points, and every number is written in the encoded-polyline alphabet (zig-zag sign, 5
bits per character, characters 63 to 126). A vertex of a parcel then takes 4 to 6
characters instead of about 22 as GeoJSON text. ``zoningDecodeGeometry`` (in
:data:`DECODE_JS`) turns them back into GeoJSON coordinates in the browser.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import numpy as np
import shapely

__all__ = ["DECODE_JS", "decode_line", "encode_geometries"]

_BITS = 5
_CONTINUE = 0x20
_OFFSET = 63
_MAX_CHUNKS = 7  # 35 bits: more than any zig-zagged coordinate in 1e-6 degree needs

DECODE_JS = """
function zoningDecodeLine(s, scale) {
    var pts = [], v = [0, 0], i = 0, j = 0, n = s.length;
    while (i < n) {
        var result = 0, shift = 0, b;
        do {
            b = s.charCodeAt(i++) - 63;
            result += (b & 31) * Math.pow(2, shift);
            shift += 5;
        } while (b >= 32);
        v[j] += (result % 2) ? -(result + 1) / 2 : result / 2;
        if (j === 1) { pts.push([v[0] / scale, v[1] / scale]); }
        j = 1 - j;
    }
    return pts;
}
function zoningDecodeGeometry(type, c, scale) {
    function line(s) { return zoningDecodeLine(s, scale); }
    switch (type) {
        case "Point": return {type: type, coordinates: line(c)[0]};
        case "MultiPoint": case "LineString": return {type: type, coordinates: line(c)};
        case "MultiLineString": case "Polygon": return {type: type, coordinates: c.map(line)};
        default: return {type: type, coordinates: c.map(function (p) { return p.map(line); })};
    }
}
"""
"""Browser decoder of :func:`encode_geometries` (plain numbers, no 32-bit overflow)."""

_GEOJSON_TYPES = {"POINT": "Point", "LINESTRING": "LineString", "POLYGON": "Polygon",
                  "MULTIPOINT": "MultiPoint", "MULTILINESTRING": "MultiLineString",
                  "MULTIPOLYGON": "MultiPolygon"}


def _encode_values(values: np.ndarray) -> tuple[bytes, np.ndarray]:
    """Encode integers; return the characters and each value's start offset in them."""
    zigzag = np.where(values < 0, -2 * values - 1, 2 * values).astype(np.uint64)
    shifts = np.arange(_MAX_CHUNKS, dtype=np.uint64) * np.uint64(_BITS)
    chunks = (zigzag[:, None] >> shifts[None, :]) & np.uint64(31)
    higher = (zigzag[:, None] >> (shifts[None, :] + np.uint64(_BITS))) > 0
    used = np.ones_like(higher)
    used[:, 1:] = higher[:, :-1]
    chars = (chunks + np.where(higher, _CONTINUE, 0) + _OFFSET).astype(np.uint8)
    counts = used.sum(axis=1)
    starts = np.concatenate([[0], np.cumsum(counts)])
    return chars[used].tobytes(), starts


def encode_geometries(
    geometries: Sequence[shapely.Geometry], decimals: int
) -> tuple[str, list[Any]]:
    """Encode geometries of one family (polygons, lines or points).

    Parameters
    ----------
    geometries
        Non-empty geometries in EPSG:4326; Polygons and MultiPolygons may be mixed (and
        so may lines, or points, with their multi-part kind).
    decimals
        Decimals of a degree kept (the integers are coordinates times ``10**decimals``).

    Returns
    -------
    tuple
        The GeoJSON type of all features and one nested list of strings per geometry
        (a string per ring or line; a Point is a one-point string).

    Raises
    ------
    ValueError
        If the geometries mix families or hold a GeometryCollection.

    Examples
    --------
    >>> kind, coords = encode_geometries([shapely.LineString([(117.4, 34.4), (117.4, 34.5)])], 6)
    >>> kind, decode_line(coords[0], 6)
    ('LineString', [(117.4, 34.4), (117.4, 34.5)])

    """
    if len(geometries) == 0:
        return "Polygon", []
    kind, coords, offsets = shapely.to_ragged_array(np.asarray(geometries, dtype=object))
    type_name = _GEOJSON_TYPES[shapely.GeometryType(kind).name]
    ints = np.round(coords * 10**decimals).astype(np.int64)
    # innermost sequences: rings / lines / point lists; a Point is a sequence of one
    bounds = offsets[0] if offsets else np.arange(len(ints) + 1)
    first = np.zeros(len(ints), dtype=bool)
    first[bounds[:-1][np.diff(bounds) > 0]] = True
    deltas = np.diff(ints, axis=0, prepend=np.zeros((1, 2), dtype=np.int64))
    deltas[first] = ints[first]
    text, starts = _encode_values(deltas.reshape(-1))
    cut = starts[2 * np.asarray(bounds)]
    blob = text.decode("ascii")
    parts: list[Any] = [blob[a:b] for a, b in itertools.pairwise(cut)]
    for level in offsets[1:]:
        parts = [parts[a:b] for a, b in itertools.pairwise(level)]
    return type_name, parts


def decode_line(text: str, decimals: int) -> list[tuple[float, float]]:
    """Decode one string of :func:`encode_geometries` (the inverse, for tests and checks)."""
    values: list[int] = []
    result = shift = 0
    for char in text:
        b = ord(char) - _OFFSET
        result |= (b & 31) << shift
        shift += _BITS
        if b < _CONTINUE:
            values.append(-(result + 1) // 2 if result % 2 else result // 2)
            result = shift = 0
    xy = np.cumsum(np.array(values, dtype=np.int64).reshape(-1, 2), axis=0) / 10**decimals
    return [(float(x), float(y)) for x, y in xy]
