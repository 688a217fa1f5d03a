"""The reviewer's questionnaire API (public: the secret link is the credential)."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from core.client import client_address
from core.openapi import ApiErrorSerializer
from core.serializers import StrictCharField, StrictSerializer

from .. import services
from .instruments import EvaluationCompetencyOutputSerializer, EvaluationQuestionOutputSerializer


class FeedbackAnswersSerializer(StrictSerializer):
    scores = serializers.DictField(child=serializers.JSONField(allow_null=True), required=False,
                                   help_text='{"<item id>": 1..5 or "not_observed"}')
    comments = serializers.DictField(child=StrictCharField(allow_blank=True, max_length=4000,
                                                           trim_whitespace=False), required=False,
                                     help_text='{"<question id>": "text"}')


class FeedbackFormOutputSerializer(StrictSerializer):
    subject = StrictCharField()
    target_position = StrictCharField()
    agency = StrictCharField()
    relationship = StrictCharField()
    closes_at = serializers.DateTimeField()
    scale = serializers.DictField(child=StrictCharField())
    competencies = EvaluationCompetencyOutputSerializer(many=True)
    questions = EvaluationQuestionOutputSerializer(many=True)
    draft = FeedbackAnswersSerializer(allow_null=True)
    draft_saved_at = serializers.DateTimeField(allow_null=True)


SCALE = {"1": "Rarely", "2": "Sometimes", "3": "Often", "4": "Usually", "5": "Consistently",
         services.NOT_OBSERVED: "Not observed"}


def feedback_form_data(invitation) -> dict:
    cycle = invitation.cycle
    competencies = cycle.instrument.competencies.order_by("position", "id").prefetch_related("items")
    return {
        "subject": cycle.subject.full_name, "target_position": cycle.target_position, "agency": cycle.agency.name,
        "relationship": invitation.relationship, "closes_at": cycle.closes_at, "scale": SCALE,
        "competencies": [{"id": c.pk, "key": c.key, "label": c.label,
                          "items": [{"id": i.pk, "text": i.text} for i in c.items.all()]} for c in competencies],
        "questions": [{"id": q.pk, "text": q.text, "required": q.required}
                      for q in cycle.instrument.questions.order_by("position", "id")],
        "draft": invitation.draft, "draft_saved_at": invitation.draft_saved_at,
    }


_FEEDBACK_ERRORS = {
    404: OpenApiResponse(ApiErrorSerializer, "Unknown link (feedback_link_unknown)."),
    409: OpenApiResponse(ApiErrorSerializer, "Already submitted (feedback_already_submitted)."),
    410: OpenApiResponse(ApiErrorSerializer, "The cycle closed (feedback_link_expired)."),
    429: OpenApiResponse(ApiErrorSerializer, "Too many unknown links tried from this address."),
}


def _address(request) -> str:
    return client_address(request)


class FeedbackApi(APIView):
    """A rater's questionnaire behind their secret link: read it, save a draft (PUT), submit once (POST)."""

    permission_classes = [AllowAny]
    authentication_classes = []

    def _invitation(self, request, token):
        return services.feedback_invitation_resolve(token=token, address=_address(request))

    @extend_schema(responses={200: FeedbackFormOutputSerializer, **_FEEDBACK_ERRORS}, tags=["feedback"],
                   summary="Read my questionnaire")
    def get(self, request, token: str):
        return Response(FeedbackFormOutputSerializer(feedback_form_data(self._invitation(request, token))).data)

    @extend_schema(request=FeedbackAnswersSerializer, responses={200: FeedbackFormOutputSerializer,
                                                                 **_FEEDBACK_ERRORS}, tags=["feedback"],
                   summary="Save a draft of my answers")
    def put(self, request, token: str):
        # The body's shape first: a malformed answer is a 400 whatever the state of the link (and checking it
        # reveals nothing about the token).
        serializer = FeedbackAnswersSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        invitation = self._invitation(request, token)
        invitation = services.feedback_draft_save(invitation=invitation, **serializer.validated_data)
        return Response(FeedbackFormOutputSerializer(feedback_form_data(invitation)).data)

    @extend_schema(request=FeedbackAnswersSerializer,
                   responses={201: OpenApiResponse(description="Submitted; the link is now used."),
                              **_FEEDBACK_ERRORS}, tags=["feedback"],
                   summary="Submit my answers")
    def post(self, request, token: str):
        # The body's shape first: a malformed answer is a 400 whatever the state of the link (and checking it
        # reveals nothing about the token).
        serializer = FeedbackAnswersSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        invitation = self._invitation(request, token)
        services.feedback_submit(invitation=invitation, **serializer.validated_data)
        return Response({"status": "submitted", "message": "Thank you: your feedback was submitted."},
                        status=status.HTTP_201_CREATED)
