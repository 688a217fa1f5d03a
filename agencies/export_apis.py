"""The roster as CSV for agency administrators (issue #14): `GET /api/v1/officers/export.csv`."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.views import APIView

from core.csv_export import csv_streaming_response
from core.filters import MAX_ID
from core.openapi import ApiErrorSerializer
from core.permissions import IsStaffOrAgencyAdmin
from core.serializers import StrictIntegerField, StrictQuerySerializer
from core.uploads import DownloadNegotiationMixin

from .exports import ROSTER_EXPORT_COLUMNS, officer_roster_export_rows
from .states import US_STATE_CHOICES


class OfficerRosterExportQuerySerializer(StrictQuerySerializer):
    agency = StrictIntegerField(
        min_value=1, max_value=MAX_ID, required=False,
        help_text="Staff: one agency's roster (default: every agency). An agency administrator always gets their "
                  "own agency; naming another gives an empty file.")
    state = serializers.ChoiceField(choices=US_STATE_CHOICES, required=False, help_text="Licensing state.")


ROSTER_CSV_EXAMPLE = (
    "officer_id,last_name,first_name,state,license_number,rank,hire_date,email,agency_id,agency_name,"
    "permanently_ineligible_at\r\n"
    "412,Okafor,Grace,CA,CA-55102,Sergeant,2015-03-02,g.okafor@riverside.example.gov,3,Riverside Police "
    "Department,\r\n"
)


class OfficerRosterExportApi(DownloadNegotiationMixin, APIView):
    """The agency's officers as CSV, one row per officer record, ordered by agency and name."""

    permission_classes = [IsStaffOrAgencyAdmin]

    @extend_schema(
        summary="Download the officer roster as CSV",
        description="Every officer record the caller may see (an agency administrator: their agency; staff: every "
                    "agency, or `?agency=`), with licence, rank, hire date and e-mail. Cells a spreadsheet would "
                    "read as a formula (starting with = + - @) are prefixed with `'`. Streamed: any roster size.",
        parameters=[OfficerRosterExportQuerySerializer],
        responses={
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="The roster, UTF-8 CSV with a header.",
                                               examples=[OpenApiExample("Roster", value=ROSTER_CSV_EXAMPLE)]),
            400: ApiErrorSerializer,
        },
        tags=["officers"],
    )
    def get(self, request):
        query = OfficerRosterExportQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        rows = officer_roster_export_rows(user=request.user, agency_id=query.validated_data.get("agency"),
                                          state=query.validated_data.get("state"))
        return csv_streaming_response(header=list(ROSTER_EXPORT_COLUMNS), rows=rows, filename="officer-roster.csv")
