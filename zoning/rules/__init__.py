"""Rule files: YAML loading with positions, pydantic models, and the expression language."""
