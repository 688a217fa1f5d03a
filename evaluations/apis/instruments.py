"""Instrument APIs: staff create and edit them; agency administrators read them to choose one."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from core.permissions import IsCertificationStaff, IsStaffOrAgencyAdmin
from core.serializers import StrictBooleanField, StrictCharField, StrictIntegerField, StrictSerializer, StrictSlugField
from core.vocabulary import COMPETENCIES

from .. import services
from ..selectors import instrument_get_for_user, instrument_visible_to
from ._common import TAGS


class EvaluationItemOutputSerializer(StrictSerializer):
    id = StrictIntegerField()
    text = StrictCharField()


class EvaluationCompetencyOutputSerializer(StrictSerializer):
    id = StrictIntegerField()
    key = StrictCharField()
    label = StrictCharField()
    items = EvaluationItemOutputSerializer(many=True)


class EvaluationQuestionOutputSerializer(StrictSerializer):
    id = StrictIntegerField()
    text = StrictCharField()
    required = StrictBooleanField()


class EvaluationInstrumentOutputSerializer(StrictSerializer):
    id = StrictIntegerField()
    key = StrictCharField()
    version = StrictIntegerField()
    title = StrictCharField()
    description = StrictCharField()
    frozen = serializers.SerializerMethodField()
    competencies = EvaluationCompetencyOutputSerializer(many=True)
    questions = EvaluationQuestionOutputSerializer(many=True)

    def get_frozen(self, obj) -> bool:
        return obj.frozen_at is not None


class EvaluationCompetencyInputSerializer(StrictSerializer):
    key = serializers.ChoiceField(choices=COMPETENCIES)
    items = serializers.ListField(child=StrictCharField(max_length=300), min_length=1, max_length=20)


class EvaluationQuestionInputSerializer(StrictSerializer):
    text = StrictCharField(max_length=300)
    required = StrictBooleanField(default=False)


class EvaluationInstrumentUpdateSerializer(StrictSerializer):
    title = StrictCharField(max_length=200)
    description = StrictCharField(required=False, allow_blank=True, max_length=5000, default="")
    # One to nine competencies (each at most once: a cross-item rule the schema cannot state).
    competencies = EvaluationCompetencyInputSerializer(many=True, min_length=1, max_length=len(COMPETENCIES))
    questions = EvaluationQuestionInputSerializer(many=True, required=False, default=list)


class EvaluationInstrumentCreateSerializer(EvaluationInstrumentUpdateSerializer):
    key = StrictSlugField(max_length=80)


def _instrument_output(instrument_id: int, user) -> dict:
    return EvaluationInstrumentOutputSerializer(instrument_get_for_user(user=user, instrument_id=instrument_id)).data


class InstrumentListCreateApi(generics.GenericAPIView):
    """Instruments (every version). Staff create them; agency administrators read them to choose one."""

    serializer_class = EvaluationInstrumentOutputSerializer

    def get_queryset(self):
        return instrument_visible_to(self.request.user)

    def get_permissions(self):
        return [IsCertificationStaff()] if self.request.method == "POST" else [IsStaffOrAgencyAdmin()]

    @extend_schema(responses=EvaluationInstrumentOutputSerializer(many=True), tags=TAGS)
    def get(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(EvaluationInstrumentOutputSerializer(page, many=True).data)

    @extend_schema(request=EvaluationInstrumentCreateSerializer, responses={201: EvaluationInstrumentOutputSerializer},
                   tags=TAGS)
    def post(self, request):
        serializer = EvaluationInstrumentCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        instrument = services.instrument_create(actor=request.user, **serializer.validated_data)
        return Response(_instrument_output(instrument.pk, request.user), status=status.HTTP_201_CREATED)


class InstrumentDetailApi(APIView):
    def get_permissions(self):
        return [IsCertificationStaff()] if self.request.method == "PUT" else [IsStaffOrAgencyAdmin()]

    @extend_schema(responses=EvaluationInstrumentOutputSerializer, tags=TAGS)
    def get(self, request, instrument_id: int):
        """One instrument version with its competencies and questions."""
        return Response(_instrument_output(instrument_id, request.user))

    @extend_schema(
        request=EvaluationInstrumentUpdateSerializer,
        responses={200: OpenApiResponse(EvaluationInstrumentOutputSerializer, "Edited in place (not used yet)."),
                   201: OpenApiResponse(EvaluationInstrumentOutputSerializer,
                                        "The instrument was used by a cycle: a new version was created.")},
        tags=TAGS,
    )
    def put(self, request, instrument_id: int):
        """Staff replace an instrument's content. Unused: edited in place (200). Already used by a cycle: a new version
        is created (201) and the old one stays as those cycles saw it."""
        instrument = instrument_get_for_user(user=request.user, instrument_id=instrument_id)
        serializer = EvaluationInstrumentUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        result, created = services.instrument_update(instrument=instrument, actor=request.user,
                                                     **serializer.validated_data)
        return Response(_instrument_output(result.pk, request.user),
                        status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)
