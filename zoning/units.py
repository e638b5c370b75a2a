"""Planning units: compact groups of contiguous parcels inside each zone.

A zone is drawn as a few large pieces; a plan assigns projects, budgets and phases to smaller
*planning units* (规划单元). This stage cuts every contiguous piece of a zone (after the
minimum mapping unit) into units of about ``target_area_ha``, by spatially constrained Ward
clustering (:class:`spopt.region.WardSpatial`, which joins only neighbouring parcels) of the
parcel centroids — compactness — and of the columns named in ``attributes`` — homogeneity,
e.g. subsidence depth, so that a unit is one kind of work. A piece gets
``round(area / target_area_ha)`` units (at least one). Units smaller than ``min_area_ha`` then
merge into the neighbouring unit of the same piece with which they share the longest
boundary (:func:`zoning.mmu.merge_fragments`), so a unit never crosses a zone.

Units are numbered per zone, ``<zone>-001`` upwards from north-west to south-east by their
parcels' mean centroid. Spopt's max-p regionalisation would give a minimum area directly but
took 74 s for 800 parcels, against 0.05 s for Ward on 1,600, so Ward plus merging is used.

The block ``planning_units`` of ``rules/zones.yaml`` turns the stage on:

.. code-block:: yaml

    planning_units:
      target_area_ha: 50
      min_area_ha: 10
      attributes: {subs_max_m: 1.0}
"""

from __future__ import annotations

import logging

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from libpysal.weights import WSP
from numpy.typing import NDArray
from scipy.sparse import coo_array
from spopt.region import WardSpatial

from zoning import columns as col
from zoning.declare import Column, Product, fixed
from zoning.layers import LayerSet
from zoning.mmu import close_gaps, fragments, merge_fragments, shared_boundaries
from zoning.rules.models import PlanningUnits, ZonesRules
from zoning.rules.ruleset import ExpressionSite, RuleSet
from zoning.stage import Stage

logger = logging.getLogger(__name__)

LAYER = "planning_units"
"""Name of the dissolved planning-unit layer."""
SPLIT_ABOVE = 2.0
"""A unit larger than this many target areas is cut again."""
CENTROID_WEIGHT = 1.0
"""Weight of the (standardised) centroid coordinates against the attributes in the clustering."""


def _spec(rules: RuleSet) -> PlanningUnits | None:
    return rules.get("zones", ZonesRules).planning_units


DECLARED: tuple[Column, ...] = (
    Column(col.PLANNING_UNIT, "text", "规划单元", "Planning unit",
           "planning unit `<zone>-NNN`: compact contiguous parcels of one zone; empty when the "
           "zones rules have no planning_units block"),
)
"""The column the stage adds."""



def makes(rules: RuleSet) -> list[Product]:
    """The planning unit polygons."""
    return [Product(LAYER, "layer", "规划单元", "Planning units")]


def sites(rules: RuleSet) -> list[ExpressionSite]:
    """The attribute expressions of ``planning_units`` (checked before anything runs)."""
    spec = _spec(rules)
    if spec is None:
        return []
    return [ExpressionSite("zones", ("planning_units", "attributes", text), text)
            for text in spec.attributes]


def run(parcels: gpd.GeoDataFrame, rules: RuleSet, layers: LayerSet) -> pd.DataFrame:
    """Assign every parcel a ``planning_unit`` inside its zone.

    Parameters
    ----------
    parcels
        Parcels with ``zone``, ``area_ha``, a projected geometry and the attribute columns of
        the spec (missing values count as the column's mean).
    rules
        The rule set; ``zones.planning_units`` gives the target and minimum areas.
    layers
        Unused.

    Returns
    -------
    pandas.DataFrame
        ``planning_unit`` indexed like ``parcels``; missing throughout when the rules have
        no ``planning_units`` block.
    """
    spec = _spec(rules)
    if spec is None:
        return pd.DataFrame({col.PLANNING_UNIT: None}, index=parcels.index, dtype=object)
    values = {text: rules.expression(site).evaluate(parcels)
              for text, site in zip(spec.attributes, sites(rules), strict=True)}
    labels = planning_units(parcels, spec, pd.DataFrame(values, index=parcels.index))
    return pd.DataFrame({col.PLANNING_UNIT: labels}, index=parcels.index)


def planning_units(parcels: gpd.GeoDataFrame, spec: PlanningUnits,
                   attributes: pd.DataFrame | None = None) -> NDArray[np.object_]:
    """Planning unit of each parcel (see the module docstring for the method).

    Parameters
    ----------
    parcels
        Parcels with ``zone``, ``area_ha`` and a projected geometry.
    spec
        Target and minimum unit areas, and the weight of each attribute.
    attributes
        One column per key of ``spec.attributes`` (the values of its expression), indexed
        like ``parcels``; none: the clustering sees the centroids only.

    Returns
    -------
    numpy.ndarray
        ``<zone>-NNN`` per parcel.

    Examples
    --------
    Two zones of four strips in a row (1, 1, 3 and 1 ha); units of about 3 ha cut each zone
    in two, the two nearest strips together.

    >>> import shapely
    >>> from zoning.rules.models import PlanningUnits
    >>> edges = [0, 100, 200, 500, 600, 700, 800, 1100, 1200]
    >>> strips = [shapely.box(a, 0, b, 100) for a, b in zip(edges[:-1], edges[1:])]
    >>> parcels = gpd.GeoDataFrame({"zone": ["a"] * 4 + ["b"] * 4}, geometry=strips, crs=32650)
    >>> parcels["area_ha"] = parcels.area / 1e4
    >>> planning_units(parcels, PlanningUnits(target_area_ha=3, min_area_ha=1)).tolist()
    ['a-001', 'a-001', 'a-002', 'a-002', 'b-001', 'b-001', 'b-002', 'b-002']
    """
    zone = parcels[col.ZONE].astype(str).to_numpy()
    codes = pd.factorize(zone)[0].astype(np.int64)
    area = parcels[col.AREA_HA].to_numpy(dtype=float)
    i, j, length = shared_boundaries(parcels.geometry.to_numpy())
    piece = fragments(codes, i, j)
    centre = shapely.get_coordinates(shapely.centroid(parcels.geometry.to_numpy()))
    features = _features(centre, spec, attributes)
    piece_area = np.bincount(piece, weights=area)
    inside = piece[i] == piece[j]
    pi, pj = i[inside], j[inside]
    unit = piece.astype(np.int64)  # a piece below 1.5 targets is one unit
    next_unit = len(piece_area)
    by_piece = np.argsort(piece, kind="stable")
    starts = np.searchsorted(piece[by_piece], np.arange(len(piece_area) + 1))
    edge_order = np.argsort(piece[pi], kind="stable")
    edge_starts = np.searchsorted(piece[pi][edge_order], np.arange(len(piece_area) + 1))
    position = np.zeros(len(piece), dtype=np.intp)
    for p in np.flatnonzero(piece_area >= 1.5 * spec.target_area_ha):
        members = by_piece[starts[p]:starts[p + 1]]
        edges = edge_order[edge_starts[p]:edge_starts[p + 1]]
        position[members] = np.arange(len(members))
        for group in _split(np.arange(len(members)), area[members], position[pi[edges]],
                            position[pj[edges]], features[members], spec.target_area_ha):
            unit[members[group]] = next_unit
            next_unit += 1
    same_piece = merge_fragments(unit, area, pi, pj, length[inside], spec.min_area_ha)
    names = _names(centre, zone, same_piece.labels)
    logger.info("planning units: %d unit(s) in %d zone piece(s), target %g ha, minimum %g ha",
                len(np.unique(same_piece.labels)), int(piece.max()) + 1 if len(piece) else 0,
                spec.target_area_ha, spec.min_area_ha)
    return names


def _features(xy: NDArray[np.float64], spec: PlanningUnits,
              attributes: pd.DataFrame | None) -> NDArray[np.float64]:
    """Centroids and attributes, each standardised, attributes times their weight.

    Both coordinates share one spread, so distances stay isotropic; a missing attribute
    value counts as the column's mean.
    """
    blocks = [(xy - xy.mean(axis=0)) / max(float(xy.std(axis=0).max()), 1e-9) * CENTROID_WEIGHT]
    if attributes is not None:
        for name, weight in spec.attributes.items():
            values = pd.to_numeric(attributes[name], errors="coerce").to_numpy(dtype=float)
            known = np.isfinite(values)
            mean = values[known].mean() if known.any() else 0.0
            spread = values[known].std() if known.any() else 0.0
            values = np.where(known, values, mean)
            blocks.append(((values - mean) / (spread if spread > 0 else 1.0))[:, None] * weight)
    return np.hstack(blocks)


def _split(members: NDArray[np.intp], area: NDArray[np.float64], i: NDArray[np.intp],
           j: NDArray[np.intp], features: NDArray[np.float64],
           target: float) -> list[NDArray[np.intp]]:
    """Cut connected ``members`` into about ``area / target`` groups.

    ``area``, ``features`` and the neighbour pairs ``i``, ``j`` are those of one zone piece,
    indexed from 0. Ward balances variance, not area, so a group above ``SPLIT_ABOVE``
    times the target (with two parcels or more) is cut again the same way.
    """
    k = min(max(round(area[members].sum() / target), 1), len(members))
    if k == 1:
        return [members]
    labels = _ward(members, i, j, features, k)
    groups = [members[labels == c] for c in range(k)]
    return [part for g in groups
            for part in (_split(g, area, i, j, features, target)
                         if area[g].sum() > SPLIT_ABOVE * target and len(g) > 1 else [g])]


def _ward(members: NDArray[np.intp], i: NDArray[np.intp], j: NDArray[np.intp],
          features: NDArray[np.float64], k: int) -> NDArray[np.int64]:
    """Ward clusters ``0 … k-1`` of ``members`` (connected through the pairs ``i``, ``j``)."""
    position = np.full(len(features), -1)
    position[members] = np.arange(len(members))
    keep = (position[i] >= 0) & (position[j] >= 0)
    a, b = position[i[keep]], position[j[keep]]
    n = len(members)
    graph = coo_array((np.ones(2 * len(a)), (np.r_[a, b], np.r_[b, a])), shape=(n, n)).tocsr()
    frame = pd.DataFrame(features[members], columns=[f"f{c}" for c in range(features.shape[1])])
    model = WardSpatial(frame, WSP(graph), list(frame.columns), n_clusters=k)
    model.solve()
    return np.asarray(model.labels_, dtype=np.int64)


def _names(xy: NDArray[np.float64], zone: NDArray[np.str_],
           unit: NDArray[np.int64]) -> NDArray[np.object_]:
    """``<zone>-NNN`` per unit, numbered in each zone from north-west to south-east."""
    frame = pd.DataFrame({"unit": unit, "zone": zone, "x": xy[:, 0], "y": xy[:, 1]})
    units = frame.groupby("unit").agg(zone=("zone", "first"), x=("x", "mean"), y=("y", "mean"))
    units = units.sort_values(["zone", "y", "x"], ascending=[True, False, True])
    number = units.groupby("zone").cumcount() + 1
    label = units["zone"] + "-" + number.map("{:03d}".format)
    return label.reindex(unit).to_numpy(dtype=object)


def unit_polygons(parcels: gpd.GeoDataFrame, rules: RuleSet) -> dict[str, gpd.GeoDataFrame]:
    """Dissolve parcels by planning unit: zone, area, parcel count and main restoration mode.

    Hairline gaps the stage counted as shared boundary are closed as for the zones
    (:func:`zoning.mmu.close_gaps`), so a unit is drawn in one piece.
    """
    if _spec(rules) is None:
        return {}
    model = rules.get("zones", ZonesRules)
    fields = [col.PLANNING_UNIT, col.ZONE, col.AREA_HA, "geometry"]
    grouped = parcels[fields].dissolve(by=col.PLANNING_UNIT,
                                       aggfunc={col.ZONE: "first", col.AREA_HA: "sum"})
    grouped = grouped.set_geometry(close_gaps(grouped.geometry.to_numpy()), crs=parcels.crs)
    grouped["parcels"] = parcels.groupby(col.PLANNING_UNIT).size()
    grouped[col.ZONE_NAME_ZH] = [model.zones[z].label.zh for z in grouped[col.ZONE]]
    grouped[col.ZONE_NAME_EN] = [model.zones[z].label.en for z in grouped[col.ZONE]]
    if col.RESTORATION_MODE in parcels.columns:
        by_mode = parcels.groupby([col.PLANNING_UNIT, col.RESTORATION_MODE])[col.AREA_HA].sum()
        grouped[col.RESTORATION_MODE] = by_mode.groupby(level=0).idxmax().map(lambda k: k[1])
    return {LAYER: grouped.reset_index()}


STAGE = Stage(name="units", run=run, declares=fixed(DECLARED), sites=sites, layers=unit_polygons,
              makes=makes)
