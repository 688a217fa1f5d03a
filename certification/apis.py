"""Certification over HTTP: thin views; serializers validate shape, services enforce the rules, selectors filter
what each user may see (a foreign row is a 404 like a missing one)."""

from pathlib import PurePath

from django.conf import settings
from django.http import HttpResponse
from django.utils import timezone
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field, inline_serializer
from rest_framework import generics, serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from agencies.selectors import agency_visible_to, officer_visible_to
from core.exceptions import ApplicationError
from core.filters import IdFilter, StrictFilterSet
from core.models import AuditEvent
from core.openapi import ApiErrorSerializer
from core.permissions import IsCertificationStaff, IsStaffOrAgencyAdmin
from core.uploads import DOCUMENT_TYPES, DownloadNegotiationMixin, download_schema_responses, file_download_response

from . import selectors, services
from .models import (
    AgencyCertification,
    AgencyCertificationStatus,
    CertificationProgramme,
    ComputedRule,
    Determination,
    Finding,
    FindingSource,
    FindingStatus,
    OfficerCertification,
    OfficerCertificationCycle,
    OfficerCertificationStatus,
    Plaque,
    PlaqueStatus,
    ProgrammeRequirement,
    RequirementKind,
    RequirementState,
    RequirementStatus,
    RevocationCategory,
)
from .pdf import plaque_pdf

TAG_AGENCY = ["certification: agencies"]
TAG_PLAQUE = ["certification: plaques"]
TAG_OFFICER = ["certification: officers"]
TAG_FINDING = ["certification: findings"]
TAG_LEDGER = ["certification: ledger"]


def inline_choice(choices, **kwargs) -> serializers.ChoiceField:
    """A choice field documented as a string listing its values: field names such as status, kind, state and source
    recur across apps with different choice sets, and shared enum components would collide."""
    values = [value for value, _ in choices]
    # The enum sits inside allOf: drf-spectacular hoists an "enum" key of a property into a component named after
    # the field, which collides; nested, it stays inline and clients (and fuzzers) still see the exact values.
    schema = {"type": "string", "allOf": [{"enum": list(values)}],
              "description": "One of: " + ", ".join(v or '""' for v in values) + "."}
    if kwargs.get("allow_null"):
        schema["nullable"] = True
        schema["allOf"][0]["enum"].append(None)
    field_class = extend_schema_field(schema)(type("InlineChoiceField", (serializers.ChoiceField,), {}))
    return field_class(choices=choices, **kwargs)


def _invalid(field: str, message: str) -> ApplicationError:
    return ApplicationError("validation_error", "The request is not valid.", fields={field: [message]})


# --- programmes -------------------------------------------------------------------------------------------------

class CertificationRequirementOutputSerializer(serializers.ModelSerializer):
    kind = inline_choice(RequirementKind.choices, read_only=True)
    computed_rule = inline_choice(ComputedRule.choices, read_only=True)

    class Meta:
        model = ProgrammeRequirement
        fields = ["id", "code", "title", "description", "kind", "computed_rule", "position", "is_active"]


class CertificationProgrammeOutputSerializer(serializers.ModelSerializer):
    requirements = CertificationRequirementOutputSerializer(many=True)

    class Meta:
        model = CertificationProgramme
        fields = ["id", "code", "name", "description", "is_active", "requirements"]


class CertificationProgrammeInputSerializer(serializers.Serializer):
    code = serializers.SlugField(max_length=50)
    name = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, max_length=5000)


class CertificationRequirementInputSerializer(serializers.Serializer):
    code = serializers.SlugField(max_length=50)
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    kind = inline_choice(RequirementKind.choices)
    computed_rule = inline_choice(ComputedRule.choices, required=False, allow_blank=True)
    position = serializers.IntegerField(min_value=0, max_value=10_000, required=False)


class CertificationRequirementUpdateInputSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200, required=False)
    description = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    position = serializers.IntegerField(min_value=0, max_value=10_000, required=False)
    is_active = serializers.BooleanField(required=False)


class CertificationProgrammeListCreateApi(generics.GenericAPIView):
    serializer_class = CertificationProgrammeOutputSerializer

    def get_permissions(self):
        return [IsCertificationStaff()] if self.request.method == "POST" else [IsStaffOrAgencyAdmin()]

    def get_queryset(self):
        return selectors.programme_visible_to(self.request.user)

    @extend_schema(responses=CertificationProgrammeOutputSerializer(many=True), tags=TAG_AGENCY)
    def get(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(CertificationProgrammeOutputSerializer(page, many=True).data)

    @extend_schema(request=CertificationProgrammeInputSerializer,
                   responses={201: CertificationProgrammeOutputSerializer}, tags=TAG_AGENCY)
    def post(self, request):
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
        requirement = selectors.programme_requirement_get_for_staff(user=request.user, requirement_id=requirement_id)
        serializer = CertificationRequirementUpdateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        requirement = services.programme_requirement_update(actor=request.user, requirement=requirement,
                                                            data=serializer.validated_data)
        return Response(CertificationRequirementOutputSerializer(requirement).data)


# --- agency certifications --------------------------------------------------------------------------------------

class AgencyCertificationOutputSerializer(serializers.ModelSerializer):
    programme_code = serializers.CharField(source="programme.code")
    programme_name = serializers.CharField(source="programme.name")
    agency_name = serializers.CharField(source="agency.name")
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


class AgencyCertificationChecklistItemSerializer(serializers.Serializer):
    status_id = serializers.IntegerField(help_text="Id of the checklist line (requirement-statuses/{id}/...).")
    requirement_id = serializers.IntegerField()
    code = serializers.CharField()
    title = serializers.CharField()
    kind = inline_choice(RequirementKind.choices)
    state = inline_choice(RequirementState.choices)
    met = serializers.BooleanField()
    detail = serializers.CharField(help_text="Staff note, or how a computed item was evaluated.")


class AgencyCertificationDetailOutputSerializer(AgencyCertificationOutputSerializer):
    checklist = serializers.SerializerMethodField()

    class Meta(AgencyCertificationOutputSerializer.Meta):
        fields = [*AgencyCertificationOutputSerializer.Meta.fields, "checklist"]

    @extend_schema_field(AgencyCertificationChecklistItemSerializer(many=True))
    def get_checklist(self, obj):
        evaluations = selectors.agency_certification_requirements_evaluate(certification=obj)
        return AgencyCertificationChecklistItemSerializer([e.__dict__ for e in evaluations], many=True).data


class AgencyCertificationApplyInputSerializer(serializers.Serializer):
    programme = serializers.IntegerField(min_value=1)
    agency = serializers.IntegerField(min_value=1, required=False,
                                      help_text="Agency id; an agency administrator may omit it (their own).")


class AgencyCertificationRevokeInputSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


class AgencyCertificationFilter(StrictFilterSet):
    status = filters.ChoiceFilter(choices=AgencyCertificationStatus.choices)

    class Meta:
        model = AgencyCertification
        fields = ["status", "agency", "programme"]


def _detail(request, certification_id) -> Response:
    certification = selectors.agency_certification_get_for_user(user=request.user, certification_id=certification_id)
    return Response(AgencyCertificationDetailOutputSerializer(certification).data)


class AgencyCertificationListCreateApi(generics.GenericAPIView):
    """Agency certifications: staff see all, an agency administrator their agency's. POST applies."""

    permission_classes = [IsStaffOrAgencyAdmin]
    serializer_class = AgencyCertificationOutputSerializer
    filterset_class = AgencyCertificationFilter

    def get_queryset(self):
        return selectors.agency_certification_visible_to(self.request.user)

    @extend_schema(responses=AgencyCertificationOutputSerializer(many=True), tags=TAG_AGENCY)
    def get(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(AgencyCertificationOutputSerializer(page, many=True).data)

    @extend_schema(request=AgencyCertificationApplyInputSerializer,
                   responses={201: AgencyCertificationDetailOutputSerializer}, tags=TAG_AGENCY)
    def post(self, request):
        serializer = AgencyCertificationApplyInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        agency_id = serializer.validated_data.get("agency") or request.user.agency_id
        if agency_id is None:
            raise _invalid("agency", "This field is required.")
        agency = agency_visible_to(request.user).filter(pk=agency_id).first()
        if agency is None:
            raise _invalid("agency", f"Unknown agency {agency_id}.")
        programme = selectors.programme_visible_to(request.user).filter(
            pk=serializer.validated_data["programme"]).first()
        if programme is None:
            raise _invalid("programme", f"Unknown programme {serializer.validated_data['programme']}.")
        certification = services.agency_certification_apply(actor=request.user, agency=agency, programme=programme)
        response = _detail(request, certification.pk)
        response.status_code = status.HTTP_201_CREATED
        return response


class AgencyCertificationDetailApi(APIView):
    permission_classes = [IsStaffOrAgencyAdmin]

    @extend_schema(responses=AgencyCertificationDetailOutputSerializer, tags=TAG_AGENCY)
    def get(self, request, certification_id: int):
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

class RequirementStatusOutputSerializer(serializers.ModelSerializer):
    code = serializers.CharField(source="requirement.code")
    title = serializers.CharField(source="requirement.title")
    kind = serializers.CharField(source="requirement.kind")
    state = inline_choice(RequirementState.choices, read_only=True)
    has_document = serializers.SerializerMethodField()
    document_url = serializers.SerializerMethodField()
    rejections = inline_serializer("RequirementRejection", many=True, read_only=True, fields={
        "at": serializers.DateTimeField(), "by": serializers.CharField(), "note": serializers.CharField()},
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


class RequirementStatusMarkInputSerializer(serializers.Serializer):
    state = inline_choice([(s.value, s.label) for s in (RequirementState.MET, RequirementState.REJECTED,
                                                         RequirementState.PENDING)])
    note = serializers.CharField(required=False, allow_blank=True, max_length=5000, default="")


class RequirementDocumentInputSerializer(serializers.Serializer):
    file = serializers.FileField()


class RequirementAttestInputSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=10_000)
    attested_by_name = serializers.CharField(max_length=200)


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


# --- plaques ---------------------------------------------------------------------------------------------------

class PlaqueOutputSerializer(serializers.ModelSerializer):
    agency = serializers.IntegerField(source="certification.agency_id")
    agency_name = serializers.CharField(source="certification.agency.name")
    certificate_number = serializers.CharField(source="certification.certificate_number")
    status = inline_choice(PlaqueStatus.choices, read_only=True)
    overdue = serializers.SerializerMethodField()

    class Meta:
        model = Plaque
        fields = ["id", "certification", "agency", "agency_name", "certificate_number", "status", "ordered_at",
                  "due_on", "overdue", "printed_at", "shipped_at", "carrier", "tracking_number", "delivered_at",
                  "days_taken"]

    def get_overdue(self, obj) -> bool:
        return obj.status != PlaqueStatus.DELIVERED and obj.due_on < timezone.localdate()


class PlaqueAdvanceInputSerializer(serializers.Serializer):
    to = inline_choice([(s.value, s.label) for s in (PlaqueStatus.PRINTED, PlaqueStatus.SHIPPED,
                                                      PlaqueStatus.DELIVERED)])
    carrier = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    tracking_number = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")


class PlaqueFilter(StrictFilterSet):
    status = filters.ChoiceFilter(choices=PlaqueStatus.choices)
    overdue = filters.TypedChoiceFilter(choices=[("true", "true"), ("false", "false")],
                                        coerce=lambda value: value == "true", method="filter_overdue",
                                        help_text="true: undelivered plaques past their due date; false: the others.")

    class Meta:
        model = Plaque
        fields = ["status", "overdue"]

    @extend_schema_field(OpenApiTypes.BOOL)
    def filter_overdue(self, queryset, name, value):
        return selectors.plaques_overdue_filter(queryset, overdue=value)


class PlaqueListApi(generics.GenericAPIView):
    permission_classes = [IsStaffOrAgencyAdmin]
    serializer_class = PlaqueOutputSerializer
    filterset_class = PlaqueFilter

    def get_queryset(self):
        return selectors.plaque_visible_to(self.request.user)

    @extend_schema(responses=PlaqueOutputSerializer(many=True), tags=TAG_PLAQUE)
    def get(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(PlaqueOutputSerializer(page, many=True).data)


class PlaqueDetailApi(APIView):
    permission_classes = [IsStaffOrAgencyAdmin]

    @extend_schema(responses=PlaqueOutputSerializer, tags=TAG_PLAQUE)
    def get(self, request, plaque_id: int):
        return Response(PlaqueOutputSerializer(selectors.plaque_get_for_user(user=request.user,
                                                                             plaque_id=plaque_id)).data)


class PlaqueAdvanceApi(APIView):
    """Staff record fulfilment: ordered -> printed -> shipped (carrier, tracking number) -> delivered."""

    permission_classes = [IsStaffOrAgencyAdmin]

    @extend_schema(request=PlaqueAdvanceInputSerializer, responses=PlaqueOutputSerializer, tags=TAG_PLAQUE)
    def post(self, request, plaque_id: int):
        plaque = selectors.plaque_get_for_user(user=request.user, plaque_id=plaque_id)
        serializer = PlaqueAdvanceInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.plaque_advance(actor=request.user, plaque=plaque, **serializer.validated_data)
        return Response(PlaqueOutputSerializer(selectors.plaque_get_for_user(user=request.user,
                                                                             plaque_id=plaque_id)).data)


class PlaquePdfApi(DownloadNegotiationMixin, APIView):
    """The printable plaque: agency, dates, certificate number and a QR code of the public verification page."""

    permission_classes = [IsStaffOrAgencyAdmin]

    @extend_schema(responses={(200, "application/pdf"): OpenApiTypes.BINARY}, tags=TAG_PLAQUE)
    def get(self, request, plaque_id: int):
        plaque = selectors.plaque_get_for_user(user=request.user, plaque_id=plaque_id)
        data = services.plaque_pdf_data(plaque=plaque)
        response = HttpResponse(plaque_pdf(data), content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="plaque-{data.certificate_number}.pdf"'
        return response


# --- officer certifications -------------------------------------------------------------------------------------

class OfficerCertificationOutputSerializer(serializers.ModelSerializer):
    officer_name = serializers.CharField(source="officer.full_name")
    license_number = serializers.CharField(source="officer.license_number")
    state = serializers.CharField(source="officer.state")
    agency = serializers.IntegerField(source="officer.agency_id")
    agency_name = serializers.CharField(source="officer.agency.name")
    status = inline_choice(OfficerCertificationStatus.choices, read_only=True)
    revocation_category = inline_choice(RevocationCategory.choices, read_only=True)
    effective_status = serializers.SerializerMethodField(help_text="active turns lapsed as soon as the cycle ends, "
                                                         "before the daily sweep writes it.")

    class Meta:
        model = OfficerCertification
        fields = ["id", "officer", "officer_name", "license_number", "state", "agency", "agency_name", "status",
                  "effective_status", "cycle_start", "valid_until", "granted_at", "renewed_at", "lapsed_at",
                  "revoked_at", "revocation_category"]

    @extend_schema_field({"type": "string", "allOf": [{"enum": list(OfficerCertificationStatus.values)}],
                          "description": "One of: " + ", ".join(OfficerCertificationStatus.values)})
    def get_effective_status(self, obj):
        return selectors.officer_certification_effective_status(obj.status, obj.valid_until)


class OfficerCertificationCycleOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = OfficerCertificationCycle
        fields = ["cycle_start", "cycle_end", "ce_hours", "ce_window_start", "ce_window_end", "granted_at"]


class OfficerCertificationDetailOutputSerializer(OfficerCertificationOutputSerializer):
    cycles = OfficerCertificationCycleOutputSerializer(many=True)

    class Meta(OfficerCertificationOutputSerializer.Meta):
        fields = [*OfficerCertificationOutputSerializer.Meta.fields, "cycles"]


class OfficerCertificationGrantInputSerializer(serializers.Serializer):
    officer = serializers.IntegerField(min_value=1)


class OfficerCertificationFilter(StrictFilterSet):
    status = filters.ChoiceFilter(choices=OfficerCertificationStatus.choices)
    agency = IdFilter(field_name="officer__agency_id")

    class Meta:
        model = OfficerCertification
        fields = ["status", "officer", "agency"]


class OfficerCertificationListCreateApi(generics.GenericAPIView):
    """Good Officer Certifications. POST (staff) grants one — or grants it again after it lapsed — when the
    officer has the CE hours of the last twelve months and no sustained finding."""

    permission_classes = [IsStaffOrAgencyAdmin]
    serializer_class = OfficerCertificationOutputSerializer
    filterset_class = OfficerCertificationFilter

    def get_queryset(self):
        return selectors.officer_certification_visible_to(self.request.user)

    @extend_schema(responses=OfficerCertificationOutputSerializer(many=True), tags=TAG_OFFICER)
    def get(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(OfficerCertificationOutputSerializer(page, many=True).data)

    @extend_schema(request=OfficerCertificationGrantInputSerializer,
                   responses={201: OfficerCertificationDetailOutputSerializer}, tags=TAG_OFFICER)
    def post(self, request):
        serializer = OfficerCertificationGrantInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        officer = officer_visible_to(request.user).filter(pk=serializer.validated_data["officer"]).first()
        if officer is None:
            raise _invalid("officer", f"Unknown officer {serializer.validated_data['officer']}.")
        certification = services.officer_certification_grant(actor=request.user, officer=officer)
        certification = selectors.officer_certification_get_for_user(user=request.user,
                                                                     certification_id=certification.pk)
        return Response(OfficerCertificationDetailOutputSerializer(certification).data,
                        status=status.HTTP_201_CREATED)


class OfficerCertificationDetailApi(APIView):
    permission_classes = [IsStaffOrAgencyAdmin]

    @extend_schema(responses=OfficerCertificationDetailOutputSerializer, tags=TAG_OFFICER)
    def get(self, request, certification_id: int):
        certification = selectors.officer_certification_get_for_user(user=request.user,
                                                                     certification_id=certification_id)
        return Response(OfficerCertificationDetailOutputSerializer(certification).data)


class OfficerCertificationRenewApi(APIView):
    """Staff renew an active certification for the next cycle with the CE hours of the current one."""

    permission_classes = [IsStaffOrAgencyAdmin]

    @extend_schema(request=None, responses=OfficerCertificationDetailOutputSerializer, tags=TAG_OFFICER)
    def post(self, request, certification_id: int):
        certification = selectors.officer_certification_get_for_user(user=request.user,
                                                                     certification_id=certification_id)
        services.officer_certification_renew(actor=request.user, certification=certification)
        certification = selectors.officer_certification_get_for_user(user=request.user,
                                                                     certification_id=certification_id)
        return Response(OfficerCertificationDetailOutputSerializer(certification).data)


class OfficerEligibilityOutputSerializer(serializers.Serializer):
    certification_status = inline_choice(OfficerCertificationStatus.choices, allow_null=True)
    certification_valid_until = serializers.DateField(allow_null=True)
    permanently_ineligible = serializers.BooleanField()
    open_findings = serializers.IntegerField()
    sustained_findings = serializers.IntegerField()


class OfficerEligibilityApi(APIView):
    """An officer's certification standing (the same summary other apps read)."""

    permission_classes = [IsStaffOrAgencyAdmin]

    @extend_schema(responses=OfficerEligibilityOutputSerializer, tags=TAG_OFFICER)
    def get(self, request, officer_id: int):
        officer = officer_visible_to(request.user).filter(pk=officer_id).values_list("pk", flat=True).first()
        if officer is None:
            raise ApplicationError("not_found", "Not found.", status_code=404)
        summary = selectors.officer_eligibility_summary(officer_id=officer)
        return Response(OfficerEligibilityOutputSerializer(summary.__dict__).data)


class OfficerLinkInputSerializer(serializers.Serializer):
    same_person_as = serializers.IntegerField(min_value=1, help_text="The other record of the same person.")
    reason = serializers.CharField(max_length=500)


class OfficerLinkOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    same_person_as = serializers.IntegerField(source="same_person_as_id")
    permanently_ineligible_at = serializers.DateTimeField(allow_null=True)


class OfficerLinkApi(APIView):
    """Staff record that two officer records are one person. Permanent ineligibility of either carries to both
    (certifications revoked in the same transaction); a link is never undone."""

    permission_classes = [IsCertificationStaff]

    @extend_schema(request=OfficerLinkInputSerializer,
                   responses={200: OfficerLinkOutputSerializer, 409: ApiErrorSerializer}, tags=TAG_OFFICER)
    def post(self, request, officer_id: int):
        officer = officer_visible_to(request.user).filter(pk=officer_id).first()
        if officer is None:
            raise ApplicationError("not_found", "Not found.", status_code=404)
        serializer = OfficerLinkInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        other = officer_visible_to(request.user).filter(pk=serializer.validated_data["same_person_as"]).first()
        if other is None:
            raise ApplicationError("validation_error", "The request is not valid.",
                                   fields={"same_person_as": ["Unknown officer."]})
        officer = services.officer_records_link(actor=request.user, officer=officer, same_person_as=other,
                                                reason=serializer.validated_data["reason"])
        return Response(OfficerLinkOutputSerializer(officer).data)


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
        officer = officer_visible_to(request.user).filter(pk=data.pop("officer")).first()
        if officer is None:
            raise _invalid("officer", "Unknown officer.")
        agency = None
        if "agency" in data:
            agency = agency_visible_to(request.user).filter(pk=data.pop("agency")).first()
            if agency is None:
                raise _invalid("agency", "Unknown agency.")
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


# --- ledger ----------------------------------------------------------------------------------------------------

class CertificationLedgerEntryOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = AuditEvent
        fields = ["sequence", "occurred_at", "actor_label", "action", "target_type", "target_id", "data",
                  "prev_hash", "entry_hash"]


class CertificationLedgerFilter(StrictFilterSet):
    action = filters.CharFilter(field_name="action")
    target_type = filters.CharFilter(field_name="target_type")
    target_id = filters.CharFilter(field_name="target_id")

    class Meta:
        model = AuditEvent
        fields = ["action", "target_type", "target_id"]


class CertificationLedgerApi(generics.GenericAPIView):
    """Certification events in the hash-chained audit ledger, newest first (staff only)."""

    permission_classes = [IsAuthenticated, IsCertificationStaff]
    serializer_class = CertificationLedgerEntryOutputSerializer
    filterset_class = CertificationLedgerFilter

    def get_queryset(self):
        return selectors.ledger_visible_to(self.request.user)

    @extend_schema(responses=CertificationLedgerEntryOutputSerializer(many=True), tags=TAG_LEDGER)
    def get(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(CertificationLedgerEntryOutputSerializer(page, many=True).data)
