"""Barrier improvement scores, as Linkage Mapper's Barrier Mapper computes them.

McRae et al. (2012), "Where to restore ecological connectivity? Detecting barriers and
quantifying restoration benefits", and Barrier Mapper's ``s6_barriers.py``: restoring a
disc of radius ``R`` centred on a cell lets a route between cores a and b jump across
the disc, entering on its rim at the cell cheapest to reach from a and leaving at the
one cheapest to reach from b. The least-cost distance with the disc restored is then
estimated as::

    LCD' = min_ring(CWD_a) + min_ring(CWD_b) + 2 R * r_restored

with ``min_ring`` the minimum over the cells at distance ``R`` from the centre and
``r_restored`` the resistance after restoration (Barrier Mapper assumes 1, the minimum
resistance, and subtracts the diameter ``2R``). The improvement score of the cell is
``(LCD - LCD') / (2R)``, the drop in LCD per map unit restored, or ``LCD - LCD'`` with
``per_unit=False``. Scores are mosaicked by the maximum over links and radii; negative
scores (restoring there does not shorten the link) are 0.

Barrier Mapper's ring is an ArcGIS annulus from ``R - 1`` to ``R`` map units, which on
cells larger than one map unit holds few cells or none; here the ring is one cell wide,
the cells whose centre lies more than ``R - cell_size`` and at most ``R`` from the centre,
so a little of the disc is counted twice and the score errs low. Cells of the ring on
NODATA are ignored, as ArcGIS's focal statistics ignore NoData, so a centre may lie on
NODATA: restoring a gap in a barrier is scored.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy import ndimage

from zoning.corridors._cost import (
    check_cell_size,
    check_connectivity,
    core_labels,
    run_mcp,
    validated_costs,
)
from zoning.corridors._linkage import Linkage
from zoning.errors import CorridorError

RESTORED_RESISTANCE = 1.0
"""Resistance of restored cells Barrier Mapper assumes (the minimum resistance)."""

_RELATIVE_TOLERANCE = 1e-9


def ring_footprint(radius: float, cell_size: float) -> NDArray[np.bool_]:
    """Cells whose centre lies in ``(radius - cell_size, radius]`` from the centre cell.

    Examples
    --------
    >>> ring_footprint(1.0, 1.0).astype(int)
    array([[0, 1, 0],
           [1, 0, 1],
           [0, 1, 0]])
    """
    # a small tolerance keeps cells at exactly ``radius`` despite round-off
    tol = _RELATIVE_TOLERANCE * cell_size
    half = math.floor((radius + tol) / cell_size)
    offsets = np.arange(-half, half + 1) * cell_size
    dist = np.hypot(*np.meshgrid(offsets, offsets, indexing="ij"))
    return (dist > radius - cell_size + tol) & (dist <= radius + tol)


def barrier_improvement(
    resistance: NDArray[np.floating],
    cores: NDArray[np.integer],
    linkage_or_links: Linkage | pd.DataFrame,
    cell_size: float,
    radii: Sequence[float],
    *,
    per_unit: bool = True,
    restored_resistance: float = RESTORED_RESISTANCE,
    connectivity: int = 8,
) -> NDArray[np.float64]:
    """Improvement in least-cost distance from restoring a disc around every cell.

    Parameters
    ----------
    resistance
        2-D resistance; NaN is NODATA.
    cores
        Integer core labels (0 off cores).
    linkage_or_links
        A :class:`Linkage` (its kept links and cost-weighted distances are reused) or a
        table with ``core_a`` and ``core_b`` (rows with ``dropped`` True are skipped);
        cost-weighted distances are then computed here.
    cell_size
        Cell side in map units.
    radii
        Radii of the restored disc in map units, each at least ``cell_size``.
    per_unit
        Divide the drop in LCD by the restored length ``2R`` (Barrier Mapper's score).
    restored_resistance
        Resistance of the restored disc.
    connectivity
        Neighbourhood of the cost-distance runs when a table is given: 8 or 4.

    Returns
    -------
    numpy.ndarray
        Maximum score over links and radii per cell; 0 where restoring gains nothing.

    Raises
    ------
    CorridorError
        On invalid grids, radii or links.

    Examples
    --------
    >>> import numpy as np
    >>> res = np.ones((5, 9))
    >>> res[:, 4] = 50.0
    >>> cores = np.zeros((5, 9), dtype=int)
    >>> cores[:, 0], cores[:, 8] = 1, 2
    >>> score = barrier_improvement(res, cores, pd.DataFrame({"core_a": [1], "core_b": [2]}),
    ...                             1.0, [1.0])
    >>> score[2].round(1).tolist()
    [0.0, 0.0, 0.0, 12.2, 24.5, 12.2, 0.0, 0.0, 0.0]
    """
    size = check_cell_size(cell_size)
    costs = validated_costs(resistance)
    labels = core_labels(cores, costs)
    _check_radii(radii, size)
    check_connectivity(connectivity)
    if not restored_resistance > 0:
        raise CorridorError(f"restored_resistance must be positive, got {restored_resistance}")
    cwd, links = _cwd_and_links(costs, labels, linkage_or_links, size, connectivity)
    best = np.zeros(costs.shape)
    for radius in radii:
        ring = ring_footprint(radius, size)
        ring_min = {core: ndimage.minimum_filter(np.where(np.isnan(grid), np.inf, grid),
                                                 footprint=ring, mode="constant", cval=np.inf)
                    for core, grid in cwd.items()}
        restored = 2 * radius
        for a, b, lcd in links:
            gain = lcd - ring_min[a] - ring_min[b] - restored * restored_resistance
            score = gain / restored if per_unit else gain
            np.fmax(best, score, out=best)  # from 0: a loss, NaN or -inf gains nothing
    return best


def _check_radii(radii: Sequence[float], cell_size: float) -> None:
    if len(radii) == 0:
        raise CorridorError("give at least one radius")
    small = [r for r in radii if not r >= cell_size]
    if small:
        raise CorridorError(
            f"radii must be at least the cell size ({cell_size}); got {small}"
        )


def _cwd_and_links(
    costs: NDArray[np.float64], labels: NDArray[np.int64],
    linkage_or_links: Linkage | pd.DataFrame, cell_size: float, connectivity: int,
) -> tuple[dict[int, NDArray[np.float64]], list[tuple[int, int, float]]]:
    """Cost-weighted distances (NaN or ``inf`` where unreachable) and ``(a, b, LCD)`` per link.

    A linkage's own distances are reused as they are (no copy).
    """
    if isinstance(linkage_or_links, Linkage):
        table = linkage_or_links.kept()
        cwd = linkage_or_links.cwd
        if cwd and next(iter(cwd.values())).shape != costs.shape:
            raise CorridorError("the linkage was computed on a grid of another shape")
    else:
        table = _usable_links(linkage_or_links)
        needed = sorted(set(table["core_a"]) | set(table["core_b"]))
        cwd = {int(k): run_mcp(costs, labels == k, cell_size, connectivity).cwd for k in needed}
    links = []
    for a, b in zip(table["core_a"].astype(int), table["core_b"].astype(int), strict=True):
        to_b = cwd[a][labels == b]
        to_b = to_b[np.isfinite(to_b)]
        if to_b.size:
            links.append((a, b, float(to_b.min())))
    return cwd, links


def _usable_links(table: pd.DataFrame) -> pd.DataFrame:
    missing = {"core_a", "core_b"} - set(table.columns)
    if missing:
        raise CorridorError(f"the link table lacks column(s) {sorted(missing)}")
    if "dropped" in table.columns:
        table = table[~table["dropped"].astype(bool)]
    return table
