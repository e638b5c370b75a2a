"""Category codes of the report's tables shown by their Chinese and English labels.

The labels come from the rule files (every category has ``label: {zh, en}``); the few codes
no rule file defines (a mine's stage and type, the kind of a topology overlap) are named
here. Codes without a label are shown as they are, so nothing is hidden.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import pandas as pd

from zoning import columns as col
from zoning.dictionary import PARCEL_LIST
from zoning.outputs._legend import bilingual
from zoning.rules.models import Category, Label
from zoning.topology import KINDS as OVERLAP_KINDS

MULTIPLE = "; "
"""Separator of several codes in one cell (a mine's strategies, most area first)."""

MINE_TERMS: dict[str, str] = dict(zip(
    (*col.MINE_STAGES, *col.MINE_TYPES),
    ("新建 (New)", "生产 (Producing)", "闭坑 (Closed)", "井工 (Underground)",
     "露天 (Open pit)"), strict=True))
"""Labels of the mine stages and types of the mines layer."""
OVERLAP_TERMS: dict[str, str] = dict(zip(
    OVERLAP_KINDS, ("重复图斑 (Duplicate)", "包含 (One inside the other)",
                    "部分重叠 (Partial)"), strict=True))
"""Labels of the kinds of overlap the topology check finds."""
COLUMN_TERMS: dict[str, str] = {e.name: bilingual(e.zh, e.en) for e in PARCEL_LIST}
"""Labels of the parcel columns (from the data dictionary), for tables naming a column."""


def labels(categories: Mapping[str, Category] | Mapping[str, Label]) -> dict[str, str]:
    """Code → ``'中文 (English)'`` of the categories (or bare labels) of a rule file.

    Examples
    --------
    >>> labels({"light": Label(zh="轻度损毁", en="Light")})
    {'light': '轻度损毁 (Light)'}
    """
    out = {}
    for key, value in categories.items():
        label = value.label if isinstance(value, Category) else value
        out[key] = bilingual(label.zh, label.en)
    return out


def name(code: object, names: Mapping[str, str]) -> str:
    """The label of ``code``, of each code of a ``'a; b'`` list, or the text itself.

    Examples
    --------
    >>> name("long_term; none", {"long_term": "长期监测 (Long-term)", "none": "无 (None)"})
    '长期监测 (Long-term); 无 (None)'
    >>> name("unknown", {})
    'unknown'
    """
    text = str(code)
    return MULTIPLE.join(names.get(part, part) for part in text.split(MULTIPLE))


def named(values: pd.Series, names: Mapping[str, str]) -> pd.Series:
    """``values`` with every code replaced by its label (empty values stay empty)."""
    return values.map(lambda v: v if pd.api.types.is_scalar(v) and pd.isna(v)
                      else name(v, names))


def names_of(codes: Iterable[str], names: Mapping[str, str]) -> str:
    """The labels of ``codes`` joined by ``'; '`` (``'—'`` when there are none)."""
    return MULTIPLE.join(names.get(c, c) for c in codes) or "—"
