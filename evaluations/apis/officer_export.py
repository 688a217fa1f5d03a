"""An officer's own data export (issue #18): `GET /me/officer/export.json` (everything, one JSON file) and
`GET /me/officer/export.pdf` (a readable summary). Officer accounts only (403 for every other role); what goes in
is decided by evaluations/officer_export.py."""

import json

from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.views import APIView

from core.permissions import IsOfficer
from core.serializers import StrictCharField, StrictSerializer
from core.uploads import DownloadNegotiationMixin

from ..officer_export import officer_own_export
from ..officer_export_pdf import officer_export_pdf

TAGS = ["me"]
_WHAT = ("your officer record with employment and licence history, your account, CE credits per state, "
         "completions with certificate codes, enrolments, your Good Officer Certification with every cycle, findings "
         "about you (from the notice on) with your own and your agency's answers, your representative and the "
         "determination with its reasons, and the 360 reports released to you (anonymised groups only, never who "
         "said what). Nothing about anyone else: people who acted appear only as roles.")


class OfficerExportSerializer(StrictSerializer):
    format = StrictCharField(help_text="peacecert-officer-export/1")
    generated_at = serializers.DateTimeField()
    account = serializers.JSONField(help_text="username, email, date_joined, last_login")
    officer = serializers.JSONField(help_text="The record as GET /me/officer/ shows it, with licences and "
                                              "employment history.")
    training = serializers.JSONField(help_text="ce_hours_total, ce_hours_by_state, completions, enrollments")
    good_officer_certification = serializers.JSONField(help_text="status, current cycle dates, cycles")
    findings = serializers.JSONField(help_text="Each finding with own_answers, agency_answers (documents by name, "
                                               "type, size and SHA-256), representative and determination.")
    evaluation_reports = serializers.JSONField(help_text="Released 360 reports: band, development areas, "
                                                         "anonymised content and summary.")


def _attachment(response: HttpResponse, filename: str) -> HttpResponse:
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"  # personal data: no shared or browser cache keeps a copy
    return response


class OfficerOwnExportJsonApi(APIView):
    # A JSON answer: DRF's own negotiation serves Accept application/json and */* (no download mixin needed).
    permission_classes = [IsOfficer]

    @extend_schema(summary="Download everything PeaceCert holds about me (JSON)", tags=TAGS,
                   responses={(200, "application/json"): OfficerExportSerializer},
                   description="One JSON file (an attachment) with " + _WHAT)
    def get(self, request):
        export = officer_own_export(user=request.user)
        content = json.dumps(export, cls=DjangoJSONEncoder, indent=2, ensure_ascii=False)
        return _attachment(HttpResponse(content, content_type="application/json"),
                           f"peacecert-export-{export['officer']['id']}.json")


class OfficerOwnExportPdfApi(DownloadNegotiationMixin, APIView):
    permission_classes = [IsOfficer]

    @extend_schema(summary="Download a readable summary of my data (PDF)", tags=TAGS,
                   responses={(200, "application/pdf"): OpenApiTypes.BINARY},
                   description="A PDF summary (an attachment) of the same export: " + _WHAT)
    def get(self, request):
        export = officer_own_export(user=request.user)
        return _attachment(HttpResponse(officer_export_pdf(export), content_type="application/pdf"),
                           f"peacecert-export-{export['officer']['id']}.pdf")
