"""MSPA paths: widening the skeleton into loops and bridges, and telling them apart.

Two steps of GuidosToolbox's MSPA whose tie-breaking decides single pixels, so they
follow the behaviour of the JRC's miallib (on which GuidosToolbox's ``mspa`` is built):

* **Widening** (EdgeWidth above 1): the skeleton grows into the pixels whose
  *constrained Euclidean distance* to it is at most ``EdgeWidth + 0.98 - √2``. That
  distance is propagated between 4-neighbours inside the mask, round by round: a
  pixel takes the Euclidean length of the vector from its neighbour's base point when
  the straight (Bresenham) line from that base stays inside the mask, otherwise the
  neighbour becomes a new base (its distance plus one); a round's pixels whose
  distance exceeds the round's smallest wait before passing it on. Because only
  4-neighbours pass distances on and the first best neighbour (order N, W, S, E) wins,
  this is not the exact geodesic distance (a pixel diagonal to the skeleton may get 2
  instead of √2).
* **Bridge or loop**: core labels flood the opening and the paths first come, first
  served (breadth-first; markers in raster order reach their 4-neighbours, then their
  diagonal ones; later pixels pass labels on in queue order, neighbours N, W, S, E,
  NW, NE, SW, SE); a path reached by two different labels is a bridge.

Written from those descriptions; it shares no code with miallib.
"""

from __future__ import annotations

import math
from array import array

import numpy as np
from scipy import ndimage

_FOUR_ORDER = ((-1, 0), (0, -1), (1, 0), (0, 1))
"""Neighbour order of miallib's distance propagation: N, W, S, E."""
_FLOOD_ORDER = (*_FOUR_ORDER, (-1, -1), (-1, 1), (1, -1), (1, 1))
"""Neighbour order of miallib's flooding: N, W, S, E, then NW, NE, SW, SE."""
_MARGIN = 3
"""Extra pixels around the widening radius searched (distances there exceed it)."""
_EPSILON = 1e-4
"""Distances below this are the skeleton itself (miallib thresholds from 0.0001)."""


def _visible(mask: list[bool], width: int, base: int, vx: int, vy: int) -> bool:
    """Whether the Bresenham line from flat index ``base`` by (vx, vy) stays in ``mask``."""
    major, minor = abs(vx), abs(vy)
    steep = minor > major
    if steep:
        major, minor = minor, major
    step_x, step_y = (vx > 0) - (vx < 0), (vy > 0) - (vy < 0)
    error = 2 * minor - major
    x = y = 0
    for _ in range(major):
        if steep:
            y += step_y
        else:
            x += step_x
        if error < 0:
            error += 2 * minor
        else:
            error += 2 * (minor - major)
            if steep:
                x += step_x
            else:
                y += step_y
        if not mask[base + x + y * width]:
            return False
    return True


class _Propagation:
    """Constrained distances from ``seeds`` within ``mask``, on flat, framed arrays.

    Plain Python lists: the propagation is sequential (a pixel assigned early in a
    round already serves the pixels after it), and list access is the fast path here.
    """

    def __init__(self, seeds: np.ndarray, mask: np.ndarray) -> None:
        self.width = mask.shape[1]
        flat = mask.ravel()
        self.mask: list[bool] = flat.tolist()
        self.state: list[int] = flat.astype(np.int8).tolist()  # 1 free, 2 queued, 3 seed
        self.assigned = [False] * flat.size
        self.vx = [0] * flat.size
        self.vy = [0] * flat.size
        self.base = [0.0] * flat.size
        self.shifts = [(dr * self.width + dc, -dc, -dr) for dr, dc in _FOUR_ORDER]
        self.queue: list[int] = []
        self.reached: list[int] = []
        self._single = array("f", [0.0])
        starts = np.flatnonzero(seeds.ravel() & flat).tolist()
        for start in starts:
            self.state[start] = 3
            self.assigned[start] = True
        for start in starts:
            self._enqueue_neighbours(start)

    def _round(self, value: float) -> float:
        """``value`` in single precision, as miallib stores distances."""
        self._single[0] = value
        return self._single[0]

    def _enqueue_neighbours(self, pixel: int) -> None:
        for shift, _, _ in self.shifts:
            if self.state[pixel + shift] == 1:
                self.state[pixel + shift] = 2
                self.queue.append(pixel + shift)

    def _assign(self, pixel: int) -> float:
        best = math.inf
        for shift, dx, dy in self.shifts:
            other = pixel + shift
            if not self.assigned[other]:
                continue
            ox, oy, ob = self.vx[other], self.vy[other], self.base[other]
            origin = other - ox - oy * self.width
            if _visible(self.mask, self.width, origin, ox + dx, oy + dy):
                value = self._round(math.hypot(ox + dx, oy + dy) + ob)
                vector, base = (ox + dx, oy + dy), ob
            else:
                value = self._round(math.hypot(ox, oy) + ob + 1)
                vector, base = (dx, dy), self._round(value - 1)
            if value < best:
                best = value
                self.vx[pixel], self.vy[pixel] = vector
                self.base[pixel] = base
        self.assigned[pixel] = True
        self.reached.append(pixel)
        return best

    def run(self) -> np.ndarray:
        """Propagate round by round; return the distance image (0 where unreached)."""
        while self.queue:
            round_, self.queue = self.queue, []
            nearest = math.inf
            for pixel in round_:
                if not self.assigned[pixel]:
                    nearest = min(nearest, self._assign(pixel))
            for pixel in round_:
                if math.hypot(self.vx[pixel], self.vy[pixel]) + self.base[pixel] > nearest:
                    self.queue.append(pixel)
                else:
                    self._enqueue_neighbours(pixel)
        distance = np.zeros(len(self.mask), np.float32)
        for pixel in self.reached:
            length = self._round(math.hypot(self.vx[pixel], self.vy[pixel]))
            distance[pixel] = self.base[pixel] + length
        return distance.reshape(-1, self.width)


def widen(skeleton: np.ndarray, mask: np.ndarray, radius: float) -> np.ndarray:
    """The skeleton plus the mask pixels within constrained distance ``radius`` of it."""
    if radius < 1 or not skeleton.any():
        return skeleton
    reach = int(radius) + _MARGIN
    near = ndimage.binary_dilation(skeleton, np.ones((2 * reach + 1,) * 2, bool))
    propagation = _Propagation(np.pad(skeleton, 1), np.pad((mask | skeleton) & near, 1))
    distance = propagation.run()[1:-1, 1:-1]
    inside = (distance > np.float32(_EPSILON)) & (distance <= np.float32(radius))
    return skeleton | (mask & inside)


def flood(markers: np.ndarray, mask: np.ndarray, connectivity: int) -> np.ndarray:
    """Spread marker labels through ``mask``, first come first served (miallib's order)."""
    labels = markers.ravel().copy()
    open_ = mask.ravel().copy()
    border = np.ones(mask.shape, bool)
    border[1:-1, 1:-1] = False
    open_[border.ravel()] = False
    width = mask.shape[1]
    shifts = np.array([dr * width + dc for dr, dc in _FLOOD_ORDER[:connectivity]])
    marked = markers > 0
    rim = marked & ndimage.binary_dilation(~marked, np.ones((3, 3), bool))
    sources = np.flatnonzero(rim)  # inner marker pixels have nothing left to claim
    frontier = np.concatenate([_claim(labels, open_, sources, group)
                               for group in np.split(shifts, [4])])
    while frontier.size:
        frontier = _claim(labels, open_, frontier, shifts)
    return labels.reshape(mask.shape)


def _claim(labels: np.ndarray, open_: np.ndarray, sources: np.ndarray,
           shifts: np.ndarray) -> np.ndarray:
    """Label the unlabelled open neighbours of ``sources``; return them in claiming order."""
    if not shifts.size:
        return shifts
    targets = (sources[:, None] + shifts[None, :]).ravel()
    passed = np.repeat(labels[sources], shifts.size)
    free = open_[targets] & (labels[targets] == 0)
    targets, passed = targets[free], passed[free]
    _, first = np.unique(targets, return_index=True)
    first.sort()
    labels[targets[first]] = passed[first]
    return targets[first]


def bridges(paths: np.ndarray, core: np.ndarray, opening: np.ndarray,
            connectivity: int) -> np.ndarray:
    """Path components reached from two or more cores by flooding opening and paths."""
    structure = ndimage.generate_binary_structure(2, 2 if connectivity == 8 else 1)
    inner = np.zeros(core.shape, bool)
    inner[1:-1, 1:-1] = True
    markers, _ = ndimage.label(core & inner, structure=structure)
    labels = flood(markers, opening | paths, connectivity)
    parts, count = ndimage.label(paths, structure=structure)
    part, reached = parts[paths], labels[paths]
    highest = np.zeros(count + 1, reached.dtype)
    lowest = np.full(count + 1, np.iinfo(reached.dtype).max, reached.dtype)
    np.maximum.at(highest, part, reached)
    np.minimum.at(lowest, part, reached)
    bridge = highest > lowest
    bridge[0] = False
    return bridge[parts]
