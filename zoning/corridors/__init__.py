"""Ecological security pattern: MSPA, connectivity, resistance, corridors, circuits, gravity.

The public façade of the corridors subpackage; the algorithms live in private modules.
"""
