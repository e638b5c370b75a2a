"""Compact geometry for the web map: each ring or line as an encoded-polyline string.

Coordinates (EPSG:4326, already rounded to ``10**-decimals`` degree) become integers,
each ring or line stores its first point and then the differences between neighbouring
points, and every number is written in the encoded-polyline alphabet (zig-zag sign, 5
bits per character, characters 63 to 126). A vertex of a parcel then takes 4 to 6
characters instead of about 22 as GeoJSON text. ``zoningDecodeGeometry`` (in
:data:`DECODE_JS`) turns them back into GeoJSON coordinates in the browser.

Small category codes (a feature's category, a popup value that repeats) are one
character each, all of a column in one string (:func:`encode_codes`; ``zoningCode``
reads one back), instead of a number and a comma per feature.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import shapely

__all__ = ["CODE_ALPHABET", "DECODE_JS", "decode_codes", "decode_line", "encode_codes",
           "encode_geometries"]

_BITS = 5
_CONTINUE = 0x20
_OFFSET = 63
_MAX_CHUNKS = 7  # 35 bits: more than any zig-zagged coordinate in 1e-6 degree needs

CODE_ALPHABET = "".join(chr(c) for c in range(35, 127) if chr(c) not in "\\<>{")
"""Characters of codes 0, 1, ...: printable ASCII that JSON and the page embed as is
(no backslash, no ``<`` or ``>``, no ``{`` that could open a Jinja tag)."""
_ALPHABET_BYTES = np.frombuffer(CODE_ALPHABET.encode("ascii"), dtype=np.uint8)
NULL_CODE = "!"
"""The character of a missing code (None)."""

DECODE_JS = """
var zoningCodes = (function (alphabet) {
    var out = [];
    for (var i = 0; i < alphabet.length; i++) { out[alphabet.charCodeAt(i)] = i; }
    out[33] = null;
    return out;
})(CODE_ALPHABET_JSON);
function zoningCode(codes, i) {
    if (typeof codes === "string") { return zoningCodes[codes.charCodeAt(i)]; }
    if (codes.w === undefined) { return codes[i]; }
    var v = 0, s = codes.s, w = codes.w;
    if (s.charCodeAt(i * w) === 33) { return null; }
    for (var k = i * w; k < (i + 1) * w; k++) { v = v * 88 + zoningCodes[s.charCodeAt(k)]; }
    return v;
}
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
DECODE_JS = DECODE_JS.replace("CODE_ALPHABET_JSON", '"' + CODE_ALPHABET + '"').replace(
    "v * 88", f"v * {len(CODE_ALPHABET)}")
"""Browser decoders of :func:`encode_geometries` (plain numbers, no 32-bit overflow) and
of :func:`encode_codes`."""

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


def encode_codes(codes: Sequence[int | None]) -> str | dict[str, Any] | list[int | None]:
    """Codes as one string of a character each, or of ``w`` characters each, or as is.

    Codes below ``len(CODE_ALPHABET)`` (88) take one character each and the result is a
    string; larger codes are written in base 88 in ``w`` characters each (most significant
    first), ``{"w": w, "s": text}``, up to ``w = 3``; beyond, the list is returned as is.
    A missing code (None) is :data:`NULL_CODE` repeated ``w`` times.

    Examples
    --------
    >>> encode_codes([0, 1, None, 2])
    '#$!%'
    >>> encode_codes([0, 100, None])
    {'w': 2, 's': '##$/!!'}
    >>> decode_codes(encode_codes([0, 100, None, 7743]))
    [0, 100, None, 7743]

    """
    base = len(CODE_ALPHABET)
    values = np.array([-1 if c is None else c for c in codes], dtype=np.int64)
    missing = np.array([c is None for c in codes], dtype=bool)
    top = int(values.max(initial=0))
    if np.any(values[~missing] < 0) or top >= base**3:
        return list(codes)
    width = 1 if top < base else 2 if top < base**2 else 3
    digits = np.stack([values // base**k % base for k in range(width - 1, -1, -1)], axis=1)
    chars = _ALPHABET_BYTES[digits]
    chars[missing] = ord(NULL_CODE)
    text = chars.tobytes().decode("ascii")
    return text if width == 1 else {"w": width, "s": text}


def decode_codes(encoded: str | Mapping[str, Any] | Sequence[int | None]) -> list[int | None]:
    """The inverse of :func:`encode_codes` (for tests and checks)."""
    if isinstance(encoded, str):
        encoded = {"w": 1, "s": encoded}
    if not isinstance(encoded, Mapping):
        return list(encoded)
    width, text = encoded["w"], encoded["s"]
    out: list[int | None] = []
    for start in range(0, len(text), width):
        part = text[start : start + width]
        if part[0] == NULL_CODE:
            out.append(None)
            continue
        value = 0
        for ch in part:
            value = value * len(CODE_ALPHABET) + CODE_ALPHABET.index(ch)
        out.append(value)
    return out
