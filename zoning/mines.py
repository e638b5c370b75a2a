"""Mined areas: which mine each parcel lies in, and that mine's stage and type.

The mine's stage (new, producing, closed) and type (underground, open pit) select the
restoration strategy in ``rules/modes.yaml`` (after Zhao, collaborative governance of
restoration and safety): new mines restore and prevent hazards while mining, producing mines
clear historical damage together with safety retrofits, closed mines need long-term
monitoring and post-closure assessment; each in an open-pit and an underground variant.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from zoning import columns as col
from zoning.errors import Problem
from zoning.project import MineFields

_ALLOWED = {"stage": col.MINE_STAGES, "type": col.MINE_TYPES}


def check_mines(mines: gpd.GeoDataFrame, fields: MineFields, source: str) -> list[Problem]:
    """Problems with the mined-area layer's fields: missing fields, unknown values.

    Examples
    --------
    >>> import shapely
    >>> mines = gpd.GeoDataFrame({"mine": ["M1"], "stage": ["active"], "type": ["underground"]},
    ...                          geometry=[shapely.box(0, 0, 1, 1)])
    >>> [p.message for p in check_mines(mines, MineFields(), "mines.gpkg")]  # doctest: +ELLIPSIS
    ["field 'stage' has value(s) ['active'] ...]
    """
    problems = []
    for key in ("id", "stage", "type"):
        name = getattr(fields, key)
        if name not in mines.columns:
            problems.append(Problem(source, f"field {name!r} (the mine {key}) not found; fields "
                                    f"are {[c for c in mines.columns if c != 'geometry']}; "
                                    f"name it in project.yaml under layers.mines.fields.{key}"))
            continue
        allowed = _ALLOWED.get(key)
        if allowed is not None:
            bad = sorted({str(v) for v in mines[name].dropna()} - set(allowed))
            if bad:
                problems.append(Problem(source, f"field {name!r} has value(s) {bad}; expected "
                                        f"one of {list(allowed)}"))
    return problems


def mine_columns(geoms: gpd.GeoSeries, mines: gpd.GeoDataFrame | None,
                 fields: MineFields) -> pd.DataFrame:
    """``mine_id``, ``mine_stage`` and ``mine_type`` of the mine covering most of each parcel.

    Parcels outside every mined area get missing values.
    """
    out = pd.DataFrame({c: pd.Series(None, index=geoms.index, dtype=object)
                        for c in (col.MINE_ID, col.MINE_STAGE, col.MINE_TYPE)})
    if mines is None or mines.empty:
        return out
    parcel, mine = shapely.STRtree(mines.geometry.values).query(geoms.values,
                                                                 predicate="intersects")
    overlap = shapely.area(shapely.intersection(geoms.values[parcel], mines.geometry.values[mine]))
    inside = overlap > 0  # touching a boundary is not lying in the mine
    parcel, mine, overlap = parcel[inside], mine[inside], overlap[inside]
    if len(parcel) == 0:
        return out
    order = np.lexsort((-overlap, parcel))  # per parcel, largest overlap first
    first = order[np.r_[True, parcel[order][1:] != parcel[order][:-1]]]
    rows, picked = parcel[first], mine[first]
    for column, key in ((col.MINE_ID, "id"), (col.MINE_STAGE, "stage"), (col.MINE_TYPE, "type")):
        out.iloc[rows, out.columns.get_loc(column)] = (
            mines[getattr(fields, key)].astype(str).to_numpy()[picked])
    return out
