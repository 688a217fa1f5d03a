"""Cycle APIs: create, read, open, close, follow up."""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from agencies.selectors import agency_visible_to, officer_visible_to
from core.access import access_by_id
from core.filters import StrictFilterSet
from core.permissions import IsStaffOrAgencyAdmin
from core.serializers import StrictBooleanField, StrictCharField, StrictIntegerField, StrictSerializer

from .. import services
from ..models import Cycle, RatersStatus
from ..selectors import cycle_get_for_user, cycle_visible_to, instrument_visible_to
from . import examples
from ._common import TAGS


class EvaluationMinimumsSerializer(StrictSerializer):
    supervisor = StrictIntegerField(min_value=1, max_value=50, required=False)
    peer = StrictIntegerField(min_value=1, max_value=50, required=False)
    direct_report = StrictIntegerField(min_value=1, max_value=50, required=False)
    community = StrictIntegerField(min_value=1, max_value=50, required=False)


class EvaluationCycleInputSerializer(StrictSerializer):
    subject = StrictIntegerField(min_value=1, help_text="Officer id of the leadership candidate.")
    agency = StrictIntegerField(min_value=1, required=False,
                                help_text="Sponsoring agency id; defaults to (and for agency administrators "
                                                "must be) the administrator's agency / the officer's agency.")
    target_position = StrictCharField(max_length=200)
    opens_at = serializers.DateTimeField()
    closes_at = serializers.DateTimeField()
    instrument = StrictIntegerField(min_value=1, required=False,
                                    help_text="Instrument id; the latest default instrument if omitted.")
    minimums = EvaluationMinimumsSerializer(required=False)
    release_to_subject = StrictBooleanField(
        required=False, default=True,
        help_text="Show the released report to the evaluated officer's own account too (default: yes); the subject "
                  "never sees who said what.")


class EvaluationNamedRefSerializer(StrictSerializer):
    id = StrictIntegerField()
    name = StrictCharField()


class EvaluationRatersReviewSerializer(StrictSerializer):
    status = serializers.ChoiceField(choices=RatersStatus.choices,
                                     help_text="Staff review of the rater list; the cycle opens only when approved.")
    version = StrictIntegerField(help_text="Changes with every change of the list; approve the version you "
                                                 "reviewed.")
    reviewed_by = StrictCharField(allow_null=True)
    reviewed_at = serializers.DateTimeField(allow_null=True)
    refusal_reason = StrictCharField()


class EvaluationCycleOutputSerializer(StrictSerializer):
    id = StrictIntegerField()
    subject = serializers.SerializerMethodField()
    agency = serializers.SerializerMethodField()
    target_position = StrictCharField()
    instrument = StrictIntegerField(source="instrument_id")
    instrument_version = StrictIntegerField(source="instrument.version")
    status = StrictCharField()
    opens_at = serializers.DateTimeField()
    closes_at = serializers.DateTimeField()
    minimums = serializers.DictField(child=StrictIntegerField(), source="group_minimums")
    follow_up_of = StrictIntegerField(source="follow_up_of_id", allow_null=True)
    invitations_total = StrictIntegerField()
    invitations_submitted = StrictIntegerField()
    created_at = serializers.DateTimeField()
    opened_at = serializers.DateTimeField(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)
    report_ready_at = serializers.DateTimeField(allow_null=True)
    released_at = serializers.DateTimeField(allow_null=True)
    release_to_subject = StrictBooleanField()
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


class EvaluationTimelineStepSerializer(StrictSerializer):
    step = StrictCharField(source="name")
    label = StrictCharField(source="get_name_display")
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)
    attempts = StrictIntegerField()


class EvaluationPromiseSerializer(StrictSerializer):
    hours = StrictIntegerField()
    due_at = serializers.DateTimeField(allow_null=True)
    report_ready_at = serializers.DateTimeField(allow_null=True)
    met = StrictBooleanField(allow_null=True, help_text="null while the report is pending and not yet late.")


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
    search_fields = ["subject__first_name", "subject__last_name", "subject__license_number", "agency__name",
                     "target_position"]
    search_help = "subject's first or last name or licence number, agency name, target position"
    ordering_fields = {"opens_at": ("opens_at",), "closes_at": ("closes_at",), "created_at": ("created_at",),
                       "status": ("status",)}

    def get_queryset(self):
        return cycle_visible_to(self.request.user)

    @extend_schema(responses=EvaluationCycleOutputSerializer(many=True), tags=TAGS)
    def get(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(EvaluationCycleOutputSerializer(page, many=True).data)

    @extend_schema(request=EvaluationCycleInputSerializer, responses={201: EvaluationCycleDetailOutputSerializer},
                   examples=examples.CYCLE_CREATE,
                   tags=TAGS)
    def post(self, request):
        serializer = EvaluationCycleInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        user = request.user
        subject = access_by_id(officer_visible_to(user), data["subject"], field="subject", noun="officer")
        agency_id = data.get("agency") or (user.agency_id if user.is_agency_admin else subject.agency_id)
        agency = access_by_id(agency_visible_to(user), agency_id, field="agency", noun="agency")
        instrument = None
        if data.get("instrument"):
            instrument = access_by_id(instrument_visible_to(user), data["instrument"], field="instrument",
                                      noun="instrument")
        cycle = services.cycle_create(actor=user, subject=subject, agency=agency, instrument=instrument,
                                      target_position=data["target_position"], opens_at=data["opens_at"],
                                      closes_at=data["closes_at"], minimums=data.get("minimums"),
                                      release_to_subject=data.get("release_to_subject", True))
        return Response(EvaluationCycleDetailOutputSerializer(cycle_get_for_user(user=user, cycle_id=cycle.pk)).data,
                        status=status.HTTP_201_CREATED)


class CycleDetailApi(APIView):
    permission_classes = [IsStaffOrAgencyAdmin]

    @extend_schema(responses=EvaluationCycleDetailOutputSerializer, tags=TAGS)
    def get(self, request, cycle_id: int):
        """One 360 cycle: subject, instrument, dates, status and rater counts (staff any, an agency administrator their
        agency's)."""
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


class EvaluationFollowUpInputSerializer(StrictSerializer):
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
