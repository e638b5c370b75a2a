"""Small matplotlib charts for the report, returned as base64 PNG data URIs.

Charts are drawn with the CJK font of :mod:`zoning.outputs.fonts` inside an
``rc_context`` (global settings stay untouched) on the Agg canvas, so no display and no
network are needed.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence

import matplotlib
from matplotlib.figure import Figure

from zoning.outputs.fonts import font_rc

DPI = 110
"""Resolution of the embedded charts."""
BAR_HEIGHT_IN = 0.32
"""Height per bar of a horizontal bar chart (inches)."""
MIN_HEIGHT_IN = 1.6
WIDTH_IN = 7.5
DEFAULT_COLOR = "#607d8b"


def bar_chart(labels: Sequence[str], values: Sequence[float], *,
              colors: Sequence[str] | None = None, xlabel: str = "") -> str:
    """A horizontal bar chart (first label on top) as a ``data:image/png;base64`` URI.

    Examples
    --------
    >>> bar_chart(["甲", "乙"], [1.0, 2.0], xlabel="ha").startswith("data:image/png;base64,")
    True
    """
    with matplotlib.rc_context(font_rc()):
        height = max(MIN_HEIGHT_IN, BAR_HEIGHT_IN * len(labels) + 0.9)
        figure = Figure(figsize=(WIDTH_IN, height), dpi=DPI)
        axes = figure.subplots()
        positions = list(range(len(labels)))
        axes.barh(positions, values, color=list(colors) if colors else DEFAULT_COLOR,
                  edgecolor="#424242", linewidth=0.4)
        axes.set_yticks(positions, labels=labels)
        axes.invert_yaxis()
        axes.set_xlabel(xlabel)
        axes.spines[["top", "right"]].set_visible(False)
        for position, value in zip(positions, values, strict=True):
            axes.annotate(f"{value:,.1f}", (value, position), xytext=(3, 0),
                          textcoords="offset points", va="center", fontsize=8)
        figure.tight_layout()
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
