"""Completions as CSV for agency administrators (issue #14): `GET /api/v1/training/completions/export.csv`."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.views import APIView

from agencies.states import US_STATE_CHOICES
from core.csv_export import csv_streaming_response
from core.filters import MAX_ID
from core.openapi import ApiErrorSerializer
from core.permissions import IsStaffOrAgencyAdmin
from core.serializers import StrictIntegerField, StrictQuerySerializer
from core.uploads import DownloadNegotiationMixin

from ..exports import COMPLETION_EXPORT_COLUMNS, completion_export_rows
from ._common import TAGS


class TrainingCompletionExportQuerySerializer(StrictQuerySerializer):
    agency = StrictIntegerField(
        min_value=1, max_value=MAX_ID, required=False,
        help_text="Staff: one agency's officers (default: every agency). An agency administrator always gets their "
                  "own officers; naming another agency gives an empty file.")
    start = serializers.DateField(required=False, help_text="Completed on or after this date (YYYY-MM-DD).")
    end = serializers.DateField(required=False, help_text="Completed on or before this date (YYYY-MM-DD).")
    state = serializers.ChoiceField(choices=US_STATE_CHOICES, required=False,
                                    help_text="The officer's licensing state.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["from"] = self.fields.pop("start")  # `from` is a Python keyword
        self.fields["to"] = self.fields.pop("end")

    def validate(self, attrs):
        if attrs.get("start") and attrs.get("end") and attrs["start"] > attrs["end"]:
            raise serializers.ValidationError({"to": ["Must not be before from."]})
        return attrs


COMPLETIONS_CSV_EXAMPLE = (
    "completion_id,completed_on,officer_id,last_name,first_name,license_state,license_number,agency_id,agency_name,"
    "course_code,course_title,ce_hours,source,verification_code\r\n"
    "1804,2026-03-12,412,Okafor,Grace,CA,CA-55102,3,Riverside Police Department,PO-101,Peace Officer Foundations,"
    "8.00,session,PC-7KQ2-M9XD\r\n"
)


class CompletionExportApi(DownloadNegotiationMixin, APIView):
    """The caller's officers' course completions as CSV, oldest first."""

    permission_classes = [IsStaffOrAgencyAdmin]

    @extend_schema(
        summary="Download course completions as CSV",
        description="Every completion of the officers the caller may see (an agency administrator: their agency's; "
                    "staff: every agency, or `?agency=`), optionally between `from` and `to` (inclusive) and for "
                    "officers licensed in `state`. Cells a spreadsheet would read as a formula (starting with "
                    "= + - @) are prefixed with `'`. Streamed: any number of rows.",
        parameters=[TrainingCompletionExportQuerySerializer],
        responses={
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="UTF-8 CSV with a header row.",
                                               examples=[OpenApiExample("Completions", value=COMPLETIONS_CSV_EXAMPLE)]),
            400: ApiErrorSerializer,
        },
        tags=TAGS,
    )
    def get(self, request):
        query = TrainingCompletionExportQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        rows = completion_export_rows(user=request.user, agency_id=data.get("agency"), start=data.get("start"),
                                      end=data.get("end"), state=data.get("state"))
        return csv_streaming_response(header=list(COMPLETION_EXPORT_COLUMNS), rows=rows,
                                      filename="training-completions.csv")
