"""Excessive-force findings over HTTP: record, notice, response, determination, verification."""


from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from agencies.selectors import agency_visible_to, officer_visible_to
from core.access import access_by_id
from core.filters import StrictFilterSet
from core.permissions import IsCertificationStaff, IsStaffOrAgencyAdmin

from .. import selectors, services
from ..models import (
    Determination,
    Finding,
    FindingSource,
    FindingStatus,
)
from ._common import TAG_FINDING, inline_choice

# --- findings --------------------------------------------------------------------------------------------------

class FindingOutputSerializer(serializers.ModelSerializer):
    """Agency administrators see who acted only as "staff"; certification staff see the usernames."""

    officer_name = serializers.CharField(source="officer.full_name")
    license_number = serializers.CharField(source="officer.license_number")
    agency_name = serializers.CharField(source="agency.name")
    source = inline_choice(FindingSource.choices, read_only=True)
    status = inline_choice(FindingStatus.choices, read_only=True)
    determination = inline_choice(Determination.choices, read_only=True)
    recorded_by = serializers.SerializerMethodField()
    determined_by = serializers.SerializerMethodField()
    verified_by = serializers.SerializerMethodField()

    class Meta:
        model = Finding
        fields = ["id", "officer", "officer_name", "license_number", "agency", "agency_name", "incident_date",
                  "summary", "evidence_references", "source", "status", "recorded_at", "recorded_by", "noticed_at",
                  "response_due_on", "response_text", "response_received_at", "determination",
                  "determination_reason", "determined_at", "determined_by", "verified_at", "verified_by"]

    def _person(self, user) -> str | None:
        if user is None:
            return None
        request = self.context.get("request")
        if request is not None and request.user.is_certification_staff:
            return user.get_username()
        return "staff"

    @extend_schema_field(OpenApiTypes.STR)
    def get_recorded_by(self, obj):
        return self._person(obj.recorded_by)

    @extend_schema_field({"type": "string", "nullable": True})
    def get_determined_by(self, obj):
        return self._person(obj.determined_by)

    @extend_schema_field({"type": "string", "nullable": True})
    def get_verified_by(self, obj):
        return self._person(obj.verified_by)


class FindingRecordInputSerializer(serializers.Serializer):
    officer = serializers.IntegerField(min_value=1)
    agency = serializers.IntegerField(min_value=1, required=False,
                                      help_text="The agency the incident happened at; defaults to the officer's.")
    incident_date = serializers.DateField()
    summary = serializers.CharField(max_length=20_000)
    evidence_references = serializers.ListField(child=serializers.CharField(max_length=500), required=False,
                                                max_length=services.EVIDENCE_MAX_ITEMS, default=list)
    source = inline_choice(FindingSource.choices)


class FindingResponseInputSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=50_000)


class FindingDetermineInputSerializer(serializers.Serializer):
    determination = inline_choice([c for c in Determination.choices if c[0]])
    reason = serializers.CharField(max_length=20_000)


class FindingFilter(StrictFilterSet):
    status = filters.ChoiceFilter(choices=FindingStatus.choices)
    determination = filters.ChoiceFilter(choices=[c for c in Determination.choices if c[0]])

    class Meta:
        model = Finding
        fields = ["status", "determination", "officer", "agency"]


class FindingListCreateApi(generics.GenericAPIView):
    permission_classes = [IsStaffOrAgencyAdmin]
    serializer_class = FindingOutputSerializer
    filterset_class = FindingFilter

    def get_permissions(self):
        return [IsCertificationStaff()] if self.request.method == "POST" else [IsStaffOrAgencyAdmin()]

    def get_queryset(self):
        return selectors.finding_visible_to(self.request.user)

    @extend_schema(responses=FindingOutputSerializer(many=True), tags=TAG_FINDING)
    def get(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(FindingOutputSerializer(page, many=True, context={"request": request}).data)

    @extend_schema(request=FindingRecordInputSerializer, responses={201: FindingOutputSerializer}, tags=TAG_FINDING)
    def post(self, request):
        serializer = FindingRecordInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        officer = access_by_id(officer_visible_to(request.user), data.pop("officer"), field="officer", noun="officer")
        agency = None
        if "agency" in data:
            agency = access_by_id(agency_visible_to(request.user), data.pop("agency"), field="agency", noun="agency")
        finding = services.finding_record(actor=request.user, officer=officer, agency=agency, **data)
        finding = selectors.finding_get_for_user(user=request.user, finding_id=finding.pk)
        return Response(FindingOutputSerializer(finding, context={"request": request}).data,
                        status=status.HTTP_201_CREATED)


def _finding_response(request, finding_id) -> Response:
    finding = selectors.finding_get_for_user(user=request.user, finding_id=finding_id)
    return Response(FindingOutputSerializer(finding, context={"request": request}).data)


class FindingDetailApi(APIView):
    permission_classes = [IsStaffOrAgencyAdmin]

    @extend_schema(responses=FindingOutputSerializer, tags=TAG_FINDING)
    def get(self, request, finding_id: int):
        return _finding_response(request, finding_id)


class FindingNoticeApi(APIView):
    """Staff send the notice to the officer and agency; the response window opens."""

    permission_classes = [IsStaffOrAgencyAdmin]

    @extend_schema(request=None, responses=FindingOutputSerializer, tags=TAG_FINDING)
    def post(self, request, finding_id: int):
        finding = selectors.finding_get_for_user(user=request.user, finding_id=finding_id)
        services.finding_notice(actor=request.user, finding=finding)
        return _finding_response(request, finding_id)


class FindingResponseApi(APIView):
    """The officer's/agency's response: filed by their agency administrator within the window, or by staff."""

    permission_classes = [IsStaffOrAgencyAdmin]

    @extend_schema(request=FindingResponseInputSerializer, responses=FindingOutputSerializer, tags=TAG_FINDING)
    def post(self, request, finding_id: int):
        finding = selectors.finding_get_for_user(user=request.user, finding_id=finding_id)
        serializer = FindingResponseInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.finding_response_record(actor=request.user, finding=finding, **serializer.validated_data)
        return _finding_response(request, finding_id)


class FindingDetermineApi(APIView):
    permission_classes = [IsStaffOrAgencyAdmin]

    @extend_schema(request=FindingDetermineInputSerializer, responses=FindingOutputSerializer, tags=TAG_FINDING)
    def post(self, request, finding_id: int):
        finding = selectors.finding_get_for_user(user=request.user, finding_id=finding_id)
        serializer = FindingDetermineInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.finding_determine(actor=request.user, finding=finding, **serializer.validated_data)
        return _finding_response(request, finding_id)


class FindingVerifyApi(APIView):
    """Two-person rule: a staff member who neither recorded nor determined the sustained finding verifies it (403
    otherwise). Revokes the officer's certification and makes them permanently ineligible."""

    permission_classes = [IsStaffOrAgencyAdmin]

    @extend_schema(request=None, responses=FindingOutputSerializer, tags=TAG_FINDING)
    def post(self, request, finding_id: int):
        finding = selectors.finding_get_for_user(user=request.user, finding_id=finding_id)
        services.finding_verify(actor=request.user, finding=finding)
        return _finding_response(request, finding_id)
