"""Shared by the evaluation API modules."""

TAGS = ["evaluations"]
