"""Request examples for the OpenAPI document (realistic values a client would send), kept apart from the views."""

from drf_spectacular.utils import OpenApiExample

CERTIFICATION_APPLY = [
    OpenApiExample("An agency administrator applies", request_only=True, value={"programme": 1}),
    OpenApiExample("Staff apply for an agency", request_only=True, value={"programme": 1, "agency": 12}),
]

FINDING_RECORD = [
    OpenApiExample("From a citizen complaint", request_only=True, value={
        "officer": 101, "incident_date": "2025-11-02",
        "summary": "During an arrest on Market St the officer struck a handcuffed, seated detainee twice. Recorded on "
                   "body-worn camera.",
        "evidence_references": ["BWC-2025-11-02-0147", "Complaint CR-2025-0388"], "source": "complaint"}),
]

FINDING_RESPONSE = [
    OpenApiExample("The agency's response", request_only=True, value={
        "text": "The officer acknowledges the second strike and has completed the de-escalation refresher; the "
                "agency asks that the detainee's resistance before the first strike be considered."}),
]

FINDING_DETERMINE = [
    OpenApiExample("Sustained", request_only=True, value={
        "determination": "sustained",
        "reason": "The footage shows two strikes to a restrained detainee who posed no threat; policy 300.4 "
                  "allows neither."}),
    OpenApiExample("Exonerated", request_only=True, value={
        "determination": "exonerated",
        "reason": "The force used was lawful and within policy: the subject was armed and advancing."}),
]
