"""Legend entries shared by the map writers, and matching of column values to them."""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

logger = logging.getLogger(__name__)

_COLOR_RE = re.compile(r"^#[0-9A-Fa-f]{6}$")

NO_DATA_COLOR = "#e0e0e0"
"""Fill of features whose category is empty."""
UNLISTED_COLOR = "#9e9e9e"
"""Fill of features whose category is missing from the legend."""


@dataclass(frozen=True)
class LegendEntry:
    """One category of a categorical map layer.

    Attributes
    ----------
    key
        Category value as it appears in the column, e.g. ``'ecological_protection'``.
    label_zh
        Chinese label, e.g. ``'生态保护区'``.
    label_en
        English label, e.g. ``'Ecological protection'``.
    color
        Fill colour as ``'#RRGGBB'``.

    Examples
    --------
    >>> e = LegendEntry("ecological_protection", "生态保护区", "Ecological protection", "#1b5e20")
    >>> e.bilingual
    '生态保护区 (Ecological protection)'

    """

    key: str
    label_zh: str
    label_en: str
    color: str

    def __post_init__(self) -> None:
        if not isinstance(self.color, str) or not _COLOR_RE.match(self.color):
            raise ValueError(
                f"legend entry {self.key!r}: colour must look like '#RRGGBB', got {self.color!r}"
            )

    @property
    def bilingual(self) -> str:
        """Chinese label with the English label in brackets (see :func:`bilingual`)."""
        return bilingual(self.label_zh, self.label_en)


def bilingual(zh: str, en: str) -> str:
    """Chinese label with the English label in brackets; the Chinese alone when they agree.

    Examples
    --------
    >>> bilingual("轻度损毁", "Light"), bilingual("Ⅰ", "")
    ('轻度损毁 (Light)', 'Ⅰ')
    """
    if not en or en == zh:
        return zh
    return f"{zh} ({en})"


def category_key(value: object) -> str | None:
    """Return ``value`` as a legend key, or None when it is empty (None, NaN, NA, '')."""
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    try:
        # pandas.NA and NaT refuse bool(); treat anything that does as empty
        if value != value:  # NaN-like values (also numpy and pandas ones)
            return None
    except TypeError:
        return None
    text = str(value)
    return text if text else None


def resolve_legend(
    keys: Iterable[str | None], legend: Sequence[LegendEntry], *, what: str
) -> tuple[list[LegendEntry], bool]:
    """Return the legend entries needed to draw ``keys``, in legend order.

    Entries whose key does not occur are left out. Keys missing from ``legend`` get a
    grey entry labelled with the key (and a warning is logged), so nothing on the map
    is unexplained. The second value tells whether some keys were empty (no data).
    """
    present: set[str] = set()
    has_empty = False
    for key in keys:
        if key is None:
            has_empty = True
        else:
            present.add(key)
    seen: set[str] = set()
    entries: list[LegendEntry] = []
    for entry in legend:
        if entry.key in seen:
            logger.warning("%s: legend key %r is listed twice; the first wins", what, entry.key)
            continue
        seen.add(entry.key)
        if entry.key in present:
            entries.append(entry)
    unlisted = sorted(present - seen)
    if unlisted:
        logger.warning(
            "%s: %d value(s) not in the legend, drawn grey: %s",
            what,
            len(unlisted),
            ", ".join(repr(k) for k in unlisted[:10]),
        )
        entries += [
            LegendEntry(k, f"{k}（未列入图例）", f"{k} (not in legend)", UNLISTED_COLOR)
            for k in unlisted
        ]
    return entries, has_empty


NO_DATA_ENTRY = LegendEntry("", "无数据", "No data", NO_DATA_COLOR)
"""Legend entry shown for empty category values."""
