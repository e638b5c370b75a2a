"""Parcel topology quality control (拓扑检查): overlaps between parcels and gaps between them.

A land-survey parcel layer (三调图斑) is a coverage: every point of the study area lies in
exactly one parcel. Two faults break it, and both corrupt every area total of a plan:

* **overlaps** (图斑重叠): two parcels share area, so the area is counted twice. A cadastre
  holding both parent farms and their portions (two tiers) doubles every total;
* **gaps** (缝隙): holes inside the study area that no parcel covers (interior rings of the
  dissolved parcels; the outer boundary is not a gap).

:func:`parcel_topology` measures both with shapely 2: candidate pairs from the parcels'
STR tree (``sindex.query(..., predicate="intersects")`` of the parcels shrunk by
:data:`SHRINK_M`, so that neighbours merely sharing an edge drop out), then their
intersection areas, all vectorised; gaps are the interior rings of the union of the
parcels, less any parcel islands inside them. :func:`check_topology` turns the report into
validation problems and warnings under the project's ``qc`` options.

Examples
--------
>>> import geopandas as gpd, shapely
>>> parcels = gpd.GeoDataFrame(
...     geometry=[shapely.box(0, 0, 100, 100), shapely.box(50, 0, 150, 100)],
...     index=pd.Index(["a", "b"], name="parcel_id"), crs="EPSG:4548")
>>> found = parcel_topology(parcels)
>>> found.overlaps[[QC_PARCEL_A, QC_PARCEL_B, QC_OVERLAP_HA]].to_records(index=False).tolist()
[('a', 'b', 0.5)]
>>> found.parcels_ha, found.union_ha
(2.0, 1.5)
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from zoning.columns import (
    QC_AREA_HA,
    QC_BORDERING,
    QC_GAP_ID,
    QC_KIND,
    QC_OVERLAP_HA,
    QC_PARCEL_A,
    QC_PARCEL_B,
    QC_SIGNIFICANT,
    QC_X,
    QC_Y,
)
from zoning.errors import Problem
from zoning.layers.load import polygonal_part
from zoning.project import QualityControl

logger = logging.getLogger(__name__)

M2_PER_HA = 1e4
NOISE_M2 = 0.01
"""Overlaps and gaps smaller than this (m²) are floating-point noise of shared edges, not
counted at all (the demo's 7,524 parcels have 3,320 such pairs, 9e-6 m² in total)."""
SHRINK_M = 0.01
"""Overlaps narrower than this (m) are not looked for: noise of shared edges, far below any
tolerance."""
WHOLE = 0.999
"""An overlap covering at least this share of a parcel covers all of it (``contained``;
``duplicate`` when it covers both parcels)."""
SHOWN = 5
"""How many of the largest overlaps and gaps a message names."""
OVERLAPS_LAYER = "qc_overlaps"
GAPS_LAYER = "qc_gaps"
TABLE = "qc_topology"
KINDS = ("duplicate", "contained", "partial")
"""Kinds of overlap: the same geometry twice; one parcel inside the other (a parent and
its portion); a partial overlap."""


@dataclass(frozen=True)
class TopologyReport:
    """Overlaps and gaps of a parcel layer.

    Attributes
    ----------
    overlaps
        One row per overlapping pair, largest first: ``parcel_a``, ``parcel_b`` (ids,
        ``parcel_a`` the earlier in the layer), ``overlap_ha``, ``kind`` (:data:`KINDS`),
        ``significant`` (above the tolerance, or a whole parcel; a partial overlap of at
        most the tolerance is a digitising sliver) and the shared area as geometry.
    gaps
        One row per gap, largest first: ``gap_id`` (1 the largest), ``area_ha``, ``x``,
        ``y`` (a point inside it, working CRS), ``bordering`` (ids of up to
        :data:`SHOWN` parcels around it), ``significant`` (above the gap tolerance) and
        its polygon.
    parcels_ha
        Sum of the parcels' areas: what every area total of the run adds up.
    union_ha
        Area of the union of the parcels: the ground they really cover.
    """

    overlaps: gpd.GeoDataFrame
    gaps: gpd.GeoDataFrame
    parcels_ha: float
    union_ha: float

    @property
    def significant(self) -> gpd.GeoDataFrame:
        """The overlaps above the tolerance (and every duplicate or contained parcel)."""
        return self.overlaps[self.overlaps[QC_SIGNIFICANT]]

    @property
    def slivers(self) -> gpd.GeoDataFrame:
        """The partial overlaps of at most the tolerance: digitising slivers."""
        return self.overlaps[~self.overlaps[QC_SIGNIFICANT]]

    def summary(self) -> pd.DataFrame:
        """The totals as a table (``qc_topology.csv``): item, count and area in hectares.

        Items: ``parcels`` (their area sum), ``union``, ``double_counted`` (sum − union),
        ``overlaps`` (significant pairs), ``duplicates`` and ``contained`` (among them),
        ``overlap_slivers``, ``gaps`` (above the gap tolerance), ``gap_slivers``.
        """
        overlaps, gaps = self.overlaps, self.gaps
        chosen = {
            "overlaps": (overlaps, overlaps[QC_SIGNIFICANT]),
            "duplicates": (overlaps, overlaps[QC_SIGNIFICANT] & (overlaps[QC_KIND] == KINDS[0])),
            "contained": (overlaps, overlaps[QC_SIGNIFICANT] & (overlaps[QC_KIND] == KINDS[1])),
            "overlap_slivers": (overlaps, ~overlaps[QC_SIGNIFICANT]),
            "gaps": (gaps, gaps[QC_SIGNIFICANT]),
            "gap_slivers": (gaps, ~gaps[QC_SIGNIFICANT]),
        }
        rows: list[tuple[str, int | None, float]] = [
            ("parcels", None, self.parcels_ha), ("union", None, self.union_ha),
            ("double_counted", None, self.parcels_ha - self.union_ha)]
        for item, (frame, mask) in chosen.items():
            area = frame.loc[mask, QC_OVERLAP_HA if frame is overlaps else QC_AREA_HA]
            rows.append((item, int(mask.sum()), float(area.sum())))
        out = pd.DataFrame(rows, columns=["item", "count", QC_AREA_HA])
        out["count"] = out["count"].astype("Int64")
        return out

    def layers(self) -> dict[str, gpd.GeoDataFrame]:
        """The overlaps and gaps as output layers (``qc_overlaps``, ``qc_gaps``)."""
        return {OVERLAPS_LAYER: self.overlaps, GAPS_LAYER: self.gaps}


def parcel_topology(parcels: gpd.GeoDataFrame, overlap_tolerance_ha: float = 0.01,
                    gap_tolerance_ha: float = 0.01) -> TopologyReport:
    """Overlaps between the parcels and gaps inside the area they cover.

    Parameters
    ----------
    parcels
        Polygons in a projected CRS (metres), indexed by parcel id; not changed.
    overlap_tolerance_ha
        A partial overlap of a pair up to this area is a digitising sliver, counted but not
        significant. A duplicate or a parcel inside another is significant at any size.
    gap_tolerance_ha
        A gap up to this area is a sliver, counted but not significant.

    Returns
    -------
    TopologyReport
        The overlapping pairs and the gaps, largest first, and the area totals.

    Examples
    --------
    A parent farm of 4 ha held together with its two portions (1 ha and 3 ha):

    >>> import geopandas as gpd, shapely
    >>> shapes = [shapely.box(0, 0, 200, 200), shapely.box(0, 0, 50, 200),
    ...           shapely.box(50, 0, 200, 200)]
    >>> tiers = gpd.GeoDataFrame(geometry=shapes, index=["farm", "p1", "p2"], crs="EPSG:4548")
    >>> found = parcel_topology(tiers)
    >>> found.parcels_ha, found.union_ha, float(found.significant[QC_OVERLAP_HA].sum())
    (8.0, 4.0, 4.0)
    >>> found.overlaps[QC_KIND].tolist()
    ['contained', 'contained']
    """
    geoms = np.asarray(parcels.geometry.array, dtype=object)
    ids = parcels.index.astype(str).to_numpy()
    areas = shapely.area(geoms)
    overlaps = _overlaps(parcels, geoms, ids, areas, overlap_tolerance_ha)
    union = shapely.union_all(geoms)
    gaps = _gaps(parcels, union, ids, gap_tolerance_ha)
    return TopologyReport(overlaps, gaps, float(areas.sum() / M2_PER_HA),
                          float(shapely.area(union) / M2_PER_HA))


def measure(parcels: gpd.GeoDataFrame, options: QualityControl) -> TopologyReport:
    """:func:`parcel_topology` under the project's ``qc`` tolerances (overlaps and gaps).

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> from zoning.project import QualityControl
    >>> ring = gpd.GeoDataFrame(geometry=[shapely.box(0, 0, 300, 300).difference(
    ...     shapely.box(100, 100, 200, 200))], index=["a"], crs="EPSG:4548")
    >>> measure(ring, QualityControl(gap_tolerance_ha=2)).gaps[QC_SIGNIFICANT].tolist()
    [False]
    """
    return parcel_topology(parcels, options.overlap_tolerance_ha, options.gap_tolerance_ha)


def _overlaps(parcels: gpd.GeoDataFrame, geoms: np.ndarray, ids: np.ndarray, areas: np.ndarray,
              tolerance_ha: float) -> gpd.GeoDataFrame:
    """Every pair sharing more than :data:`NOISE_M2`, at least :data:`SHRINK_M` wide.

    Neighbours sharing an edge meet along it, and floating-point noise makes thousands of
    them overlap by slivers of square millimetres: the candidates are the parcels shrunk by
    :data:`SHRINK_M` that still intersect another parcel (three times faster than testing
    every touching pair's interiors and intersecting them).
    """
    shrunk = shapely.buffer(geoms, -SHRINK_M, join_style="mitre")
    one, other = parcels.sindex.query(shrunk, predicate="intersects")
    found = np.unique(np.stack([np.minimum(one, other), np.maximum(one, other)])[
        :, one != other], axis=1)
    left, right = found[0], found[1]
    shared = shapely.intersection(geoms[left], geoms[right])
    area = shapely.area(shared)
    kept = area > NOISE_M2
    left, right, shared, area = left[kept], right[kept], shared[kept], area[kept]
    smaller = np.minimum(areas[left], areas[right])
    larger = np.maximum(areas[left], areas[right])
    kind = np.where(area >= WHOLE * larger, KINDS[0],
                    np.where(area >= WHOLE * smaller, KINDS[1], KINDS[2]))
    overlap_ha = area / M2_PER_HA
    frame = gpd.GeoDataFrame({
        QC_PARCEL_A: ids[left], QC_PARCEL_B: ids[right], QC_OVERLAP_HA: overlap_ha,
        QC_KIND: kind, QC_SIGNIFICANT: (overlap_ha > tolerance_ha) | (kind != KINDS[2])},
        geometry=polygonal_part(shared), crs=parcels.crs)
    return frame.sort_values(QC_OVERLAP_HA, ascending=False, kind="stable").reset_index(
        drop=True)


def _gaps(parcels: gpd.GeoDataFrame, union: shapely.Geometry, ids: np.ndarray,
          tolerance_ha: float) -> gpd.GeoDataFrame:
    """Holes of the union of the parcels (less parcel islands inside them), largest first."""
    parts = shapely.get_parts(union)
    counts = shapely.get_num_interior_rings(parts)
    first = np.repeat(np.cumsum(counts) - counts, counts)
    holes = shapely.polygons(shapely.get_interior_ring(np.repeat(parts, counts),
                                                       np.arange(counts.sum()) - first))
    # parcels standing inside a hole are no gap (their own holes are gaps of their own)
    filled = shapely.polygons(shapely.get_exterior_ring(parts))
    hole, island = shapely.STRtree(filled).query(holes, predicate="contains")
    for k in np.unique(hole):  # usually none or a handful
        holes[k] = shapely.difference(holes[k], shapely.union_all(filled[island[hole == k]]))
    area = shapely.area(holes)
    holes = holes[area > NOISE_M2]
    area = area[area > NOISE_M2]
    order = np.argsort(-area, kind="stable")
    holes, area = holes[order], area[order]
    inner = shapely.point_on_surface(holes)
    near, parcel = parcels.sindex.query(holes, predicate="intersects")
    first_ids = pd.Series(ids[parcel], index=near).groupby(level=0).head(SHOWN)
    bordering = first_ids.groupby(level=0).agg(", ".join).reindex(range(len(holes)),
                                                                   fill_value="")
    return gpd.GeoDataFrame({
        QC_GAP_ID: np.arange(1, len(holes) + 1), QC_AREA_HA: area / M2_PER_HA,
        QC_X: shapely.get_x(inner), QC_Y: shapely.get_y(inner), QC_BORDERING: bordering.to_numpy(),
        QC_SIGNIFICANT: area / M2_PER_HA > tolerance_ha},
        geometry=holes, crs=parcels.crs)


def largest_pairs(overlaps: pd.DataFrame) -> str:
    """The largest :data:`SHOWN` overlapping pairs as text: ``a/b 1 ha (duplicate), ...``."""
    return ", ".join(f"{a}/{b} {ha:.4g} ha ({kind})" for a, b, ha, kind in overlaps[
        [QC_PARCEL_A, QC_PARCEL_B, QC_OVERLAP_HA, QC_KIND]].head(SHOWN).itertuples(index=False))


def check_topology(found: TopologyReport, options: QualityControl, path: Path | str,
                   notes: list[str], project: Path | str = "PROJECT") -> list[Problem]:
    """Problems and warnings of a parcel layer's topology under the project's ``qc`` options.

    Significant overlaps, or slivers together above ``overlap_tolerance_share`` of the
    union, are a problem naming the file, the totals and the largest pairs, unless
    ``accept_overlaps``: then a warning, and the run goes on. Gaps above
    ``gap_tolerance_ha`` are a warning. Slivers are only counted (logged at INFO level).
    Warnings are logged and appended to ``notes`` (the manifest's).

    Parameters
    ----------
    found
        What :func:`parcel_topology` found.
    options
        The project's ``qc`` options.
    path
        The parcel file, named in the messages.
    notes
        The run's notes; warnings are appended.
    project
        The project file, named in the command that shows the overlaps (``zoning qc``).

    Returns
    -------
    list[Problem]
        One problem at most, at ``layers.parcels``.

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> from zoning.project import QualityControl
    >>> twice = gpd.GeoDataFrame(geometry=[shapely.box(0, 0, 100, 100)] * 2,
    ...                          index=["a", "b"], crs="EPSG:4548")
    >>> problems = check_topology(parcel_topology(twice), QualityControl(), "p.gpkg", [])
    >>> print(problems[0].message[:75])
    p.gpkg: parcels overlap: their areas sum to 2.00 ha but they cover 1.00 ha;
    """
    warnings: list[str] = []
    problems: list[Problem] = []
    slivers = found.slivers
    sliver_ha = float(slivers[QC_OVERLAP_HA].sum())
    too_many = sliver_ha > options.overlap_tolerance_share * found.union_ha
    if not found.significant.empty or too_many:
        text = _overlap_text(found, options, path, too_many)
        if options.accept_overlaps:
            warnings.append(f"{text}. Accepted (qc.accept_overlaps: true): every area total "
                            "counts the overlaps twice; layer qc_overlaps shows them")
        else:
            problems.append(Problem("layers.parcels", (
                f"{text}. Every area total would count the overlaps twice. Fix: clean the "
                "layer (remove duplicates, cut the overlaps), keep one tier of a layered "
                "cadastre (e.g. `select:` on the parcel layer), or set "
                "`qc: {accept_overlaps: true}` in the project file to run knowingly. "
                f"To see where they are, run `zoning qc {project}`: it writes them (layers "
                "qc_overlaps, qc_gaps) to a GeoPackage to open in QGIS, without running")))
    gaps = found.gaps[found.gaps[QC_SIGNIFICANT]]
    if not gaps.empty:
        largest = ", ".join(f"#{g} {ha:.4g} ha at ({x:.0f}, {y:.0f})" for g, ha, x, y in gaps[
            [QC_GAP_ID, QC_AREA_HA, QC_X, QC_Y]].head(SHOWN).itertuples(index=False))
        warnings.append(f"{path}: {len(gaps)} gap(s) of more than qc.gap_tolerance_ha = "
                        f"{options.gap_tolerance_ha:g} ha inside the study area are covered by "
                        f"no parcel, {gaps[QC_AREA_HA].sum():,.4g} ha in total; largest "
                        f"{largest} (layer qc_gaps of result.gpkg, or of `zoning qc {project}`, "
                        "shows them)")
    counted = [(len(slivers), "overlap", sliver_ha),
               (len(found.gaps) - len(gaps), "gap",
                float(found.gaps[QC_AREA_HA].sum() - gaps[QC_AREA_HA].sum()))]
    for count, what, area in counted:
        if count:
            logger.info("%s: %d sliver %s(s) below tolerance, %.4g ha in total (counted)",
                        path, count, what, area)
    for warning in warnings:
        logger.warning(warning)
        notes.append(warning)
    return problems


def _overlap_text(found: TopologyReport, options: QualityControl, path: Path | str,
                  too_many: bool) -> str:
    """What overlaps: the totals, the pairs above tolerance by kind, the largest ones."""
    significant = found.significant
    kinds = significant[QC_KIND].value_counts()
    text = (f"{path}: parcels overlap: their areas sum to {found.parcels_ha:,.2f} ha but they "
            f"cover {found.union_ha:,.2f} ha; {len(significant)} pair(s) overlap by more than "
            f"qc.overlap_tolerance_ha = {options.overlap_tolerance_ha:g} ha or wholly "
            f"({kinds.get(KINDS[0], 0)} duplicate geometr(ies), {kinds.get(KINDS[1], 0)} "
            f"parcel(s) inside another), {significant[QC_OVERLAP_HA].sum():,.4g} ha in total")
    if not significant.empty:
        text += f"; largest {largest_pairs(significant)}"
    if too_many:
        slivers = found.slivers
        text += (f"; {len(slivers)} sliver(s) of at most the tolerance together cover "
                 f"{slivers[QC_OVERLAP_HA].sum():,.4g} ha, more than "
                 f"qc.overlap_tolerance_share = {options.overlap_tolerance_share:g} of the "
                 f"area (largest {largest_pairs(slivers)})")
    return text
