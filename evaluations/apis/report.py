"""Report APIs: read it and its PDF, staff review and the signed release."""

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from core.exceptions import ApplicationError
from core.permissions import IsCertificationStaff, IsStaffOrAgencyAdmin
from core.serializers import StrictCharField, StrictIntegerField, StrictSerializer
from core.uploads import DownloadNegotiationMixin

from .. import services
from ..models import CycleStatus, ReadinessBand
from ..pdf import report_notice
from ..selectors import cycle_get_for_user, report_get_for_user
from ._common import TAGS


class EvaluationBandSerializer(StrictSerializer):
    computed = StrictCharField(source="band_computed")
    final = StrictCharField(source="band_final")
    override_reason = StrictCharField(source="band_override_reason")


class EvaluationProvenanceSerializer(StrictSerializer):
    summariser = StrictCharField()
    model = StrictCharField(source="llm_model")
    prompt_version = StrictCharField()
    input_hash = StrictCharField()
    prompt_tokens = StrictIntegerField(allow_null=True)
    completion_tokens = StrictIntegerField(allow_null=True)
    latency_ms = StrictIntegerField(allow_null=True)
    fallback_reason = StrictCharField(
        source="llm_error", help_text="Why the built-in summariser wrote the summary, in our own words and counts "
                                      "(never the model's text); empty when the model's summary is used.")
    fallback_category = serializers.SerializerMethodField()
    sent_to_model = serializers.SerializerMethodField()

    def get_fallback_category(self, obj) -> str:
        return services.fallback_category(obj.llm_error)

    def get_sent_to_model(self, obj) -> bool:
        return obj.summariser == "llm" or services.fallback_category(obj.llm_error) in (
            "rejected", "failed", "deadline", "replaced_by_reviewer")


class EvaluationReviewOutputSerializer(StrictSerializer):
    action = StrictCharField(required=False, help_text="edited or builtin")
    fields = serializers.ListField(child=StrictCharField(), required=False)
    by = StrictCharField(required=False)
    by_id = StrictIntegerField(required=False)
    at = StrictCharField(required=False)
    released_by = StrictCharField(required=False)
    released_by_id = StrictIntegerField(required=False)
    released_at = StrictCharField(required=False)


class EvaluationReportOutputSerializer(StrictSerializer):
    cycle = StrictIntegerField(source="cycle_id")
    status = StrictCharField(source="cycle.status")
    subject = StrictCharField(source="cycle.subject.full_name")
    target_position = StrictCharField(source="cycle.target_position")
    notice = serializers.SerializerMethodField()
    band = EvaluationBandSerializer(source="*")
    eligibility = serializers.JSONField()
    development_areas = serializers.ListField(child=StrictCharField())
    content = serializers.JSONField(help_text="Groups, competency table, gaps, highest/lowest items, comments "
                                              "(only groups that passed the anonymity minimum; redacted).")
    summary = serializers.JSONField()
    provenance = EvaluationProvenanceSerializer(source="*")
    released_by = serializers.SerializerMethodField()
    released_at = serializers.DateTimeField(allow_null=True)
    review = EvaluationReviewOutputSerializer(help_text="The staff review before release (who edited or replaced "
                                                        "the summary, who released it).")

    def get_notice(self, obj) -> str:
        return report_notice(summariser=obj.summariser, fallback=services.fallback_category(obj.llm_error),
                             review_action=(obj.review or {}).get("action", ""))

    def get_released_by(self, obj) -> str | None:
        if obj.released_by is None:
            return None
        return obj.released_by.get_full_name() or obj.released_by.get_username()


class ReportApi(APIView):
    """The promotability report: staff once the pipeline made it; the sponsoring agency only after release."""

    permission_classes = [IsStaffOrAgencyAdmin]

    @extend_schema(responses=EvaluationReportOutputSerializer, tags=TAGS)
    def get(self, request, cycle_id: int):
        return Response(EvaluationReportOutputSerializer(report_get_for_user(user=request.user,
                                                                             cycle_id=cycle_id)).data)


class ReportPdfApi(DownloadNegotiationMixin, APIView):
    permission_classes = [IsStaffOrAgencyAdmin]

    @extend_schema(responses={(200, "application/pdf"): OpenApiTypes.BINARY}, tags=TAGS)
    def get(self, request, cycle_id: int):
        """The promotability report as PDF, once the pipeline rendered it (404 before): staff, and the sponsoring
        agency after release."""
        report = report_get_for_user(user=request.user, cycle_id=cycle_id)
        if not report.pdf:
            raise ApplicationError("not_found", "The PDF is not rendered yet.", status_code=404)
        response = HttpResponse(bytes(report.pdf), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="promotability-report-{cycle_id}.pdf"'
        return response


class EvaluationReleaseInputSerializer(StrictSerializer):
    band = serializers.ChoiceField(choices=ReadinessBand.choices, required=False,
                                   help_text="Final band; omit to keep the computed one.")
    reason = StrictCharField(max_length=4000, required=False, allow_blank=True, default="",
                             help_text="Required when the band differs from the computed one.")


class EvaluationReviewThemeSerializer(StrictSerializer):
    title = StrictCharField(max_length=120)
    summary = StrictCharField(max_length=600)
    comment_ids = serializers.ListField(child=StrictCharField(max_length=12), max_length=20, default=list)


class EvaluationReviewInputSerializer(StrictSerializer):
    narrative = StrictCharField(max_length=4000, required=False)
    themes = EvaluationReviewThemeSerializer(many=True, required=False, max_length=10)


def _report_ready_cycle(request, cycle_id: int):
    cycle = cycle_get_for_user(user=request.user, cycle_id=cycle_id)
    if cycle.status != CycleStatus.REPORT_READY:
        raise ApplicationError("report_not_ready", "Only a report that is ready and not yet released can be "
                               "reviewed.", status_code=409)
    return cycle


class ReportReviewApi(APIView):
    """Staff review before release: edit the narrative and/or themes (same rules as the model's answer; before and
    after audited)."""

    permission_classes = [IsCertificationStaff]

    @extend_schema(request=EvaluationReviewInputSerializer, responses=EvaluationReportOutputSerializer, tags=TAGS)
    def patch(self, request, cycle_id: int):
        cycle = _report_ready_cycle(request, cycle_id)
        serializer = EvaluationReviewInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.report_review_edit(cycle=cycle, actor=request.user, **serializer.validated_data)
        return Response(EvaluationReportOutputSerializer(report_get_for_user(user=request.user,
                                                                             cycle_id=cycle_id)).data)


class ReportUseBuiltinApi(APIView):
    """Staff review before release: replace the summary with the built-in deterministic one (audited)."""

    permission_classes = [IsCertificationStaff]

    @extend_schema(request=None, responses=EvaluationReportOutputSerializer, tags=TAGS)
    def post(self, request, cycle_id: int):
        cycle = _report_ready_cycle(request, cycle_id)
        services.report_review_use_builtin(cycle=cycle, actor=request.user)
        return Response(EvaluationReportOutputSerializer(report_get_for_user(user=request.user,
                                                                             cycle_id=cycle_id)).data)


class ReportReleaseApi(APIView):
    """Staff sign-off: the named reviewer releases the report to the sponsoring agency."""

    permission_classes = [IsCertificationStaff]

    @extend_schema(request=EvaluationReleaseInputSerializer, responses=EvaluationReportOutputSerializer, tags=TAGS)
    def post(self, request, cycle_id: int):
        cycle = cycle_get_for_user(user=request.user, cycle_id=cycle_id)
        if cycle.status != CycleStatus.REPORT_READY:
            raise ApplicationError("report_not_ready", "Only a report that is ready and not yet released can be "
                                   "released.", status_code=409)
        serializer = EvaluationReleaseInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.report_release(cycle=cycle, actor=request.user, **serializer.validated_data)
        return Response(EvaluationReportOutputSerializer(report_get_for_user(user=request.user,
                                                                             cycle_id=cycle_id)).data)
