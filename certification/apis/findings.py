"""Excessive-force findings over HTTP: record, notice, response, determination, verification."""


from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from agencies.selectors import agency_visible_to, officer_visible_to
from core.access import access_by_id, field_error
from core.filters import StrictBooleanFilter, StrictFilterSet
from core.permissions import IsCertificationStaff, IsStaffOrAgencyAdmin
from core.serializers import (
    StrictCharField,
    StrictEmailField,
    StrictIntegerField,
    StrictModelSerializer,
    StrictSerializer,
)
from core.uploads import DOCUMENT_TYPES, DownloadNegotiationMixin, download_schema_responses, file_download_response

from .. import selectors, services
from ..models import (
    Determination,
    Finding,
    FindingResponseAuthor,
    FindingSource,
    FindingStatus,
)
from ..selectors.attention import findings_response_overdue_filter
from ..selectors.finding_responses import (
    finding_representative_visible,
    finding_response_document_get_for_user,
    finding_responses_for,
)
from . import examples
from ._common import TAG_FINDING, inline_choice

# --- findings --------------------------------------------------------------------------------------------------

class FindingResponseDocumentOutputSerializer(StrictSerializer):
    id = StrictIntegerField()
    name = StrictCharField(help_text="The sender's file name.")
    content_type = StrictCharField(help_text="Detected from the content at upload.")
    size = StrictIntegerField()
    sha256 = StrictCharField()


class FindingResponseOutputSerializer(StrictSerializer):
    id = StrictIntegerField()
    author_kind = serializers.ChoiceField(choices=FindingResponseAuthor.choices,
                                          help_text="Whose answer: the officer's own or the agency's.")
    text = StrictCharField()
    received_at = serializers.DateTimeField()
    documents = FindingResponseDocumentOutputSerializer(many=True)


class FindingRepresentativeOutputSerializer(StrictSerializer):
    name = StrictCharField()
    email = StrictEmailField()
    phone = StrictCharField(allow_blank=True)
    named_at = serializers.DateTimeField()


class FindingOutputSerializer(StrictModelSerializer):
    """Agency administrators see who acted only as "staff"; certification staff see the usernames. Each party's
    answers are kept apart: staff read the officer's and the agency's side by side; an agency administrator reads
    the agency's only (`officer_responses` is null: the officer's answer is not disclosed to the employer) and not
    the officer's representative. `response_text` is the agency's latest answer."""

    officer_name = StrictCharField(source="officer.full_name")
    license_number = StrictCharField(source="officer.license_number")
    agency_name = StrictCharField(source="agency.name")
    source = inline_choice(FindingSource.choices, read_only=True)
    status = inline_choice(FindingStatus.choices, read_only=True)
    determination = inline_choice(Determination.choices, read_only=True)
    recorded_by = serializers.SerializerMethodField()
    determined_by = serializers.SerializerMethodField()
    verified_by = serializers.SerializerMethodField()
    officer_responses = serializers.SerializerMethodField(
        help_text="The officer's own answers, oldest first; null when not disclosed to the reader (agency).")
    agency_responses = serializers.SerializerMethodField(help_text="The agency's answers, oldest first.")
    representative = serializers.SerializerMethodField(
        help_text="Whom the officer named to represent them (staff and the officer only); null otherwise.")

    class Meta:
        model = Finding
        fields = ["id", "officer", "officer_name", "license_number", "agency", "agency_name", "incident_date",
                  "summary", "evidence_references", "source", "status", "recorded_at", "recorded_by", "noticed_at",
                  "response_due_on", "response_text", "response_received_at", "officer_responses",
                  "agency_responses", "representative", "determination", "determination_reason", "determined_at",
                  "determined_by", "verified_at", "verified_by"]

    def _responses(self, obj, author_kind):
        request = self.context.get("request")
        responses = finding_responses_for(user=request.user if request else None, finding=obj,
                                          author_kind=author_kind)
        return None if responses is None else FindingResponseOutputSerializer(responses, many=True).data

    @extend_schema_field(FindingResponseOutputSerializer(many=True, allow_null=True))
    def get_officer_responses(self, obj):
        return self._responses(obj, FindingResponseAuthor.OFFICER)

    @extend_schema_field(FindingResponseOutputSerializer(many=True))
    def get_agency_responses(self, obj):
        return self._responses(obj, FindingResponseAuthor.AGENCY) or []

    @extend_schema_field(FindingRepresentativeOutputSerializer(allow_null=True))
    def get_representative(self, obj):
        request = self.context.get("request")
        representative = finding_representative_visible(user=request.user if request else None, finding=obj)
        return None if representative is None else FindingRepresentativeOutputSerializer(representative).data

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


class FindingRecordInputSerializer(StrictSerializer):
    officer = StrictIntegerField(min_value=1)
    agency = StrictIntegerField(min_value=1, required=False,
                                help_text="The agency the incident happened at; defaults to the officer's.")
    incident_date = serializers.DateField()
    summary = StrictCharField(max_length=20_000)
    evidence_references = serializers.ListField(child=StrictCharField(max_length=500), required=False,
                                                max_length=services.EVIDENCE_MAX_ITEMS, default=list)
    source = inline_choice(FindingSource.choices)


class FindingResponseInputSerializer(StrictSerializer):
    text = StrictCharField(max_length=50_000)
    author_kind = serializers.ChoiceField(
        choices=FindingResponseAuthor.choices, required=False,
        help_text="Staff only: whose answer they file, received by other means (default officer). An agency "
                  "administrator always files the agency's.")


class FindingDetermineInputSerializer(StrictSerializer):
    determination = inline_choice([c for c in Determination.choices if c[0]])
    reason = StrictCharField(max_length=20_000)


class FindingFilter(StrictFilterSet):
    status = filters.ChoiceFilter(choices=FindingStatus.choices)
    determination = filters.ChoiceFilter(choices=[c for c in Determination.choices if c[0]])
    response_overdue = StrictBooleanFilter(
        method="filter_response_overdue",
        help_text="true: noticed findings whose response date has passed with no response recorded (ready to "
                  "determine); false: every other finding.")

    class Meta:
        model = Finding
        fields = ["status", "determination", "officer", "agency", "response_overdue"]

    def filter_response_overdue(self, queryset, name, value):
        return findings_response_overdue_filter(queryset, overdue=value)


class FindingListCreateApi(generics.GenericAPIView):
    permission_classes = [IsStaffOrAgencyAdmin]
    serializer_class = FindingOutputSerializer
    filterset_class = FindingFilter
    search_fields = ["officer__first_name", "officer__last_name", "officer__license_number", "agency__name"]
    search_help = "officer first or last name, licence number, agency name"
    ordering_fields = {"recorded_at": ("recorded_at",), "incident_date": ("incident_date",),
                       "response_due_on": ("response_due_on",), "status": ("status",)}

    def get_permissions(self):
        return [IsCertificationStaff()] if self.request.method == "POST" else [IsStaffOrAgencyAdmin()]

    def get_queryset(self):
        return selectors.finding_visible_to(self.request.user)

    @extend_schema(responses=FindingOutputSerializer(many=True), tags=TAG_FINDING)
    def get(self, request):
        """Excessive-force findings: staff see all, an agency administrator their agency's (the people who acted are
        shown only as staff). Filter by status, determination, agency or an overdue response; search by officer
        or agency; order by dates or status."""
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(FindingOutputSerializer(page, many=True, context={"request": request}).data)

    @extend_schema(request=FindingRecordInputSerializer, responses={201: FindingOutputSerializer}, tags=TAG_FINDING,
                   examples=examples.FINDING_RECORD)
    def post(self, request):
        """Staff record a finding against an officer (incident date, summary, evidence references, source); the
        officer's agency is the default."""
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
        """One finding with its notice, each party's answers, determination and verification. Staff read the
        officer's answers (`officer_responses`) and the agency's (`agency_responses`) side by side, with the
        officer's representative; an agency administrator reads the agency's answers only (`officer_responses` is
        null: the officer's answer is the officer's voice, not the employer's, and staff decide what to disclose)."""
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
    permission_classes = [IsStaffOrAgencyAdmin]

    @extend_schema(request=FindingResponseInputSerializer, responses=FindingOutputSerializer, tags=TAG_FINDING,
                   examples=examples.FINDING_RESPONSE, summary="Add the agency's response to a finding",
                   description="The agency's own answer, filed by its administrator between the notice and the "
                               "response date (409 `response_window_closed` after it, 409 `response_not_open` once "
                               "determined); or an answer staff received by other means, filed for the officer "
                               "(default) or the agency with `author_kind`, also late. Each answer is kept apart: "
                               "the agency never reads the officer's answer (the officer answers through "
                               "`/me/officer/findings/{id}/response/`).")
    def post(self, request, finding_id: int):
        finding = selectors.finding_get_for_user(user=request.user, finding_id=finding_id)
        serializer = FindingResponseInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        if data.get("author_kind") == FindingResponseAuthor.OFFICER and not request.user.is_certification_staff:
            raise field_error("author_kind", "The agency files its own answer; the officer answers through their "
                                             "own account.")
        services.finding_response_record(actor=request.user, finding=finding, **data)
        return _finding_response(request, finding_id)


class FindingResponseDocumentDownloadApi(DownloadNegotiationMixin, APIView):
    permission_classes = [IsStaffOrAgencyAdmin]

    @extend_schema(responses=download_schema_responses(DOCUMENT_TYPES), tags=TAG_FINDING,
                   summary="Download a document sent with an answer to a finding",
                   description="A document attached to an answer, as an attachment with the type detected at "
                               "upload. Staff download every document; an agency administrator only those of the "
                               "agency's own answers (a document of the officer's answer is the same 404 as a "
                               "missing one).")
    def get(self, request, document_id: int):
        document = finding_response_document_get_for_user(
            user=request.user, document_id=document_id, finding_visible=selectors.finding_visible_to(request.user))
        return file_download_response(document.file, filename=document.name, content_type=document.content_type)


class FindingDetermineApi(APIView):
    permission_classes = [IsStaffOrAgencyAdmin]

    @extend_schema(request=FindingDetermineInputSerializer, responses=FindingOutputSerializer, tags=TAG_FINDING,
                   examples=examples.FINDING_DETERMINE)
    def post(self, request, finding_id: int):
        """Staff determine the finding (sustained, not sustained, exonerated, unfounded) with reasons, after the
        response or once its window closed. A sustained finding still needs a second staff member's verification."""
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
