"""Training over HTTP: thin views. Serializers check shape; services enforce the rules; selectors the access."""

import csv
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.http import HttpResponse, StreamingHttpResponse
from django.utils.dateparse import parse_datetime
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import generics, serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from agencies.models import User
from agencies.selectors import officer_get_for_user
from agencies.states import US_STATE_CHOICES
from core.codes import verification_code_normalise
from core.exceptions import ApplicationError
from core.filters import StrictFilterSet
from core.openapi import ApiErrorSerializer
from core.permissions import IsCertificationStaff, IsStaffOrAgencyAdmin
from core.strict_fields import PatternDecimalField, StrictQuerySerializer
from core.uploads import DownloadNegotiationMixin, download_schema_responses, file_download_response

from . import selectors, services
from .models import (
    Completion,
    CompletionSource,
    Course,
    CourseKind,
    CourseStateAccreditation,
    DeliveryMode,
    Enrollment,
    EnrollmentStatus,
    ToolkitResource,
    ToolkitResourceKind,
    TrainingSession,
)
from .pdf import render_completion_certificate

TAGS = ["training"]
HOURS = {"max_digits": 5, "decimal_places": 2}
# Hours as strings with at most two decimals; the patterns state the ranges too (0.25-100 and 0-100).
CE_HOURS_PATTERN = r"^(100(\.0{1,2})?|[1-9]\d?(\.\d{1,2})?|0\.(2[5-9]|[3-9]\d?))$"
ACCEPTED_HOURS_PATTERN = r"^(100(\.0{1,2})?|\d{1,2}(\.\d{1,2})?)$"


def _staff_only(user, message="Only certification staff may do this."):
    if not user.is_certification_staff:
        raise ApplicationError("permission_denied", message, status_code=403)


# --- catalogue ----------------------------------------------------------------------------------------------


class TrainingAccreditationOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = CourseStateAccreditation
        fields = ["state", "accepted", "hours_accepted", "state_course_number", "ncp_recognised"]


class TrainingCourseSerializer(serializers.Serializer):
    """One serializer for reading and writing a course (its enum then has one name in the OpenAPI document)."""

    id = serializers.IntegerField(read_only=True)
    code = serializers.CharField(max_length=30)
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, max_length=20000)
    offered_in_person = serializers.BooleanField(required=False, default=True)
    offered_virtual = serializers.BooleanField(required=False, default=False)
    ce_hours = PatternDecimalField(pattern=CE_HOURS_PATTERN, min_value=Decimal("0.25"), max_value=Decimal("100"),
                                   **HOURS)
    kind = serializers.ChoiceField(choices=CourseKind.choices, required=False)
    qualifies_for = serializers.CharField(source="qualifies_for_code", max_length=30, required=False,
                                          allow_null=True,
                                          help_text="Code of the course a train-the-trainer course qualifies for.")
    is_active = serializers.BooleanField(required=False)
    accreditations = TrainingAccreditationOutputSerializer(many=True, read_only=True)

    def to_service_kwargs(self) -> dict:
        data = dict(self.validated_data)
        if "qualifies_for_code" in data:
            data["qualifies_for"] = data.pop("qualifies_for_code")
        return data


def _course_by_code(user, code: str | None) -> Course | None:
    if code is None:
        return None
    course = selectors.course_visible_to(user).filter(code=code).first()
    if course is None:
        raise ApplicationError("validation_error", "The request is not valid.",
                               fields={"qualifies_for": [f"Unknown course {code!r}."]})
    return course


class CourseListCreateApi(generics.GenericAPIView):
    """The course catalogue: readable by any signed-in user; staff add courses."""

    serializer_class = TrainingCourseSerializer
    filterset_fields = ["kind", "is_active"]

    def get_queryset(self):
        return selectors.course_visible_to(self.request.user)

    def get_permissions(self):
        return [IsCertificationStaff()] if self.request.method == "POST" else [IsAuthenticated()]

    @extend_schema(responses=TrainingCourseSerializer(many=True), tags=TAGS)
    def get(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(TrainingCourseSerializer(page, many=True).data)

    @extend_schema(request=TrainingCourseSerializer, responses={201: TrainingCourseSerializer}, tags=TAGS)
    def post(self, request):
        serializer = TrainingCourseSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.to_service_kwargs()
        data["qualifies_for"] = _course_by_code(request.user, data.pop("qualifies_for", None))
        course = services.course_create(actor=request.user, **data)
        course = selectors.course_get_for_user(user=request.user, course_id=course.pk)
        return Response(TrainingCourseSerializer(course).data, status=status.HTTP_201_CREATED)


class CourseDetailApi(APIView):
    @extend_schema(responses=TrainingCourseSerializer, tags=TAGS)
    def get(self, request, course_id: int):
        course = selectors.course_get_for_user(user=request.user, course_id=course_id)
        return Response(TrainingCourseSerializer(course).data)

    @extend_schema(request=TrainingCourseSerializer(partial=True), responses=TrainingCourseSerializer,
                   tags=TAGS)
    def patch(self, request, course_id: int):
        course = selectors.course_get_for_user(user=request.user, course_id=course_id)
        _staff_only(request.user, "Only certification staff edit the catalogue.")
        serializer = TrainingCourseSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = serializer.to_service_kwargs()
        if {"code", "kind", "qualifies_for"} & set(data):
            raise ApplicationError("validation_error", "A course's code and kind cannot change.", fields={
                name: ["Cannot be changed."] for name in ("code", "kind", "qualifies_for") if name in data})
        services.course_update(course=course, actor=request.user, data=data)
        course = selectors.course_get_for_user(user=request.user, course_id=course_id)
        return Response(TrainingCourseSerializer(course).data)


class TrainingAccreditationInputSerializer(serializers.Serializer):
    accepted = serializers.BooleanField()
    hours_accepted = PatternDecimalField(pattern=ACCEPTED_HOURS_PATTERN, min_value=Decimal("0"),
                                         max_value=Decimal("100"), required=False,
                                              allow_null=True, help_text="Defaults to the course's hours when "
                                              "accepted.", **HOURS)
    state_course_number = serializers.CharField(max_length=50, required=False, allow_blank=True)
    ncp_recognised = serializers.BooleanField(required=False)


class CourseAccreditationApi(APIView):
    """How one state treats the course (accepted, hours, the state's course number, NCP recognition)."""

    permission_classes = [IsCertificationStaff]

    @extend_schema(request=TrainingAccreditationInputSerializer, responses=TrainingAccreditationOutputSerializer,
                   parameters=[OpenApiParameter("state", str, OpenApiParameter.PATH,
                                                enum=[code for code, _ in US_STATE_CHOICES],
                                                description="Two-letter state code (upper case).")],
                   tags=TAGS)
    def put(self, request, course_id: int, state: str):
        course = selectors.course_get_for_user(user=request.user, course_id=course_id)
        if state not in dict(US_STATE_CHOICES):
            raise ApplicationError("validation_error", "Unknown state.", fields={"state": [f"Unknown state {state}."]})
        serializer = TrainingAccreditationInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        mapping = services.accreditation_set(course=course, state=state, actor=request.user,
                                             **serializer.validated_data)
        return Response(TrainingAccreditationOutputSerializer(mapping).data)


# --- toolkit resources --------------------------------------------------------------------------------------


class TrainingResourceOutputSerializer(serializers.ModelSerializer):
    resource_kind = serializers.ChoiceField(choices=ToolkitResourceKind.choices, source="kind")
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = ToolkitResource
        fields = ["id", "course", "title", "resource_kind", "original_name", "content_type", "size_bytes", "sha256",
                  "created_at", "download_url"]

    def get_download_url(self, obj) -> str:
        return f"/api/v1/training/resources/{obj.pk}/download/"


class TrainingResourceInputSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    resource_kind = serializers.ChoiceField(choices=ToolkitResourceKind.choices, required=False,
                                            default=ToolkitResourceKind.OTHER)
    file = serializers.FileField(help_text="PDF, PNG, JPEG, DOCX, XLSX, PPTX or ODT (the type is read from the "
                                           "content), up to TOOLKIT_MAX_FILE_BYTES.")


class CourseResourceListCreateApi(generics.GenericAPIView):
    """A course's toolkit (presentations, press-release templates, checklists). Staff upload."""

    serializer_class = TrainingResourceOutputSerializer
    queryset = ToolkitResource.objects.none()  # schema only: requests read through the course selector

    def get_permissions(self):
        return [IsCertificationStaff()] if self.request.method == "POST" else [IsAuthenticated()]

    @extend_schema(responses=TrainingResourceOutputSerializer(many=True), tags=TAGS)
    def get(self, request, course_id: int):
        course = selectors.course_get_for_user(user=request.user, course_id=course_id)
        page = self.paginate_queryset(course.resources.order_by("title", "id"))
        return self.get_paginated_response(TrainingResourceOutputSerializer(page, many=True).data)

    parser_classes = [MultiPartParser]  # uploads only; the rest of the API takes JSON

    @extend_schema(request={"multipart/form-data": TrainingResourceInputSerializer},
                   responses={201: TrainingResourceOutputSerializer,
                              413: OpenApiResponse(ApiErrorSerializer, "The file exceeds TOOLKIT_MAX_FILE_BYTES.")},
                   tags=TAGS)
    def post(self, request, course_id: int):
        course = selectors.course_get_for_user(user=request.user, course_id=course_id)
        serializer = TrainingResourceInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        resource = services.toolkit_resource_upload(course=course, actor=request.user, title=data["title"],
                                                    kind=data["resource_kind"], upload=data["file"])
        return Response(TrainingResourceOutputSerializer(resource).data, status=status.HTTP_201_CREATED)


class ResourceDetailApi(APIView):
    @extend_schema(request=None, responses={204: None}, tags=TAGS)
    def delete(self, request, resource_id: int):
        resource = selectors.toolkit_resource_get_for_user(user=request.user, resource_id=resource_id)
        _staff_only(request.user)
        services.toolkit_resource_delete(resource=resource, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ResourceDownloadApi(DownloadNegotiationMixin, APIView):
    # Always an attachment, with the type detected from the content at upload, and nosniff (core.uploads).
    @extend_schema(responses=download_schema_responses(services.TOOLKIT_TYPES), tags=TAGS)
    def get(self, request, resource_id: int):
        resource = selectors.toolkit_resource_get_for_user(user=request.user, resource_id=resource_id)
        return file_download_response(resource.file, filename=resource.original_name,
                                      content_type=resource.content_type)


# --- sessions -----------------------------------------------------------------------------------------------


class TrainingInstructorOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.CharField(source="get_full_name")


class TrainingSessionOutputSerializer(serializers.ModelSerializer):
    mode = serializers.ChoiceField(choices=DeliveryMode.choices)
    course_code = serializers.CharField(source="course.code")
    course_title = serializers.CharField(source="course.title")
    starts_at_local = serializers.SerializerMethodField()
    ends_at_local = serializers.SerializerMethodField()
    seats_taken = serializers.IntegerField()
    waitlist_count = serializers.IntegerField()
    instructors = TrainingInstructorOutputSerializer(many=True)

    class Meta:
        model = TrainingSession
        fields = ["id", "course", "course_code", "course_title", "starts_at", "ends_at", "time_zone",
                  "starts_at_local", "ends_at_local", "mode", "location", "meeting_url", "capacity", "seats_taken",
                  "waitlist_count", "instructors"]

    def get_starts_at_local(self, obj) -> str:
        return obj.starts_at.astimezone(ZoneInfo(obj.time_zone)).isoformat()

    def get_ends_at_local(self, obj) -> str:
        return obj.ends_at.astimezone(ZoneInfo(obj.time_zone)).isoformat()


class TrainingSessionInputSerializer(serializers.Serializer):
    course = serializers.IntegerField(min_value=1)
    starts_at = serializers.DateTimeField(help_text="ISO 8601; without an offset it is read in `time_zone`.")
    ends_at = serializers.DateTimeField(help_text="ISO 8601; without an offset it is read in `time_zone`.")
    time_zone = serializers.CharField(max_length=64, help_text="IANA name, e.g. America/Los_Angeles.")
    mode = serializers.ChoiceField(choices=DeliveryMode.choices)
    location = serializers.CharField(max_length=300, required=False, allow_blank=True)
    meeting_url = serializers.URLField(max_length=500, required=False, allow_blank=True)
    capacity = serializers.IntegerField(min_value=1, max_value=1000)
    instructors = serializers.ListField(child=serializers.IntegerField(min_value=1), required=False,
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
        fields = ["course", "mode", "starts_after", "starts_before"]


class SessionListCreateApi(generics.GenericAPIView):
    """Sessions: staff and agency administrators see all; instructors the ones they teach. Staff schedule them."""

    serializer_class = TrainingSessionOutputSerializer
    filterset_class = TrainingSessionFilter

    def get_queryset(self):
        return selectors.session_visible_to(self.request.user)

    def get_permissions(self):
        return [IsCertificationStaff()] if self.request.method == "POST" else [IsAuthenticated()]

    @extend_schema(responses=TrainingSessionOutputSerializer(many=True), tags=TAGS)
    def get(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(TrainingSessionOutputSerializer(page, many=True).data)

    @extend_schema(request=TrainingSessionInputSerializer, responses={201: TrainingSessionOutputSerializer},
                   tags=TAGS)
    def post(self, request):
        serializer = TrainingSessionInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        course = selectors.course_visible_to(request.user).filter(pk=data.pop("course")).first()
        if course is None:
            raise ApplicationError("validation_error", "The request is not valid.",
                                   fields={"course": ["Unknown course."]})
        instructor_ids = data.pop("instructors", [])
        instructors = list(User.objects.filter(pk__in=instructor_ids, is_active=True))
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


class TrainingInstructorAssignInputSerializer(serializers.Serializer):
    user = serializers.IntegerField(min_value=1, help_text="User id of a qualified instructor.")


class SessionInstructorAssignApi(APIView):
    """Assign a qualified instructor to a session (staff)."""

    permission_classes = [IsCertificationStaff]

    @extend_schema(request=TrainingInstructorAssignInputSerializer, responses={201: TrainingSessionOutputSerializer},
                   tags=TAGS)
    def post(self, request, session_id: int):
        session = selectors.session_get_for_user(user=request.user, session_id=session_id)
        serializer = TrainingInstructorAssignInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = User.objects.filter(pk=serializer.validated_data["user"], is_active=True).first()
        if user is None:
            raise ApplicationError("validation_error", "The request is not valid.", fields={"user": ["Unknown user."]})
        services.session_instructor_assign(session=session, user=user, actor=request.user)
        session = selectors.session_get_for_user(user=request.user, session_id=session_id)
        return Response(TrainingSessionOutputSerializer(session).data, status=status.HTTP_201_CREATED)


# --- enrolments ---------------------------------------------------------------------------------------------


class TrainingEnrollmentOutputSerializer(serializers.ModelSerializer):
    status = serializers.ChoiceField(choices=EnrollmentStatus.choices)
    officer_name = serializers.CharField(source="officer.full_name")
    officer_license = serializers.CharField(source="officer.license_number")
    agency = serializers.IntegerField(source="officer.agency_id")
    agency_name = serializers.CharField(source="officer.agency.name")
    completion = serializers.SerializerMethodField()

    class Meta:
        model = Enrollment
        fields = ["id", "session", "officer", "officer_name", "officer_license", "agency", "agency_name", "status",
                  "created_at", "status_changed_at", "completion"]

    def get_completion(self, obj) -> int | None:
        completion = getattr(obj, "completion", None)
        return completion.pk if completion else None


class TrainingEnrollInputSerializer(serializers.Serializer):
    officer_ids = serializers.ListField(child=serializers.IntegerField(min_value=1), allow_empty=False,
                                        max_length=services.MAX_OFFICERS_PER_REQUEST)


class TrainingEnrollResultSerializer(serializers.Serializer):
    officer_id = serializers.IntegerField()
    result = serializers.ChoiceField(choices=["enrolled", "waitlisted", "refused"])
    enrollment_id = serializers.IntegerField(allow_null=True)
    code = serializers.CharField(help_text="Why refused: duplicate or unknown_officer; empty otherwise.")
    message = serializers.CharField()


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

    @extend_schema(request=TrainingEnrollInputSerializer, responses={200: TrainingEnrollOutputSerializer}, tags=TAGS)
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


class TrainingEnrollmentCancelInputSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True)


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


class TrainingAttendanceRecordSerializer(serializers.Serializer):
    officer_id = serializers.IntegerField(min_value=1)
    status = serializers.ChoiceField(choices=[(s, EnrollmentStatus(s).label) for s in services.MARKABLE])


class TrainingAttendanceInputSerializer(serializers.Serializer):
    records = TrainingAttendanceRecordSerializer(many=True, allow_empty=False, max_length=1000)


class TrainingAttendanceResultSerializer(serializers.Serializer):
    officer_id = serializers.IntegerField()
    enrollment_id = serializers.IntegerField()
    status = serializers.CharField()
    changed = serializers.BooleanField()
    completion_id = serializers.IntegerField(allow_null=True)
    verification_code = serializers.CharField(allow_null=True)


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


# --- completions, certificates, transcripts -----------------------------------------------------------------


class TrainingCompletionOutputSerializer(serializers.ModelSerializer):
    source = serializers.ChoiceField(choices=CompletionSource.choices)
    officer_name = serializers.CharField(source="officer.full_name")
    course_code = serializers.CharField(source="course.code")
    course_title = serializers.CharField(source="course.title")
    certificate_url = serializers.SerializerMethodField()

    class Meta:
        model = Completion
        fields = ["id", "officer", "officer_name", "course", "course_code", "course_title", "session", "source",
                  "completed_on", "ce_hours", "verification_code", "certificate_url"]

    def get_certificate_url(self, obj) -> str:
        return f"/api/v1/training/completions/{obj.pk}/certificate.pdf"


class TrainingCompletionFilter(StrictFilterSet):
    completed_from = filters.DateFilter(field_name="completed_on", lookup_expr="gte")
    completed_to = filters.DateFilter(field_name="completed_on", lookup_expr="lte")
    course_code = filters.CharFilter(field_name="course__code")

    class Meta:
        model = Completion
        fields = ["officer", "course", "session", "source", "completed_from", "completed_to", "course_code"]


class CompletionListApi(generics.GenericAPIView):
    """Completions (CE credits): staff see all; an agency administrator their current officers'."""

    serializer_class = TrainingCompletionOutputSerializer
    filterset_class = TrainingCompletionFilter
    permission_classes = [IsStaffOrAgencyAdmin]

    def get_queryset(self):
        return selectors.completion_visible_to(self.request.user)

    @extend_schema(responses=TrainingCompletionOutputSerializer(many=True), tags=TAGS)
    def get(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(TrainingCompletionOutputSerializer(page, many=True).data)


class CompletionCertificateApi(DownloadNegotiationMixin, APIView):
    """The completion certificate as PDF: officer, course, hours, date, verification code and its QR code."""

    permission_classes = [IsStaffOrAgencyAdmin]

    @extend_schema(responses={(200, "application/pdf"): OpenApiTypes.BINARY}, tags=TAGS)
    def get(self, request, completion_id: int):
        completion = selectors.completion_get_for_user(user=request.user, completion_id=completion_id)
        pdf = render_completion_certificate(services.completion_certificate_data(completion=completion))
        response = HttpResponse(pdf, content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="certificate-{completion.verification_code}.pdf"'
        return response


class TrainingTranscriptLineSerializer(serializers.Serializer):
    completion_id = serializers.IntegerField(source="completion.pk")
    course_code = serializers.CharField(source="completion.course.code")
    course_title = serializers.CharField(source="completion.course.title")
    completed_on = serializers.DateField(source="completion.completed_on")
    ce_hours = serializers.DecimalField(source="completion.ce_hours", **HOURS)
    state_hours = serializers.DecimalField(allow_null=True, help_text="Hours the requested state accepts.", **HOURS)
    state_course_number = serializers.CharField()
    source = serializers.CharField(source="completion.source")
    verification_code = serializers.CharField(source="completion.verification_code")


class TrainingTranscriptSerializer(serializers.Serializer):
    officer = serializers.IntegerField(source="officer.pk")
    officer_name = serializers.CharField(source="officer.full_name")
    officer_state = serializers.CharField(source="officer.state")
    license_number = serializers.CharField(source="officer.license_number")
    start = serializers.DateField(allow_null=True)
    end = serializers.DateField(allow_null=True)
    state = serializers.CharField(allow_null=True)
    completions = TrainingTranscriptLineSerializer(many=True, source="lines")
    total_hours = serializers.DecimalField(**HOURS)
    hours_by_state = serializers.DictField(child=serializers.DecimalField(**HOURS),
                                           help_text="Hours each state accepts, from its accreditation mapping.")


class TrainingTranscriptQuerySerializer(StrictQuerySerializer):
    start = serializers.DateField(required=False, help_text="First day (inclusive).")
    end = serializers.DateField(required=False, help_text="Last day (inclusive).")
    state = serializers.ChoiceField(choices=US_STATE_CHOICES, required=False,
                                    help_text="Two-letter state: hours as that state accepts them.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # "from" is a Python keyword: the query parameters are from / to; validated_data keeps start / end.
        self.fields["from"] = self.fields.pop("start")
        self.fields["to"] = self.fields.pop("end")

    def validate(self, attrs):
        if attrs.get("start") and attrs.get("end") and attrs["start"] > attrs["end"]:
            raise serializers.ValidationError({"to": ["Must not be before from."]})
        return attrs


class OfficerTranscriptApi(APIView):
    """An officer's completions and CE hours for a period, with totals per state from the accreditation mapping.
    Staff: any officer; an agency administrator: their own officers."""

    permission_classes = [IsStaffOrAgencyAdmin]

    @extend_schema(parameters=[TrainingTranscriptQuerySerializer], responses=TrainingTranscriptSerializer, tags=TAGS)
    def get(self, request, officer_id: int):
        officer = officer_get_for_user(user=request.user, officer_id=officer_id)
        query = TrainingTranscriptQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        transcript = selectors.officer_transcript(officer=officer, start=params.get("start"), end=params.get("end"),
                                                  state=params.get("state"))
        return Response(TrainingTranscriptSerializer(transcript).data)


class TrainingStateRosterQuerySerializer(StrictQuerySerializer):
    state = serializers.ChoiceField(choices=US_STATE_CHOICES)
    start = serializers.DateField()
    end = serializers.DateField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["from"] = self.fields.pop("start")
        self.fields["to"] = self.fields.pop("end")

    def validate(self, attrs):
        if attrs["start"] > attrs["end"]:
            raise serializers.ValidationError({"to": ["Must not be before from."]})
        return attrs


STATE_ROSTER_COLUMNS = ["last_name", "first_name", "license_number", "license_state", "agency", "course_code",
                        "course_title", "state_course_number", "hours", "completed_on", "verification_code"]


class _Echo:
    def write(self, value):
        return value


def _csv_safe(value) -> str:
    # Spreadsheet formula injection: a cell starting with = + - @ would run as a formula when opened.
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


class StateRosterExportApi(DownloadNegotiationMixin, APIView):
    """CSV of completions for a state and date range, in the shape states take for credit reporting (staff)."""

    permission_classes = [IsCertificationStaff]

    @extend_schema(parameters=[TrainingStateRosterQuerySerializer], responses={(200, "text/csv"): OpenApiTypes.STR},
                   tags=TAGS)
    def get(self, request):
        query = TrainingStateRosterQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        state, start, end = (query.validated_data[k] for k in ("state", "start", "end"))
        writer = csv.writer(_Echo())

        def rows():
            yield writer.writerow(STATE_ROSTER_COLUMNS)
            for completion, mapping in selectors.state_roster_rows(state=state, start=start, end=end):
                officer = completion.officer
                yield writer.writerow([_csv_safe(v) for v in (
                    officer.last_name, officer.first_name, officer.license_number, officer.state,
                    officer.agency.name, completion.course.code, completion.course.title,
                    mapping.state_course_number, mapping.hours_accepted, completion.completed_on,
                    completion.verification_code)])

        response = StreamingHttpResponse(rows(), content_type="text/csv")
        response["Content-Disposition"] = f'attachment; filename="ce-roster-{state}-{start}-{end}.csv"'
        return response


class TrainingCreditImportInputSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="CSV with columns state, license_number, course_code, completed_on "
                                           "(YYYY-MM-DD) and optionally ce_hours.")


TrainingCreditImportOutputSerializer = inline_serializer("TrainingCreditImportOutput", fields={
    "import_id": serializers.IntegerField(), "created": serializers.IntegerField(),
    "qualifications": serializers.IntegerField(),
})


class CreditImportApi(APIView):
    """Import historical completions from CSV (staff). All rows are checked first; any error writes nothing."""

    permission_classes = [IsCertificationStaff]

    parser_classes = [MultiPartParser]  # uploads only; the rest of the API takes JSON

    @extend_schema(request={"multipart/form-data": TrainingCreditImportInputSerializer},
                   responses={201: TrainingCreditImportOutputSerializer,
                              400: OpenApiResponse(ApiErrorSerializer, "Row-numbered errors; nothing written.")},
                   tags=TAGS)
    def post(self, request):
        from django.conf import settings

        serializer = TrainingCreditImportInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        upload = serializer.validated_data["file"]
        if upload.size > settings.MAX_UPLOAD_BYTES:
            raise ApplicationError("file_too_large", f"The file exceeds {settings.MAX_UPLOAD_BYTES} bytes.",
                                   status_code=413, fields={"file": ["File too large."]})
        result = services.credits_import(raw=upload.read(), actor=request.user)
        if result.errors:
            raise ApplicationError("credits_invalid", f"{len(result.errors)} problem(s) in the file; nothing was "
                                   "imported.", fields=result.errors)
        return Response({"import_id": result.credit_import.pk, "created": result.created,
                         "qualifications": result.qualifications}, status=status.HTTP_201_CREATED)


# --- public verification ------------------------------------------------------------------------------------


class TrainingVerificationSerializer(serializers.Serializer):
    code = serializers.CharField()
    status = serializers.ChoiceField(choices=["valid", "revoked"],
                                     help_text="valid: genuine and current; revoked: the officer was decertified.")
    officer_name = serializers.CharField()
    agency_name = serializers.CharField()
    course_code = serializers.CharField()
    course_title = serializers.CharField()
    ce_hours = serializers.DecimalField(**HOURS)
    completed_on = serializers.DateField()
    revoked_on = serializers.DateField(allow_null=True)


def verification_payload(code: str) -> dict | None:
    completion = selectors.completion_by_code(code=verification_code_normalise(code))
    if completion is None:
        return None
    officer = completion.officer
    revoked_at = officer.permanently_ineligible_at
    return {
        "code": completion.verification_code, "status": "revoked" if revoked_at else "valid",
        "officer_name": officer.full_name, "agency_name": officer.agency.name, "course_code": completion.course.code,
        "course_title": completion.course.title, "ce_hours": completion.ce_hours,
        "completed_on": completion.completed_on, "revoked_on": revoked_at.date() if revoked_at else None,
    }


class PublicVerifyApi(APIView):
    """Is this completion certificate genuine and current? No login. Unknown codes are 404."""

    permission_classes = [AllowAny]
    authentication_classes = []

    @extend_schema(responses={200: TrainingVerificationSerializer,
                              404: OpenApiResponse(ApiErrorSerializer, "No certificate has this code.")},
                   tags=["public"])
    def get(self, request, code: str):
        payload = verification_payload(code)
        if payload is None:
            raise ApplicationError("not_found", "No certificate has this code.", status_code=404)
        return Response(TrainingVerificationSerializer(payload).data)
