"""Indicator weights: AHP, the entropy weight method, direct weights and their combination.

The public façade of the weights subpackage (pure numerics, no stage):

- :func:`ahp`: weights and consistency ratio of a pairwise comparison matrix, by the
  principal eigenvector, row geometric means or column averages, with the random-index table
  chosen by name (:data:`RANDOM_INDEX`, :func:`random_index`);
- :func:`entropy`: objective weights of the columns of a data matrix, with ``sum`` or
  direction-aware ``minmax`` normalisation;
- :func:`direct`: check and normalise weights given directly;
- :func:`combine`: combine two weight vectors by a named rule (linear, multiplicative,
  minimum relative information entropy).

Every function accepts arrays and pandas objects; labelled input gives labelled weights.
Invalid input raises :class:`zoning.errors.WeightsError` naming what is wrong.

Examples
--------
>>> from zoning.weights import ahp, combine, entropy
>>> subjective = ahp([[1, 2, 4], [1/2, 1, 2], [1/4, 1/2, 1]]).weights
>>> subjective.round(4)
array([0.5714, 0.2857, 0.1429])
>>> objective = entropy([[30, 30, 38], [19, 54, 86], [19, 15, 85], [68, 70, 60]]).weights
>>> combine(subjective, objective, rule="min_information_entropy").round(4)
array([0.5183, 0.3403, 0.1414])
"""

from zoning.weights._ahp import CR_THRESHOLD, METHODS, RECIPROCITY_RTOL, AhpResult, WorstPair, ahp
from zoning.weights._combine import RULES, SUM_ATOL, combine, direct
from zoning.weights._entropy import DIRECTIONS, NORMALISATIONS, EntropyResult, entropy
from zoning.weights._random_index import RANDOM_INDEX, random_index

__all__ = [
    "CR_THRESHOLD",
    "DIRECTIONS",
    "METHODS",
    "NORMALISATIONS",
    "RANDOM_INDEX",
    "RECIPROCITY_RTOL",
    "RULES",
    "SUM_ATOL",
    "AhpResult",
    "EntropyResult",
    "WorstPair",
    "ahp",
    "combine",
    "direct",
    "entropy",
    "random_index",
]
