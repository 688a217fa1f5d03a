"""An officer's own findings (issue #18, due process): read them from the notice on, answer in their own words with
documents within the response window, and name a representative. Officer accounts only (403 for every other role);
a finding about another officer is the same 404 as a missing one."""

from django.conf import settings
from django.utils import timezone
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_field
from rest_framework import generics, serializers
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from core.exceptions import ApplicationError
from core.permissions import IsOfficer
from core.serializers import StrictCharField, StrictEmailField, StrictIntegerField, StrictSerializer
from core.uploads import DOCUMENT_TYPES, DownloadNegotiationMixin, download_schema_responses, file_download_response

from .. import services
from ..models import Determination, FindingResponseAuthor, FindingSource, FindingStatus
from ..selectors.finding_responses import (
    EligibilityEffect,
    finding_representative_visible,
    finding_response_document_get_for_user,
    finding_responses_for,
    officer_own_finding_get,
    officer_own_findings,
)
from ..services.finding_responses import RESPONSE_OPEN_STATUSES
from ._common import inline_choice
from .findings import FindingRepresentativeOutputSerializer, FindingResponseOutputSerializer

TAGS = ["me"]


class OwnFindingSerializer(StrictSerializer):
    id = StrictIntegerField()
    incident_date = serializers.DateField()
    summary = StrictCharField()
    evidence_references = serializers.ListField(child=StrictCharField())
    source = inline_choice(FindingSource.choices, read_only=True)
    status = inline_choice(FindingStatus.choices, read_only=True)
    agency_name = StrictCharField(source="agency.name")
    noticed_at = serializers.DateTimeField()
    response_due_on = serializers.DateField()
    response_window_open = serializers.SerializerMethodField(help_text="Whether you may still answer.")
    determination = inline_choice(Determination.choices, read_only=True)
    determination_reason = StrictCharField(help_text="The reasons staff gave with the determination.")
    determined_at = serializers.DateTimeField(allow_null=True)
    verified_at = serializers.DateTimeField(allow_null=True)
    eligibility_effect = serializers.SerializerMethodField()
    eligibility_effect_text = serializers.SerializerMethodField()
    officer_responses = serializers.SerializerMethodField(help_text="Your own answers, oldest first.")
    agency_responses = serializers.SerializerMethodField(
        help_text="Your agency's answers, oldest first: what your employer told the programme about this finding.")
    representative = serializers.SerializerMethodField()

    @extend_schema_field({"type": "boolean"})
    def get_response_window_open(self, obj) -> bool:
        return obj.status in RESPONSE_OPEN_STATUSES and (
            obj.response_due_on is None or timezone.localdate() <= obj.response_due_on)

    @extend_schema_field(serializers.ChoiceField(choices=EligibilityEffect.CHOICES))
    def get_eligibility_effect(self, obj):
        return EligibilityEffect.of(obj)

    @extend_schema_field({"type": "string"})
    def get_eligibility_effect_text(self, obj):
        return EligibilityEffect.TEXT[EligibilityEffect.of(obj)]

    def _responses(self, obj, author_kind):
        user = self.context["request"].user
        return FindingResponseOutputSerializer(finding_responses_for(user=user, finding=obj, author_kind=author_kind),
                                               many=True).data

    @extend_schema_field(FindingResponseOutputSerializer(many=True))
    def get_officer_responses(self, obj):
        return self._responses(obj, FindingResponseAuthor.OFFICER)

    @extend_schema_field(FindingResponseOutputSerializer(many=True))
    def get_agency_responses(self, obj):
        return self._responses(obj, FindingResponseAuthor.AGENCY)

    @extend_schema_field(FindingRepresentativeOutputSerializer(allow_null=True))
    def get_representative(self, obj):
        representative = finding_representative_visible(user=self.context["request"].user, finding=obj)
        return None if representative is None else FindingRepresentativeOutputSerializer(representative).data


class OwnFindingResponseInputSerializer(StrictSerializer):
    text = StrictCharField(max_length=50_000, help_text="Your answer, in your own words.")
    files = serializers.ListField(child=serializers.FileField(), required=False, default=list,
                                  max_length=services.RESPONSE_MAX_FILES,
                                  help_text="Optional documents (PDF, PNG, JPEG, DOCX, XLSX, ODT), each under the "
                                            "upload limit; repeat the field for several.")


class OwnFindingRepresentativeInputSerializer(StrictSerializer):
    name = StrictCharField(max_length=200)
    email = StrictEmailField(max_length=254, help_text="Copied on every later notice about this finding.")
    phone = StrictCharField(max_length=40, required=False, allow_blank=True, default="")


_READS = ("Staff and you read your answers; your agency does not (your answer is your voice, not your employer's; "
          "staff decide what to disclose). You also read your agency's answers, since they are about you.")


class OfficerOwnFindingListApi(generics.GenericAPIView):
    permission_classes = [IsOfficer]
    serializer_class = OwnFindingSerializer

    def get_queryset(self):
        return officer_own_findings(user=self.request.user)

    @extend_schema(summary="My findings", tags=TAGS, responses=OwnFindingSerializer(many=True),
                   description="Excessive-force findings about the signed-in officer, from the notice on (newest "
                               "first): what was found, the response window, the determination with its reasons, "
                               "and what it means for your eligibility. " + _READS)
    def get(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(OwnFindingSerializer(page, many=True, context={"request": request}).data)


class OfficerOwnFindingDetailApi(APIView):
    permission_classes = [IsOfficer]

    @extend_schema(summary="One of my findings", tags=TAGS, responses=OwnFindingSerializer,
                   description="One finding about the signed-in officer (a finding about anyone else is a 404). "
                               + _READS)
    def get(self, request, finding_id: int):
        finding = officer_own_finding_get(user=request.user, finding_id=finding_id)
        return Response(OwnFindingSerializer(finding, context={"request": request}).data)


class OfficerOwnFindingResponseApi(APIView):
    permission_classes = [IsOfficer]
    parser_classes = [MultiPartParser]  # an answer may carry documents

    @extend_schema(
        summary="Answer a finding about me", tags=TAGS,
        request={"multipart/form-data": OwnFindingResponseInputSerializer}, responses={201: OwnFindingSerializer},
        description="Your answer in your own words, with optional documents (the same upload rules as other "
                    "documents: type decided by the content, at most " f"{settings.MAX_UPLOAD_BYTES} bytes each, "
                    f"at most {services.RESPONSE_MAX_FILES}). Accepted from the notice until the response date; "
                    "after it 409 `response_window_closed`, once determined 409 `response_not_open`. Each answer is "
                    "kept (a later one adds to it). " + _READS,
        examples=[OpenApiExample("An answer with the incident report attached", request_only=True, value={
            "text": "The detainee had slipped one cuff and reached for my holster before the first strike; my "
                    "incident report of that night, attached, says so.", "files": ["incident-report.pdf"]})])
    def post(self, request, finding_id: int):
        finding = officer_own_finding_get(user=request.user, finding_id=finding_id)
        serializer = OwnFindingResponseInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        files = []
        for upload in serializer.validated_data["files"]:
            if upload.size > settings.MAX_UPLOAD_BYTES:  # before reading it into memory
                raise ApplicationError("file_too_large", f"The file exceeds {settings.MAX_UPLOAD_BYTES} bytes.",
                                       status_code=413, fields={"files": ["File too large."]})
            files.append((upload.name, upload.read(), upload.content_type or ""))
        services.finding_response_add(actor=request.user, finding=finding, author_kind=FindingResponseAuthor.OFFICER,
                                      text=serializer.validated_data["text"], files=files,
                                      staff_may_file_late=False)
        finding = officer_own_finding_get(user=request.user, finding_id=finding_id)
        return Response(OwnFindingSerializer(finding, context={"request": request}).data, status=201)


class OfficerOwnFindingRepresentativeApi(APIView):
    permission_classes = [IsOfficer]

    @extend_schema(
        summary="Name my representative on a finding", tags=TAGS, request=OwnFindingRepresentativeInputSerializer,
        responses=OwnFindingSerializer,
        description="Name (or replace) the person who represents you on this finding, with their contact; they are "
                    "copied on every later notice about it (determination, verification). Staff see them; your "
                    "agency does not. Between the notice and the verification (409 `representative_closed` "
                    "otherwise).",
        examples=[OpenApiExample("A union attorney", request_only=True, value={
            "name": "Dana Whitfield", "email": "dwhitfield@peacelaw.example.org", "phone": "+1 916 555 0143"})])
    def put(self, request, finding_id: int):
        finding = officer_own_finding_get(user=request.user, finding_id=finding_id)
        serializer = OwnFindingRepresentativeInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.finding_representative_set(actor=request.user, finding=finding, **serializer.validated_data)
        finding = officer_own_finding_get(user=request.user, finding_id=finding_id)
        return Response(OwnFindingSerializer(finding, context={"request": request}).data)


class OfficerOwnFindingDocumentDownloadApi(DownloadNegotiationMixin, APIView):
    permission_classes = [IsOfficer]

    @extend_schema(summary="Download a document of an answer to my finding", tags=TAGS,
                   responses=download_schema_responses(DOCUMENT_TYPES),
                   description="A document attached to your own or your agency's answer on one of your findings, "
                               "as an attachment (anything else is a 404).")
    def get(self, request, finding_id: int, document_id: int):
        finding = officer_own_finding_get(user=request.user, finding_id=finding_id)
        document = finding_response_document_get_for_user(
            user=request.user, document_id=document_id,
            finding_visible=officer_own_findings(user=request.user).filter(pk=finding.pk))
        return file_download_response(document.file, filename=document.name, content_type=document.content_type)


