"""Anchored order-independent homotopic thinning, the skeleton step of MSPA.

GuidosToolbox's MSPA finds the one-pixel paths that link cores (loops and bridges) by
thinning the non-islet foreground down to its cores while keeping its topology: the
cores are anchors, and every other pixel that is *simple* (removing it changes neither
the number of foreground components nor the number of background components) and
*independent* of its simple neighbours is removed, round after round, until none is
left. Dangling lines disappear (nothing anchors their tips); paths between cores and
rings around holes stay. Because a pixel is only removed when it does not depend on a
simultaneously removed neighbour, the result does not depend on the scan order (a
two-pixel-thick path stays two pixels thick).

The rules follow Iwanowski & Soille (2005), "Order independent skeletonization",
as used by ``binOIthin_FIFO`` of the JRC's miallib (the library GuidosToolbox's
``mspa`` binary is built on): a removal round takes every candidate at once, and the
next round's candidates are the 8-neighbours of the pixels just removed. This module
is written from that description with numpy look-up tables; it shares no code with
miallib.

Neighbour order used throughout: W, E, N, S, NW, SW, NE, SE (bit ``i`` of a
neighbourhood code is neighbour ``i``), the first four being the 4-neighbours.
"""

from __future__ import annotations

from functools import cache

import numpy as np
from scipy import ndimage

OFFSETS = ((0, -1), (0, 1), (-1, 0), (1, 0), (-1, -1), (1, -1), (-1, 1), (1, 1))
"""(row, column) offset of neighbour ``i``."""

FOUR = (0, 1, 2, 3)
W, E, N, S, NW, SW, NE, SE = range(8)

# For a 4-neighbour q of p: the pixels beside p and q on one side (a: beside p,
# b: beside q) and on the other side (c: beside p, d: beside q).
SIDES = {W: (N, NW, S, SW), E: (N, NE, S, SE), N: (W, NW, E, NE), S: (W, SW, E, SE)}
# For a diagonal neighbour q of p: the two pixels 4-adjacent to both (a, b).
COMMON = {NW: (W, N), SW: (S, W), NE: (N, E), SE: (E, S)}

# Configurations in which an independent pixel may still belong to an isolated pair,
# triple or quadruple of simple pixels (by number of simple neighbours).
ISOLATED_CONFIGURATIONS = {2: (2, 3, 6, 7, 9, 13), 3: (4, 8, 17)}
CORNER_PAIR = 4
"""Configuration of a diagonal pair whose two common neighbours are foreground."""

_RING = ((0, 0), (0, 1), (0, 2), (1, 2), (2, 2), (2, 1), (2, 0), (1, 0))


def _ring_components(patch: np.ndarray, eight: bool, only_four_adjacent: bool) -> int:
    structure = np.ones((3, 3), bool) if eight else ndimage.generate_binary_structure(2, 1)
    labels, _ = ndimage.label(patch, structure=structure)
    ids = {labels[r, c] for r, c in _RING if labels[r, c]}
    if only_four_adjacent:
        ids &= {labels[1 + dr, 1 + dc] for dr, dc in (OFFSETS[i] for i in FOUR)}
    return len(ids)


@cache
def simple_table(connectivity: int) -> np.ndarray:
    """Whether a foreground pixel with neighbourhood code ``k`` is simple, for k in 0..255.

    With 8-connected foreground (4-connected background) a pixel is simple when its
    foreground neighbours form one 8-component and the background neighbours that
    are 4-adjacent to it form one 4-component; with 4-connected foreground the roles
    of 4 and 8 swap.
    """
    table = np.zeros(256, bool)
    for code in range(256):
        fg = np.zeros((3, 3), bool)
        for i, (dr, dc) in enumerate(OFFSETS):
            fg[1 + dr, 1 + dc] = bool(code >> i & 1)
        bg = ~fg
        bg[1, 1] = False
        eight = connectivity == 8
        table[code] = (_ring_components(fg, eight, not eight) == 1
                       and _ring_components(bg, not eight, eight) == 1)
    return table


@cache
def pair_tables(connectivity: int) -> tuple[np.ndarray, np.ndarray]:
    """Dependence and configuration number of p and its neighbour ``i``, by p's code.

    Returns ``dependent[i, code]`` (removing both p and neighbour i could change the
    topology) and ``configuration[i, code]`` (1-4 for diagonal neighbours from the two
    common neighbours, 5-20 for 4-neighbours from the four side pixels).
    """
    dependent = np.zeros((8, 256), bool)
    configuration = np.zeros((8, 256), np.int8)
    bits = (np.arange(256)[None, :] >> np.arange(8)[:, None]) & 1
    for i, (a, b, c, d) in SIDES.items():
        first, second = bits[a] + 2 * bits[b], bits[c] + 2 * bits[d]
        configuration[i] = 5 + bits[d] + 2 * bits[c] + 4 * bits[b] + 8 * bits[a]
        if connectivity == 8:
            dependent[i] = (first > 0) == (second > 0)
        else:
            dependent[i] = (first == 3) == (second == 3)
    for i, (a, b) in COMMON.items():
        configuration[i] = 1 + bits[b] + 2 * bits[a]
        both, none = (bits[a] & bits[b]) == 1, (bits[a] | bits[b]) == 0
        dependent[i] = none if connectivity == 8 else both
    return dependent, configuration


_DENSE_FRACTION = 64
"""Above 1/64 of the image, find distinct indices with a mask rather than by sorting."""

_POPCOUNT = np.array([bin(k).count("1") for k in range(256)], np.int8)


class _Thinner:
    """State of one thinning: flat image, neighbourhood codes and simple-pixel flags."""

    def __init__(self, image: np.ndarray, anchor: np.ndarray, connectivity: int) -> None:
        self.width = image.shape[1]
        self.shifts = np.array([dr * self.width + dc for dr, dc in OFFSETS])
        self.pixels = image.astype(bool).ravel()
        self.anchor = anchor.astype(bool).ravel()
        self.simple = simple_table(connectivity)
        self.dependent, self.configuration = pair_tables(connectivity)
        self.four = connectivity == 4
        self.codes = np.zeros(self.pixels.size, np.uint8)
        self.removable = np.zeros(self.pixels.size, bool)
        self.refresh(np.flatnonzero(self.pixels))

    def refresh(self, where: np.ndarray) -> None:
        """Recompute codes and removability (simple, foreground, not anchor) at ``where``."""
        codes = np.zeros(where.size, np.uint8)
        for i, shift in enumerate(self.shifts):
            codes |= self.pixels[where + shift].astype(np.uint8) << i
        self.codes[where] = codes
        self.removable[where] = (self.pixels[where] & ~self.anchor[where]
                                 & self.simple[codes])

    def independent(self, p: np.ndarray) -> np.ndarray:
        """Which of the removable pixels ``p`` can be removed in the same round as others."""
        code = self.codes[p]
        count = np.zeros(p.size, np.int8)
        last = np.zeros(p.size, np.int8)
        conflict = np.full(p.size, -1, np.int8)
        for i, shift in enumerate(self.shifts):
            look = (conflict < 0) & self.removable[p + shift]
            count += look
            last = np.where(look, self.configuration[i, code], last)
            conflict = np.where(look & self.dependent[i, code], i, conflict)
        free = conflict < 0
        result = free & ~self._isolated_group(p, count, last, free)
        if self.four:
            result |= ~free & self._corner_exception(p, code, last, conflict)
        return result

    def _isolated_group(self, p: np.ndarray, count: np.ndarray, last: np.ndarray,
                        free: np.ndarray) -> np.ndarray:
        """Independent pixels that still form an isolated group with their simple neighbours."""
        suspect = np.zeros(p.size, bool)
        for n, configurations in ISOLATED_CONFIGURATIONS.items():
            suspect |= free & (count == n) & np.isin(last, configurations)
        same = suspect.copy()
        for shift in self.shifts:
            q = p + shift
            differs = self.removable[q] & (_POPCOUNT[self.codes[q]] != count)
            same &= ~differs
        return same

    def _corner_exception(self, p: np.ndarray, code: np.ndarray, last: np.ndarray,
                          conflict: np.ndarray) -> np.ndarray:
        """4-connectivity: a corner of a block whose diagonal conflict can be resolved."""
        ok = (last == CORNER_PAIR) & (_POPCOUNT[code & 0b1111] == 2)
        index = np.clip(conflict, W, SE)
        common = np.zeros((8, 2), np.int64)
        for i, (a, b) in COMMON.items():
            common[i] = self.shifts[a], self.shifts[b]
        ok &= self.removable[p + common[index, 0]] & self.removable[p + common[index, 1]]
        blocked = ok.copy()
        for i in FOUR:
            q = p + self.shifts[i]
            blocked &= ~(self.removable[q] & (_POPCOUNT[self.codes[q] & 0b1111] != 2))
        return ok & ~blocked

    def _distinct(self, where: np.ndarray) -> np.ndarray:
        """The distinct indices in ``where`` (a mask pass when there are many)."""
        if where.size * _DENSE_FRACTION < self.pixels.size:
            return np.unique(where)
        seen = np.zeros(self.pixels.size, bool)
        seen[where] = True
        return np.flatnonzero(seen)

    def run(self) -> np.ndarray:
        """Remove independent simple pixels round by round; return the thinned image."""
        candidates = np.flatnonzero(self.removable)
        while candidates.size:
            gone = candidates[self.independent(candidates)]
            if not gone.size:
                break
            self.pixels[gone] = False
            around = self._distinct((gone[:, None] + self.shifts[None, :]).ravel())
            self.refresh(np.concatenate([around, gone]))
            candidates = around[self.removable[around]]
        return self.pixels


def anchored_thinning(image: np.ndarray, anchor: np.ndarray, connectivity: int) -> np.ndarray:
    """Thin ``image`` to a skeleton that keeps ``anchor`` and the topology.

    Parameters
    ----------
    image, anchor
        Boolean arrays of the same shape; the outer two rows and columns are treated as
        background (as miallib does), so pad the image first.
    connectivity
        Foreground connectivity, 8 or 4 (the background takes the other one).

    Returns
    -------
    numpy.ndarray
        Boolean skeleton of the same shape.
    """
    inner = np.zeros(image.shape, bool)
    inner[2:-2, 2:-2] = True
    thinner = _Thinner(image & inner, anchor & inner, connectivity)
    return thinner.run().reshape(image.shape)
