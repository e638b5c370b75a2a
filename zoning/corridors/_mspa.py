"""Morphological Spatial Pattern Analysis (MSPA) as GuidosToolbox computes it.

Definition (Soille & Vogt 2009, "Morphological segmentation of binary patterns",
Pattern Recognition Letters 30:456-459, doi:10.1016/j.patrec.2008.10.015; GuidosToolbox
MSPA Guide; the JRC's ``mspa`` program, v2.3, in miallib): every foreground pixel of a
binary map gets exactly one of seven classes, with ``R = EdgeWidth + 0.98`` pixels and
Euclidean distances throughout:

* **Core** (17): foreground pixels farther than ``R`` from every non-foreground pixel
  (for EdgeWidth 1 and 2 this is erosion by a 3×3 or 5×5 square; beyond, by a disc).
* **Islet** (9): foreground components (by the foreground connectivity) without core.
* **Edge** (3): foreground within ``R`` of a core, outside the core's filled outline
  (and, nested, around cores lying inside the holes of other cores).
* **Perforation** (5): foreground within ``R`` of a core, inside a hole of that core.
* **Bridge** (33) and **Loop** (65): the paths that an anchored, order-independent,
  topology-preserving thinning of the non-islet foreground keeps besides the cores
  (widened, when EdgeWidth is above 1, to the pixels within ``R - √2`` of them by
  miallib's constrained distance); a connected path is a bridge when the core labels
  flooded through core, edge, perforation and paths reach it from two different cores,
  else a loop (see :mod:`zoning.corridors._mspa_paths` for the tie rules).
* **Branch** (1): the remaining foreground, farther than ``R`` from any core and not on
  a loop or bridge path (dangling lines).

Where a loop or bridge crosses an edge or a perforation, GuidosToolbox keeps both bits
of its bit-coded output: 35/37 (bridge in edge/perforation) and 67/69 (loop in
edge/perforation); its *Transition* switch only changes how these are drawn, and its
statistics count them as edge/perforation. Here ``transition=True`` returns those
bytes unchanged and ``transition=False`` recodes them to edge (3) or perforation (5).
With *Intext*, everything inside the holes of the cores (filled) gets +100 (internal:
117, 109, 105, 103, 165, 133, 101, the transition codes +100, and 100 for the
background there, the "core-opening"); background holes of the foreground that are not
inside a core hole become 220 ("border-opening"). Missing data (input 0) is 129.

Border and missing data, as in GuidosToolbox: missing pixels within ``R`` of foreground
are treated as foreground (so foreground next to missing data is not edge), and the map
is padded by replicating its outermost rows and columns (foreground touching the map
border is not edge). Distances are compared in single precision, as GuidosToolbox does.

This module re-implements those definitions with numpy and scipy; it shares no code
with GuidosToolbox or miallib. Checked pixel by pixel against GuidosToolbox's own
``mspa`` (miallib 2.3, as bundled by pyGuidos 2.6.3) on several hundred random maps
(both connectivities, EdgeWidth 1-12, Intext on and off, with missing data): identical.
"""

from __future__ import annotations

import logging
import math

import numpy as np
import pandas as pd
from scipy import ndimage

from zoning.corridors._mspa_paths import bridges, widen
from zoning.corridors._mspa_thin import anchored_thinning
from zoning.errors import CorridorError

logger = logging.getLogger(__name__)

MISSING, BACKGROUND, FOREGROUND = 0, 1, 2
"""Input values (GuidosToolbox's convention)."""

CODES: dict[str, int] = {
    "background": 0, "branch": 1, "edge": 3, "perforation": 5, "islet": 9, "core": 17,
    "bridge": 33, "bridge_in_edge": 35, "bridge_in_perforation": 37,
    "loop": 65, "loop_in_edge": 67, "loop_in_perforation": 69,
    "core_opening": 100, "missing": 129, "border_opening": 220,
}
"""GuidosToolbox byte value of each external MSPA class (internal ones add 100)."""

INTERNAL_OFFSET = 100
"""Added to the code of every pixel inside a (filled) hole of a core when ``intext``."""

CLASSES = ("core", "islet", "perforation", "edge", "loop", "bridge", "branch")
"""The seven foreground classes, in GuidosToolbox's order."""

_STATISTICS_CLASS = {"bridge_in_edge": "edge", "loop_in_edge": "edge",
                     "bridge_in_perforation": "perforation",
                     "loop_in_perforation": "perforation"}
CLASS_OF_CODE: dict[int, str] = {
    code + offset: _STATISTICS_CLASS.get(name, name)
    for name, code in CODES.items() if code and code < INTERNAL_OFFSET
    for offset in (0, INTERNAL_OFFSET)
} | {0: "background", 100: "core_opening", 220: "border_opening", 129: "missing"}
"""Class each possible output code is counted in (GuidosToolbox's statistics)."""

_TRANSITION_OFF = {35: 3, 67: 3, 37: 5, 69: 5}
_BITS = {"edge": 1, "perforation": 2, "islet": 3, "core": 4, "bridge": 5, "loop": 6}
_DISTANCE_OFFSET = 0.98
_HOLE_RADIUS = float(np.float32(math.sqrt(2.0)))
"""Missing data this close to foreground closes holes (√2 in single precision)."""
_DISC_LIMIT = 6.0
"""Up to this radius a disc-shaped erosion or dilation is faster than a distance transform."""


def _structure(connectivity: int) -> np.ndarray:
    return ndimage.generate_binary_structure(2, 2 if connectivity == 8 else 1)


def _other(connectivity: int) -> int:
    return 4 if connectivity == 8 else 8


def _disc(radius: float) -> np.ndarray:
    """Offsets within Euclidean distance ``radius`` (a structuring element)."""
    reach = int(radius)
    rows, cols = np.ogrid[-reach:reach + 1, -reach:reach + 1]
    return _single(np.sqrt(rows * rows + cols * cols)) <= np.float32(radius)


def _single(distance: np.ndarray) -> np.ndarray:
    """Distances rounded to single precision, in which GuidosToolbox compares them."""
    return distance.astype(np.float32)


def _radii(edge_width: int) -> tuple[float, float, int]:
    """GuidosToolbox's core/edge radius, path-widening radius and pad width.

    ``EdgeWidth + 0.98`` and ``EdgeWidth + 0.98 - √2``, computed in single precision
    the way it does, and the width of the replicated border it pads the map with.
    """
    size = np.float32((edge_width + _DISTANCE_OFFSET) / math.sqrt(2.0))
    root2 = np.float32(math.sqrt(2.0))
    return float(size * root2), float(np.float32(size - 1) * root2), int(size * 1.5 + 0.5) + 1


def _band(region: np.ndarray, radius: float) -> np.ndarray:
    """Pixels outside ``region`` within Euclidean distance ``radius`` of it."""
    if not region.any():
        return np.zeros_like(region)
    if radius <= _DISC_LIMIT:
        return ndimage.binary_dilation(region, _disc(radius)) & ~region
    return ~region & (_single(ndimage.distance_transform_edt(~region)) <= np.float32(radius))


def _core(grid: np.ndarray, radius: float) -> np.ndarray:
    """Pixels of ``grid`` farther than ``radius`` from any pixel outside it in the array."""
    if radius <= _DISC_LIMIT:
        return ndimage.binary_erosion(grid, _disc(radius), border_value=1)
    return grid & (_single(ndimage.distance_transform_edt(grid)) > np.float32(radius))


def _fill(region: np.ndarray, connectivity: int) -> np.ndarray:
    """``region`` with its holes filled; holes are complement components, by connectivity."""
    return ndimage.binary_fill_holes(region, structure=_structure(connectivity))


def _reconstruct(marker: np.ndarray, mask: np.ndarray, connectivity: int) -> np.ndarray:
    """Components of ``mask`` (by connectivity) that contain a ``marker`` pixel."""
    labels, _ = ndimage.label(mask, structure=_structure(connectivity))
    keep = np.unique(labels[marker & mask])
    return np.isin(labels, keep[keep > 0])


def _extend(grid: np.ndarray, pad: int) -> np.ndarray:
    """Pad by replicating the outer rows and columns (corners included)."""
    return np.pad(grid, pad, mode="edge")


def _with_missing_as_foreground(image: np.ndarray, radius: float) -> np.ndarray:
    """Foreground plus the missing pixels within ``radius`` of it."""
    foreground = image == FOREGROUND
    missing = image == MISSING
    if not missing.any():
        return foreground
    return foreground | (missing & _band(foreground, radius))


def _edges_and_perforations(core: np.ndarray, radius: float,
                            connectivity: int) -> tuple[np.ndarray, np.ndarray]:
    """Bands around the outlines of the cores (nested level by level) and around their holes."""
    background = _other(connectivity)
    edges = np.zeros_like(core)
    level = core.copy()
    filled = _fill(level, background)
    while filled.any():
        edges |= _band(filled, radius)
        nested = _fill(filled & ~level, connectivity)
        level &= nested
        filled = _fill(level, background)
    edges &= ~core
    return edges, _band(core, radius) & ~edges


def _internal(core: np.ndarray, holes: np.ndarray,
              connectivity: int) -> tuple[np.ndarray, np.ndarray]:
    """Pixels inside the (filled) holes of the cores, and the other foreground holes."""
    background = _other(connectivity)
    core_holes = _fill(core, background) & ~core
    return _fill(core_holes, background), holes & ~core_holes


def _validate(image: np.ndarray, connectivity: int, edge_width: int) -> None:
    if connectivity not in (4, 8):
        raise CorridorError(f"MSPA connectivity must be 8 or 4, got {connectivity!r}")
    if isinstance(edge_width, bool) or not isinstance(edge_width, int | np.integer) \
            or edge_width < 1:
        raise CorridorError(f"MSPA edge width must be an integer >= 1 pixel, "
                            f"got {edge_width!r}")
    if image.ndim != 2 or min(image.shape, default=0) < 1:
        raise CorridorError(f"MSPA needs a non-empty 2-D map, got shape {image.shape}")
    found = np.unique(image)
    bad = found[~np.isin(found, (MISSING, BACKGROUND, FOREGROUND))]
    if bad.size:
        raise CorridorError("MSPA input must hold only 0 (missing), 1 (background) and "
                            f"2 (foreground); found {', '.join(map(str, bad[:10]))}")


def mspa(image: np.ndarray, *, connectivity: int = 8, edge_width: int = 1,
         transition: bool = True, intext: bool = True) -> np.ndarray:
    """Classify a binary map into GuidosToolbox's MSPA classes.

    Parameters
    ----------
    image
        2-D map with 0 missing, 1 background, 2 foreground (not modified).
    connectivity
        Foreground connectivity, 8 (default) or 4; the background takes the other.
    edge_width
        EdgeWidth in pixels (>= 1): the width of edges, perforations and paths.
    transition
        Keep GuidosToolbox's codes where loops and bridges cross edges and perforations
        (35, 37, 67, 69, shown as bridge or loop); ``False`` recodes those pixels to
        edge (3) or perforation (5).
    intext
        Add 100 to everything inside the holes of cores and mark core-openings (100)
        and border-openings (220), as GuidosToolbox's *Intext* does.

    Returns
    -------
    numpy.ndarray
        ``uint8`` codes of the same shape (see :data:`CODES`; 129 for missing data).

    Examples
    --------
    >>> import numpy as np
    >>> image = np.ones((7, 7), np.uint8)
    >>> image[1:6, 1:6] = 2
    >>> mspa(image)[1:6, 3].tolist()
    [3, 17, 17, 17, 3]

    """
    image = np.asarray(image)
    _validate(image, connectivity, edge_width)
    radius, widening, pad = _radii(edge_width)
    grid = _extend(_with_missing_as_foreground(image, radius), pad)
    holes = _holes(image, connectivity, pad) if intext else None
    codes = _classify(grid, radius, widening, connectivity, holes)
    codes = codes[pad:-pad, pad:-pad]
    codes[image == MISSING] = CODES["missing"]
    if not transition:
        for code, replacement in _TRANSITION_OFF.items():
            for offset in (0, INTERNAL_OFFSET):
                codes[codes == code + offset] = replacement + offset
    return codes


def _holes(image: np.ndarray, connectivity: int, pad: int) -> np.ndarray:
    """Background holes of the foreground, on the map framed by missing data.

    Missing data within √2 of the foreground, the frame included, counts as foreground,
    so background on the map border next to foreground can be a hole.
    """
    framed = np.pad(image, pad, constant_values=MISSING)
    foreground = _with_missing_as_foreground(framed, _HOLE_RADIUS)
    return _fill(foreground, _other(connectivity)) & ~foreground


def _classify(grid: np.ndarray, radius: float, widening: float, connectivity: int,
              holes: np.ndarray | None) -> np.ndarray:
    """Bit-coded MSPA of the padded foreground ``grid``, plus the internal offsets."""
    core = _core(grid, radius)
    islet = grid & ~_reconstruct(core, grid, connectivity)
    opening = core | _band(core, radius)
    edge, perforation = _edges_and_perforations(core, radius, connectivity)
    residue = grid & ~core & ~islet & ~edge & ~perforation
    skeleton = anchored_thinning(opening | residue, core, connectivity)
    core = core.copy()
    core[:2], core[-2:], core[:, :2], core[:, -2:] = False, False, False, False
    connector = widen(skeleton & ~core, (opening & ~core) | residue, widening)
    connector[[0, -1], :] = connector[:, [0, -1]] = False  # miallib leaves the frame out
    bridge = bridges(connector, core, opening, connectivity)
    parts = {"edge": edge, "perforation": perforation, "islet": islet, "core": core,
             "bridge": bridge, "loop": connector & ~bridge}
    codes = grid.astype(np.uint8)
    for name, mask in parts.items():  # GuidosToolbox may set a bit on background (code 2)
        codes |= (mask & grid).astype(np.uint8) << _BITS[name]
    logger.debug("MSPA: %d core, %d connector pixels", core.sum(), connector.sum())
    if holes is not None:
        inside, border_openings = _internal(core, holes, connectivity)
        codes[inside] += INTERNAL_OFFSET
        codes[border_openings] = np.maximum(codes[border_openings], CODES["border_opening"])
    return codes


def core_patches(codes: np.ndarray, connectivity: int = 8) -> np.ndarray:
    """Label the connected core areas (codes 17 and 117) of an MSPA map with 1..n.

    Parameters
    ----------
    codes
        MSPA codes as returned by :func:`mspa`.
    connectivity
        8 or 4: how core pixels connect into one patch.

    Returns
    -------
    numpy.ndarray
        ``int32`` labels, 0 outside cores.

    Examples
    --------
    >>> import numpy as np
    >>> codes = np.array([[17, 17, 3, 117]], np.uint8)
    >>> core_patches(codes).tolist()
    [[1, 1, 0, 2]]

    """
    if connectivity not in (4, 8):
        raise CorridorError(f"connectivity must be 8 or 4, got {connectivity!r}")
    core = np.isin(codes, (CODES["core"], CODES["core"] + INTERNAL_OFFSET))
    labels, _ = ndimage.label(core, structure=_structure(connectivity))
    return labels.astype(np.int32)


def mspa_statistics(codes: np.ndarray, connectivity: int = 8) -> pd.DataFrame:
    """Pixels, objects and shares of each MSPA class, as GuidosToolbox's summary counts them.

    Transition pixels (35, 37, 67, 69) count as edge or perforation and internal codes
    with their external class; *background* covers all background, core-openings
    (100) and border-openings (220) included, which also get rows of their own.
    Objects are connected components: foreground classes by ``connectivity``,
    background and openings by the other connectivity, missing data by 8.

    Parameters
    ----------
    codes
        MSPA codes as returned by :func:`mspa`.
    connectivity
        The foreground connectivity the map was computed with.

    Returns
    -------
    pandas.DataFrame
        Indexed by class: the seven foreground classes (:data:`CLASSES`), then
        background, core_opening, border_opening and missing; columns ``pixels``,
        ``objects``, ``share_of_foreground`` (foreground classes only) and
        ``share_of_data`` (of the non-missing pixels; not for missing).

    Examples
    --------
    >>> import numpy as np
    >>> stats = mspa_statistics(np.array([[0, 9, 0, 9]], np.uint8))
    >>> stats.loc["islet", ["pixels", "objects"]].tolist()
    [2, 2]
    >>> float(stats.loc["islet", "share_of_data"])
    0.5

    """
    if connectivity not in (4, 8):
        raise CorridorError(f"connectivity must be 8 or 4, got {connectivity!r}")
    codes = np.asarray(codes)
    unknown = np.setdiff1d(np.unique(codes), list(CLASS_OF_CODE))
    if unknown.size:
        raise CorridorError(f"not MSPA codes: {', '.join(map(str, unknown[:10]))}")
    openings = ("core_opening", "border_opening")
    order = (*CLASSES, "background", *openings, "missing")
    lookup = np.zeros(256, np.uint8)
    for code, name in CLASS_OF_CODE.items():
        lookup[code] = order.index(name)
    kind = lookup[codes]
    groups = {name: [order.index(name)] for name in order}
    groups["background"] += [order.index(name) for name in openings]
    rows = []
    for name in order:
        mask = np.isin(kind, groups[name])
        if name == "missing":
            links = 8
        else:
            links = connectivity if name in CLASSES else _other(connectivity)
        _, objects = ndimage.label(mask, structure=_structure(links))
        rows.append({"class": name, "pixels": int(mask.sum()), "objects": int(objects)})
    table = pd.DataFrame(rows).set_index("class")
    pixels = table["pixels"]
    foreground = pixels[list(CLASSES)].sum()
    data = foreground + pixels["background"]
    table["share_of_foreground"] = pixels[list(CLASSES)] / foreground if foreground else np.nan
    table["share_of_data"] = pixels.drop("missing") / data if data else np.nan
    return table
