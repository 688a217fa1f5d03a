"""Request examples for the OpenAPI document (realistic values a client would send), kept apart from the views."""

from drf_spectacular.utils import OpenApiExample

COACHING_REQUEST = [
    OpenApiExample("A new captain asks for coaching", request_only=True, value={
        "coachee": 5, "priorities": {"de_escalation": 3, "communication": 2, "crisis_management": 1},
        "goals": "Lead the division through the new use-of-force policy and rebuild trust with the east side "
                 "neighbourhood councils.",
        "languages": ["en", "es"], "states": ["CA", "NV"], "remote_only": False, "conflicts": [4]}),
]
