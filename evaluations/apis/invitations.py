"""Invitation APIs: the sponsor's rater list, staff review of it, refusals and re-sends."""

from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from core.permissions import IsCertificationStaff, IsStaffOrAgencyAdmin
from core.serializers import StrictCharField, StrictEmailField, StrictIntegerField, StrictSerializer

from .. import services
from ..models import Invitation, RatersStatus, Relationship
from ..selectors import cycle_get_for_user, cycle_invitations, invitation_get_for_user
from ._common import TAGS
from .cycles import EvaluationCycleDetailOutputSerializer


class EvaluationInvitationInputSerializer(StrictSerializer):
    rater_name = StrictCharField(max_length=200)
    rater_email = StrictEmailField()
    relationship = serializers.ChoiceField(choices=Relationship.choices)


INVITATION_STATUSES = [
    ("refused", "Refused by certification staff (never sent; a sent link is dead)"),
    ("awaiting_approval", "Waiting for staff approval of the rater list"),
    ("approved", "Approved; sent when the cycle opens"),
    ("sent", "Link sent, not answered yet"),
    ("submitted", "Answered"),
]


def invitation_status(invitation, cycle) -> str:
    if invitation.refused_at is not None:
        return "refused"
    if invitation.submitted_at is not None:
        return "submitted"
    if invitation.sent_at is not None:
        return "sent"
    return "approved" if cycle.raters_status == RatersStatus.APPROVED else "awaiting_approval"


class EvaluationInvitationOutputSerializer(StrictSerializer):
    """Who was invited and whether they answered - never what they answered (nor whether a draft exists)."""

    id = StrictIntegerField()
    rater_name = StrictCharField()
    rater_email = StrictEmailField()
    relationship = StrictCharField()
    status = serializers.SerializerMethodField()
    sent = serializers.SerializerMethodField()
    last_sent_at = serializers.DateTimeField(source="sent_at", allow_null=True)
    submitted = serializers.SerializerMethodField()
    refusal_reason = StrictCharField()
    created_at = serializers.DateTimeField()

    @extend_schema_field(serializers.ChoiceField(choices=INVITATION_STATUSES))
    def get_status(self, obj) -> str:
        # The cycle comes from the view's context (one row for the whole page: the query count stays constant).
        return invitation_status(obj, self.context.get("cycle") or obj.cycle)

    def get_sent(self, obj) -> bool:
        return obj.sent_at is not None and obj.refused_at is None

    def get_submitted(self, obj) -> bool:
        return obj.submitted_at is not None and obj.refused_at is None


class InvitationListCreateApi(generics.GenericAPIView):
    permission_classes = [IsStaffOrAgencyAdmin]
    serializer_class = EvaluationInvitationOutputSerializer
    queryset = Invitation.objects.none()  # the real rows come from the selector, per cycle and user

    @extend_schema(responses=EvaluationInvitationOutputSerializer(many=True), tags=TAGS)
    def get(self, request, cycle_id: int):
        """The cycle's raters with their relationship and whether they answered (never their answers)."""
        cycle = cycle_get_for_user(user=request.user, cycle_id=cycle_id)
        page = self.paginate_queryset(cycle_invitations(cycle=cycle))
        return self.get_paginated_response(EvaluationInvitationOutputSerializer(page, many=True,
                                                                                context={"cycle": cycle}).data)

    @extend_schema(request=EvaluationInvitationInputSerializer,
                   responses={201: EvaluationInvitationOutputSerializer}, tags=TAGS)
    def post(self, request, cycle_id: int):
        """Add a rater to a draft or open cycle. Nothing is e-mailed yet: links go out once staff approved the rater
        list and the cycle is open."""
        cycle = cycle_get_for_user(user=request.user, cycle_id=cycle_id)
        serializer = EvaluationInvitationInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        invitation = services.invitation_create(cycle=cycle, actor=request.user, **serializer.validated_data)
        return Response(EvaluationInvitationOutputSerializer(invitation).data, status=status.HTTP_201_CREATED)


class EvaluationRatersApproveInputSerializer(StrictSerializer):
    version = StrictIntegerField(min_value=0, max_value=2_147_483_647,
                                 help_text="The rater-list version you reviewed (cycle.raters.version).")


class EvaluationRatersRefuseInputSerializer(EvaluationRatersApproveInputSerializer):
    reason = StrictCharField(min_length=10, max_length=4000, help_text="What the sponsor must change.")


class EvaluationInvitationRefuseInputSerializer(StrictSerializer):
    reason = StrictCharField(min_length=10, max_length=4000, help_text="Why this rater may not rate.")


class RatersApproveApi(APIView):
    """Staff approve the rater list (names, addresses, relationships) they reviewed; in an open cycle, approved
    raters who have no link yet are e-mailed now."""

    permission_classes = [IsCertificationStaff]

    @extend_schema(request=EvaluationRatersApproveInputSerializer, responses=EvaluationCycleDetailOutputSerializer,
                   tags=TAGS)
    def post(self, request, cycle_id: int):
        cycle = cycle_get_for_user(user=request.user, cycle_id=cycle_id)
        serializer = EvaluationRatersApproveInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.raters_approve(cycle=cycle, actor=request.user, **serializer.validated_data)
        return Response(EvaluationCycleDetailOutputSerializer(
            cycle_get_for_user(user=request.user, cycle_id=cycle_id)).data)


class RatersRefuseApi(APIView):
    """Staff refuse a draft cycle's whole rater list with a reason; the sponsor's next change puts it back to
    review."""

    permission_classes = [IsCertificationStaff]

    @extend_schema(request=EvaluationRatersRefuseInputSerializer, responses=EvaluationCycleDetailOutputSerializer,
                   tags=TAGS)
    def post(self, request, cycle_id: int):
        cycle = cycle_get_for_user(user=request.user, cycle_id=cycle_id)
        serializer = EvaluationRatersRefuseInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.raters_refuse(cycle=cycle, actor=request.user, **serializer.validated_data)
        return Response(EvaluationCycleDetailOutputSerializer(
            cycle_get_for_user(user=request.user, cycle_id=cycle_id)).data)


class InvitationRefuseApi(APIView):
    """Staff refuse one rater: never sent, a sent link dies, held answers are discarded; the row stays on record."""

    permission_classes = [IsCertificationStaff]

    @extend_schema(request=EvaluationInvitationRefuseInputSerializer, responses=EvaluationInvitationOutputSerializer,
                   tags=TAGS)
    def post(self, request, cycle_id: int, invitation_id: int):
        invitation = invitation_get_for_user(user=request.user, cycle_id=cycle_id, invitation_id=invitation_id)
        serializer = EvaluationInvitationRefuseInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        invitation = services.invitation_refuse(invitation=invitation, actor=request.user,
                                                **serializer.validated_data)
        return Response(EvaluationInvitationOutputSerializer(invitation).data)


class InvitationResendApi(APIView):
    """Remind a rater who has not answered with a new link; the old links stop working."""

    permission_classes = [IsStaffOrAgencyAdmin]

    @extend_schema(request=None, responses=EvaluationInvitationOutputSerializer, tags=TAGS)
    def post(self, request, cycle_id: int, invitation_id: int):
        invitation = invitation_get_for_user(user=request.user, cycle_id=cycle_id, invitation_id=invitation_id)
        invitation = services.invitation_resend(invitation=invitation, actor=request.user)
        return Response(EvaluationInvitationOutputSerializer(invitation).data)


class InvitationDetailApi(APIView):
    permission_classes = [IsStaffOrAgencyAdmin]

    @extend_schema(request=None, responses={204: None}, tags=TAGS)
    def delete(self, request, cycle_id: int, invitation_id: int):
        """Withdraw a rater while the cycle is a draft (409 afterwards); a rater staff refused stays on record."""
        invitation = invitation_get_for_user(user=request.user, cycle_id=cycle_id, invitation_id=invitation_id)
        services.invitation_delete(invitation=invitation, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
