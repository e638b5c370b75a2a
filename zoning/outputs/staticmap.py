"""Static zoning map (PNG or PDF) for reports, drawn with matplotlib without pyplot.

The map shows the zones filled by legend colour with thin boundaries, a legend with
Chinese labels and English in brackets, the title, a scale bar, a north arrow, the CRS
name and an optional notice. Chinese text uses the Noto Sans CJK SC font shipped in
the ``mplfonts`` package (see :mod:`zoning.outputs.fonts`); a PDF embeds a TrueType
subset of it (Type 42), so its text can be searched and copied.

The figure is built on :class:`matplotlib.figure.Figure` with the Agg canvas, so no
global pyplot state or GUI backend is involved and rcParams are only changed inside a
``rc_context``.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import matplotlib as mpl
import shapely
from matplotlib import patheffects
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.offsetbox import (
    AnchoredOffsetbox,
    AuxTransformBox,
    DrawingArea,
    TextArea,
    VPacker,
)
from matplotlib.patches import Patch, Polygon, Rectangle
from matplotlib.text import Text

from zoning.crs import choose_working_crs
from zoning.errors import LayerError, did_you_mean
from zoning.outputs._legend import NO_DATA_ENTRY, LegendEntry, category_key, resolve_legend
from zoning.outputs.fonts import font_rc, pdf_font_rc

logger = logging.getLogger(__name__)

__all__ = ["LegendEntry", "nice_scale_length", "scale_bar_segments", "write_static_map"]

DEFAULT_FIGSIZE = (12.0, 8.5)
"""Figure size in inches (about the A4 landscape aspect); pixels are this times ``dpi``."""
SUPPORTED_SUFFIXES = (".png", ".pdf")

_MAP_RECT = (0.03, 0.09, 0.66, 0.80)
"""Map axes as (left, bottom, width, height) in figure fraction."""
_LEGEND_TOP = 0.89
_LEGEND_GAP = 0.025
_EDGE_COLOR = "#333333"
_EDGE_WIDTH = 0.35
_NOTICE_COLOR = "#b71c1c"
_WRAP_LABEL_CHARS = 26
_SCALE_BAR_HEIGHT_PT = 4.0
_SCALE_BAR_MID_LABEL_PT = 60.0
_ASCII = "".join(chr(c) for c in range(32, 127))
"""Always in the PDF's font subset (digits and Latin letters of labels drawn later)."""


def nice_scale_length(extent_m: float, max_fraction: float = 0.25) -> float:
    """Choose a round scale-bar length for a map ``extent_m`` metres wide.

    The length is the largest of 1, 2 or 5 times a power of ten that is not longer than
    ``max_fraction`` of the extent.

    Parameters
    ----------
    extent_m
        Width of the map frame in metres.
    max_fraction
        Longest allowed bar as a fraction of the width.

    Returns
    -------
    float
        Bar length in metres.

    Examples
    --------
    >>> nice_scale_length(10_000)
    2000.0
    >>> nice_scale_length(25_000)
    5000.0
    >>> nice_scale_length(3_900)
    500.0

    """
    if not (math.isfinite(extent_m) and extent_m > 0):
        raise ValueError(f"map extent must be a positive number of metres, got {extent_m!r}")
    if not 0 < max_fraction <= 1:
        raise ValueError(f"max_fraction must be in (0, 1], got {max_fraction!r}")
    target = extent_m * max_fraction
    power = 10.0 ** math.floor(math.log10(target))
    for step in (5.0, 2.0, 1.0):
        # small tolerance so that e.g. 2000.0000001 of float noise still gives 2000
        if step * power <= target * (1 + 1e-9):
            return step * power
    return power  # pragma: no cover - unreachable, 1 * power <= target always


def scale_bar_segments(length_m: float) -> int:
    """Return how many alternating black/white segments a bar of ``length_m`` gets.

    Bars of 1 x 10^k get 4 segments, of 2 x 10^k get 4, of 5 x 10^k get 5, so segment
    boundaries fall on round values.

    Examples
    --------
    >>> scale_bar_segments(2000), scale_bar_segments(5000), scale_bar_segments(1000)
    (4, 5, 4)

    """
    lead = round(length_m / 10.0 ** math.floor(math.log10(length_m)))
    return 5 if lead == 5 else 4


def _format_km(length_m: float) -> str:
    return f"{length_m / 1000:g} km"


def _draw_scale_bar(ax: Axes, fig_width_in: float) -> float:
    """Draw a scale bar in the lower left of ``ax`` (data units in metres); return its length.

    Call after the aspect is applied. Sizes other than the length are in points.
    """
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    width = abs(x1 - x0)
    frame = ax.get_position()
    frame_pt = frame.width * fig_width_in * 72
    metres_per_pt = width / frame_pt
    # narrow frames get a relatively longer bar so that it stays readable
    fraction = 0.25 if abs(x1 - x0) >= 0.75 * abs(y1 - y0) else 0.5
    length = nice_scale_length(width, max_fraction=fraction)
    n = scale_bar_segments(length)
    seg = length / n
    height = _SCALE_BAR_HEIGHT_PT * metres_per_pt
    box = AuxTransformBox(ax.transData)
    for i in range(n):
        box.add_artist(
            Rectangle(
                (i * seg, 0),
                seg,
                height,
                facecolor="black" if i % 2 == 0 else "white",
                edgecolor="black",
                linewidth=0.6,
            )
        )
    label_y = -2.0 * metres_per_pt
    labels = [(0.0, "0"), (length, _format_km(length))]
    if n % 2 == 0 and length / metres_per_pt >= _SCALE_BAR_MID_LABEL_PT:
        labels.insert(1, (length / 2, f"{length / 2000:g}"))
    for x, text in labels:
        box.add_artist(Text(x, label_y, text, ha="center", va="top", fontsize=8))
    anchored = AnchoredOffsetbox(loc="lower left", child=box, pad=0.5, borderpad=0.8, frameon=True)
    anchored.patch.set_facecolor("white")
    anchored.patch.set_alpha(0.9)
    anchored.patch.set_edgecolor("#999999")
    anchored.zorder = 5
    ax.add_artist(anchored)
    return length


def _draw_north_arrow(ax: Axes) -> None:
    """Draw a two-tone north arrow (grid north) in the upper right of ``ax``."""
    w, h = 18.0, 30.0
    arrow = DrawingArea(w, h)
    arrow.add_artist(
        Polygon(
            [(w / 2, h), (0, 0), (w / 2, h * 0.3)],
            closed=True,
            facecolor="black",
            edgecolor="black",
            linewidth=0.8,
        )
    )
    arrow.add_artist(
        Polygon(
            [(w / 2, h), (w, 0), (w / 2, h * 0.3)],
            closed=True,
            facecolor="white",
            edgecolor="black",
            linewidth=0.8,
        )
    )
    label = TextArea(
        "N", textprops={"fontsize": 12, "ha": "center", "path_effects": _bold(0.6, "black")}
    )
    packed = VPacker(children=[label, arrow], align="center", pad=0, sep=2)
    anchored = AnchoredOffsetbox(
        loc="upper right", child=packed, pad=0.4, borderpad=0.8, frameon=True
    )
    anchored.patch.set_facecolor("white")
    anchored.patch.set_alpha(0.9)
    anchored.patch.set_edgecolor("#999999")
    anchored.zorder = 5
    ax.add_artist(anchored)


def _bold(width: float, color: str) -> list[patheffects.AbstractPathEffect]:
    """Path effects that thicken text; the shipped CJK font has no bold face."""
    return [patheffects.withStroke(linewidth=width, foreground=color)]


def _bold_text(fig: Figure, x: float, y: float, text: str, *, width: float, color: str,
               **kwargs: Any) -> None:
    """Thickened text as :func:`_bold` draws it, but with the letters kept as text.

    Text with path effects is drawn as outlines, so a PDF would hold no text to search;
    here the stroke is an outline under a plain copy of the text.
    """
    common = {"ha": "center", "va": "center", "color": color, **kwargs}
    fig.text(x, y, text, path_effects=[patheffects.Stroke(linewidth=width, foreground=color)],
             **common)
    fig.text(x, y, text, **common)


def _legend_labels(entries: Sequence[LegendEntry]) -> list[str]:
    """Chinese labels with English in brackets; all on two lines if any is long."""
    labels = [e.bilingual for e in entries]
    if any(len(label) > _WRAP_LABEL_CHARS for label in labels):
        return [
            f"{e.label_zh}\n({e.label_en})"
            if e.label_en and e.label_en != e.label_zh
            else e.label_zh
            for e in entries
        ]
    return labels


def _crs_note(crs: object) -> str:
    name = getattr(crs, "name", str(crs))
    epsg = crs.to_epsg() if hasattr(crs, "to_epsg") else None
    return f"坐标系 CRS: {name}" + (f" (EPSG:{epsg})" if epsg else "")


def _prepare(zones: gpd.GeoDataFrame, zone_column: str) -> gpd.GeoDataFrame:
    if zone_column not in zones.columns:
        hint = did_you_mean(zone_column, map(str, zones.columns))
        raise LayerError(f"zones: missing column {zone_column!r}{hint}")
    if zones.crs is None:
        raise LayerError("zones: the layer has no CRS; the static map needs metres")
    geoms = zones.geometry.to_numpy()
    keep = ~shapely.is_missing(geoms) & ~shapely.is_empty(geoms)
    if not keep.all():
        logger.warning("zones: %d empty geometries left out of the static map", int((~keep).sum()))
    zones = zones.loc[keep]
    if zones.empty:
        raise LayerError("zones: no geometries to draw")
    units = {axis.unit_name for axis in zones.crs.axis_info}
    if zones.crs.is_geographic or not units <= {"metre", "meter", "m"}:
        lon, lat = zones.to_crs(4326).union_all().centroid.coords[0]
        working = choose_working_crs(lon, lat)
        logger.info(
            "static map: zones are not in metres (%s); drawn in %s", zones.crs.name, working.name
        )
        zones = zones.to_crs(working)
    return zones


def write_static_map(
    path: Path,
    zones: gpd.GeoDataFrame,
    *,
    zone_column: str,
    legend: Sequence[LegendEntry],
    title: str,
    notice: str | None = None,
    dpi: int = 200,
    figsize: tuple[float, float] = DEFAULT_FIGSIZE,
) -> Path:
    """Write the zones as a static map, PNG or PDF according to the suffix of ``path``.

    Parameters
    ----------
    path
        ``.png`` or ``.pdf`` file to write (its folder is created if needed).
    zones
        Dissolved zone polygons with ``zone_column`` in a projected CRS in metres. Data in
        degrees are reprojected to the working CRS of :func:`zoning.crs.choose_working_crs`.
    zone_column
        Column holding the zone key.
    legend
        Zone legend; only the zones that occur are listed, in legend order. Values missing
        from it are drawn grey and listed with their key.
    title
        Map title (Chinese is fine).
    notice
        Optional notice printed in red at the bottom, e.g. that the data are synthetic.
    dpi
        Resolution; a PNG is ``figsize`` times ``dpi`` pixels.
    figsize
        Figure width and height in inches.

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    ValueError
        If the suffix is neither ``.png`` nor ``.pdf``.
    zoning.errors.LayerError
        If ``zones`` lacks ``zone_column``, a CRS or any geometry.

    Examples
    --------
    >>> import geopandas as gpd, tempfile
    >>> from shapely.geometry import box
    >>> zones = gpd.GeoDataFrame(
    ...     {"zone": ["ecological_protection"]}, geometry=[box(536000, 3807000, 540000, 3810000)],
    ...     crs=4548)
    >>> legend = [LegendEntry("ecological_protection", "生态保护区", "Ecological protection",
    ...                       "#1b5e20")]
    >>> out = Path(tempfile.mkdtemp()) / "zones.png"
    >>> write_static_map(out, zones, zone_column="zone", legend=legend, title="生态修复分区图",
    ...                  dpi=50) == out
    True

    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise ValueError(f"static map must be .png or .pdf, got {path.name!r}")
    zones = _prepare(zones, zone_column)
    keys = [category_key(v) for v in zones[zone_column].tolist()]
    entries, has_empty = resolve_legend(keys, legend, what="zones")
    colors = {e.key: e.color for e in entries}
    fills = [colors[k] if k is not None else NO_DATA_ENTRY.color for k in keys]
    if has_empty:
        entries = [*entries, NO_DATA_ENTRY]

    with mpl.rc_context(font_rc()):
        fig = Figure(figsize=figsize, dpi=dpi)
        FigureCanvasAgg(fig)
        fig.patch.set_facecolor("white")
        ax = fig.add_axes(_MAP_RECT)
        zones.plot(ax=ax, color=fills, edgecolor=_EDGE_COLOR, linewidth=_EDGE_WIDTH)

        xmin, ymin, xmax, ymax = (float(v) for v in zones.total_bounds)
        pad = 0.04 * max(xmax - xmin, ymax - ymin, 1.0)
        ax.set_xlim(xmin - pad, xmax + pad)
        ax.set_ylim(ymin - pad, ymax + pad)
        ax.set_aspect("equal", adjustable="box", anchor="C")
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_xlabel("")
        ax.set_ylabel("")
        ax.apply_aspect()
        frame = ax.get_position()
        for spine in ax.spines.values():
            spine.set_linewidth(0.8)

        length = _draw_scale_bar(ax, fig.get_figwidth())
        _draw_north_arrow(ax)

        handles = [
            Patch(facecolor=e.color, edgecolor=_EDGE_COLOR, linewidth=0.5, label=label)
            for e, label in zip(entries, _legend_labels(entries), strict=True)
        ]
        fig.legend(
            handles=handles,
            loc="upper left",
            bbox_to_anchor=(frame.x1 + _LEGEND_GAP, min(frame.y1, _LEGEND_TOP)),
            title="图例 Legend",
            title_fontproperties={"size": 12},
            fontsize=10,
            frameon=False,
            alignment="left",
            handlelength=1.8,
            handleheight=1.2,
            labelspacing=0.7,
        )
        _bold_text(fig, 0.5, 0.955, title, width=0.7, color="black", fontsize=17)
        fig.text(
            frame.x0,
            frame.y0 - 0.012,
            _crs_note(zones.crs),
            ha="left",
            va="top",
            fontsize=7,
            color="#555555",
        )
        if notice:
            _bold_text(fig, 0.5, 0.025, notice, width=0.6, color=_NOTICE_COLOR, fontsize=13)

        path.parent.mkdir(parents=True, exist_ok=True)
        if suffix == ".pdf":
            drawn = "".join(t.get_text() for t in fig.findobj(Text))
            with pdf_font_rc(drawn + _ASCII) as rc, mpl.rc_context(rc):
                fig.savefig(path, dpi=dpi, format="pdf", facecolor="white")
        else:
            fig.savefig(path, dpi=dpi, format=suffix[1:], facecolor="white")
    logger.info(
        "static map written: %s (%d zone features, scale bar %s, %d dpi)",
        path,
        len(zones),
        _format_km(length),
        dpi,
    )
    return path
