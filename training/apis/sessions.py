"""Sessions over HTTP: scheduling, instructors, enrolment, cancellation and attendance."""

from zoneinfo import ZoneInfo

from django.utils.dateparse import parse_datetime
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import generics, serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from agencies.selectors import users_for_lookup
from core.access import access_by_id
from core.exceptions import ApplicationError
from core.filters import StrictFilterSet
from core.permissions import IsCertificationStaff, IsStaffOrAgencyAdmin
from core.serializers import (
    StrictBooleanField,
    StrictCharField,
    StrictIntegerField,
    StrictModelSerializer,
    StrictSerializer,
    StrictURLField,
)

from .. import selectors, services
from ..models import (
    DeliveryMode,
    Enrollment,
    EnrollmentStatus,
    SessionStatus,
    TrainingSession,
)
from . import examples
from ._common import TAGS

# --- sessions -----------------------------------------------------------------------------------------------


class TrainingInstructorOutputSerializer(StrictSerializer):
    id = StrictIntegerField()
    username = StrictCharField()
    name = StrictCharField(source="get_full_name")


class TrainingSessionOutputSerializer(StrictModelSerializer):
    mode = serializers.ChoiceField(choices=DeliveryMode.choices)
    course_code = StrictCharField(source="course.code")
    course_title = StrictCharField(source="course.title")
    starts_at_local = serializers.SerializerMethodField()
    ends_at_local = serializers.SerializerMethodField()
    seats_taken = StrictIntegerField()
    waitlist_count = StrictIntegerField()
    instructors = TrainingInstructorOutputSerializer(many=True)
    status = serializers.ChoiceField(choices=SessionStatus.choices, help_text="cancelled: see cancellation_reason.")

    class Meta:
        model = TrainingSession
        fields = ["id", "course", "course_code", "course_title", "starts_at", "ends_at", "time_zone",
                  "starts_at_local", "ends_at_local", "mode", "location", "meeting_url", "capacity", "seats_taken",
                  "waitlist_count", "instructors", "status", "cancelled_at", "cancellation_reason"]

    def get_starts_at_local(self, obj) -> str:
        return obj.starts_at.astimezone(ZoneInfo(obj.time_zone)).isoformat()

    def get_ends_at_local(self, obj) -> str:
        return obj.ends_at.astimezone(ZoneInfo(obj.time_zone)).isoformat()


class TrainingSessionInputSerializer(StrictSerializer):
    course = StrictIntegerField(min_value=1)
    starts_at = serializers.DateTimeField(help_text="ISO 8601; without an offset it is read in `time_zone`.")
    ends_at = serializers.DateTimeField(help_text="ISO 8601; without an offset it is read in `time_zone`.")
    time_zone = StrictCharField(max_length=64, help_text="IANA name, e.g. America/Los_Angeles.")
    mode = serializers.ChoiceField(choices=DeliveryMode.choices)
    location = StrictCharField(max_length=300, required=False, allow_blank=True)
    meeting_url = StrictURLField(max_length=500, required=False, allow_blank=True)
    capacity = StrictIntegerField(min_value=1, max_value=1000)
    instructors = serializers.ListField(child=StrictIntegerField(min_value=1), required=False,
                                        max_length=20, help_text="User ids of qualified instructors.")

    def validate(self, attrs):
        zone = services.zone_get(attrs["time_zone"])
        for name in ("starts_at", "ends_at"):
            raw = self.initial_data.get(name)
            parsed = parse_datetime(raw) if isinstance(raw, str) else None
            if parsed is not None and parsed.tzinfo is None:  # a wall-clock time where the session happens
                attrs[name] = parsed.replace(tzinfo=zone)
        if attrs["ends_at"] <= attrs["starts_at"]:
            raise serializers.ValidationError({"ends_at": ["Must be after starts_at."]})
        return attrs


class TrainingSessionFilter(StrictFilterSet):
    starts_after = filters.IsoDateTimeFilter(field_name="starts_at", lookup_expr="gte")
    starts_before = filters.IsoDateTimeFilter(field_name="starts_at", lookup_expr="lt")

    class Meta:
        model = TrainingSession
        fields = ["course", "mode", "status", "starts_after", "starts_before"]


class SessionListCreateApi(generics.GenericAPIView):
    """Sessions: staff and agency administrators see all; instructors the ones they teach. Staff schedule them."""

    serializer_class = TrainingSessionOutputSerializer
    filterset_class = TrainingSessionFilter
    search_fields = ["course__code", "course__title", "location"]
    search_help = "course code or title, location"
    ordering_fields = {"starts_at": ("starts_at",), "course": ("course__code",), "created_at": ("created_at",)}

    def get_queryset(self):
        return selectors.session_visible_to(self.request.user)

    def get_permissions(self):
        return [IsCertificationStaff()] if self.request.method == "POST" else [IsAuthenticated()]

    @extend_schema(responses=TrainingSessionOutputSerializer(many=True), tags=TAGS)
    def get(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(TrainingSessionOutputSerializer(page, many=True).data)

    @extend_schema(request=TrainingSessionInputSerializer, responses={201: TrainingSessionOutputSerializer},
                   examples=examples.SESSION_CREATE,
                   tags=TAGS)
    def post(self, request):
        serializer = TrainingSessionInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        course = access_by_id(selectors.course_visible_to(request.user), data.pop("course"), field="course",
                              noun="course")
        instructor_ids = data.pop("instructors", [])
        instructors = list(users_for_lookup(active_only=True).filter(pk__in=instructor_ids))
        unknown = sorted(set(instructor_ids) - {u.pk for u in instructors})
        if unknown:
            raise ApplicationError("validation_error", "The request is not valid.",
                                   fields={"instructors": [f"Unknown user {pk}." for pk in unknown]})
        session = services.session_create(actor=request.user, course=course, instructors=instructors, **data)
        session = selectors.session_get_for_user(user=request.user, session_id=session.pk)
        return Response(TrainingSessionOutputSerializer(session).data, status=status.HTTP_201_CREATED)


class SessionDetailApi(APIView):
    @extend_schema(responses=TrainingSessionOutputSerializer, tags=TAGS)
    def get(self, request, session_id: int):
        session = selectors.session_get_for_user(user=request.user, session_id=session_id)
        return Response(TrainingSessionOutputSerializer(session).data)


class TrainingInstructorAssignInputSerializer(StrictSerializer):
    user = StrictIntegerField(min_value=1, help_text="User id of a qualified instructor.")


class SessionInstructorAssignApi(APIView):
    """Assign a qualified instructor to a session (staff)."""

    permission_classes = [IsCertificationStaff]

    @extend_schema(request=TrainingInstructorAssignInputSerializer, responses={201: TrainingSessionOutputSerializer},
                   tags=TAGS)
    def post(self, request, session_id: int):
        session = selectors.session_get_for_user(user=request.user, session_id=session_id)
        serializer = TrainingInstructorAssignInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = access_by_id(users_for_lookup(active_only=True), serializer.validated_data["user"], field="user",
                            noun="user")
        services.session_instructor_assign(session=session, user=user, actor=request.user)
        session = selectors.session_get_for_user(user=request.user, session_id=session_id)
        return Response(TrainingSessionOutputSerializer(session).data, status=status.HTTP_201_CREATED)


# --- enrolments ---------------------------------------------------------------------------------------------


class TrainingEnrollmentOutputSerializer(StrictModelSerializer):
    status = serializers.ChoiceField(choices=EnrollmentStatus.choices)
    officer_name = StrictCharField(source="officer.full_name")
    officer_license = StrictCharField(source="officer.license_number")
    agency = StrictIntegerField(source="officer.agency_id")
    agency_name = StrictCharField(source="officer.agency.name")
    completion = serializers.SerializerMethodField()

    class Meta:
        model = Enrollment
        fields = ["id", "session", "officer", "officer_name", "officer_license", "agency", "agency_name", "status",
                  "created_at", "status_changed_at", "completion"]

    def get_completion(self, obj) -> int | None:
        completion = getattr(obj, "completion", None)
        return completion.pk if completion else None


class TrainingEnrollInputSerializer(StrictSerializer):
    officer_ids = serializers.ListField(child=StrictIntegerField(min_value=1), allow_empty=False,
                                        max_length=services.MAX_OFFICERS_PER_REQUEST)


class TrainingEnrollResultSerializer(StrictSerializer):
    officer_id = StrictIntegerField()
    result = serializers.ChoiceField(choices=["enrolled", "waitlisted", "refused"])
    enrollment_id = StrictIntegerField(allow_null=True)
    code = StrictCharField(help_text="Why refused: duplicate or unknown_officer; empty otherwise.")
    message = StrictCharField()


TrainingEnrollOutputSerializer = inline_serializer("TrainingEnrollOutput", fields={
    "results": TrainingEnrollResultSerializer(many=True)})


class SessionEnrollmentApi(generics.GenericAPIView):
    """GET: the session's roster (staff and its instructors: everyone; an agency administrator: their officers).
    POST: enrol officers — an agency administrator their own, staff anyone. Each comes back enrolled, waitlisted
    or refused (duplicate / unknown_officer)."""

    serializer_class = TrainingEnrollmentOutputSerializer
    filterset_fields = ["status"]

    def get_queryset(self):
        return Enrollment.objects.none()  # schema only; requests go through the selectors

    def get_permissions(self):
        return [IsStaffOrAgencyAdmin()] if self.request.method == "POST" else [IsAuthenticated()]

    @extend_schema(responses=TrainingEnrollmentOutputSerializer(many=True), tags=TAGS)
    def get(self, request, session_id: int):
        session = selectors.session_get_for_user(user=request.user, session_id=session_id)
        roster = self.filter_queryset(selectors.session_roster(user=request.user, session=session))
        page = self.paginate_queryset(roster)
        return self.get_paginated_response(TrainingEnrollmentOutputSerializer(page, many=True).data)

    @extend_schema(request=TrainingEnrollInputSerializer, responses={200: TrainingEnrollOutputSerializer}, tags=TAGS,
                   examples=examples.ENROLL)
    def post(self, request, session_id: int):
        session = selectors.session_get_for_user(user=request.user, session_id=session_id)
        serializer = TrainingEnrollInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        outcomes = services.enrollments_create(session=session, officer_ids=serializer.validated_data["officer_ids"],
                                               actor=request.user)
        return Response({"results": [{
            "officer_id": o.officer_id, "result": o.result,
            "enrollment_id": o.enrollment.pk if o.enrollment else None, "code": o.code, "message": o.message,
        } for o in outcomes]})


class TrainingEnrollmentCancelInputSerializer(StrictSerializer):
    reason = StrictCharField(max_length=500, required=False, allow_blank=True)


class EnrollmentCancelApi(APIView):
    """Cancel an enrolment before the session starts; the first waitlisted officer takes the seat."""

    permission_classes = [IsStaffOrAgencyAdmin]

    @extend_schema(request=TrainingEnrollmentCancelInputSerializer, responses=TrainingEnrollmentOutputSerializer,
                   tags=TAGS)
    def post(self, request, enrollment_id: int):
        enrollment = selectors.enrollment_get_for_user(user=request.user, enrollment_id=enrollment_id)
        serializer = TrainingEnrollmentCancelInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.enrollment_cancel(enrollment=enrollment, actor=request.user,
                                   reason=serializer.validated_data.get("reason", ""))
        enrollment = selectors.enrollment_get_for_user(user=request.user, enrollment_id=enrollment_id)
        return Response(TrainingEnrollmentOutputSerializer(enrollment).data)


# --- attendance ---------------------------------------------------------------------------------------------


class TrainingAttendanceRecordSerializer(StrictSerializer):
    officer_id = StrictIntegerField(min_value=1)
    status = serializers.ChoiceField(choices=[(s, EnrollmentStatus(s).label) for s in services.MARKABLE])


class TrainingAttendanceInputSerializer(StrictSerializer):
    records = TrainingAttendanceRecordSerializer(many=True, allow_empty=False, max_length=1000)


class TrainingAttendanceResultSerializer(StrictSerializer):
    officer_id = StrictIntegerField()
    enrollment_id = StrictIntegerField()
    status = StrictCharField()
    changed = StrictBooleanField()
    completion_id = StrictIntegerField(allow_null=True)
    verification_code = StrictCharField(allow_null=True)


TrainingAttendanceOutputSerializer = inline_serializer("TrainingAttendanceOutput", fields={
    "results": TrainingAttendanceResultSerializer(many=True)})


class SessionAttendanceApi(APIView):
    """Mark attended / no_show / completed in bulk (the session's instructors or staff, once it has started).
    All or nothing; completing awards the course's CE hours once."""

    @extend_schema(request=TrainingAttendanceInputSerializer, responses=TrainingAttendanceOutputSerializer,
                   tags=TAGS)
    def post(self, request, session_id: int):
        session = selectors.session_get_for_user(user=request.user, session_id=session_id)
        serializer = TrainingAttendanceInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        records = [(r["officer_id"], r["status"]) for r in serializer.validated_data["records"]]
        outcomes = services.attendance_record(session=session, records=records, actor=request.user)
        return Response({"results": [{
            "officer_id": o.officer_id, "enrollment_id": o.enrollment.pk, "status": o.enrollment.status,
            "changed": o.changed, "completion_id": o.completion.pk if o.completion else None,
            "verification_code": o.completion.verification_code if o.completion else None,
        } for o in outcomes]})
