"""Request examples for the OpenAPI document (realistic values a client would send), kept apart from the views."""

from drf_spectacular.utils import OpenApiExample

CYCLE_CREATE = [
    OpenApiExample("A candidate for lieutenant", request_only=True, value={
        "subject": 101, "target_position": "Lieutenant, Patrol Division",
        "opens_at": "2026-02-02T08:00:00-08:00", "closes_at": "2026-02-20T17:00:00-08:00", "instrument": 2,
        "minimums": {"supervisor": 1, "peer": 3, "direct_report": 3, "community": 3},
        "release_to_subject": True}),
]
