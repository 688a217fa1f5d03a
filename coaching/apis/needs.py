"""Needs assessments over HTTP: create, edit, prefill from a 360 report, withdraw."""

from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from core.access import access_by_id
from core.filters import StrictFilterSet
from core.permissions import IsStaffOrAgencyAdmin
from core.serializers import (
    StrictBooleanField,
    StrictCharField,
    StrictIntegerField,
    StrictModelSerializer,
    StrictSerializer,
)

from .. import selectors, services
from ..models import NeedsAssessment
from . import examples
from ._common import TAGS, _language_list, _state_list


class NeedsAssessmentOutputSerializer(StrictModelSerializer):
    coachee_name = StrictCharField(source="coachee.full_name")
    agency = StrictIntegerField(source="coachee.agency_id")
    agency_name = StrictCharField(source="coachee.agency.name")
    priorities = serializers.SerializerMethodField()
    conflicts = serializers.SerializerMethodField()

    class Meta:
        model = NeedsAssessment
        fields = ["id", "coachee", "coachee_name", "agency", "agency_name", "status", "priorities", "goals",
                  "languages", "states", "remote_only", "conflicts", "prefilled_from_360_at", "created_at",
                  "updated_at"]

    def get_priorities(self, obj) -> dict[str, int]:
        return {p.area: p.priority for p in obj.priorities.all()}

    def get_conflicts(self, obj) -> list[int]:
        return sorted(c.pk for c in obj.conflicts.all())


class NeedsAssessmentInputSerializer(StrictSerializer):
    coachee = StrictIntegerField(min_value=1)
    priorities = serializers.DictField(child=StrictIntegerField(min_value=0, max_value=3), required=False,
                                       help_text="Coaching area -> priority 0 (none) to 3 (most needed).")
    goals = StrictCharField(max_length=4000, required=False, allow_blank=True)
    languages = _language_list(required=False, min_length=1)
    states = _state_list(required=False, help_text="States where in-person sessions can happen.")
    remote_only = StrictBooleanField(required=False)
    conflicts = serializers.ListField(child=StrictIntegerField(min_value=1), required=False, max_length=100,
                                      help_text="Coach profile ids the coachee must not be matched with.")


class NeedsAssessmentUpdateSerializer(NeedsAssessmentInputSerializer):
    coachee = None


class NeedsAssessmentFilter(StrictFilterSet):
    class Meta:
        model = NeedsAssessment
        fields = ["status", "coachee"]


class NeedsAssessmentListCreateApi(generics.GenericAPIView):
    serializer_class = NeedsAssessmentOutputSerializer
    permission_classes = [IsStaffOrAgencyAdmin]
    filterset_class = NeedsAssessmentFilter

    def get_queryset(self):
        return selectors.needs_assessment_visible_to(self.request.user)

    @extend_schema(responses=NeedsAssessmentOutputSerializer(many=True), tags=TAGS)
    def get(self, request):
        """Needs assessments (what a coachee wants from coaching): staff see all, an agency administrator their
        agency's; filter by status."""
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(NeedsAssessmentOutputSerializer(page, many=True).data)

    @extend_schema(request=NeedsAssessmentInputSerializer, responses={201: NeedsAssessmentOutputSerializer},
                   examples=examples.COACHING_REQUEST,
                   tags=TAGS)
    def post(self, request):
        """Open a needs assessment for a coachee: development priorities, languages, states, remote only, declared
        conflicts. One open assessment per coachee."""
        serializer = NeedsAssessmentInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        coachee = access_by_id(selectors.coachee_visible_to(request.user), data.pop("coachee"), field="coachee",
                               noun="coachee")
        assessment = services.needs_assessment_create(actor=request.user, coachee=coachee, **data)
        assessment = selectors.needs_assessment_get_for_user(user=request.user, assessment_id=assessment.pk)
        return Response(NeedsAssessmentOutputSerializer(assessment).data, status=status.HTTP_201_CREATED)


class NeedsAssessmentDetailApi(APIView):
    permission_classes = [IsStaffOrAgencyAdmin]

    @extend_schema(responses=NeedsAssessmentOutputSerializer, tags=TAGS)
    def get(self, request, assessment_id: int):
        """One needs assessment with its priorities and conflicts."""
        assessment = selectors.needs_assessment_get_for_user(user=request.user, assessment_id=assessment_id)
        return Response(NeedsAssessmentOutputSerializer(assessment).data)

    @extend_schema(request=NeedsAssessmentUpdateSerializer(partial=True), responses=NeedsAssessmentOutputSerializer,
                   tags=TAGS)
    def patch(self, request, assessment_id: int):
        """Change an open assessment; `priorities` and `conflicts`, when sent, replace the whole set. 409 once it is
        matched or withdrawn."""
        assessment = selectors.needs_assessment_get_for_user(user=request.user, assessment_id=assessment_id)
        serializer = NeedsAssessmentUpdateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        services.needs_assessment_update(assessment=assessment, actor=request.user,
                                         data=dict(serializer.validated_data))
        assessment = selectors.needs_assessment_get_for_user(user=request.user, assessment_id=assessment_id)
        return Response(NeedsAssessmentOutputSerializer(assessment).data)


class NeedsAssessmentPrefillApi(APIView):
    """Raise priorities to the development areas of the coachee's released 360 report (never lowers any)."""

    permission_classes = [IsStaffOrAgencyAdmin]

    @extend_schema(request=None, responses=NeedsAssessmentOutputSerializer, tags=TAGS)
    def post(self, request, assessment_id: int):
        assessment = selectors.needs_assessment_get_for_user(user=request.user, assessment_id=assessment_id)
        services.needs_assessment_prefill_from_360(assessment=assessment, actor=request.user)
        assessment = selectors.needs_assessment_get_for_user(user=request.user, assessment_id=assessment_id)
        return Response(NeedsAssessmentOutputSerializer(assessment).data)


class NeedsAssessmentWithdrawInputSerializer(StrictSerializer):
    reason = StrictCharField(max_length=2000, required=False, allow_blank=True)


class NeedsAssessmentWithdrawApi(APIView):
    permission_classes = [IsStaffOrAgencyAdmin]

    @extend_schema(request=NeedsAssessmentWithdrawInputSerializer, responses=NeedsAssessmentOutputSerializer,
                   tags=TAGS)
    def post(self, request, assessment_id: int):
        """Withdraw an open assessment, optionally saying why; it is no longer matched."""
        assessment = selectors.needs_assessment_get_for_user(user=request.user, assessment_id=assessment_id)
        serializer = NeedsAssessmentWithdrawInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.needs_assessment_withdraw(assessment=assessment, actor=request.user,
                                           reason=serializer.validated_data.get("reason", ""))
        assessment = selectors.needs_assessment_get_for_user(user=request.user, assessment_id=assessment_id)
        return Response(NeedsAssessmentOutputSerializer(assessment).data)


