"""Demo data and the narrated walk (`make run`, `make demo`): tooling apart from the product. Demo may import every
app; no product app imports demo (import-linter holds it)."""
