"""What a stage declares it makes and uses: columns, grids, layers and tables.

A stage states each column it adds once, here in the stage's own module: its kind of value,
unit, Chinese and English label, meaning and, for a categorical column, where in the rule
files its values, their labels and colours are defined (``"modes.restoration_modes"``: the
``restoration_modes`` of the ``modes`` rule file). The data dictionary, the expression type
check and the hand-off check before a run read these declarations.

Examples
--------
>>> c = Column("zone", "category", "规划分区", "Zone", "planning zone", categories="zones.zones")
>>> c.kind, c.storage
('text', 'text')
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from zoning import columns as col
from zoning.errors import ZoningError
from zoning.rules.expressions import StaticKind
from zoning.rules.models import Category
from zoning.rules.ruleset import RuleSet

Dtype = Literal["text", "float", "integer", "boolean", "category"]
ProductKind = Literal["grid", "layer", "table"]

_KINDS: dict[str, StaticKind] = {"text": "text", "category": "text", "float": "number",
                                 "integer": "number", "boolean": "bool"}


@dataclass(frozen=True)
class Column:
    """One column a stage adds to the parcel table.

    Attributes
    ----------
    name
        Column name (a constant of :mod:`zoning.columns`).
    dtype
        ``text``, ``float``, ``integer``, ``boolean`` or ``category`` (text whose values are
        the keys of ``categories``).
    zh, en
        Chinese and English labels (headers without the unit).
    meaning
        What the value is, in a sentence.
    categories
        For a categorical column, ``"<kind>.<key>"``: the rule file of ``kind`` defines its
        values under ``key`` with their labels and colours.
    unit
        Unit of the value; by default the one of :data:`zoning.columns.UNITS`.
    """

    name: str
    dtype: Dtype
    zh: str
    en: str
    meaning: str
    categories: str | None = None
    unit: str = ""

    def __post_init__(self) -> None:
        if not self.unit:
            object.__setattr__(self, "unit", col.UNITS.get(self.name, ""))
        if (self.dtype == "category") != (self.categories is not None):
            raise ZoningError(f"column {self.name!r}: a category column, and only one, names "
                              f"its categories (dtype {self.dtype!r}, categories "
                              f"{self.categories!r})")

    @property
    def kind(self) -> StaticKind:
        """The kind of value rule expressions see: ``number``, ``text`` or ``bool``."""
        return _KINDS[self.dtype]

    @property
    def storage(self) -> str:
        """How the value is stored in the parcel list: a category is ``text``."""
        return "text" if self.dtype == "category" else self.dtype


@dataclass(frozen=True)
class Product:
    """A grid, layer or table a stage makes, written with the outputs under ``name``."""

    name: str
    kind: ProductKind
    zh: str
    en: str


def fixed(columns: Sequence[Column]) -> Callable[[RuleSet], list[Column]]:
    """``Stage.declares`` of a stage whose columns do not depend on the rules.

    Examples
    --------
    >>> declares = fixed([Column("x_m", "float", "x", "x", "a length")])
    >>> [c.name for c in declares(None)]  # type: ignore[arg-type]
    ['x_m']
    """
    def declares(rules: RuleSet) -> list[Column]:
        return list(columns)

    return declares


def decided(column: str, rule: str, reason: str, zh: str, en: str, meaning: str,
            categories: str | None = None) -> list[Column]:
    """The three columns of one decision-table output: its value, rule id and reason.

    The value is categorical when ``categories`` is given, else text.
    """
    return [Column(column, "category" if categories else "text", zh, en, meaning, categories),
            Column(rule, "text", f"{zh}规则", f"{en} rule", f"id of the rule that set {column}"),
            Column(reason, "text", f"{zh}理由", f"{en} reason", f"why that rule set {column}")]


def categories(rules: RuleSet, column: Column) -> dict[str, Category]:
    """The categories of a categorical column, from the rule file its declaration names.

    Entries with a label and a colour that are not categories themselves (the uses of the
    suitability rules) give their label and colour.

    Raises
    ------
    ZoningError
        When the column is not categorical, or the rules have no such categories.
    """
    if column.categories is None:
        raise ZoningError(f"column {column.name!r} is {column.dtype}, not a category")
    kind, _, key = column.categories.partition(".")
    found = getattr(rules.models.get(kind), key, None)
    if not isinstance(found, dict) or not all(
            hasattr(c, "label") and hasattr(c, "color") for c in found.values()):
        raise ZoningError(f"column {column.name!r}: the rules have no categories "
                          f"{column.categories!r} (expected `{key}:` with a label and colour "
                          f"per value in the {kind} rule file)")
    return {name: c if isinstance(c, Category) else Category(label=c.label, color=c.color)
            for name, c in found.items()}
