"""Instructor qualifications over HTTP (#14): staff list, record and revoke who may teach which course. The rules are
in services/qualifications.py; the admin lists the same rows."""

from django.utils import timezone
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from agencies.selectors import officer_visible_to, users_for_lookup
from core.access import access_by_id
from core.filters import IdFilter, StrictFilterSet
from core.openapi import ApiErrorSerializer
from core.permissions import IsCertificationStaff
from core.serializers import StrictCharField, StrictIntegerField, StrictModelSerializer, StrictSerializer

from .. import selectors, services
from ..models import InstructorQualification, QualificationSource
from ._common import TAGS


class TrainingQualificationOutputSerializer(StrictModelSerializer):
    source = serializers.ChoiceField(choices=QualificationSource.choices)
    course_code = StrictCharField(source="course.code")
    username = StrictCharField(source="user.username", allow_null=True, default=None)
    officer_name = StrictCharField(source="officer.full_name", allow_null=True, default=None)
    is_current = serializers.SerializerMethodField(help_text="Valid today.")

    class Meta:
        model = InstructorQualification
        fields = ["id", "course", "course_code", "source", "user", "username", "officer", "officer_name",
                  "completion", "valid_from", "valid_until", "is_current", "granted_by", "created_at"]

    def get_is_current(self, obj) -> bool:
        today = timezone.localdate()
        return obj.valid_from <= today and (obj.valid_until is None or obj.valid_until >= today)


class TrainingQualificationInputSerializer(StrictSerializer):
    course = StrictIntegerField(min_value=1, help_text="Id of the course they may teach.")
    user = StrictIntegerField(min_value=1, required=False, help_text="Id of an active instructor login, or:")
    officer = StrictIntegerField(min_value=1, required=False,
                                 help_text="id of the officer record an instructor login is linked to.")
    valid_from = serializers.DateField(required=False, help_text="Defaults to today.")
    valid_until = serializers.DateField(required=False, allow_null=True, help_text="Empty: no end date.")


class TrainingQualificationRevokeInputSerializer(StrictSerializer):
    reason = StrictCharField(max_length=1000, help_text="Why; kept in the audit log.")


class TrainingQualificationFilter(StrictFilterSet):
    course = IdFilter(field_name="course_id")
    user = IdFilter(field_name="user_id")
    officer = IdFilter(field_name="officer_id")

    class Meta:
        model = InstructorQualification
        fields = ["course", "user", "officer", "source"]


ERRORS = {400: ApiErrorSerializer, 403: ApiErrorSerializer, 404: ApiErrorSerializer}


class QualificationListCreateApi(generics.GenericAPIView):
    permission_classes = [IsCertificationStaff]
    serializer_class = TrainingQualificationOutputSerializer
    filterset_class = TrainingQualificationFilter

    def get_queryset(self):
        return selectors.qualification_visible_to(self.request.user)

    @extend_schema(summary="List instructor qualifications", tags=TAGS,
                   responses=TrainingQualificationOutputSerializer(many=True),
                   description="Staff only: every qualification, staff designations and train-the-trainer "
                               "graduates alike, newest first; filter by course, user, officer or source.")
    def get(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(TrainingQualificationOutputSerializer(page, many=True).data)

    @extend_schema(
        summary="Record an instructor qualification", tags=TAGS, request=TrainingQualificationInputSerializer,
        responses={201: TrainingQualificationOutputSerializer, **ERRORS,
                   409: OpenApiResponse(ApiErrorSerializer, "already_qualified: an overlapping qualification "
                                                            "for the same person and course exists")},
        description="Staff designate who may teach a course: an active instructor login (`user`), or the officer "
                    "record an instructor login is linked to (`officer`); an active course; a period that ends "
                    "on or after it starts (no end: open-ended). The instructor can then be assigned to the "
                    "course's sessions on the dates it covers.",
        examples=[
            OpenApiExample("A two-year designation", request_only=True, value={
                "course": 1, "user": 7, "valid_from": "2027-01-01", "valid_until": "2028-12-31"}),
            OpenApiExample("Through the linked officer record", request_only=True, value={
                "course": 1, "officer": 42}),
        ])
    def post(self, request):
        serializer = TrainingQualificationInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        course = access_by_id(selectors.course_visible_to(request.user), data["course"], field="course",
                              noun="course")
        user = officer = None
        if data.get("user") is not None:
            user = access_by_id(users_for_lookup(), data["user"], field="user", noun="user")
        if data.get("officer") is not None:
            officer = access_by_id(officer_visible_to(request.user), data["officer"], field="officer",
                                   noun="officer")
        qualification = services.qualification_record(
            actor=request.user, course=course, user=user, officer=officer, valid_from=data.get("valid_from"),
            valid_until=data.get("valid_until"))
        qualification = selectors.qualification_get_for_user(user=request.user, qualification_id=qualification.pk)
        return Response(TrainingQualificationOutputSerializer(qualification).data, status=status.HTTP_201_CREATED)


class QualificationRevokeApi(APIView):
    permission_classes = [IsCertificationStaff]

    @extend_schema(
        summary="Revoke an instructor qualification", tags=TAGS, request=TrainingQualificationRevokeInputSerializer,
        responses={200: OpenApiResponse(TrainingQualificationOutputSerializer,
                                        "Ended: the qualification now ends yesterday."),
                   204: OpenApiResponse(None, "Withdrawn: it had not taken effect before today, so it is removed "
                                              "(the audit log keeps it)."),
                   **ERRORS, 409: OpenApiResponse(ApiErrorSerializer, "qualification_ended: it already ended")},
        description="Staff only, with a reason. A qualification in effect before today ends yesterday, so the "
                    "holder can no longer be assigned to sessions from today on (sessions already assigned are not "
                    "changed); one that takes effect today or later is withdrawn.",
        examples=[OpenApiExample("Left the programme", request_only=True, value={
            "reason": "Left the agency's training unit in February."})])
    def post(self, request, qualification_id: int):
        qualification = selectors.qualification_get_for_user(user=request.user, qualification_id=qualification_id)
        serializer = TrainingQualificationRevokeInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        ended = services.qualification_revoke(actor=request.user, qualification=qualification,
                                              reason=serializer.validated_data["reason"])
        if ended is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        ended = selectors.qualification_get_for_user(user=request.user, qualification_id=qualification_id)
        return Response(TrainingQualificationOutputSerializer(ended).data)
