"""Write an assessment: CSV tables, the chart, an HTML page and a manifest, atomically.

Everything goes into a temporary folder beside the destination, which then replaces the
destination whole: a failed write leaves no half output and the previous one untouched.
"""

from __future__ import annotations

import base64
import html
import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from zoning.assess._assessment import Assessment
from zoning.assess._chart import chart_png, orientation_lines
from zoning.outputs import staged
from zoning.outputs.manifest import file_entry, package_versions, write_manifest

logger = logging.getLogger(__name__)

ILLUSTRATIVE_NOTICE = ("ILLUSTRATIVE DATA 示意数据: invented values, not Jiawang statistics "
                       "(虚构数值，非贾汪统计数据)")
"""Shown on every output of an assessment of invented values (the shipped table)."""
FILES = ("assessment.csv", "indices.csv", "difference.csv", "weights.csv", "assessment.png",
         "assessment.html", "manifest.json")
"""What :func:`write` puts in the folder."""
CSS = ("body{font-family:sans-serif;margin:2em;max-width:80em}table{border-collapse:collapse;"
       "font-size:0.85em;margin-bottom:1.5em}td,th{border:1px solid #bbb;padding:2px 6px;"
       "text-align:right}th{background:#eee}.notice{background:#fff3cd;border:1px solid #e0a800;"
       "padding:0.6em;font-weight:bold}img{max-width:100%}")
FORMULAS = (
    "benefit (+): a_k = d / (M + m), c_k = M·m / (d·(M + m)); cost (−): a_k and c_k swapped; "
    "M, m = largest and smallest value of the indicator over the rows",
    "a = Σ w_k a_k, c = Σ w_k c_k, b = 1 − a − c, r = a / (a + c)",
    "difference D = V − R (vulnerability degree − resilience degree) per target",
)


def _csv(frame: pd.DataFrame, path: Path, index: bool) -> None:
    frame.to_csv(path, index=index, encoding="utf-8-sig", float_format="%.6g")


def difference_table(assessment: Assessment) -> pd.DataFrame:
    """Long table: row, target, V, R, V − R and what a larger r means for each criterion."""
    label = assessment.table.label
    idx = assessment.indices.pivot_table(index=[label, "target"], columns="criterion",
                                         values="degree", sort=False)
    out = pd.DataFrame({
        "vulnerability_degree": idx["vulnerability"], "resilience_degree": idx["resilience"],
        "difference": idx["vulnerability"] - idx["resilience"]}).reset_index()
    for criterion, meaning in assessment.orientation.items():
        out[f"{criterion}_larger_r_means"] = meaning
    return out


def _table_html(frame: pd.DataFrame, index: bool = True) -> str:
    return frame.to_html(index=index, float_format=lambda v: f"{v:.4f}", na_rep="",
                         border=0, escape=True)


def page(assessment: Assessment, png: bytes, notice: str | None = None) -> str:
    """The HTML page: orientation, formulas, chart inline, differences, indices and weights."""
    e = html.escape
    src = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
    title = "社会-生态系统脆弱性与恢复力评价 Social-ecological vulnerability and resilience"
    parts = [f'<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8">'
             f"<title>{e(title)}</title><style>{CSS}</style></head><body><h1>{e(title)}</h1>"]
    if notice:
        parts.append(f'<p class="notice">{e(notice)}</p>')
    parts.append(f"<p>Table: {e(str(assessment.table.path))}<br>Rules: "
                 f"{e(str(assessment.rules_path))}</p>")
    parts.append("<h2>方向 Orientation</h2><ul>"
                 + "".join(f"<li>{e(line)}</li>" for line in orientation_lines(assessment))
                 + "</ul><h2>方法 Method (set pair analysis 集对分析)</h2><ul>"
                 + "".join(f"<li>{e(f)}</li>" for f in FORMULAS) + "</ul>")
    parts.append(f'<h2>图 Chart</h2><img alt="assessment chart" src="{src}">')
    parts.append("<h2>差值 Difference V − R</h2>" + _table_html(assessment.difference))
    parts.append("<h2>指数 Indices</h2>" + _table_html(assessment.wide()))
    parts.append("<h2>权重 Weights</h2>" + _table_html(assessment.weights, index=False))
    parts.append("</body></html>\n")
    return "".join(parts)


def _manifest(assessment: Assessment, arguments: Sequence[str] | None,
              notice: str | None, started: datetime) -> dict[str, object]:
    return {
        "tool": "zoning assess",
        "started": started.isoformat(timespec="seconds"),
        "arguments": list(arguments) if arguments is not None else None,
        "inputs": {"table": file_entry(assessment.table.path),
                   "rules": file_entry(assessment.rules_path)},
        "illustrative": notice is not None,
        "rows": [str(v) for v in assessment.difference.index],
        "orientation": dict(assessment.orientation),
        "orientation_text": orientation_lines(assessment),
        "units_checked": assessment.table.units is not None,
        "outputs": list(FILES),
        "versions": package_versions(),
    }


def write(assessment: Assessment, folder: Path | str, notice: str | None = None,
          arguments: Sequence[str] | None = None) -> Path:
    """Write the outputs of an assessment into ``folder``, replacing it whole.

    Parameters
    ----------
    assessment
        The result of :func:`zoning.assess.assess`.
    folder
        Output folder; created, or replaced when it exists.
    notice
        A notice shown on the chart and the page (e.g. that the data are illustrative).
    arguments
        Command-line arguments recorded in the manifest.

    Returns
    -------
    pathlib.Path
        The folder, holding :data:`FILES`.

    """
    started = datetime.now(UTC)
    destination = Path(folder)
    with staged(destination, [assessment.table.path, assessment.rules_path]) as staging:
        wide = assessment.wide()
        for criterion, meaning in assessment.orientation.items():
            wide[f"{criterion}_larger_r_means"] = meaning
        _csv(wide, staging / "assessment.csv", index=True)
        _csv(assessment.indices, staging / "indices.csv", index=False)
        _csv(difference_table(assessment), staging / "difference.csv", index=False)
        _csv(assessment.weights, staging / "weights.csv", index=False)
        png = chart_png(assessment, notice)
        (staging / "assessment.png").write_bytes(png)
        (staging / "assessment.html").write_text(page(assessment, png, notice),
                                                 encoding="utf-8")
        write_manifest(staging / "manifest.json",
                       _manifest(assessment, arguments, notice, started))
    logger.info("assessment written to %s", destination)
    return destination
