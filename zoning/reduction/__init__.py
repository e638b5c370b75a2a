"""Shrinkage-oriented land reduction (精明收缩, 减量规划)."""
