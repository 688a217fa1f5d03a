"""The public registry: no login, throttled per address, limited fields, one database query per request.

Reads go through `.values()` into plain dicts (certification/selectors/public.py); no model instances,
no serializer traversal of relations, no pagination COUNT: a search returns at most PUBLIC_RESULTS_MAX rows and
says whether it was truncated.
"""

import csv
import io

from django.conf import settings
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle
from rest_framework.views import APIView

from agencies.states import US_STATE_CHOICES
from core.client import client_address
from core.csv_export import csv_safe
from core.exceptions import ApplicationError
from core.ratelimit import rate_limit_consume
from core.serializers import (
    StrictBooleanField,
    StrictCharField,
    StrictIntegerField,
    StrictQuerySerializer,
    StrictSerializer,
)
from core.uploads import DownloadNegotiationMixin

from . import selectors
from .apis import inline_choice
from .models import AgencyCertificationStatus, OfficerCertificationStatus

TAGS = ["public registry"]
PUBLIC_WINDOW_SECONDS = 60


class PublicRegistryThrottle(BaseThrottle):
    """Exact per-address counter in the cache (Redis in production), shared by every public registry endpoint."""

    def allow_request(self, request, view):
        limit = getattr(settings, "PUBLIC_REGISTRY_REQUESTS_PER_MINUTE", 120)
        # core.client.client_address, not BaseThrottle.get_ident: DRF's trusts any X-Forwarded-For a client sends.
        return rate_limit_consume(scope="public-registry", key=client_address(request), limit=limit,
                                  window_seconds=PUBLIC_WINDOW_SECONDS)

    def wait(self):
        return PUBLIC_WINDOW_SECONDS


class PublicApi(APIView):
    permission_classes = [AllowAny]
    authentication_classes = []
    throttle_classes = [PublicRegistryThrottle]


class PublicSearchQuerySerializer(StrictQuerySerializer):
    q = StrictCharField(
        min_length=selectors.PUBLIC_QUERY_MIN_LENGTH, max_length=100, help_text="Name, licence number or agency name.",
        error_messages={"min_length": f"Type at least {selectors.PUBLIC_QUERY_MIN_LENGTH} characters to search."})


class PublicOfficerSearchQuerySerializer(PublicSearchQuerySerializer):
    page = StrictIntegerField(min_value=1, max_value=10_000, required=False, default=1)
    page_size = StrictIntegerField(min_value=1, max_value=selectors.PUBLIC_PAGE_SIZE_MAX, required=False,
                                   default=selectors.PUBLIC_PAGE_SIZE_MAX)


class PublicOfficerSerializer(StrictSerializer):
    name = StrictCharField()
    license_number = StrictCharField()
    state = StrictCharField()
    agency = StrictCharField()
    certification_status = inline_choice(
        [*OfficerCertificationStatus.choices, (selectors.INELIGIBLE_STATUS, "Permanently ineligible")],
        allow_null=True)
    cycle_start = serializers.DateField(allow_null=True)
    valid_until = serializers.DateField(allow_null=True)
    revoked_on = serializers.DateField(allow_null=True)
    revocation_category = StrictCharField(allow_null=True)


class PublicOfficerSearchSerializer(StrictSerializer):
    results = PublicOfficerSerializer(many=True)
    page = StrictIntegerField()
    truncated = StrictBooleanField(help_text="More results follow on the next page.")


class PublicOfficerSearchApi(PublicApi):
    """Look an officer up by name, any licence number they ever held, or agency: certification status, dates,
    agency, and for a revocation its date and category — never the finding behind it. Only officers who hold or
    held a Good Officer Certification, or are permanently ineligible, are public."""

    @extend_schema(parameters=[PublicOfficerSearchQuerySerializer], responses=PublicOfficerSearchSerializer,
                   tags=TAGS)
    def get(self, request):
        query = PublicOfficerSearchQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        page = query.validated_data["page"]
        results, more = selectors.public_officer_search(q=query.validated_data["q"], page=page,
                                                        page_size=query.validated_data["page_size"])
        return Response({"results": results, "page": page, "truncated": more})


class PublicAgencySerializer(StrictSerializer):
    name = StrictCharField()
    state = StrictCharField()
    county = StrictCharField()
    certification_status = inline_choice(AgencyCertificationStatus.choices, allow_null=True)
    programme = StrictCharField(allow_null=True)
    certificate_number = StrictCharField(allow_null=True)
    valid_from = serializers.DateField(allow_null=True)
    valid_until = serializers.DateField(allow_null=True)
    revoked_on = serializers.DateField(allow_null=True)


class PublicAgencySearchSerializer(StrictSerializer):
    results = PublicAgencySerializer(many=True)
    truncated = StrictBooleanField()


class PublicAgencySearchApi(PublicApi):
    """Look an agency up by name, county or state, with its latest certificate."""

    @extend_schema(parameters=[PublicSearchQuerySerializer], responses=PublicAgencySearchSerializer, tags=TAGS)
    def get(self, request):
        query = PublicSearchQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        results, truncated = selectors.public_agency_search(q=query.validated_data["q"])
        return Response({"results": results, "truncated": truncated})


class PublicAgencyCertificateSerializer(StrictSerializer):
    certificate_number = StrictCharField()
    valid = StrictBooleanField(help_text="Issued and within its validity.")
    status = inline_choice(AgencyCertificationStatus.choices)
    agency = StrictCharField()
    state = StrictCharField()
    programme = StrictCharField()
    valid_from = serializers.DateField(allow_null=True)
    valid_until = serializers.DateField(allow_null=True)
    revoked_on = serializers.DateField(allow_null=True)


class PublicAgencyCertificateApi(PublicApi):
    """Verify an agency certificate by the number printed on its plaque."""

    @extend_schema(responses=PublicAgencyCertificateSerializer, tags=TAGS)
    def get(self, request, certificate_number: str):
        certificate = selectors.public_agency_certificate(certificate_number=certificate_number)
        if certificate is None:
            raise ApplicationError("not_found", "No certificate has this number.", status_code=404)
        return Response(certificate)


class PublicEligibilityQuerySerializer(StrictQuerySerializer):
    state = inline_choice(US_STATE_CHOICES)
    licence = StrictCharField(max_length=50, help_text="The officer's state licence number.")


class PublicEligibilitySerializer(StrictSerializer):
    state = StrictCharField()
    license_number = StrictCharField()
    eligible = StrictBooleanField()
    reason = inline_choice([(v, v) for v in ("active", "lapsed", "revoked", "ineligible", "unknown")])


class PublicEligibilityApi(PublicApi):
    """Employment eligibility for a hiring agency: yes/no and a reason category, nothing more."""

    @extend_schema(parameters=[PublicEligibilityQuerySerializer], responses=PublicEligibilitySerializer, tags=TAGS,
                   summary="Check an officer's employment eligibility")
    def get(self, request):
        query = PublicEligibilityQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        return Response(selectors.public_employment_eligibility(
            state=query.validated_data["state"], license_number=query.validated_data["licence"]))


class PublicMetricsSerializer(StrictSerializer):
    certified_agencies = StrictIntegerField()
    active_officers = StrictIntegerField()
    revocations_per_year = serializers.DictField(child=StrictIntegerField(),
                                                 help_text="Certificates revoked after a verified finding.")
    ineligible_per_year = serializers.DictField(child=StrictIntegerField(),
                                                help_text="People never certified who became permanently ineligible.")


class PublicMetricsApi(PublicApi):
    """Aggregate transparency figures."""

    @extend_schema(responses=PublicMetricsSerializer, tags=TAGS, summary="Read the transparency figures")
    def get(self, request):
        return Response(selectors.public_metrics())


class PublicRevocationsCsvApi(DownloadNegotiationMixin, PublicApi):
    """Every decertification as CSV, in the shape of a national decertification index."""

    @extend_schema(responses={(200, "text/csv"): OpenApiTypes.STR}, tags=TAGS)
    def get(self, request):
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=selectors.REVOCATION_EXPORT_COLUMNS)
        writer.writeheader()
        for row in selectors.public_revocations_export():
            writer.writerow({k: _csv_safe(v) for k, v in row.items()})
        response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="revocations.csv"'
        return response


def _csv_safe(value):
    """Names typed by people must not become spreadsheet formulas when the index opens the file (core.csv_export's
    rule; this export keeps str(None) == "None")."""
    return csv_safe(str(value))
