"""Social-ecological system assessment: vulnerability and resilience over time.

The indicator system (targets → criteria → factors → indicators with units and directions)
and its weights (AHP, entropy, their combination through :mod:`zoning.weights`) come from a
``kind: assessment`` rule file (``rules/assessment.yaml``); the data from a table of rows
(years or units) × indicators. Every target and criterion gets set pair analysis (集对分析)
against the best and worst value of each indicator over the series (:func:`set_pair`), a
degree in the criterion's own sense, and the vulnerability − resilience difference.

- :func:`set_pair`: identity a, discrepancy b, contrary c and closeness r per row;
- :func:`degrees`: the unweighted a_k and c_k of every cell;
- :func:`assess`: the whole assessment of a table, an :class:`Assessment`;
- :func:`write`: its CSV tables, chart, HTML page and manifest, written atomically;
  :func:`chart_png`, :func:`difference_table` and :func:`orientation_lines` for reports;
- :func:`read_table`, :func:`load_assessment_rules`: the checked inputs.

Examples
--------
>>> import zoning
>>> result = zoning.assess.assess()          # the shipped ILLUSTRATIVE table
>>> sorted(result.difference.columns)
['ecological', 'social']
>>> bool(((result.indices["r"] >= 0) & (result.indices["r"] <= 1)).all())
True
"""

from zoning.assess._assessment import (
    DEFAULT_RULE_SET,
    DEGREE_MEANINGS,
    MEANINGS,
    RULE_SETS,
    Assessment,
    assess,
    default_rules_path,
    illustrative_table,
    load_assessment_rules,
    rules_path,
)
from zoning.assess._chart import chart_png, orientation_lines
from zoning.assess._setpair import degrees, set_pair
from zoning.assess._table import Table, read_table
from zoning.assess._write import ILLUSTRATIVE_NOTICE, difference_table, write

__all__ = [
    "DEFAULT_RULE_SET",
    "DEGREE_MEANINGS",
    "ILLUSTRATIVE_NOTICE",
    "MEANINGS",
    "RULE_SETS",
    "Assessment",
    "Table",
    "assess",
    "chart_png",
    "default_rules_path",
    "degrees",
    "difference_table",
    "illustrative_table",
    "load_assessment_rules",
    "orientation_lines",
    "read_table",
    "rules_path",
    "set_pair",
    "write",
]
