"""Read and check the assessment table: rows (years or units) × indicators.

The first row is the header: the first cell names the row label (e.g. ``year``), the others
are indicator ids. An optional second row whose first cell is ``unit`` (or ``units``, ``单位``)
gives each indicator's unit, checked against the rule file. Every problem (unknown or missing
columns, duplicate labels, unit mismatches, missing, non-numeric, zero or negative values) is
collected and raised together, each naming the file, the line, the indicator and the row.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from zoning.errors import AssessmentError, Problem, did_you_mean
from zoning.rules.models import AssessmentRules

logger = logging.getLogger(__name__)

UNIT_ROW_NAMES = ("unit", "units", "单位")
"""First cell of the optional unit row (compared case-insensitively)."""
MISSING_WORDS = ("", "na", "n/a", "nan", "null", "none", "-", "--", "…", "...")
"""Cell texts that count as a missing value (compared case-insensitively)."""
EXCEL_SUFFIXES = (".xlsx", ".xlsm", ".xls")
SHOWN = 8


@dataclass(frozen=True)
class Table:
    """The checked table: positive values by row label and indicator, and its units."""

    path: Path
    values: pd.DataFrame
    units: dict[str, str] | None
    label: str


def _raw(path: Path) -> pd.DataFrame:
    try:
        if path.suffix.lower() in EXCEL_SUFFIXES:
            return pd.read_excel(path, header=None, dtype=str, keep_default_na=False,
                                 engine="openpyxl" if path.suffix.lower() != ".xls" else None)
        return pd.read_csv(path, header=None, dtype=str, keep_default_na=False,
                           skip_blank_lines=True, encoding="utf-8-sig")
    except FileNotFoundError:
        raise AssessmentError([Problem(str(path), "file not found")]) from None
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        raise AssessmentError([Problem(str(path), f"cannot read the table ({exc})")]) from exc


def _rows(labels: list[str]) -> str:
    shown = ", ".join(labels[:SHOWN])
    return shown + (f" and {len(labels) - SHOWN} more" if len(labels) > SHOWN else "")


def _row_labels(texts: list[str]) -> list[str] | list[int]:
    try:
        numbers = [float(t) for t in texts]
    except ValueError:
        return texts
    return [int(n) for n in numbers] if all(n.is_integer() for n in numbers) else texts


def read_table(path: Path, rules: AssessmentRules) -> Table:
    """Read a CSV or Excel table and check it against the indicator system.

    Raises
    ------
    AssessmentError
        Listing every problem found, each with the file and line.

    """
    path = Path(path)
    raw = _raw(path).map(lambda v: v.strip() if isinstance(v, str) else v)
    source = str(path)
    if raw.shape[0] < 2 or raw.shape[1] < 2:
        found = f"{raw.shape[0]} row(s) × {raw.shape[1]} column(s)"
        raise AssessmentError([Problem(source, f"expected a header row and rows of values with "
                                               f"a label column and indicator columns, found "
                                               f"{found}")])
    header = [str(v) for v in raw.iloc[0]]
    label, columns = header[0] or "row", header[1:]
    units_row = raw.iloc[1, 0].lower() in UNIT_ROW_NAMES
    body = raw.iloc[2:] if units_row else raw.iloc[1:]
    first_line = 3 if units_row else 2
    problems: list[Problem] = []
    expected = {ind.id: ind for _, _, ind in rules.indicators()}
    seen: set[str] = set()
    for column in columns:
        if column in seen:
            problems.append(Problem(source, f"column {column!r} appears more than once"))
        seen.add(column)
        if column not in expected:
            problems.append(Problem(source, f"unknown column {column!r}: not an indicator of "
                                            f"the rule file{did_you_mean(column, expected)}"))
    missing = [i for i in expected if i not in seen]
    if missing:
        problems.append(Problem(source, f"missing indicator column(s) {missing}; the rule file "
                                        f"needs one column per indicator"))
    units = None
    if units_row:
        units = dict(zip(columns, (str(u) for u in raw.iloc[1, 1:]), strict=True))
        for column, unit in units.items():
            if column in expected and unit != expected[column].unit:
                problems.append(Problem(
                    f"{source}:2", f"indicator {column!r}: unit {unit!r} in the unit row, but "
                                   f"the rule file says {expected[column].unit!r}; convert the "
                                   "values or correct the unit"))
    texts = [str(v) for v in body.iloc[:, 0]]
    duplicated = sorted({t for t in texts if texts.count(t) > 1})
    if duplicated:
        problems.append(Problem(source, f"{label} {duplicated} appear(s) on more than one row"))
    if "" in texts:
        problems.append(Problem(source, f"row(s) with no {label} in the first column"))
    if len(texts) < 2:
        problems.append(Problem(source, f"expected at least 2 rows of values, found {len(texts)}"))
    index = pd.Index(_row_labels(texts), name=label)
    values = pd.DataFrame(np.nan, index=index, columns=[c for c in expected if c in seen])
    for position, column in enumerate(columns, start=1):
        if column not in expected:
            continue
        cells = body.iloc[:, position].tolist()
        absent, bad, low = [], [], []
        for line, (row, cell) in enumerate(zip(texts, cells, strict=True), start=first_line):
            text = str(cell)
            if text.lower() in MISSING_WORDS:
                absent.append(row)
                continue
            try:
                number = float(text.replace(",", ""))
            except ValueError:
                bad.append(f"{row} (line {line}: {text!r})")
                continue
            if not np.isfinite(number):
                bad.append(f"{row} (line {line}: {text!r})")
            elif number <= 0:
                low.append(f"{row} (line {line}: {number:g})")
            values.iloc[line - first_line, values.columns.get_loc(column)] = number
        if absent:
            problems.append(Problem(source, f"indicator {column!r}: missing value in {label} "
                                            f"{_rows(absent)}; fill it from the statistics (no "
                                            "value is filled in by the engine)"))
        if bad:
            problems.append(Problem(source, f"indicator {column!r}: not a number in {label} "
                                            f"{_rows(bad)}"))
        if low:
            problems.append(Problem(source, f"indicator {column!r}: zero or negative value in "
                                            f"{label} {_rows(low)}; set pair analysis divides by "
                                            "the values, so every value must be > 0"))
    if problems:
        raise AssessmentError(problems)
    logger.info("%s: %d %s rows × %d indicators%s", path, len(values), label,
                values.shape[1], ", units checked" if units else ", no unit row")
    return Table(path=path, values=values[list(expected)], units=units, label=label)
