"""The session log of an agreement."""

from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from core.serializers import StrictCharField, StrictIntegerField, StrictModelSerializer, StrictSerializer

from .. import selectors, services
from ..models import CoachingSession
from ._common import TAGS


class CoachingSessionOutputSerializer(StrictModelSerializer):
    class Meta:
        model = CoachingSession
        fields = ["id", "agreement", "held_on", "duration_minutes", "topics", "created_at"]


class CoachingSessionCoachOutputSerializer(StrictModelSerializer):
    """The coach's own view: with their private notes."""

    class Meta:
        model = CoachingSession
        fields = [*CoachingSessionOutputSerializer.Meta.fields, "private_notes"]


class CoachingSessionInputSerializer(StrictSerializer):
    held_on = serializers.DateField()
    duration_minutes = StrictIntegerField(min_value=5, max_value=480)
    topics = serializers.ListField(child=StrictCharField(max_length=100), required=False, max_length=20)
    private_notes = StrictCharField(max_length=10000, required=False, allow_blank=True,
                                    help_text="Readable only by you, the coach: never by staff or the agency.")


class AgreementSessionListCreateApi(generics.GenericAPIView):
    serializer_class = CoachingSessionOutputSerializer
    permission_classes = [IsAuthenticated]

    def get_queryset(self):  # pragma: no cover - the views build their querysets from the agreement
        return CoachingSession.objects.none()

    @extend_schema(responses=CoachingSessionOutputSerializer(many=True), tags=TAGS,
                   description="The agreement's coach also receives `private_notes`; nobody else ever does.")
    def get(self, request, agreement_id: int):
        agreement = selectors.agreement_get_for_user(user=request.user, agreement_id=agreement_id)
        output = (CoachingSessionCoachOutputSerializer if agreement.coach.user_id == request.user.pk
                  else CoachingSessionOutputSerializer)
        page = self.paginate_queryset(selectors.coaching_sessions_of(agreement=agreement))
        return self.get_paginated_response(output(page, many=True).data)

    @extend_schema(request=CoachingSessionInputSerializer, responses={201: CoachingSessionCoachOutputSerializer},
                   tags=TAGS)
    def post(self, request, agreement_id: int):
        """The agreement's coach logs a session of an active agreement (date, duration, topics, private notes). Private
        notes never enter the audit trail."""
        agreement = selectors.agreement_get_for_user(user=request.user, agreement_id=agreement_id)
        serializer = CoachingSessionInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        session = services.coaching_session_record(agreement=agreement, actor=request.user,
                                                   **serializer.validated_data)
        return Response(CoachingSessionCoachOutputSerializer(session).data, status=status.HTTP_201_CREATED)

