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
from zoning.rules.loader import load_yaml
from zoning.rules.models import CRITERIA, AssessmentRules, Group

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


RULE_SETS = {"engine": ("assessment.yaml", "assessment_illustrative.csv"),
             "jiawang": ("assessment_jiawang.yaml", "assessment_jiawang_illustrative.csv")}
"""Shipped rule sets by name: (rule file in ``rules/``, ILLUSTRATIVE table in ``layers/demo/``).

``engine`` (the default): the engine's adaptation of the Jiawang indicator system, weighted by
the engine's own AHP judgements combined with entropy of the data, so the weights follow the
data of the place assessed. ``jiawang``: Table 1 of Ma et al. (2026, Resources Science 48(1))
verbatim, its 18 indicators with their published weights and directions."""
DEFAULT_RULE_SET = "engine"


def default_rules_path() -> Path:
    """The shipped ``rules/assessment.yaml``."""
    return rules_path(DEFAULT_RULE_SET)


def rules_path(rules: Path | str | None = None) -> Path:
    """The rule file ``rules`` names: a shipped set's name (:data:`RULE_SETS`) or a path.

    Examples
    --------
    >>> rules_path("jiawang").name, rules_path(None).name
    ('assessment_jiawang.yaml', 'assessment.yaml')
    """
    if rules is None:
        rules = DEFAULT_RULE_SET
    if isinstance(rules, str) and rules in RULE_SETS:
        return rules_dir() / RULE_SETS[rules][0]
    return Path(rules)


def illustrative_table(rule_set: str = DEFAULT_RULE_SET) -> Path:
    """The shipped ILLUSTRATIVE table of a rule set (invented values for 2000-2024)."""
    return data_dir("layers") / "demo" / RULE_SETS[rule_set][1]


def load_assessment_rules(path: Path | str | None = None) -> tuple[AssessmentRules, Path]:
    """Read and validate an assessment rule file: a path, or a shipped set's name (``engine``).

    Raises
    ------
    AssessmentError
        Listing every problem with ``file:line:column``.

    """
    path = rules_path(path)
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

    def weighting(self) -> tuple[str, str]:
        """How the groups were weighted, in Chinese and English (for reports).

        Examples
        --------
        >>> assess(rules="jiawang").weighting()[1]
        'weights entered directly'
        """
        kinds = dict.fromkeys(_weighting_kind(g) for t in self.rules.targets.values()
                              for g in t.groups().values())
        words = [WEIGHTING_WORDS[k] for k in kinds]
        return "、".join(w[0] for w in words), ", ".join(w[1] for w in words)

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


WEIGHTING_WORDS = {"direct": ("权重为直接输入值", "weights entered directly"),
                   "ahp": ("权重为 AHP", "AHP weights"),
                   "entropy": ("权重为熵权", "entropy weights"),
                   "combined": ("权重为熵权与 AHP 组合", "weights combining entropy and AHP")}
"""How a group is weighted, in Chinese and English, by :func:`_weighting_kind`."""


def _weighting_kind(group: Group) -> str:
    spec = group.weights
    if spec is None:
        return "direct"
    if spec.combine is not None:
        return "combined"
    return "ahp" if spec.ahp is not None else "entropy"


@dataclass(frozen=True)
class GroupWeights:
    """Weights of one group's indicators (Series by indicator id; NaN where not derived).

    ``given`` holds the weights entered directly (``weight:``), ``combined`` the ones used.
    """

    entropy: pd.Series
    ahp: pd.Series
    combined: pd.Series
    cr: float
    given: pd.Series


def group_weights(group: Group, data: pd.DataFrame) -> GroupWeights:
    """Entropy, AHP and combined weights of one group, through :mod:`zoning.weights`.

    The combined weights are the ones used: the named combination when both are given
    (AHP first, so a linear ``alpha`` is the AHP share), else the one method given; weights
    entered directly are used as given, divided by their sum (published weights are rounded).
    """
    ids = [i.id for i in group.indicators]
    spec = group.weights
    entropy = ahp = pd.Series(np.nan, index=ids)
    cr = np.nan
    if spec is None:
        given = pd.Series(group.direct_weights(), index=ids)
        return GroupWeights(entropy=entropy, ahp=ahp, combined=given / given.sum(), cr=cr,
                            given=given)
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
    return GroupWeights(entropy=entropy, ahp=ahp, combined=combined, cr=float(cr),
                        given=pd.Series(np.nan, index=ids))


def _degree(r: pd.Series, meaning: str) -> pd.Series:
    return r if meaning.startswith("more_") else 1.0 - r


def assess(table: Path | str | None = None, rules: Path | str | None = None) -> Assessment:
    """Assess vulnerability and resilience of each target over the rows of a table.

    Parameters
    ----------
    table
        CSV or Excel table of rows (years or units) × indicators (see :mod:`zoning.assess`);
        the shipped ILLUSTRATIVE table of the rule set named by ``rules`` (of ``engine`` for
        a rule file) when None.
    rules
        ``kind: assessment`` rule file, or the name of a shipped set (:data:`RULE_SETS`:
        ``engine``, the default, or ``jiawang``).

    Returns
    -------
    Assessment

    Raises
    ------
    zoning.errors.AssessmentError
        Listing every problem of the rule file or the table.

    """
    spec, found_path = load_assessment_rules(rules)
    named = rules if isinstance(rules, str) and rules in RULE_SETS else DEFAULT_RULE_SET
    checked = read_table(Path(table) if table is not None else illustrative_table(named), spec)
    data, label = checked.values, checked.label
    orientation = {c: getattr(spec.criteria, c).larger_r_means for c in CRITERIA}
    weight_rows, index_parts, difference = [], [], {}
    for target_id, target in spec.targets.items():
        degree = {}
        for criterion, group in target.groups().items():
            found = group_weights(group, data)
            total = float(found.given.sum())
            if found.given.notna().all() and abs(total - 1) > 1e-9:
                logger.warning("assessment %s.%s: the %d weights entered sum to %.6g, not 1; "
                               "set pair analysis uses them divided by the sum (r unchanged)",
                               target_id, criterion, len(found.given), total)
            for ind in group.indicators:
                weight_rows.append({
                    "indicator": ind.id, "name_zh": ind.label.zh, "name_en": ind.label.en,
                    "target": target_id, "criterion": criterion, "factor": ind.factor,
                    "direction": ind.sign, "unit": ind.unit,
                    "given_weight": found.given[ind.id],
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
    logger.info("assessed %d %s rows of %s with %s", len(data), label, checked.path, found_path)
    return Assessment(indices=indices, weights=pd.DataFrame(weight_rows), difference=diff,
                      orientation=orientation, rules=spec, table=checked, rules_path=found_path)
