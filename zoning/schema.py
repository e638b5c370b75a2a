"""JSON schema of the project file and of every rule-file kind, generated from the models."""

from __future__ import annotations

import json
from typing import Any

from zoning.project import Project
from zoning.rules.models import RULE_MODELS, TOOL_RULE_MODELS


def json_schema() -> dict[str, Any]:
    """One JSON schema document with a definition per file kind.

    Examples
    --------
    >>> sorted(json_schema()["kinds"])
    ['carbon', 'corridors', 'damage', 'esv', 'landuse', 'modes', 'project', 'reduction',
     'suitability', 'zones']
    """
    kinds: dict[str, Any] = {"project": Project.model_json_schema()}
    kinds.update({kind: model.model_json_schema() for kind, model in RULE_MODELS.items()})
    kinds.update({kind: model.model_json_schema() for kind, model in TOOL_RULE_MODELS.items()})
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "zoning project and rule files",
        "kinds": kinds,
    }


def schema_text() -> str:
    """The schema as the text written to ``rules/schema.json``."""
    return json.dumps(json_schema(), indent=2, ensure_ascii=False, sort_keys=True) + "\n"
