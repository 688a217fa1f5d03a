"""Instrument APIs: staff create and edit them; agency administrators read them to choose one."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from core.permissions import IsCertificationStaff, IsStaffOrAgencyAdmin
from core.vocabulary import COMPETENCIES

from .. import services
from ..selectors import instrument_get_for_user, instrument_visible_to
from ._common import TAGS


class EvaluationItemOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    text = serializers.CharField()


class EvaluationCompetencyOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    key = serializers.CharField()
    label = serializers.CharField()
    items = EvaluationItemOutputSerializer(many=True)


class EvaluationQuestionOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    text = serializers.CharField()
    required = serializers.BooleanField()


class EvaluationInstrumentOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    key = serializers.CharField()
    version = serializers.IntegerField()
    title = serializers.CharField()
    description = serializers.CharField()
    frozen = serializers.SerializerMethodField()
    competencies = EvaluationCompetencyOutputSerializer(many=True)
    questions = EvaluationQuestionOutputSerializer(many=True)

    def get_frozen(self, obj) -> bool:
        return obj.frozen_at is not None


class EvaluationCompetencyInputSerializer(serializers.Serializer):
    key = serializers.ChoiceField(choices=COMPETENCIES)
    items = serializers.ListField(child=serializers.CharField(max_length=300), min_length=1, max_length=20)


class EvaluationQuestionInputSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=300)
    required = serializers.BooleanField(default=False)


class EvaluationInstrumentUpdateSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, max_length=5000, default="")
    # One to nine competencies (each at most once: a cross-item rule the schema cannot state).
    competencies = EvaluationCompetencyInputSerializer(many=True, min_length=1, max_length=len(COMPETENCIES))
    questions = EvaluationQuestionInputSerializer(many=True, required=False, default=list)


class EvaluationInstrumentCreateSerializer(EvaluationInstrumentUpdateSerializer):
    key = serializers.SlugField(max_length=80)


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
        return Response(_instrument_output(instrument_id, request.user))

    @extend_schema(
        request=EvaluationInstrumentUpdateSerializer,
        responses={200: OpenApiResponse(EvaluationInstrumentOutputSerializer, "Edited in place (not used yet)."),
                   201: OpenApiResponse(EvaluationInstrumentOutputSerializer,
                                        "The instrument was used by a cycle: a new version was created.")},
        tags=TAGS,
    )
    def put(self, request, instrument_id: int):
        instrument = instrument_get_for_user(user=request.user, instrument_id=instrument_id)
        serializer = EvaluationInstrumentUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        result, created = services.instrument_update(instrument=instrument, actor=request.user,
                                                     **serializer.validated_data)
        return Response(_instrument_output(result.pk, request.user),
                        status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)
