"""Restoration suitability of each use: index sum of factor scores with a limiting-condition veto.

Reclamation-suitability practice in two levels: for each direction (cultivated land,
garden, forest, grassland, fishery, wetland, construction) the factors of
``rules/suitability.yaml`` are scored in [0, 1] by named transforms, weighted (directly,
by AHP, by entropy or by a named combination, see :mod:`zoning.weights`) and summed
(指数和法); the class S1/S2/S3/N follows from cut points and is capped by the worst veto
that holds (极限条件法). The limiting factors are named by obstacle degree. See
:mod:`zoning.suitability.scoring` for the formulas.

Examples
--------
>>> from zoning.engine import prepare, run_stages
>>> result = run_stages(prepare(), progress=False)
>>> sorted(result.parcels["best_use_class"].unique())[0]
'S1'
"""

from zoning.suitability.sensitivity import sensitivity
from zoning.suitability.stage import SENSITIVITY_TABLE, STAGE, WEIGHTS_TABLE, declares, run

__all__ = ["SENSITIVITY_TABLE", "STAGE", "WEIGHTS_TABLE", "declares", "run", "sensitivity"]
