"""Demo data for 360 evaluations: the default instrument (normally seeded by migration 0002). Idempotent."""

from evaluations.services import instrument_default_ensure


def demo_data_load() -> dict:
    _, created = instrument_default_ensure(actor="demo-data")
    return {"instruments": int(created)}
