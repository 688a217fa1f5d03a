"""Request examples for the OpenAPI document (realistic values a client would send), kept apart from the views."""

from drf_spectacular.utils import OpenApiExample

COURSE_CREATE = [
    OpenApiExample("A four-hour refresher", request_only=True, value={
        "code": "PO-201", "title": "Peace Officer: Procedural Justice in Practice",
        "description": "Scenario-based refresher on fair process, voice and respect in everyday stops.",
        "offered_in_person": True, "offered_virtual": True, "ce_hours": "4", "kind": "standard",
        "is_active": True}),
]

SESSION_CREATE = [
    OpenApiExample("In person", request_only=True, value={
        "course": 3, "starts_at": "2026-03-10T09:00:00-08:00", "ends_at": "2026-03-10T17:00:00-08:00",
        "time_zone": "America/Los_Angeles", "mode": "in_person",
        "location": "Riverside PD Training Center, 4102 Orange St, Riverside, CA", "capacity": 30,
        "instructors": [7]}),
    OpenApiExample("Virtual", request_only=True, value={
        "course": 3, "starts_at": "2026-04-14T13:00:00-04:00", "ends_at": "2026-04-14T17:00:00-04:00",
        "time_zone": "America/New_York", "mode": "virtual", "meeting_url": "https://meet.example.org/po-101-april",
        "capacity": 80, "instructors": [7, 9]}),
]

ENROLL = [
    OpenApiExample("Three officers of the agency", request_only=True, value={"officer_ids": [101, 102, 108]}),
]
