"""The assessment chart: vulnerability, resilience and their difference over time per target.

Drawn on matplotlib's Agg canvas without pyplot, with the project's CJK font inside an
``rc_context`` (:mod:`zoning.outputs.fonts`), so Chinese and English labels both render.
"""

from __future__ import annotations

import io

import matplotlib as mpl
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from zoning.assess._assessment import DEGREE_MEANINGS, MEANINGS, Assessment
from zoning.outputs.fonts import font_rc

DPI = 150
PANEL_IN = (6.4, 4.2)
"""Width and height of one target's panel, inches."""
DEGREE_ZH = {"vulnerability": "脆弱度", "resilience": "恢复度"}
COLORS = {"vulnerability": "#c62828", "resilience": "#2e7d32", "difference": "#78909c"}


def degree_formula(criterion: str, meaning: str) -> str:
    """``"V = 1 − r"`` or ``"R = r"``: how the degree follows from the closeness r."""
    symbol = "V" if criterion == "vulnerability" else "R"
    return f"{symbol} = r" if meaning.startswith("more_") else f"{symbol} = 1 − r"


def orientation_lines(assessment: Assessment) -> list[str]:
    """One line per criterion: what a larger r means and how the degree follows from it."""
    lines = []
    for criterion, meaning in assessment.orientation.items():
        label = getattr(assessment.rules.criteria, criterion).label
        zh, en = MEANINGS[meaning]
        dzh, den = DEGREE_MEANINGS[criterion]
        lines.append(f"{label.zh} {label.en}: {zh} / {en}; {degree_formula(criterion, meaning)}"
                     f" ({dzh} / {den})")
    return lines


def chart_png(assessment: Assessment, notice: str | None = None) -> bytes:
    """The chart as PNG bytes: one panel per target, rows of the table on the x axis."""
    rules = assessment.rules
    targets = list(rules.targets)
    indices = assessment.indices
    label = assessment.table.label
    with mpl.rc_context(font_rc()):
        fig = Figure(figsize=(PANEL_IN[0] * len(targets), PANEL_IN[1] + 1.0), dpi=DPI)
        FigureCanvasAgg(fig)
        axes = fig.subplots(1, len(targets), squeeze=False)[0]
        for ax, target in zip(axes, targets, strict=True):
            rows = indices[indices["target"] == target]
            for criterion in ("vulnerability", "resilience"):
                part = rows[rows["criterion"] == criterion]
                crit = getattr(rules.criteria, criterion)
                formula = degree_formula(criterion, crit.larger_r_means)
                ax.plot(part[label], part["degree"], marker="o", markersize=3,
                        color=COLORS[criterion],
                        label=f"{DEGREE_ZH[criterion]} {crit.label.en} ({formula})")
            diff = assessment.difference[target]
            ax.bar(diff.index, diff.to_numpy(), color=COLORS["difference"], alpha=0.55,
                   label="差值 Difference (V − R)")
            ax.axhline(0, color="#424242", linewidth=0.6)
            t = rules.targets[target].label
            ax.set_title(f"{t.zh} {t.en}")
            ax.set_xlabel(f"{rules.row_label.zh} {rules.row_label.en}")
            ax.set_ylabel("指数 Index")
            ax.grid(alpha=0.3)
            ax.spines[["top", "right"]].set_visible(False)
            ax.legend(fontsize=8, loc="best")
        footer = orientation_lines(assessment)
        if notice:
            footer.insert(0, notice)
        fig.text(0.01, 0.01, "\n".join(footer), fontsize=7, va="bottom", ha="left")
        fig.tight_layout(rect=(0, 0.04 + 0.025 * len(footer), 1, 1))
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", facecolor="white")
    return buffer.getvalue()
