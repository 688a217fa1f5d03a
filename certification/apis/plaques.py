"""Plaques over HTTP: the list, fulfilment and the printable PDF."""


from django.http import HttpResponse
from django.utils import timezone
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import generics, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from core.filters import StrictFilterSet
from core.permissions import IsStaffOrAgencyAdmin
from core.serializers import StrictCharField, StrictIntegerField, StrictModelSerializer, StrictSerializer
from core.uploads import DownloadNegotiationMixin

from .. import selectors, services
from ..models import (
    Plaque,
    PlaqueStatus,
)
from ..pdf import plaque_pdf
from ._common import TAG_PLAQUE, inline_choice

# --- plaques ---------------------------------------------------------------------------------------------------

class PlaqueOutputSerializer(StrictModelSerializer):
    agency = StrictIntegerField(source="certification.agency_id")
    agency_name = StrictCharField(source="certification.agency.name")
    certificate_number = StrictCharField(source="certification.certificate_number")
    status = inline_choice(PlaqueStatus.choices, read_only=True)
    overdue = serializers.SerializerMethodField()

    class Meta:
        model = Plaque
        fields = ["id", "certification", "agency", "agency_name", "certificate_number", "status", "ordered_at",
                  "due_on", "overdue", "printed_at", "shipped_at", "carrier", "tracking_number", "delivered_at",
                  "days_taken"]

    def get_overdue(self, obj) -> bool:
        return obj.status != PlaqueStatus.DELIVERED and obj.due_on < timezone.localdate()


class PlaqueAdvanceInputSerializer(StrictSerializer):
    to = inline_choice([(s.value, s.label) for s in (PlaqueStatus.PRINTED, PlaqueStatus.SHIPPED,
                                                      PlaqueStatus.DELIVERED)])
    carrier = StrictCharField(max_length=100, required=False, allow_blank=True, default="")
    tracking_number = StrictCharField(max_length=100, required=False, allow_blank=True, default="")


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
        """Plaques of issued certifications and where they are in fulfilment (`?overdue=true` for those past their due
        date); an agency administrator sees their agency's."""
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(PlaqueOutputSerializer(page, many=True).data)


class PlaqueDetailApi(APIView):
    permission_classes = [IsStaffOrAgencyAdmin]

    @extend_schema(responses=PlaqueOutputSerializer, tags=TAG_PLAQUE)
    def get(self, request, plaque_id: int):
        """One plaque: status, due date, carrier and tracking number."""
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
