"""The Good Officer Certification over HTTP, an officer's eligibility and linked officer records."""


from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from agencies.selectors import officer_visible_to
from core.access import access_by_id
from core.exceptions import ApplicationError
from core.filters import DayCountFilter, IdFilter, StrictFilterSet
from core.openapi import ApiErrorSerializer
from core.permissions import IsCertificationStaff, IsStaffOrAgencyAdmin
from core.serializers import (
    StrictBooleanField,
    StrictCharField,
    StrictIntegerField,
    StrictModelSerializer,
    StrictSerializer,
)

from .. import selectors, services
from ..models import (
    OfficerCertification,
    OfficerCertificationCycle,
    OfficerCertificationStatus,
    RevocationCategory,
)
from ..selectors.attention import officer_certifications_lapsing_filter
from ._common import TAG_OFFICER, inline_choice

# --- officer certifications -------------------------------------------------------------------------------------

class OfficerCertificationOutputSerializer(StrictModelSerializer):
    officer_name = StrictCharField(source="officer.full_name")
    license_number = StrictCharField(source="officer.license_number")
    state = StrictCharField(source="officer.state")
    agency = StrictIntegerField(source="officer.agency_id")
    agency_name = StrictCharField(source="officer.agency.name")
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


class OfficerCertificationCycleOutputSerializer(StrictModelSerializer):
    class Meta:
        model = OfficerCertificationCycle
        fields = ["cycle_start", "cycle_end", "ce_hours", "ce_window_start", "ce_window_end", "granted_at"]


class OfficerCertificationDetailOutputSerializer(OfficerCertificationOutputSerializer):
    cycles = OfficerCertificationCycleOutputSerializer(many=True)

    class Meta(OfficerCertificationOutputSerializer.Meta):
        fields = [*OfficerCertificationOutputSerializer.Meta.fields, "cycles"]


class OfficerCertificationGrantInputSerializer(StrictSerializer):
    officer = StrictIntegerField(min_value=1)


class OfficerCertificationFilter(StrictFilterSet):
    status = filters.ChoiceFilter(choices=OfficerCertificationStatus.choices)
    agency = IdFilter(field_name="officer__agency_id")
    lapsing_within = DayCountFilter(
        method="filter_lapsing_within",
        help_text="Active certifications whose cycle ends within this many days from today: renew them (with the CE "
                  "hours) before then or they lapse.")

    class Meta:
        model = OfficerCertification
        fields = ["status", "officer", "agency", "lapsing_within"]

    def filter_lapsing_within(self, queryset, name, value):
        return officer_certifications_lapsing_filter(queryset, within_days=value)


class OfficerCertificationListCreateApi(generics.GenericAPIView):
    """Good Officer Certifications. POST (staff) grants one — or grants it again after it lapsed — when the
    officer has the CE hours of the last twelve months and no sustained finding."""

    permission_classes = [IsStaffOrAgencyAdmin]
    serializer_class = OfficerCertificationOutputSerializer
    filterset_class = OfficerCertificationFilter
    search_fields = ["officer__first_name", "officer__last_name", "officer__license_number", "officer__agency__name"]
    search_help = "officer first or last name, licence number, agency name"
    ordering_fields = {"valid_until": ("valid_until",), "granted_at": ("granted_at",), "status": ("status",),
                       "name": ("officer__last_name", "officer__first_name")}

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
        officer = access_by_id(officer_visible_to(request.user), serializer.validated_data["officer"],
                               field="officer", noun="officer")
        certification = services.officer_certification_grant(actor=request.user, officer=officer)
        certification = selectors.officer_certification_get_for_user(user=request.user,
                                                                     certification_id=certification.pk)
        return Response(OfficerCertificationDetailOutputSerializer(certification).data,
                        status=status.HTTP_201_CREATED)


class OfficerCertificationDetailApi(APIView):
    permission_classes = [IsStaffOrAgencyAdmin]

    @extend_schema(responses=OfficerCertificationDetailOutputSerializer, tags=TAG_OFFICER)
    def get(self, request, certification_id: int):
        """One officer certification with its cycle, CE hours and history (staff any, an agency administrator their
        officers')."""
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


class OfficerEligibilityOutputSerializer(StrictSerializer):
    certification_status = inline_choice(OfficerCertificationStatus.choices, allow_null=True)
    certification_valid_until = serializers.DateField(allow_null=True)
    permanently_ineligible = StrictBooleanField()
    open_findings = StrictIntegerField()
    sustained_findings = StrictIntegerField()


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


class OfficerLinkInputSerializer(StrictSerializer):
    same_person_as = StrictIntegerField(min_value=1, help_text="The other record of the same person.")
    reason = StrictCharField(max_length=500)


class OfficerLinkOutputSerializer(StrictSerializer):
    id = StrictIntegerField()
    same_person_as = StrictIntegerField(source="same_person_as_id")
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
        other = access_by_id(officer_visible_to(request.user), serializer.validated_data["same_person_as"],
                             field="same_person_as", noun="officer")
        officer = services.officer_records_link(actor=request.user, officer=officer, same_person_as=other,
                                                reason=serializer.validated_data["reason"])
        return Response(OfficerLinkOutputSerializer(officer).data)
