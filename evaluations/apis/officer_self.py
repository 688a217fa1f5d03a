"""An officer's own 360 reports (issue #18, read side): released reports about them whose cycle releases them to
the subject. The same anonymised content the sponsor reads (groups under their minimum, rater names and links never
appear); not the staff-only provenance and review trail. Officer accounts only (403 for every other role)."""

from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from core.permissions import IsOfficer
from core.serializers import StrictCharField, StrictIntegerField, StrictSerializer

from ..selectors import report_released_to_subject, report_released_to_subject_get
from .report import EvaluationBandSerializer, EvaluationReportOutputSerializer

TAGS = ["me"]


class OfficerOwnReportSerializer(StrictSerializer):
    id = StrictIntegerField()
    cycle = StrictIntegerField(source="cycle_id")
    target_position = StrictCharField(source="cycle.target_position")
    agency = StrictCharField(source="cycle.agency.name", help_text="The sponsoring agency.")
    notice = serializers.SerializerMethodField()
    band = EvaluationBandSerializer(source="*")
    development_areas = serializers.ListField(child=StrictCharField())
    content = serializers.JSONField(help_text="Groups, competency table, gaps, highest/lowest items, comments: only "
                                              "groups that passed the anonymity minimum, redacted; never a rater.")
    summary = serializers.JSONField()
    released_at = serializers.DateTimeField()

    def get_notice(self, obj) -> str:
        return EvaluationReportOutputSerializer().get_notice(obj)


class OfficerOwnReportListApi(generics.GenericAPIView):
    permission_classes = [IsOfficer]
    serializer_class = OfficerOwnReportSerializer

    def get_queryset(self):
        return report_released_to_subject(self.request.user)

    @extend_schema(summary="My 360 reports", tags=TAGS, responses=OfficerOwnReportSerializer(many=True),
                   description="Released promotability reports about the signed-in officer, where the cycle "
                               "releases them to the subject (the default). Never who said what.")
    def get(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(OfficerOwnReportSerializer(page, many=True).data)


class OfficerOwnReportApi(APIView):
    permission_classes = [IsOfficer]

    @extend_schema(summary="One of my 360 reports", tags=TAGS, responses=OfficerOwnReportSerializer,
                   description="A released report about the signed-in officer, by cycle id. A cycle not released "
                               "to the subject, not released yet or about someone else is a 404.")
    def get(self, request, cycle_id: int):
        report = report_released_to_subject_get(user=request.user, cycle_id=cycle_id)
        return Response(OfficerOwnReportSerializer(report).data)
