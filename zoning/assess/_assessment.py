"""The assessment: weights per group, set pair analysis, degrees and differences."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from pydantic import ValidationError

from zoning import weights as w
from zoning._resources import data_dir, rules_dir
from zoning.assess._setpair import set_pair
from zoning.assess._table import Table, read_table
from zoning.errors import AssessmentError, Problem
from zoning.rules._assessment import CRITERIA, AssessmentRules, Group
from zoning.rules.loader import load_yaml

logger = logging.getLogger(__name__)

QUANTITIES = ("a", "b", "c", "r", "degree")
"""Columns of the indices per target and criterion."""

MEANINGS = {
    "more_vulnerable": ("r 越大越脆弱", "larger r = more vulnerable"),
    "less_vulnerable": ("r 越大越不脆弱", "larger r = less vulnerable"),
    "more_resilient": ("r 越大恢复力越强", "larger r = more resilient"),
    "less_resilient": ("r 越大恢复力越弱", "larger r = less resilient"),
}
"""What a larger closeness r means, in Chinese and English, by ``larger_r_means``."""
DEGREE_MEANINGS = {
    "vulnerability": ("脆弱度越大越脆弱", "larger vulnerability degree = more vulnerable"),
    "resilience": ("恢复度越大恢复力越强", "larger resilience degree = more resilient"),
}


def default_rules_path() -> Path:
    """The shipped ``rules/assessment.yaml``."""
    return rules_dir() / "assessment.yaml"


def illustrative_table() -> Path:
    """The shipped ILLUSTRATIVE table (invented values for 2000-2024, not statistics)."""
    return data_dir("layers") / "demo" / "assessment_illustrative.csv"


def load_assessment_rules(path: Path | None = None) -> tuple[AssessmentRules, Path]:
    """Read and validate an assessment rule file (the shipped one by default).

    Raises
    ------
    AssessmentError
        Listing every problem with ``file:line:column``.

    """
    path = Path(path) if path is not None else default_rules_path()
    try:
        doc = load_yaml(path)
    except Exception as exc:  # RuleError from the loader, with the line
        raise AssessmentError([Problem(str(path), str(exc))]) from exc
    data = doc.data
    if not isinstance(data, dict) or data.get("kind") != "assessment":
        found = data.get("kind") if isinstance(data, dict) else type(data).__name__
        raise AssessmentError([doc.problem(("kind",), f"expected `kind: assessment`, found "
                                                      f"{found!r}")])
    try:
        return AssessmentRules.model_validate(data), path
    except ValidationError as exc:
        raise AssessmentError(doc.validation_problems(exc)) from None


@dataclass(frozen=True)
class Assessment:
    """Result of :func:`assess`.

    Attributes
    ----------
    indices
        One row per table row, target and criterion: ``a``, ``b``, ``c``, ``r``, ``degree``
        (the criterion in its own sense: larger = more vulnerable / more resilient) and
        ``larger_r_means``.
    weights
        One row per indicator: target, criterion, factor, direction, unit, entropy, AHP and
        combined weight (the one used), and the CR of the group's AHP matrix.
    difference
        Vulnerability degree − resilience degree, rows × targets.
    orientation
        Criterion → what a larger r means (``larger_r_means`` of the rule file).
    rules
        The indicator system used.
    table
        The checked input table.
    rules_path
        The rule file.

    """

    indices: pd.DataFrame
    weights: pd.DataFrame
    difference: pd.DataFrame
    orientation: dict[str, str]
    rules: AssessmentRules
    table: Table
    rules_path: Path

    def wide(self) -> pd.DataFrame:
        """Everything per row: ``<target>_<criterion>_<a|b|c|r|degree>`` and differences."""
        label = self.table.label
        parts = {}
        for (target, criterion), group in self.indices.groupby(["target", "criterion"],
                                                                 sort=False):
            for q in QUANTITIES:
                parts[f"{target}_{criterion}_{q}"] = group.set_index(label)[q]
        for target in self.difference.columns:
            parts[f"{target}_difference"] = self.difference[target]
        return pd.DataFrame(parts).rename_axis(label)


@dataclass(frozen=True)
class GroupWeights:
    """Weights of one group's indicators (Series by indicator id; NaN where not derived)."""

    entropy: pd.Series
    ahp: pd.Series
    combined: pd.Series
    cr: float


def group_weights(group: Group, data: pd.DataFrame) -> GroupWeights:
    """Entropy, AHP and combined weights of one group, through :mod:`zoning.weights`.

    The combined weights are the ones used: the named combination when both are given
    (AHP first, so a linear ``alpha`` is the AHP share), else the one method given.
    """
    ids = [i.id for i in group.indicators]
    spec = group.weights
    entropy = ahp = pd.Series(np.nan, index=ids)
    cr = np.nan
    if spec.entropy is not None:
        if spec.entropy.normalisation == "minmax":
            found = w.entropy(data[ids], normalisation="minmax", shift=spec.entropy.shift,
                              directions=[i.sign for i in group.indicators])
        else:
            found = w.entropy(data[ids], normalisation=spec.entropy.normalisation)
        entropy = pd.Series(found.weights, index=ids)
    if spec.ahp is not None:
        result = w.ahp(pd.DataFrame(spec.ahp.matrix, index=ids, columns=ids), ri=spec.ahp.ri,
                       method=spec.ahp.method)
        ahp, cr = pd.Series(result.weights, index=ids), result.cr
    if spec.combine is not None:
        combined = pd.Series(w.combine(ahp, entropy, rule=spec.combine.rule,
                                       alpha=spec.combine.alpha), index=ids)
    else:
        combined = ahp if spec.ahp is not None else entropy
    return GroupWeights(entropy=entropy, ahp=ahp, combined=combined, cr=float(cr))


def _degree(r: pd.Series, meaning: str) -> pd.Series:
    return r if meaning.startswith("more_") else 1.0 - r


def assess(table: Path | str | None = None, rules: Path | str | None = None) -> Assessment:
    """Assess vulnerability and resilience of each target over the rows of a table.

    Parameters
    ----------
    table
        CSV or Excel table of rows (years or units) × indicators (see :mod:`zoning.assess`);
        the shipped ILLUSTRATIVE table when None.
    rules
        ``kind: assessment`` rule file; the shipped ``rules/assessment.yaml`` when None.

    Returns
    -------
    Assessment

    Raises
    ------
    zoning.errors.AssessmentError
        Listing every problem of the rule file or the table.

    """
    spec, rules_path = load_assessment_rules(Path(rules) if rules is not None else None)
    checked = read_table(Path(table) if table is not None else illustrative_table(), spec)
    data, label = checked.values, checked.label
    orientation = {c: getattr(spec.criteria, c).larger_r_means for c in CRITERIA}
    weight_rows, index_parts, difference = [], [], {}
    for target_id, target in spec.targets.items():
        degree = {}
        for criterion, group in target.groups().items():
            found = group_weights(group, data)
            for ind in group.indicators:
                weight_rows.append({
                    "indicator": ind.id, "name_zh": ind.label.zh, "name_en": ind.label.en,
                    "target": target_id, "criterion": criterion, "factor": ind.factor,
                    "direction": ind.sign, "unit": ind.unit,
                    "entropy_weight": found.entropy[ind.id], "ahp_weight": found.ahp[ind.id],
                    "combined_weight": found.combined[ind.id], "ahp_cr": found.cr})
            ids = [i.id for i in group.indicators]
            spa = set_pair(data[ids], found.combined, [i.sign for i in group.indicators],
                           source=str(checked.path))
            spa["degree"] = _degree(spa["r"], orientation[criterion])
            degree[criterion] = spa["degree"]
            spa.insert(0, "criterion", criterion)
            spa.insert(0, "target", target_id)
            spa["larger_r_means"] = orientation[criterion]
            index_parts.append(spa.reset_index())
        difference[target_id] = degree["vulnerability"] - degree["resilience"]
    indices = pd.concat(index_parts, ignore_index=True)
    diff = pd.DataFrame(difference).rename_axis(label)
    logger.info("assessed %d %s rows of %s with %s", len(data), label, checked.path, rules_path)
    return Assessment(indices=indices, weights=pd.DataFrame(weight_rows), difference=diff,
                      orientation=orientation, rules=spec, table=checked, rules_path=rules_path)
