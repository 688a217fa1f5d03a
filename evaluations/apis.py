"""360 evaluation APIs: thin views; serializers validate shape, services enforce the rules, selectors the access."""

from datetime import timedelta

from django.conf import settings
from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import generics, serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from agencies.selectors import agency_visible_to, officer_visible_to
from core.client import client_address
from core.exceptions import ApplicationError
from core.filters import StrictFilterSet
from core.openapi import ApiErrorSerializer
from core.permissions import IsCertificationStaff, IsStaffOrAgencyAdmin
from core.uploads import DownloadNegotiationMixin
from core.vocabulary import COMPETENCIES

from . import services
from .models import Cycle, CycleStatus, Invitation, RatersStatus, ReadinessBand, Relationship
from .pdf import report_notice
from .selectors import (
    cycle_get_for_user,
    cycle_invitations,
    cycle_visible_to,
    instrument_get_for_user,
    instrument_visible_to,
    invitation_get_for_user,
    report_get_for_user,
)

TAGS = ["evaluations"]

# --- instruments -------------------------------------------------------------------------------------------


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


# --- cycles ------------------------------------------------------------------------------------------------


class EvaluationMinimumsSerializer(serializers.Serializer):
    supervisor = serializers.IntegerField(min_value=1, max_value=50, required=False)
    peer = serializers.IntegerField(min_value=1, max_value=50, required=False)
    direct_report = serializers.IntegerField(min_value=1, max_value=50, required=False)
    community = serializers.IntegerField(min_value=1, max_value=50, required=False)


class EvaluationCycleInputSerializer(serializers.Serializer):
    subject = serializers.IntegerField(min_value=1, help_text="Officer id of the leadership candidate.")
    agency = serializers.IntegerField(min_value=1, required=False,
                                      help_text="Sponsoring agency id; defaults to (and for agency administrators "
                                                "must be) the administrator's agency / the officer's agency.")
    target_position = serializers.CharField(max_length=200)
    opens_at = serializers.DateTimeField()
    closes_at = serializers.DateTimeField()
    instrument = serializers.IntegerField(min_value=1, required=False,
                                          help_text="Instrument id; the latest default instrument if omitted.")
    minimums = EvaluationMinimumsSerializer(required=False)


class EvaluationNamedRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class EvaluationRatersReviewSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=RatersStatus.choices,
                                     help_text="Staff review of the rater list; the cycle opens only when approved.")
    version = serializers.IntegerField(help_text="Changes with every change of the list; approve the version you "
                                                 "reviewed.")
    reviewed_by = serializers.CharField(allow_null=True)
    reviewed_at = serializers.DateTimeField(allow_null=True)
    refusal_reason = serializers.CharField()


class EvaluationCycleOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    subject = serializers.SerializerMethodField()
    agency = serializers.SerializerMethodField()
    target_position = serializers.CharField()
    instrument = serializers.IntegerField(source="instrument_id")
    instrument_version = serializers.IntegerField(source="instrument.version")
    status = serializers.CharField()
    opens_at = serializers.DateTimeField()
    closes_at = serializers.DateTimeField()
    minimums = serializers.DictField(child=serializers.IntegerField(), source="group_minimums")
    follow_up_of = serializers.IntegerField(source="follow_up_of_id", allow_null=True)
    invitations_total = serializers.IntegerField()
    invitations_submitted = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    opened_at = serializers.DateTimeField(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)
    report_ready_at = serializers.DateTimeField(allow_null=True)
    released_at = serializers.DateTimeField(allow_null=True)
    raters = serializers.SerializerMethodField()

    @extend_schema_field(EvaluationRatersReviewSerializer)
    def get_raters(self, obj):
        reviewer = obj.raters_reviewed_by
        return {"status": obj.raters_status, "version": obj.raters_version,
                "reviewed_by": (reviewer.get_full_name() or reviewer.get_username()) if reviewer else None,
                "reviewed_at": obj.raters_reviewed_at, "refusal_reason": obj.raters_refusal_reason}

    @extend_schema_field(EvaluationNamedRefSerializer)
    def get_subject(self, obj):
        return {"id": obj.subject_id, "name": obj.subject.full_name}

    @extend_schema_field(EvaluationNamedRefSerializer)
    def get_agency(self, obj):
        return {"id": obj.agency_id, "name": obj.agency.name}


class EvaluationTimelineStepSerializer(serializers.Serializer):
    step = serializers.CharField(source="name")
    label = serializers.CharField(source="get_name_display")
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)
    attempts = serializers.IntegerField()


class EvaluationPromiseSerializer(serializers.Serializer):
    hours = serializers.IntegerField()
    due_at = serializers.DateTimeField(allow_null=True)
    report_ready_at = serializers.DateTimeField(allow_null=True)
    met = serializers.BooleanField(allow_null=True, help_text="null while the report is pending and not yet late.")


class EvaluationCycleDetailOutputSerializer(EvaluationCycleOutputSerializer):
    timeline = EvaluationTimelineStepSerializer(many=True, source="pipeline_steps.all")
    report_promise = serializers.SerializerMethodField()

    @extend_schema_field(EvaluationPromiseSerializer)
    def get_report_promise(self, obj):
        hours = settings.EVALUATION_REPORT_PROMISE_HOURS
        due = obj.closed_at + timedelta(hours=hours) if obj.closed_at else None
        met = None
        if obj.report_ready_at and due:
            met = obj.report_ready_at <= due
        elif due and timezone.now() > due:
            met = False
        return {"hours": hours, "due_at": due, "report_ready_at": obj.report_ready_at, "met": met}


class CycleFilter(StrictFilterSet):
    class Meta:
        model = Cycle
        fields = ["status", "subject", "agency"]


class CycleListCreateApi(generics.GenericAPIView):
    """360 cycles. Agency administrators run them for their own officers; staff for any."""

    permission_classes = [IsStaffOrAgencyAdmin]
    serializer_class = EvaluationCycleOutputSerializer
    filterset_class = CycleFilter

    def get_queryset(self):
        return cycle_visible_to(self.request.user)

    @extend_schema(responses=EvaluationCycleOutputSerializer(many=True), tags=TAGS)
    def get(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(EvaluationCycleOutputSerializer(page, many=True).data)

    @extend_schema(request=EvaluationCycleInputSerializer, responses={201: EvaluationCycleDetailOutputSerializer},
                   tags=TAGS)
    def post(self, request):
        serializer = EvaluationCycleInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        user = request.user
        subject = officer_visible_to(user).filter(pk=data["subject"]).first()
        if subject is None:
            raise ApplicationError("validation_error", "The request is not valid.",
                                   fields={"subject": [f"Unknown officer {data['subject']}."]})
        agency_id = data.get("agency") or (user.agency_id if user.is_agency_admin else subject.agency_id)
        agency = agency_visible_to(user).filter(pk=agency_id).first()
        if agency is None:
            raise ApplicationError("validation_error", "The request is not valid.",
                                   fields={"agency": [f"Unknown agency {agency_id}."]})
        instrument = None
        if data.get("instrument"):
            instrument = instrument_visible_to(user).filter(pk=data["instrument"]).first()
            if instrument is None:
                raise ApplicationError("validation_error", "The request is not valid.",
                                       fields={"instrument": [f"Unknown instrument {data['instrument']}."]})
        cycle = services.cycle_create(actor=user, subject=subject, agency=agency, instrument=instrument,
                                      target_position=data["target_position"], opens_at=data["opens_at"],
                                      closes_at=data["closes_at"], minimums=data.get("minimums"))
        return Response(EvaluationCycleDetailOutputSerializer(cycle_get_for_user(user=user, cycle_id=cycle.pk)).data,
                        status=status.HTTP_201_CREATED)


class CycleDetailApi(APIView):
    permission_classes = [IsStaffOrAgencyAdmin]

    @extend_schema(responses=EvaluationCycleDetailOutputSerializer, tags=TAGS)
    def get(self, request, cycle_id: int):
        return Response(EvaluationCycleDetailOutputSerializer(
            cycle_get_for_user(user=request.user, cycle_id=cycle_id)).data)


class CycleOpenApi(APIView):
    """Open the cycle: every invited rater gets their secret link by e-mail."""

    permission_classes = [IsStaffOrAgencyAdmin]

    @extend_schema(request=None, responses=EvaluationCycleDetailOutputSerializer, tags=TAGS)
    def post(self, request, cycle_id: int):
        cycle = cycle_get_for_user(user=request.user, cycle_id=cycle_id)
        services.cycle_open(cycle=cycle, actor=request.user)
        return Response(EvaluationCycleDetailOutputSerializer(
            cycle_get_for_user(user=request.user, cycle_id=cycle_id)).data)


class CycleCloseApi(APIView):
    """Close feedback now (before the deadline) and start the report pipeline."""

    permission_classes = [IsStaffOrAgencyAdmin]

    @extend_schema(request=None, responses=EvaluationCycleDetailOutputSerializer, tags=TAGS)
    def post(self, request, cycle_id: int):
        cycle = cycle_get_for_user(user=request.user, cycle_id=cycle_id)
        services.cycle_close(cycle=cycle, actor=request.user, reason="closed by sponsor")
        return Response(EvaluationCycleDetailOutputSerializer(
            cycle_get_for_user(user=request.user, cycle_id=cycle_id)).data)


class EvaluationFollowUpInputSerializer(serializers.Serializer):
    opens_at = serializers.DateTimeField()
    closes_at = serializers.DateTimeField()


class CycleFollowUpApi(APIView):
    """A follow-up cycle (e.g. after coaching) with the same subject, position, instrument and raters."""

    permission_classes = [IsStaffOrAgencyAdmin]

    @extend_schema(request=EvaluationFollowUpInputSerializer, responses={201: EvaluationCycleDetailOutputSerializer},
                   tags=TAGS)
    def post(self, request, cycle_id: int):
        cycle = cycle_get_for_user(user=request.user, cycle_id=cycle_id)
        serializer = EvaluationFollowUpInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        new = services.cycle_create_follow_up(source_cycle_id=cycle.pk, actor=request.user,
                                              **serializer.validated_data)
        return Response(EvaluationCycleDetailOutputSerializer(
            cycle_get_for_user(user=request.user, cycle_id=new.pk)).data, status=status.HTTP_201_CREATED)


# --- invitations -------------------------------------------------------------------------------------------


class EvaluationInvitationInputSerializer(serializers.Serializer):
    rater_name = serializers.CharField(max_length=200)
    rater_email = serializers.EmailField()
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


class EvaluationInvitationOutputSerializer(serializers.Serializer):
    """Who was invited and whether they answered - never what they answered (nor whether a draft exists)."""

    id = serializers.IntegerField()
    rater_name = serializers.CharField()
    rater_email = serializers.EmailField()
    relationship = serializers.CharField()
    status = serializers.SerializerMethodField()
    sent = serializers.SerializerMethodField()
    last_sent_at = serializers.DateTimeField(source="sent_at", allow_null=True)
    submitted = serializers.SerializerMethodField()
    refusal_reason = serializers.CharField()
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
        cycle = cycle_get_for_user(user=request.user, cycle_id=cycle_id)
        page = self.paginate_queryset(cycle_invitations(cycle=cycle))
        return self.get_paginated_response(EvaluationInvitationOutputSerializer(page, many=True,
                                                                                context={"cycle": cycle}).data)

    @extend_schema(request=EvaluationInvitationInputSerializer,
                   responses={201: EvaluationInvitationOutputSerializer}, tags=TAGS)
    def post(self, request, cycle_id: int):
        cycle = cycle_get_for_user(user=request.user, cycle_id=cycle_id)
        serializer = EvaluationInvitationInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        invitation = services.invitation_create(cycle=cycle, actor=request.user, **serializer.validated_data)
        return Response(EvaluationInvitationOutputSerializer(invitation).data, status=status.HTTP_201_CREATED)


class EvaluationRatersApproveInputSerializer(serializers.Serializer):
    version = serializers.IntegerField(min_value=0, max_value=2_147_483_647,
                                       help_text="The rater-list version you reviewed (cycle.raters.version).")


class EvaluationRatersRefuseInputSerializer(EvaluationRatersApproveInputSerializer):
    reason = serializers.CharField(min_length=10, max_length=4000, help_text="What the sponsor must change.")


class EvaluationInvitationRefuseInputSerializer(serializers.Serializer):
    reason = serializers.CharField(min_length=10, max_length=4000, help_text="Why this rater may not rate.")


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
        invitation = invitation_get_for_user(user=request.user, cycle_id=cycle_id, invitation_id=invitation_id)
        services.invitation_delete(invitation=invitation, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- report ------------------------------------------------------------------------------------------------


class EvaluationBandSerializer(serializers.Serializer):
    computed = serializers.CharField(source="band_computed")
    final = serializers.CharField(source="band_final")
    override_reason = serializers.CharField(source="band_override_reason")


class EvaluationProvenanceSerializer(serializers.Serializer):
    summariser = serializers.CharField()
    model = serializers.CharField(source="llm_model")
    prompt_version = serializers.CharField()
    input_hash = serializers.CharField()
    prompt_tokens = serializers.IntegerField(allow_null=True)
    completion_tokens = serializers.IntegerField(allow_null=True)
    latency_ms = serializers.IntegerField(allow_null=True)
    fallback_reason = serializers.CharField(
        source="llm_error", help_text="Why the built-in summariser wrote the summary, in our own words and counts "
                                      "(never the model's text); empty when the model's summary is used.")
    fallback_category = serializers.SerializerMethodField()
    sent_to_model = serializers.SerializerMethodField()

    def get_fallback_category(self, obj) -> str:
        return services.fallback_category(obj.llm_error)

    def get_sent_to_model(self, obj) -> bool:
        return obj.summariser == "llm" or services.fallback_category(obj.llm_error) in (
            "rejected", "failed", "deadline", "replaced_by_reviewer")


class EvaluationReviewOutputSerializer(serializers.Serializer):
    action = serializers.CharField(required=False, help_text="edited or builtin")
    fields = serializers.ListField(child=serializers.CharField(), required=False)
    by = serializers.CharField(required=False)
    by_id = serializers.IntegerField(required=False)
    at = serializers.CharField(required=False)
    released_by = serializers.CharField(required=False)
    released_by_id = serializers.IntegerField(required=False)
    released_at = serializers.CharField(required=False)


class EvaluationReportOutputSerializer(serializers.Serializer):
    cycle = serializers.IntegerField(source="cycle_id")
    status = serializers.CharField(source="cycle.status")
    subject = serializers.CharField(source="cycle.subject.full_name")
    target_position = serializers.CharField(source="cycle.target_position")
    notice = serializers.SerializerMethodField()
    band = EvaluationBandSerializer(source="*")
    eligibility = serializers.JSONField()
    development_areas = serializers.ListField(child=serializers.CharField())
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
        report = report_get_for_user(user=request.user, cycle_id=cycle_id)
        if not report.pdf:
            raise ApplicationError("not_found", "The PDF is not rendered yet.", status_code=404)
        response = HttpResponse(bytes(report.pdf), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="promotability-report-{cycle_id}.pdf"'
        return response


class EvaluationReleaseInputSerializer(serializers.Serializer):
    band = serializers.ChoiceField(choices=ReadinessBand.choices, required=False,
                                   help_text="Final band; omit to keep the computed one.")
    reason = serializers.CharField(max_length=4000, required=False, allow_blank=True, default="",
                                   help_text="Required when the band differs from the computed one.")


class EvaluationReviewThemeSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=120)
    summary = serializers.CharField(max_length=600)
    comment_ids = serializers.ListField(child=serializers.CharField(max_length=12), max_length=20, default=list)


class EvaluationReviewInputSerializer(serializers.Serializer):
    narrative = serializers.CharField(max_length=4000, required=False)
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


# --- reviewer feedback (public, the secret link is the credential) --------------------------------------------


class FeedbackAnswersSerializer(serializers.Serializer):
    scores = serializers.DictField(child=serializers.JSONField(allow_null=True), required=False,
                                   help_text='{"<item id>": 1..5 or "not_observed"}')
    comments = serializers.DictField(child=serializers.CharField(allow_blank=True, max_length=4000,
                                                                 trim_whitespace=False), required=False,
                                     help_text='{"<question id>": "text"}')


class FeedbackFormOutputSerializer(serializers.Serializer):
    subject = serializers.CharField()
    target_position = serializers.CharField()
    agency = serializers.CharField()
    relationship = serializers.CharField()
    closes_at = serializers.DateTimeField()
    scale = serializers.DictField(child=serializers.CharField())
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

    @extend_schema(responses={200: FeedbackFormOutputSerializer, **_FEEDBACK_ERRORS}, tags=["feedback"])
    def get(self, request, token: str):
        return Response(FeedbackFormOutputSerializer(feedback_form_data(self._invitation(request, token))).data)

    @extend_schema(request=FeedbackAnswersSerializer, responses={200: FeedbackFormOutputSerializer,
                                                                 **_FEEDBACK_ERRORS}, tags=["feedback"])
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
                              **_FEEDBACK_ERRORS}, tags=["feedback"])
    def post(self, request, token: str):
        # The body's shape first: a malformed answer is a 400 whatever the state of the link (and checking it
        # reveals nothing about the token).
        serializer = FeedbackAnswersSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        invitation = self._invitation(request, token)
        services.feedback_submit(invitation=invitation, **serializer.validated_data)
        return Response({"status": "submitted", "message": "Thank you: your feedback was submitted."},
                        status=status.HTTP_201_CREATED)
