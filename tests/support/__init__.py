"""Helpers every test package shares: thread races, waiting on a condition, builders, constraint checks."""
