"""Random consistency indices (RI) of the AHP, as published tables.

RI(n) is the mean consistency index of random reciprocal matrices of order n; the consistency
ratio of a comparison matrix is its CI divided by RI(n). Several tables are in use and they
differ in the second decimal, which is enough to move a CR across 0.1, so the table is always
chosen by name and the value used is reported.
"""

from __future__ import annotations

from types import MappingProxyType

from zoning.errors import WeightsError, did_you_mean

RANDOM_INDEX: MappingProxyType[str, tuple[float, ...]] = MappingProxyType({
    # Saaty, T. L. (1980). The Analytic Hierarchy Process. McGraw-Hill, New York.
    # The table most software and MATLAB snippets carry (n = 1 ... 11).
    "saaty1980": (0.0, 0.0, 0.58, 0.90, 1.12, 1.24, 1.32, 1.41, 1.45, 1.49, 1.51),
    # Saaty, T. L. (2005). Theory and Applications of the Analytic Network Process.
    # RWS Publications, Pittsburgh, p. 31 (n = 1 ... 15); Saaty (2008) uses it too.
    "saaty2005": (0.0, 0.0, 0.52, 0.89, 1.11, 1.25, 1.35, 1.40, 1.45, 1.49, 1.52, 1.54, 1.56,
                  1.58, 1.59),
    # The table printed in Chinese AHP textbooks (e.g. ChinaXiv:202004.00061, Table 2, for
    # n = 1 ... 10), with the commonly printed continuation for n = 11 ... 15.
    "chinese": (0.0, 0.0, 0.52, 0.89, 1.12, 1.26, 1.36, 1.41, 1.46, 1.49, 1.52, 1.54, 1.56,
                1.58, 1.59),
    # Donegan, H. A. & Dodd, F. J. (1991). A note on Saaty's random indexes. Mathematical and
    # Computer Modelling 15(10), 135-137, doi:10.1016/0895-7177(91)90098-R (n = 1 ... 15).
    "donegan_dodd": (0.0, 0.0, 0.4914, 0.8286, 1.0591, 1.1797, 1.2519, 1.3171, 1.3733, 1.4055,
                     1.4213, 1.4497, 1.4643, 1.4822, 1.4969),
})
"""Random-index tables by name; entry ``k`` is RI(n = k + 1)."""


def random_index(n: int, table: str) -> float:
    """Return RI(n) from the named table.

    Parameters
    ----------
    n
        Order of the comparison matrix (number of compared elements), at least 1.
    table
        Name of a table in :data:`RANDOM_INDEX`.

    Raises
    ------
    WeightsError
        If the table name is unknown (the known names are listed) or the table stops
        before ``n``.

    Examples
    --------
    >>> random_index(7, "saaty2005")
    1.35

    """
    if table not in RANDOM_INDEX:
        raise WeightsError(
            f"unknown random-index table {table!r}{did_you_mean(table, RANDOM_INDEX)}; "
            f"expected one of {', '.join(RANDOM_INDEX)}")
    values = RANDOM_INDEX[table]
    if n < 1:
        raise WeightsError(f"random index: expected a matrix order n >= 1, found {n}")
    if n > len(values):
        longer = [name for name, v in RANDOM_INDEX.items() if len(v) >= n]
        hint = (f"use one of {', '.join(longer)}" if longer
                else "split the comparison into a hierarchy of smaller ones")
        raise WeightsError(
            f"random-index table {table!r} goes up to n = {len(values)}, but the matrix has "
            f"n = {n} elements; {hint}")
    return values[n - 1]
