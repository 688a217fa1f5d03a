"""Agency certification over HTTP: programmes and their requirements, applications and certificates, checklist
lines."""

from pathlib import PurePath

from django.conf import settings
from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field, inline_serializer
from rest_framework import generics, serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from agencies.selectors import agency_visible_to
from core.access import access_by_id, field_error
from core.exceptions import ApplicationError
from core.filters import DayCountFilter, StrictFilterSet
from core.openapi import ApiErrorSerializer
from core.permissions import IsCertificationStaff, IsStaffOrAgencyAdmin
from core.serializers import (
    StrictBooleanField,
    StrictCharField,
    StrictIntegerField,
    StrictModelSerializer,
    StrictSerializer,
    StrictSlugField,
)
from core.uploads import DOCUMENT_TYPES, DownloadNegotiationMixin, download_schema_responses, file_download_response

from .. import selectors, services
from ..models import (
    AgencyCertification,
    AgencyCertificationStatus,
    CertificationProgramme,
    ComputedRule,
    ProgrammeRequirement,
    RequirementKind,
    RequirementState,
    RequirementStatus,
)
from ..selectors.attention import agency_certifications_expiring_filter
from . import examples
from ._common import TAG_AGENCY, inline_choice

# --- programmes -------------------------------------------------------------------------------------------------

class RequirementCourseSerializer(StrictSerializer):
    id = StrictIntegerField(read_only=True)
    code = StrictCharField(read_only=True)
    title = StrictCharField(read_only=True)


class CertificationRequirementOutputSerializer(StrictModelSerializer):
    kind = inline_choice(RequirementKind.choices, read_only=True)
    computed_rule = inline_choice(ComputedRule.choices, read_only=True)
    courses = RequirementCourseSerializer(many=True, read_only=True,
                                          help_text="Trained-share rule: an officer counts after completing any of "
                                                    "these courses (empty for other items).")

    class Meta:
        model = ProgrammeRequirement
        fields = ["id", "code", "title", "description", "kind", "computed_rule", "courses", "position", "is_active"]


def requirement_courses_field():
    return serializers.ListField(
        child=StrictIntegerField(min_value=1), required=False, max_length=50,
        help_text="Trained-share rule only: ids of the courses whose completion counts (at least one).")


class CertificationProgrammeOutputSerializer(StrictModelSerializer):
    requirements = CertificationRequirementOutputSerializer(many=True)

    class Meta:
        model = CertificationProgramme
        fields = ["id", "code", "name", "description", "is_active", "requirements"]


class CertificationProgrammeInputSerializer(StrictSerializer):
    code = StrictSlugField(max_length=50)
    name = StrictCharField(max_length=200)
    description = StrictCharField(required=False, allow_blank=True, max_length=5000)


class CertificationRequirementInputSerializer(StrictSerializer):
    code = StrictSlugField(max_length=50)
    title = StrictCharField(max_length=200)
    description = StrictCharField(required=False, allow_blank=True, max_length=5000)
    kind = inline_choice(RequirementKind.choices)
    computed_rule = inline_choice(ComputedRule.choices, required=False, allow_blank=True)
    position = StrictIntegerField(min_value=0, max_value=10_000, required=False)
    courses = requirement_courses_field()


class CertificationRequirementUpdateInputSerializer(StrictSerializer):
    title = StrictCharField(max_length=200, required=False)
    description = StrictCharField(required=False, allow_blank=True, max_length=5000)
    position = StrictIntegerField(min_value=0, max_value=10_000, required=False)
    is_active = StrictBooleanField(required=False)
    courses = requirement_courses_field()


class CertificationProgrammeListCreateApi(generics.GenericAPIView):
    serializer_class = CertificationProgrammeOutputSerializer

    def get_permissions(self):
        return [IsCertificationStaff()] if self.request.method == "POST" else [IsStaffOrAgencyAdmin()]

    def get_queryset(self):
        return selectors.programme_visible_to(self.request.user)

    @extend_schema(responses=CertificationProgrammeOutputSerializer(many=True), tags=TAG_AGENCY)
    def get(self, request):
        """The certification programmes with their checklists (staff and agency administrators)."""
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(CertificationProgrammeOutputSerializer(page, many=True).data)

    @extend_schema(request=CertificationProgrammeInputSerializer,
                   responses={201: CertificationProgrammeOutputSerializer}, tags=TAG_AGENCY)
    def post(self, request):
        """Staff create a certification programme; its checklist items are added one by one afterwards."""
        serializer = CertificationProgrammeInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        programme = services.certification_programme_create(actor=request.user, **serializer.validated_data)
        programme = selectors.programme_get_for_user(user=request.user, programme_id=programme.pk)
        return Response(CertificationProgrammeOutputSerializer(programme).data, status=status.HTTP_201_CREATED)


class CertificationProgrammeRequirementCreateApi(APIView):
    """Staff add an item to a programme's checklist (new applications and renewals get it)."""

    permission_classes = [IsCertificationStaff]

    @extend_schema(request=CertificationRequirementInputSerializer,
                   responses={201: CertificationRequirementOutputSerializer}, tags=TAG_AGENCY)
    def post(self, request, programme_id: int):
        programme = selectors.programme_get_for_user(user=request.user, programme_id=programme_id)
        serializer = CertificationRequirementInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        requirement = services.programme_requirement_create(actor=request.user, programme=programme,
                                                            **serializer.validated_data)
        return Response(CertificationRequirementOutputSerializer(requirement).data, status=status.HTTP_201_CREATED)


class CertificationRequirementDetailApi(APIView):
    permission_classes = [IsCertificationStaff]

    @extend_schema(request=CertificationRequirementUpdateInputSerializer,
                   responses=CertificationRequirementOutputSerializer, tags=TAG_AGENCY)
    def patch(self, request, requirement_id: int):
        """Staff edit or retire a checklist item, or change the courses a trained-share item counts. Applications under
        way keep the items they started with; a changed course list applies to open applications at once."""
        requirement = selectors.programme_requirement_get_for_staff(user=request.user, requirement_id=requirement_id)
        serializer = CertificationRequirementUpdateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        requirement = services.programme_requirement_update(actor=request.user, requirement=requirement,
                                                            data=serializer.validated_data)
        return Response(CertificationRequirementOutputSerializer(requirement).data)


# --- agency certifications --------------------------------------------------------------------------------------

class AgencyCertificationOutputSerializer(StrictModelSerializer):
    programme_code = StrictCharField(source="programme.code")
    programme_name = StrictCharField(source="programme.name")
    agency_name = StrictCharField(source="agency.name")
    status = inline_choice(AgencyCertificationStatus.choices, read_only=True)
    plaque = serializers.SerializerMethodField()

    class Meta:
        model = AgencyCertification
        fields = ["id", "programme", "programme_code", "programme_name", "agency", "agency_name", "status",
                  "previous", "certificate_number", "applied_at", "submitted_at", "issued_at", "valid_from",
                  "valid_until", "expired_at", "revoked_at", "revocation_reason", "plaque"]

    @extend_schema_field({"type": "integer", "nullable": True})
    def get_plaque(self, obj) -> int | None:
        plaque = getattr(obj, "plaque", None)  # the reverse one-to-one raises an AttributeError when absent
        return plaque.pk if plaque is not None else None


class AgencyCertificationChecklistItemSerializer(StrictSerializer):
    status_id = StrictIntegerField(help_text="Id of the checklist line (requirement-statuses/{id}/...).")
    requirement_id = StrictIntegerField()
    code = StrictCharField()
    title = StrictCharField()
    kind = inline_choice(RequirementKind.choices)
    state = inline_choice(RequirementState.choices)
    met = StrictBooleanField()
    detail = StrictCharField(help_text="Staff note, or how a computed item was evaluated.")


class AgencyCertificationDetailOutputSerializer(AgencyCertificationOutputSerializer):
    checklist = serializers.SerializerMethodField()

    class Meta(AgencyCertificationOutputSerializer.Meta):
        fields = [*AgencyCertificationOutputSerializer.Meta.fields, "checklist"]

    @extend_schema_field(AgencyCertificationChecklistItemSerializer(many=True))
    def get_checklist(self, obj):
        evaluations = selectors.agency_certification_requirements_evaluate(certification=obj)
        return AgencyCertificationChecklistItemSerializer([e.__dict__ for e in evaluations], many=True).data


class AgencyCertificationApplyInputSerializer(StrictSerializer):
    programme = StrictIntegerField(min_value=1)
    agency = StrictIntegerField(min_value=1, required=False,
                                help_text="Agency id; an agency administrator may omit it (their own).")


class AgencyCertificationRevokeInputSerializer(StrictSerializer):
    reason = StrictCharField(max_length=2000)


class AgencyCertificationFilter(StrictFilterSet):
    status = filters.ChoiceFilter(choices=AgencyCertificationStatus.choices)
    expiring_within = DayCountFilter(
        method="filter_expiring_within",
        help_text="Issued certificates whose last valid day is within this many days from today (e.g. 90, 30 or 7: "
                  "the renewal reminders' steps); expired, revoked and open applications are left out.")

    class Meta:
        model = AgencyCertification
        fields = ["status", "agency", "programme", "expiring_within"]

    def filter_expiring_within(self, queryset, name, value):
        return agency_certifications_expiring_filter(queryset, within_days=value)


def _detail(request, certification_id) -> Response:
    certification = selectors.agency_certification_get_for_user(user=request.user, certification_id=certification_id)
    return Response(AgencyCertificationDetailOutputSerializer(certification).data)


class AgencyCertificationListCreateApi(generics.GenericAPIView):
    """Agency certifications: staff see all, an agency administrator their agency's. POST applies."""

    permission_classes = [IsStaffOrAgencyAdmin]
    serializer_class = AgencyCertificationOutputSerializer
    filterset_class = AgencyCertificationFilter
    search_fields = ["agency__name", "certificate_number", "programme__code", "programme__name"]
    search_help = "agency name, certificate number, programme code or name"
    ordering_fields = {"applied_at": ("applied_at",), "valid_until": ("valid_until",), "status": ("status",),
                       "agency": ("agency__name",)}

    def get_queryset(self):
        return selectors.agency_certification_visible_to(self.request.user)

    @extend_schema(responses=AgencyCertificationOutputSerializer(many=True), tags=TAG_AGENCY)
    def get(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(AgencyCertificationOutputSerializer(page, many=True).data)

    @extend_schema(request=AgencyCertificationApplyInputSerializer, examples=examples.CERTIFICATION_APPLY,
                   responses={201: AgencyCertificationDetailOutputSerializer}, tags=TAG_AGENCY)
    def post(self, request):
        serializer = AgencyCertificationApplyInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        agency_id = serializer.validated_data.get("agency") or request.user.agency_id
        if agency_id is None:
            raise field_error("agency", "This field is required.")
        agency = access_by_id(agency_visible_to(request.user), agency_id, field="agency", noun="agency")
        programme = access_by_id(selectors.programme_visible_to(request.user), serializer.validated_data["programme"],
                                 field="programme", noun="programme")
        certification = services.agency_certification_apply(actor=request.user, agency=agency, programme=programme)
        response = _detail(request, certification.pk)
        response.status_code = status.HTTP_201_CREATED
        return response


class AgencyCertificationDetailApi(APIView):
    permission_classes = [IsStaffOrAgencyAdmin]

    @extend_schema(responses=AgencyCertificationDetailOutputSerializer, tags=TAG_AGENCY)
    def get(self, request, certification_id: int):
        """One agency certification with its checklist lines, dates and plaque (staff any, an agency administrator
        their agency's)."""
        return _detail(request, certification_id)


class AgencyCertificationSubmitApi(APIView):
    """The agency (or staff) hands the application to staff review: applied -> under_review."""

    permission_classes = [IsStaffOrAgencyAdmin]

    @extend_schema(request=None, responses=AgencyCertificationDetailOutputSerializer, tags=TAG_AGENCY)
    def post(self, request, certification_id: int):
        certification = selectors.agency_certification_get_for_user(user=request.user,
                                                                    certification_id=certification_id)
        services.agency_certification_submit(actor=request.user, certification=certification)
        return _detail(request, certification_id)


class AgencyCertificationIssueApi(APIView):
    """Staff issue the certificate (409 naming the unmet requirements until every one is met); a plaque is ordered."""

    permission_classes = [IsStaffOrAgencyAdmin]

    @extend_schema(request=None, responses={
        200: AgencyCertificationDetailOutputSerializer,
        409: OpenApiResponse(ApiErrorSerializer, "requirements_unmet: fields.requirements lists the unmet items."),
    }, tags=TAG_AGENCY)
    def post(self, request, certification_id: int):
        certification = selectors.agency_certification_get_for_user(user=request.user,
                                                                    certification_id=certification_id)
        services.agency_certification_issue(actor=request.user, certification=certification)
        return _detail(request, certification_id)


class AgencyCertificationRevokeApi(APIView):
    permission_classes = [IsStaffOrAgencyAdmin]

    @extend_schema(request=AgencyCertificationRevokeInputSerializer,
                   responses=AgencyCertificationDetailOutputSerializer, tags=TAG_AGENCY)
    def post(self, request, certification_id: int):
        """Staff revoke an issued certification with a reason (409 from any other state); the public registry shows it
        as revoked."""
        certification = selectors.agency_certification_get_for_user(user=request.user,
                                                                    certification_id=certification_id)
        serializer = AgencyCertificationRevokeInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.agency_certification_revoke(actor=request.user, certification=certification,
                                             reason=serializer.validated_data["reason"])
        return _detail(request, certification_id)


class AgencyCertificationRenewApi(APIView):
    """Start a renewal: a new application linked to this certificate, with the checklist restarted."""

    permission_classes = [IsStaffOrAgencyAdmin]

    @extend_schema(request=None, responses={201: AgencyCertificationDetailOutputSerializer}, tags=TAG_AGENCY)
    def post(self, request, certification_id: int):
        certification = selectors.agency_certification_get_for_user(user=request.user,
                                                                    certification_id=certification_id)
        renewal = services.agency_certification_renew(actor=request.user, certification=certification)
        response = _detail(request, renewal.pk)
        response.status_code = status.HTTP_201_CREATED
        return response


# --- checklist lines --------------------------------------------------------------------------------------------

class RequirementStatusOutputSerializer(StrictModelSerializer):
    code = StrictCharField(source="requirement.code")
    title = StrictCharField(source="requirement.title")
    kind = StrictCharField(source="requirement.kind")
    state = inline_choice(RequirementState.choices, read_only=True)
    has_document = serializers.SerializerMethodField()
    document_url = serializers.SerializerMethodField()
    rejections = inline_serializer("RequirementRejection", many=True, read_only=True, fields={
        "at": serializers.DateTimeField(), "by": StrictCharField(), "note": StrictCharField()},
        help_text="Every staff rejection of this item, oldest first; a rejected item is met only when staff mark "
                  "it met.")

    class Meta:
        model = RequirementStatus
        fields = ["id", "certification", "requirement", "code", "title", "kind", "state", "has_document",
                  "document_sha256", "document_name", "document_content_type", "document_url", "attestation_text",
                  "attested_by_name", "note", "rejections", "updated_at"]

    def get_has_document(self, obj) -> bool:
        return bool(obj.document)

    def get_document_url(self, obj) -> str | None:
        return f"/api/v1/certification/requirement-statuses/{obj.pk}/document/download/" if obj.document else None


class RequirementStatusMarkInputSerializer(StrictSerializer):
    state = inline_choice([(s.value, s.label) for s in (RequirementState.MET, RequirementState.REJECTED,
                                                         RequirementState.PENDING)])
    note = StrictCharField(required=False, allow_blank=True, max_length=5000, default="")


class RequirementDocumentInputSerializer(StrictSerializer):
    file = serializers.FileField()


class RequirementAttestInputSerializer(StrictSerializer):
    text = StrictCharField(max_length=10_000)
    attested_by_name = StrictCharField(max_length=200)


class RequirementStatusMarkApi(APIView):
    """Staff decide a document, attestation or staff-verified item: met, rejected (with a note) or pending."""

    permission_classes = [IsStaffOrAgencyAdmin]

    @extend_schema(request=RequirementStatusMarkInputSerializer, responses=RequirementStatusOutputSerializer,
                   tags=TAG_AGENCY)
    def post(self, request, status_id: int):
        line = selectors.requirement_status_get_for_user(user=request.user, status_id=status_id)
        serializer = RequirementStatusMarkInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        line = services.requirement_status_mark(actor=request.user, status=line, **serializer.validated_data)
        return Response(RequirementStatusOutputSerializer(line).data)


class RequirementDocumentApi(APIView):
    """The agency uploads the document a document item asks for (state becomes submitted, for staff review)."""

    permission_classes = [IsStaffOrAgencyAdmin]

    parser_classes = [MultiPartParser]  # uploads only; the rest of the API takes JSON

    @extend_schema(request={"multipart/form-data": RequirementDocumentInputSerializer},
                   responses=RequirementStatusOutputSerializer, tags=TAG_AGENCY)
    def post(self, request, status_id: int):
        line = selectors.requirement_status_get_for_user(user=request.user, status_id=status_id)
        serializer = RequirementDocumentInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        upload = serializer.validated_data["file"]
        if upload.size > settings.MAX_UPLOAD_BYTES:  # before reading it into memory
            raise ApplicationError("file_too_large", f"The file exceeds {settings.MAX_UPLOAD_BYTES} bytes.",
                                   status_code=413, fields={"file": ["File too large."]})
        line = services.requirement_document_upload(actor=request.user, status=line, name=upload.name,
                                                    content=upload.read(), declared_type=upload.content_type or "")
        return Response(RequirementStatusOutputSerializer(line).data)


class RequirementDocumentDownloadApi(DownloadNegotiationMixin, APIView):
    """The uploaded document, for staff to review and for the agency that uploaded it: always an attachment, with
    the type detected at upload and nosniff. Another agency's document is the same 404 as a missing one."""

    permission_classes = [IsStaffOrAgencyAdmin]

    @extend_schema(responses=download_schema_responses(DOCUMENT_TYPES), tags=TAG_AGENCY)
    def get(self, request, status_id: int):
        line = selectors.requirement_document_get_for_user(user=request.user, status_id=status_id)
        return file_download_response(line.document, content_type=line.document_content_type,
                                      filename=line.document_name or PurePath(line.document.name).name)


class RequirementAttestApi(APIView):
    """The agency signs an attestation item; the signed statement meets it."""

    permission_classes = [IsStaffOrAgencyAdmin]

    @extend_schema(request=RequirementAttestInputSerializer, responses=RequirementStatusOutputSerializer,
                   tags=TAG_AGENCY)
    def post(self, request, status_id: int):
        line = selectors.requirement_status_get_for_user(user=request.user, status_id=status_id)
        serializer = RequirementAttestInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        line = services.requirement_attest(actor=request.user, status=line, **serializer.validated_data)
        return Response(RequirementStatusOutputSerializer(line).data)
