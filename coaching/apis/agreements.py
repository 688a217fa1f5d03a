"""Agreements over HTTP: staff confirm a match; the parties accept, terminate, complete, rate, follow up."""

from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from core.access import access_by_id
from core.filters import StrictFilterSet
from core.permissions import IsCertificationStaff
from core.serializers import StrictCharField, StrictIntegerField, StrictModelSerializer, StrictSerializer

from .. import selectors, services
from ..models import Agreement, Cadence, CoachProfile
from ._common import TAGS


class AgreementOutputSerializer(StrictModelSerializer):
    coach_name = StrictCharField(source="coach.display_name")
    coachee_name = StrictCharField(source="coachee.full_name")
    sponsor_agency_name = StrictCharField(source="sponsor_agency.name")

    class Meta:
        model = Agreement
        fields = ["id", "coach", "coach_name", "coachee", "coachee_name", "sponsor_agency", "sponsor_agency_name",
                  "needs_assessment", "start_date", "end_date", "goals", "cadence", "confidentiality_terms",
                  "status", "coach_accepted_at", "sponsor_accepted_at", "activated_at", "ended_at",
                  "termination_reason", "coach_outcome_rating", "sponsor_outcome_rating", "baseline_cycle_id",
                  "follow_up_cycle_id", "created_at", "updated_at"]


class AgreementConfirmInputSerializer(StrictSerializer):
    coach = StrictIntegerField(min_value=1)
    start_date = serializers.DateField()
    end_date = serializers.DateField(help_text="3 to 6 calendar months after the start.")
    cadence = serializers.ChoiceField(choices=Cadence.choices, required=False)
    goals = StrictCharField(max_length=4000, required=False, allow_blank=True,
                            help_text="Defaults to the needs assessment's goals.")
    confidentiality_terms = StrictCharField(max_length=4000, required=False, allow_blank=True)
    baseline_cycle_id = StrictIntegerField(min_value=1, required=False, allow_null=True,
                                           help_text="The released 360 cycle a follow-up would repeat.")


class NeedsAssessmentConfirmApi(APIView):
    """Staff confirm a match: proposes an agreement to the coach and the sponsoring agency."""

    permission_classes = [IsCertificationStaff]

    @extend_schema(request=AgreementConfirmInputSerializer, responses={201: AgreementOutputSerializer}, tags=TAGS)
    def post(self, request, assessment_id: int):
        assessment = selectors.needs_assessment_get_for_user(user=request.user, assessment_id=assessment_id)
        serializer = AgreementConfirmInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        coach = access_by_id(CoachProfile.objects.all(), data.pop("coach"), field="coach", noun="coach")
        agreement = services.agreement_propose(assessment=assessment, coach=coach, actor=request.user, **data)
        agreement = selectors.agreement_get_for_user(user=request.user, agreement_id=agreement.pk)
        return Response(AgreementOutputSerializer(agreement).data, status=status.HTTP_201_CREATED)


class AgreementFilter(StrictFilterSet):
    class Meta:
        model = Agreement
        fields = ["status", "coach", "coachee"]


class AgreementListApi(generics.GenericAPIView):
    """Staff see every agreement; a coach their own; an agency administrator those their agency sponsors."""

    serializer_class = AgreementOutputSerializer
    filterset_class = AgreementFilter

    def get_queryset(self):
        return selectors.agreement_visible_to(self.request.user)

    @extend_schema(responses=AgreementOutputSerializer(many=True), tags=TAGS)
    def get(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(AgreementOutputSerializer(page, many=True).data)


class AgreementDetailApi(APIView):
    @extend_schema(responses=AgreementOutputSerializer, tags=TAGS)
    def get(self, request, agreement_id: int):
        """One coaching agreement: coach, coachee, dates, status and outcome ratings (its parties and staff)."""
        return Response(AgreementOutputSerializer(
            selectors.agreement_get_for_user(user=request.user, agreement_id=agreement_id)).data)


class AgreementAcceptApi(APIView):
    """The coach, or the sponsoring agency's administrator (or staff, for the coachee), accepts. Active once both
    have."""

    @extend_schema(request=None, responses=AgreementOutputSerializer, tags=TAGS)
    def post(self, request, agreement_id: int):
        agreement = selectors.agreement_get_for_user(user=request.user, agreement_id=agreement_id)
        services.agreement_accept(agreement=agreement, actor=request.user)
        return Response(AgreementOutputSerializer(
            selectors.agreement_get_for_user(user=request.user, agreement_id=agreement_id)).data)


class AgreementTerminateInputSerializer(StrictSerializer):
    reason = StrictCharField(max_length=2000)


class AgreementTerminateApi(APIView):
    @extend_schema(request=AgreementTerminateInputSerializer, responses=AgreementOutputSerializer, tags=TAGS)
    def post(self, request, agreement_id: int):
        """Either party or staff end a proposed (declined) or active agreement early, saying why. Declining a proposal
        gives the coachee their open needs assessment back."""
        agreement = selectors.agreement_get_for_user(user=request.user, agreement_id=agreement_id)
        serializer = AgreementTerminateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.agreement_terminate(agreement=agreement, actor=request.user, **serializer.validated_data)
        return Response(AgreementOutputSerializer(
            selectors.agreement_get_for_user(user=request.user, agreement_id=agreement_id)).data)


class AgreementCompleteInputSerializer(StrictSerializer):
    rating = StrictIntegerField(min_value=1, max_value=5, help_text="Your side's outcome rating.")
    follow_up_opens_at = serializers.DateTimeField(required=False,
                                                   help_text="Give both to start the follow-up mini-360 now.")
    follow_up_closes_at = serializers.DateTimeField(required=False)


class AgreementCompleteApi(APIView):
    @extend_schema(request=AgreementCompleteInputSerializer, responses=AgreementOutputSerializer, tags=TAGS)
    def post(self, request, agreement_id: int):
        """Close an active agreement that has started, with the caller's outcome rating (the other side adds theirs
        later); optionally start the follow-up mini-360 at once."""
        agreement = selectors.agreement_get_for_user(user=request.user, agreement_id=agreement_id)
        serializer = AgreementCompleteInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.agreement_complete(agreement=agreement, actor=request.user, **serializer.validated_data)
        return Response(AgreementOutputSerializer(
            selectors.agreement_get_for_user(user=request.user, agreement_id=agreement_id)).data)


class AgreementOutcomeInputSerializer(StrictSerializer):
    rating = StrictIntegerField(min_value=1, max_value=5)


class AgreementOutcomeApi(APIView):
    """The other side's outcome rating of a completed agreement."""

    @extend_schema(request=AgreementOutcomeInputSerializer, responses=AgreementOutputSerializer, tags=TAGS)
    def post(self, request, agreement_id: int):
        agreement = selectors.agreement_get_for_user(user=request.user, agreement_id=agreement_id)
        serializer = AgreementOutcomeInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.agreement_outcome_record(agreement=agreement, actor=request.user, **serializer.validated_data)
        return Response(AgreementOutputSerializer(
            selectors.agreement_get_for_user(user=request.user, agreement_id=agreement_id)).data)


class AgreementFollowUpInputSerializer(StrictSerializer):
    opens_at = serializers.DateTimeField()
    closes_at = serializers.DateTimeField()
    source_cycle_id = StrictIntegerField(min_value=1, required=False,
                                         help_text="Defaults to the agreement's baseline cycle.")


class AgreementFollowUpApi(APIView):
    """Start the follow-up mini-360 of a completed agreement (same rater groups as the baseline cycle)."""

    @extend_schema(request=AgreementFollowUpInputSerializer, responses={201: AgreementOutputSerializer}, tags=TAGS)
    def post(self, request, agreement_id: int):
        agreement = selectors.agreement_get_for_user(user=request.user, agreement_id=agreement_id)
        serializer = AgreementFollowUpInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.agreement_follow_up_start(agreement=agreement, actor=request.user, **serializer.validated_data)
        return Response(AgreementOutputSerializer(
            selectors.agreement_get_for_user(user=request.user, agreement_id=agreement_id)).data,
            status=status.HTTP_201_CREATED)


