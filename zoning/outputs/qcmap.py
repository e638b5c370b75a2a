"""The parcel topology QC layers (``qc_overlaps``, ``qc_gaps``) as one layer of the web map.

Overlaps are outlined in red and gaps in orange; a feature's popup gives the parcel ids and
the area in hectares. The layer is off when the map opens.
"""

from __future__ import annotations

from collections.abc import Mapping

import geopandas as gpd
import pandas as pd

from zoning import columns as col
from zoning.outputs._legend import LegendEntry
from zoning.outputs.webmap import OutlineLayer
from zoning.topology import GAPS_LAYER, OVERLAPS_LAYER

LAYER_NAME = "Topology QC: overlaps / gaps 拓扑检查：图斑重叠 / 缝隙"
LEGEND = [LegendEntry("overlap", "图斑重叠", "Overlap between parcels", "#d32f2f"),
          LegendEntry("gap", "缝隙", "Gap between parcels", "#fb8c00")]
POPUP = [col.QC_ITEM, col.QC_PARCELS, col.QC_AREA_HA, col.QC_KIND]
LABELS = {col.QC_ITEM: ("检查项", "QC item"), col.QC_PARCELS: ("图斑", "Parcels"),
          col.QC_AREA_HA: ("面积 (ha)", "Area (ha)"), col.QC_KIND: ("类型", "Kind")}
AREA_DECIMALS = 4


def qc_map_layer(layers: Mapping[str, gpd.GeoDataFrame]) -> dict[str, OutlineLayer]:
    """The overlaps and gaps among ``layers`` as one outline layer; none when both are empty.

    Examples
    --------
    >>> import shapely
    >>> gaps = gpd.GeoDataFrame({"gap_id": [1], "area_ha": [0.123456], "bordering": ["a, b"]},
    ...                         geometry=[shapely.box(0, 0, 10, 10)], crs=4548)
    >>> layer = qc_map_layer({"qc_gaps": gaps})[LAYER_NAME]
    >>> layer.frame[POPUP].to_records(index=False).tolist()
    [('gap', 'gap 1: a, b', 0.1235, 'gap')]
    """
    parts = []
    overlaps = layers.get(OVERLAPS_LAYER)
    if overlaps is not None and not overlaps.empty:
        parts.append(_frame(overlaps, "overlap",
                            overlaps[col.QC_PARCEL_A].astype(str) + " / "
                            + overlaps[col.QC_PARCEL_B].astype(str),
                            overlaps[col.QC_OVERLAP_HA], overlaps[col.QC_KIND]))
    gaps = layers.get(GAPS_LAYER)
    if gaps is not None and not gaps.empty:
        parts.append(_frame(gaps, "gap",
                            "gap " + gaps[col.QC_GAP_ID].astype(str) + ": "
                            + gaps[col.QC_BORDERING].astype(str),
                            gaps[col.QC_AREA_HA], pd.Series("gap", index=gaps.index)))
    if not parts:
        return {}
    frame = gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs=parts[0].crs)
    return {LAYER_NAME: OutlineLayer(frame, col.QC_ITEM, LEGEND, POPUP, LABELS)}


def _frame(layer: gpd.GeoDataFrame, item: str, ids: pd.Series, area_ha: pd.Series,
           kind: pd.Series) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({
        col.QC_ITEM: item, col.QC_PARCELS: ids.to_numpy(),
        col.QC_AREA_HA: area_ha.round(AREA_DECIMALS).to_numpy(), col.QC_KIND: kind.to_numpy()},
        geometry=layer.geometry.to_numpy(), crs=layer.crs)
