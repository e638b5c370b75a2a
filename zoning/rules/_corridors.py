"""Model of ``kind: corridors``: sources, resistance surface, corridors, pinch points, barriers.

The ecological security pattern (生态安全格局) is built as planners build it: ecological
sources (生态源地) are chosen from the parcels or from MSPA cores, a resistance surface
(阻力面) is scored from land use and other factors, least-cost corridors join the sources
(Linkage Mapper's method), a gravity model ranks them, and circuit theory finds pinch points
and barriers inside them.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from zoning.rules._base import Identifier, Label, RuleFileBase, Strict
from zoning.rules._suitability import Score


class ResistanceFactor(Strict):
    """One factor of the resistance surface: where its value comes from and how it scores.

    Exactly one of ``value`` (an expression over parcel columns, painted onto the cells of
    each parcel), ``grid`` (a raster of the run: ``subsidence``, ``groundwater``, or an input
    raster) or ``distance_to`` (a vector layer role such as ``roads``: the distance in metres
    from each cell to its nearest feature) is given. The score is 0 for the least and 1 for the
    most resistance.
    """

    id: Identifier
    label: Label
    value: str | None = Field(None, description="Expression over parcel columns.")
    grid: str | None = Field(None, description="Name of a raster of the run.")
    distance_to: str | None = Field(None, description="Vector layer role, e.g. roads.")
    score: Score
    weight: float = Field(gt=0, description="Weight in the weighted sum of factor scores.")
    missing: float | Literal["barrier"] = Field(
        "barrier", description="Score where the value is missing, or `barrier`: impassable.")
    source: str = Field(min_length=1, description="Where the scores come from.")

    @model_validator(mode="after")
    def _one_origin(self) -> ResistanceFactor:
        given = [k for k in ("value", "grid", "distance_to") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(f"factor {self.id!r}: give exactly one of `value`, `grid` or "
                             f"`distance_to`, found {given or 'none'}")
        if isinstance(self.missing, float) and not 0 <= self.missing <= 1:
            raise ValueError(f"factor {self.id!r}: `missing` must be `barrier` or a score in "
                             f"[0, 1], found {self.missing}")
        return self


class Resistance(Strict):
    """The resistance surface: factor scores combined and stretched to ``scale``.

    A cell's resistance is ``low + (high − low) · Σ w_i s_i / Σ w_i`` with ``scale: [low,
    high]``. Cells outside every parcel, under a ``barrier`` parcel, or with a missing
    ``barrier`` factor are NODATA, which no corridor crosses.
    """

    scale: tuple[float, float] = Field(description="Resistance of score 0 and of score 1.")
    factors: list[ResistanceFactor] = Field(min_length=1)
    barrier: str | None = Field(None, description="Parcels where this holds are impassable.")

    @model_validator(mode="after")
    def _positive_scale(self) -> Resistance:
        low, high = self.scale
        if not 0 < low < high:
            raise ValueError(f"`scale` must be [low, high] with 0 < low < high, found "
                             f"{list(self.scale)}: zero resistance would short-circuit the "
                             "network")
        ids = [f.id for f in self.factors]
        if len(set(ids)) != len(ids):
            raise ValueError(f"factor ids must be unique, found {ids}")
        return self


class Mspa(Strict):
    """GuidosToolbox's MSPA parameters (the defaults are its defaults)."""

    connectivity: Literal[4, 8] = 8
    edge_width: int = Field(1, ge=1, description="Edge width in cells.")
    transition: bool = True
    intext: bool = True


class Probability(Strict):
    """Conefor's distance decay: dispersal probability ``probability`` at ``distance_m``."""

    distance_m: float = Field(gt=0)
    probability: float = Field(gt=0, lt=1)
    threshold_m: float = Field(gt=0, description="Link threshold of the binary index IIC.")
    distances: Literal["euclidean", "least_cost"] = Field(
        "euclidean", description="Edge-to-edge distances: Euclidean or least-cost (then "
                                 "`distance_m` is in cost units).")


class Rank(Strict):
    """Which candidate patches become sources: the ``top`` best, or those at least ``min``."""

    by: Literal["dPC", "dIIC", "area_ha"]
    top: int | None = Field(None, ge=1)
    min: float | None = None

    @model_validator(mode="after")
    def _one_cut(self) -> Rank:
        if (self.top is None) == (self.min is None):
            raise ValueError("rank: give exactly one of `top` or `min`")
        return self


class Sources(Strict):
    """How ecological sources are chosen.

    ``method: parcels``: touching parcels where ``where`` holds, and those closer than
    ``merge_gap_m``, are merged into patches;
    ``method: mspa``: those parcels are the MSPA foreground and the patches are its cores.
    Patches smaller than ``min_area_ha`` are dropped, then ``rank`` keeps the best.
    """

    method: Literal["parcels", "mspa"]
    where: str = Field(description="Expression: the habitat parcels.")
    min_area_ha: float = Field(gt=0)
    merge_gap_m: float = Field(0.0, ge=0, description="parcels method: habitat parcels closer "
                                                      "than this (across a road, a ditch) form "
                                                      "one patch.")
    mspa: Mspa = Field(default_factory=Mspa)
    connectivity: Probability | None = None
    rank: Rank | None = None
    source: str = Field(min_length=1)

    @model_validator(mode="after")
    def _connectivity_for_rank(self) -> Sources:
        if self.rank is not None and self.rank.by != "area_ha" and self.connectivity is None:
            raise ValueError(f"ranking by {self.rank.by} needs `connectivity` (distance_m, "
                             "probability, threshold_m)")
        return self


class Levels(Strict):
    """Gravity thresholds: ``important`` corridors have G at least the value or quantile."""

    important_quantile: float | None = Field(None, gt=0, lt=1)
    important_min: float | None = Field(None, gt=0)

    @model_validator(mode="after")
    def _one_cut(self) -> Levels:
        if (self.important_quantile is None) == (self.important_min is None):
            raise ValueError("levels: give exactly one of `important_quantile` or "
                             "`important_min`")
        return self


class Corridors(Strict):
    """Least-cost corridors (Linkage Mapper): candidate links, width, levels."""

    candidates: Literal["adjacency", "all"] = "adjacency"
    max_cost: float | None = Field(None, gt=0, description="Drop links with a larger LCD.")
    drop_crossing: bool = Field(True, description="Drop links whose path crosses a third "
                                                  "source.")
    width: float = Field(gt=0, description="Truncation of the normalized corridor, cost "
                                           "units (resistance × metres).")
    levels: Levels


class PinchPoints(Strict):
    """Circuit-theory pinch points: cells of highest current density inside corridors."""

    top_share: float = Field(0.05, gt=0, lt=1, description="Share of corridor cells kept.")


class Barriers(Strict):
    """Barrier improvement (ΔLCD per metre restored) over moving windows of these radii."""

    radii_m: list[float] = Field(min_length=1)
    top_share: float = Field(0.05, gt=0, lt=1,
                             description="Share of improving cells shown as barriers.")


class CorridorRules(RuleFileBase):
    """Rules of ``kind: corridors``."""

    kind: Literal["corridors"]
    resolution_m: float = Field(gt=0, description="Cell size of the resistance raster (m).")
    connectivity: Literal[4, 8] = Field(8, description="Cell neighbours for all moves.")
    min_corridor_share: float = Field(
        0.3, gt=0, le=1, description="A parcel is in a corridor when this share of it is.")
    resistance: Resistance
    sources: Sources
    corridors: Corridors
    pinch_points: PinchPoints = Field(default_factory=PinchPoints)
    barriers: Barriers
