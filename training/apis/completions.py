"""Completions over HTTP: the credit list, certificates, transcripts, the state roster and the credit import."""

import csv

from django.http import HttpResponse, StreamingHttpResponse
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import generics, serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from agencies.selectors import officer_get_for_user
from agencies.states import US_STATE_CHOICES
from core.csv_export import csv_safe
from core.exceptions import ApplicationError
from core.filters import StrictFilterSet
from core.openapi import ApiErrorSerializer
from core.permissions import IsCertificationStaff, IsStaffOrAgencyAdmin
from core.serializers import (
    StrictCharField,
    StrictIntegerField,
    StrictModelSerializer,
    StrictQuerySerializer,
    StrictSerializer,
)
from core.uploads import DownloadNegotiationMixin

from .. import selectors, services
from ..models import (
    Completion,
    CompletionSource,
)
from ..pdf import render_completion_certificate
from ._common import HOURS, TAGS

# --- completions, certificates, transcripts -----------------------------------------------------------------


class TrainingCompletionOutputSerializer(StrictModelSerializer):
    source = serializers.ChoiceField(choices=CompletionSource.choices)
    officer_name = StrictCharField(source="officer.full_name")
    course_code = StrictCharField(source="course.code")
    course_title = StrictCharField(source="course.title")
    certificate_url = serializers.SerializerMethodField()

    class Meta:
        model = Completion
        fields = ["id", "officer", "officer_name", "course", "course_code", "course_title", "session", "source",
                  "completed_on", "ce_hours", "verification_code", "certificate_url"]

    def get_certificate_url(self, obj) -> str:
        return f"/api/v1/training/completions/{obj.pk}/certificate.pdf"


class TrainingCompletionFilter(StrictFilterSet):
    completed_from = filters.DateFilter(field_name="completed_on", lookup_expr="gte")
    completed_to = filters.DateFilter(field_name="completed_on", lookup_expr="lte")
    course_code = filters.CharFilter(field_name="course__code")

    class Meta:
        model = Completion
        fields = ["officer", "course", "session", "source", "completed_from", "completed_to", "course_code"]


class CompletionListApi(generics.GenericAPIView):
    """Completions (CE credits): staff see all; an agency administrator their current officers'."""

    serializer_class = TrainingCompletionOutputSerializer
    filterset_class = TrainingCompletionFilter
    permission_classes = [IsStaffOrAgencyAdmin]

    def get_queryset(self):
        return selectors.completion_visible_to(self.request.user)

    @extend_schema(responses=TrainingCompletionOutputSerializer(many=True), tags=TAGS)
    def get(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(TrainingCompletionOutputSerializer(page, many=True).data)


class CompletionCertificateApi(DownloadNegotiationMixin, APIView):
    """The completion certificate as PDF: officer, course, hours, date, verification code and its QR code."""

    permission_classes = [IsStaffOrAgencyAdmin]

    @extend_schema(responses={(200, "application/pdf"): OpenApiTypes.BINARY}, tags=TAGS)
    def get(self, request, completion_id: int):
        completion = selectors.completion_get_for_user(user=request.user, completion_id=completion_id)
        pdf = render_completion_certificate(services.completion_certificate_data(completion=completion))
        response = HttpResponse(pdf, content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="certificate-{completion.verification_code}.pdf"'
        return response


class TrainingTranscriptLineSerializer(StrictSerializer):
    completion_id = StrictIntegerField(source="completion.pk")
    course_code = StrictCharField(source="completion.course.code")
    course_title = StrictCharField(source="completion.course.title")
    completed_on = serializers.DateField(source="completion.completed_on")
    ce_hours = serializers.DecimalField(source="completion.ce_hours", **HOURS)
    state_hours = serializers.DecimalField(allow_null=True, help_text="Hours the requested state accepts.", **HOURS)
    state_course_number = StrictCharField()
    source = StrictCharField(source="completion.source")
    verification_code = StrictCharField(source="completion.verification_code")


class TrainingTranscriptSerializer(StrictSerializer):
    officer = StrictIntegerField(source="officer.pk")
    officer_name = StrictCharField(source="officer.full_name")
    officer_state = StrictCharField(source="officer.state")
    license_number = StrictCharField(source="officer.license_number")
    start = serializers.DateField(allow_null=True)
    end = serializers.DateField(allow_null=True)
    state = StrictCharField(allow_null=True)
    completions = TrainingTranscriptLineSerializer(many=True, source="lines")
    total_hours = serializers.DecimalField(**HOURS)
    hours_by_state = serializers.DictField(child=serializers.DecimalField(**HOURS),
                                           help_text="Hours each state accepts, from its accreditation mapping.")


class TrainingTranscriptQuerySerializer(StrictQuerySerializer):
    start = serializers.DateField(required=False, help_text="First day (inclusive).")
    end = serializers.DateField(required=False, help_text="Last day (inclusive).")
    state = serializers.ChoiceField(choices=US_STATE_CHOICES, required=False,
                                    help_text="Two-letter state: hours as that state accepts them.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # "from" is a Python keyword: the query parameters are from / to; validated_data keeps start / end.
        self.fields["from"] = self.fields.pop("start")
        self.fields["to"] = self.fields.pop("end")

    def validate(self, attrs):
        if attrs.get("start") and attrs.get("end") and attrs["start"] > attrs["end"]:
            raise serializers.ValidationError({"to": ["Must not be before from."]})
        return attrs


class OfficerTranscriptApi(APIView):
    """An officer's completions and CE hours for a period, with totals per state from the accreditation mapping.
    Staff: any officer; an agency administrator: their own officers."""

    permission_classes = [IsStaffOrAgencyAdmin]

    @extend_schema(parameters=[TrainingTranscriptQuerySerializer], responses=TrainingTranscriptSerializer, tags=TAGS)
    def get(self, request, officer_id: int):
        officer = officer_get_for_user(user=request.user, officer_id=officer_id)
        query = TrainingTranscriptQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        transcript = selectors.officer_transcript(officer=officer, start=params.get("start"), end=params.get("end"),
                                                  state=params.get("state"))
        return Response(TrainingTranscriptSerializer(transcript).data)


class TrainingStateRosterQuerySerializer(StrictQuerySerializer):
    state = serializers.ChoiceField(choices=US_STATE_CHOICES)
    start = serializers.DateField()
    end = serializers.DateField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["from"] = self.fields.pop("start")
        self.fields["to"] = self.fields.pop("end")

    def validate(self, attrs):
        if attrs["start"] > attrs["end"]:
            raise serializers.ValidationError({"to": ["Must not be before from."]})
        return attrs


STATE_ROSTER_COLUMNS = ["last_name", "first_name", "license_number", "license_state", "agency", "course_code",
                        "course_title", "state_course_number", "hours", "completed_on", "verification_code"]


class _Echo:
    def write(self, value):
        return value


def _csv_safe(value) -> str:
    # Spreadsheet formula injection: the one rule of core.csv_export (this file keeps str(None) == "None").
    return csv_safe(str(value))


class StateRosterExportApi(DownloadNegotiationMixin, APIView):
    """CSV of completions for a state and date range, in the shape states take for credit reporting (staff)."""

    permission_classes = [IsCertificationStaff]

    @extend_schema(parameters=[TrainingStateRosterQuerySerializer], responses={(200, "text/csv"): OpenApiTypes.STR},
                   tags=TAGS)
    def get(self, request):
        query = TrainingStateRosterQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        state, start, end = (query.validated_data[k] for k in ("state", "start", "end"))
        writer = csv.writer(_Echo())

        def rows():
            yield writer.writerow(STATE_ROSTER_COLUMNS)
            for completion, mapping in selectors.state_roster_rows(state=state, start=start, end=end):
                officer = completion.officer
                yield writer.writerow([_csv_safe(v) for v in (
                    officer.last_name, officer.first_name, officer.license_number, officer.state,
                    officer.agency.name, completion.course.code, completion.course.title,
                    mapping.state_course_number, mapping.hours_accepted, completion.completed_on,
                    completion.verification_code)])

        response = StreamingHttpResponse(rows(), content_type="text/csv")
        response["Content-Disposition"] = f'attachment; filename="ce-roster-{state}-{start}-{end}.csv"'
        return response


class TrainingCreditImportInputSerializer(StrictSerializer):
    file = serializers.FileField(help_text="CSV with columns state, license_number, course_code, completed_on "
                                           "(YYYY-MM-DD) and optionally ce_hours.")


TrainingCreditImportOutputSerializer = inline_serializer("TrainingCreditImportOutput", fields={
    "import_id": StrictIntegerField(), "created": StrictIntegerField(),
    "qualifications": StrictIntegerField(),
})


class CreditImportApi(APIView):
    """Import historical completions from CSV (staff). All rows are checked first; any error writes nothing."""

    permission_classes = [IsCertificationStaff]

    parser_classes = [MultiPartParser]  # uploads only; the rest of the API takes JSON

    @extend_schema(request={"multipart/form-data": TrainingCreditImportInputSerializer},
                   responses={201: TrainingCreditImportOutputSerializer,
                              400: OpenApiResponse(ApiErrorSerializer, "Row-numbered errors; nothing written.")},
                   tags=TAGS)
    def post(self, request):
        from django.conf import settings

        serializer = TrainingCreditImportInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        upload = serializer.validated_data["file"]
        if upload.size > settings.MAX_UPLOAD_BYTES:
            raise ApplicationError("file_too_large", f"The file exceeds {settings.MAX_UPLOAD_BYTES} bytes.",
                                   status_code=413, fields={"file": ["File too large."]})
        result = services.credits_import(raw=upload.read(), actor=request.user)
        if result.errors:
            raise ApplicationError("credits_invalid", f"{len(result.errors)} problem(s) in the file; nothing was "
                                   "imported.", fields=result.errors)
        return Response({"import_id": result.credit_import.pk, "created": result.created,
                         "qualifications": result.qualifications}, status=status.HTTP_201_CREATED)
