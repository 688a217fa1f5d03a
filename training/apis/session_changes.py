"""Session changes over HTTP (#14): staff edit a session's time, place or capacity (PATCH on the session) and cancel
it with a reason. The rules and the e-mails to the agencies live in services/session_changes.py."""

from zoneinfo import ZoneInfo

from django.utils.dateparse import parse_datetime
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from core.openapi import ApiErrorSerializer
from core.permissions import IsCertificationStaff
from core.serializers import StrictCharField, StrictIntegerField, StrictSerializer, StrictURLField

from .. import selectors, services
from ._common import TAGS
from .sessions import SessionDetailApi, TrainingSessionOutputSerializer


class TrainingSessionUpdateInputSerializer(StrictSerializer):
    starts_at = serializers.DateTimeField(required=False,
                                          help_text="ISO 8601; without an offset it is read in the session's "
                                                    "time zone. Cannot move once the session has started.")
    ends_at = serializers.DateTimeField(required=False, help_text="ISO 8601; after starts_at.")
    location = StrictCharField(max_length=300, required=False, allow_blank=True,
                               help_text="The place of an in-person session (required for one).")
    meeting_url = StrictURLField(max_length=500, required=False, allow_blank=True,
                                 help_text="The link of a virtual session (required for one).")
    capacity = StrictIntegerField(min_value=1, max_value=1000, required=False,
                                  help_text="Not below the seats taken (409 capacity_below_enrolled); an increase "
                                            "seats the waitlist, oldest first.")

    def validate(self, attrs):
        if not attrs:
            raise serializers.ValidationError({"non_field_errors": ["Change at least one of: starts_at, ends_at, "
                                                                    "location, meeting_url, capacity."]})
        return attrs


def local_times_read(serializer, time_zone: str) -> dict:
    """The validated data, with times given without an offset read as wall-clock times where the session is."""
    data = dict(serializer.validated_data)
    for name in ("starts_at", "ends_at"):
        raw = serializer.initial_data.get(name)
        parsed = parse_datetime(raw) if isinstance(raw, str) else None
        if name in data and parsed is not None and parsed.tzinfo is None:
            data[name] = parsed.replace(tzinfo=ZoneInfo(time_zone))
    return data


class TrainingSessionCancelInputSerializer(StrictSerializer):
    reason = StrictCharField(max_length=1000, help_text="Why; the agencies of the officers enrolled are told.")


SESSION_ERRORS = {
    400: ApiErrorSerializer, 403: ApiErrorSerializer, 404: ApiErrorSerializer,
    409: OpenApiResponse(ApiErrorSerializer, "session_cancelled, session_ended, session_started, "
                                             "capacity_below_enrolled, attendance_recorded, invalid_transition"),
}


class SessionDetailUpdateApi(SessionDetailApi):
    """GET as SessionDetailApi; PATCH: staff change a scheduled session."""

    def get_permissions(self):
        return [IsCertificationStaff()] if self.request.method == "PATCH" else [IsAuthenticated()]

    @extend_schema(
        summary="Change a session's time, place or capacity", tags=TAGS,
        request=TrainingSessionUpdateInputSerializer, responses={200: TrainingSessionOutputSerializer,
                                                                 **SESSION_ERRORS},
        description="Staff only, until the session ends. Times stay in order; the start cannot move once the "
                    "session has started. The capacity cannot go below the seats already taken (409 "
                    "`capacity_below_enrolled`: cancel enrolments first); raising it moves waitlisted officers to "
                    "enrolled, oldest first, in the same change. The agencies of the enrolled and waitlisted "
                    "officers are e-mailed when the time or place changes (one e-mail per agency, listing its "
                    "officers), and the agencies of promoted officers when seats open. A cancelled session is 409.",
        examples=[
            OpenApiExample("Move it a week later", request_only=True, value={
                "starts_at": "2027-03-16T09:00:00", "ends_at": "2027-03-16T17:00:00"}),
            OpenApiExample("New room and more seats", request_only=True, value={
                "location": "Riverside Police Department, Community Room A", "capacity": 30}),
        ])
    def patch(self, request, session_id: int):
        session = selectors.session_get_for_user(user=request.user, session_id=session_id)
        serializer = TrainingSessionUpdateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = local_times_read(serializer, session.time_zone)
        services.session_update(session=session, data=data, actor=request.user)
        session = selectors.session_get_for_user(user=request.user, session_id=session_id)
        return Response(TrainingSessionOutputSerializer(session).data)


class SessionCancelApi(APIView):
    permission_classes = [IsCertificationStaff]

    @extend_schema(
        summary="Cancel a session", tags=TAGS, request=TrainingSessionCancelInputSerializer,
        responses={200: TrainingSessionOutputSerializer, **SESSION_ERRORS},
        description="Staff only, with a reason, until the session ends and before any attendance is recorded "
                    "(409 `attendance_recorded`). The enrolled and waitlisted officers' enrolments become "
                    "cancelled and their agencies are e-mailed (one e-mail per agency, listing its officers, with "
                    "the reason). A cancelled session takes no enrolments and awards no credits (409 "
                    "`session_cancelled`); cancelling twice is 409 `invalid_transition`.",
        examples=[OpenApiExample("Instructor unavailable", request_only=True, value={
            "reason": "The instructor is ill; the course is rescheduled for next month."})])
    def post(self, request, session_id: int):
        session = selectors.session_get_for_user(user=request.user, session_id=session_id)
        serializer = TrainingSessionCancelInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.session_cancel(session=session, reason=serializer.validated_data["reason"], actor=request.user)
        session = selectors.session_get_for_user(user=request.user, session_id=session_id)
        return Response(TrainingSessionOutputSerializer(session).data)
