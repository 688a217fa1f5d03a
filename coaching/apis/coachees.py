"""Coachees over HTTP (staff and agency administrators)."""

from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from agencies.selectors import agency_visible_to, officer_visible_to
from core.access import access_by_id, field_error
from core.permissions import IsStaffOrAgencyAdmin
from core.serializers import (
    StrictCharField,
    StrictEmailField,
    StrictIntegerField,
    StrictModelSerializer,
    StrictSerializer,
)

from .. import selectors, services
from ..models import Coachee, CoacheeType
from ._common import TAGS


class CoacheeOutputSerializer(StrictModelSerializer):
    agency_name = StrictCharField(source="agency.name")

    class Meta:
        model = Coachee
        fields = ["id", "coachee_type", "agency", "agency_name", "officer", "first_name", "last_name", "title", "email",
                  "created_at"]


class CoacheeInputSerializer(StrictSerializer):
    agency = StrictIntegerField(min_value=1, required=False,
                                help_text="Agency id; an agency administrator may omit it (their own).")
    coachee_type = serializers.ChoiceField(choices=CoacheeType.choices)
    officer = StrictIntegerField(min_value=1, required=False, allow_null=True,
                                 help_text="The officer on the agency's roster (police leaders only).")
    first_name = StrictCharField(max_length=100, required=False, allow_blank=True)
    last_name = StrictCharField(max_length=100, required=False, allow_blank=True)
    title = StrictCharField(max_length=150, required=False, allow_blank=True)
    email = StrictEmailField(required=False, allow_blank=True)


class CoacheeListCreateApi(generics.GenericAPIView):
    serializer_class = CoacheeOutputSerializer
    permission_classes = [IsStaffOrAgencyAdmin]

    def get_queryset(self):
        return selectors.coachee_visible_to(self.request.user)

    @extend_schema(responses=CoacheeOutputSerializer(many=True), tags=TAGS)
    def get(self, request):
        """Leaders who may be coached: staff see all, an agency administrator their agency's."""
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(CoacheeOutputSerializer(page, many=True).data)

    @extend_schema(request=CoacheeInputSerializer, responses={201: CoacheeOutputSerializer}, tags=TAGS)
    def post(self, request):
        """Register a coachee for an agency (an agency administrator: their own), optionally linked to one of its
        officers, whose name and e-mail fill any left blank."""
        serializer = CoacheeInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        agency_id = data.pop("agency", None)
        if agency_id is None and request.user.is_agency_admin:
            agency_id = request.user.agency_id
        if agency_id is None:
            raise field_error("agency", "This field is required.")
        agency = access_by_id(agency_visible_to(request.user), agency_id, field="agency", noun="agency")
        officer_id = data.pop("officer", None)
        officer = None if officer_id is None else access_by_id(officer_visible_to(request.user), officer_id,
                                                               field="officer", noun="officer")
        coachee = services.coachee_create(actor=request.user, agency=agency, officer=officer, **data)
        coachee = selectors.coachee_get_for_user(user=request.user, coachee_id=coachee.pk)
        return Response(CoacheeOutputSerializer(coachee).data, status=status.HTTP_201_CREATED)


class CoacheeDetailApi(APIView):
    permission_classes = [IsStaffOrAgencyAdmin]

    @extend_schema(responses=CoacheeOutputSerializer, tags=TAGS)
    def get(self, request, coachee_id: int):
        """One coachee (staff any, an agency administrator their agency's)."""
        return Response(CoacheeOutputSerializer(
            selectors.coachee_get_for_user(user=request.user, coachee_id=coachee_id)).data)


