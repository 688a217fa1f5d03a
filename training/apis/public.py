"""Public verification of a completion certificate (no login)."""


from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from core.codes import verification_code_normalise
from core.exceptions import ApplicationError
from core.openapi import ApiErrorSerializer
from core.public_cache import public_answer
from core.serializers import StrictCharField, StrictSerializer

from .. import selectors
from ._common import HOURS

# --- public verification ------------------------------------------------------------------------------------


class TrainingVerificationSerializer(StrictSerializer):
    code = StrictCharField()
    status = serializers.ChoiceField(choices=["valid", "revoked"],
                                     help_text="valid: genuine and current; revoked: the officer was decertified.")
    officer_name = StrictCharField()
    agency_name = StrictCharField()
    course_code = StrictCharField()
    course_title = StrictCharField()
    ce_hours = serializers.DecimalField(**HOURS)
    completed_on = serializers.DateField()
    revoked_on = serializers.DateField(allow_null=True)


@public_answer("completion-verification")
def verification_payload(*, code: str) -> dict | None:
    completion = selectors.completion_by_code(code=verification_code_normalise(code))
    if completion is None:
        return None
    officer = completion.officer
    revoked_at = officer.permanently_ineligible_at
    return {
        "code": completion.verification_code, "status": "revoked" if revoked_at else "valid",
        "officer_name": officer.full_name, "agency_name": officer.agency.name, "course_code": completion.course.code,
        "course_title": completion.course.title, "ce_hours": completion.ce_hours,
        "completed_on": completion.completed_on, "revoked_on": revoked_at.date() if revoked_at else None,
    }


class PublicVerifyApi(APIView):
    """Is this completion certificate genuine and current? No login. Unknown codes are 404."""

    permission_classes = [AllowAny]
    authentication_classes = []

    @extend_schema(responses={200: TrainingVerificationSerializer,
                              404: OpenApiResponse(ApiErrorSerializer, "No certificate has this code.")},
                   tags=["public"], summary="Verify a completion certificate")
    def get(self, request, code: str):
        payload = verification_payload(code=code)
        if payload is None:
            raise ApplicationError("not_found", "No certificate has this code.", status_code=404)
        return Response(TrainingVerificationSerializer(payload).data)
