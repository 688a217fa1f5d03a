"""Catalogue over HTTP: courses, state accreditations, toolkit resources."""

from decimal import Decimal

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from agencies.states import US_STATE_CHOICES
from core.access import field_error, require_staff
from core.exceptions import ApplicationError
from core.openapi import ApiErrorSerializer
from core.permissions import IsCertificationStaff
from core.serializers import (
    PatternDecimalField,
    StrictBooleanField,
    StrictCharField,
    StrictIntegerField,
    StrictModelSerializer,
    StrictSerializer,
)
from core.uploads import DownloadNegotiationMixin, download_schema_responses, file_download_response

from .. import selectors, services
from ..models import (
    Course,
    CourseKind,
    CourseStateAccreditation,
    ToolkitResource,
    ToolkitResourceKind,
)
from . import examples
from ._common import ACCEPTED_HOURS_PATTERN, CE_HOURS_PATTERN, HOURS, TAGS

# --- catalogue ----------------------------------------------------------------------------------------------


class TrainingAccreditationOutputSerializer(StrictModelSerializer):
    class Meta:
        model = CourseStateAccreditation
        fields = ["state", "accepted", "hours_accepted", "state_course_number", "ncp_recognised"]


class TrainingCourseSerializer(StrictSerializer):
    """One serializer for reading and writing a course (its enum then has one name in the OpenAPI document)."""

    id = StrictIntegerField(read_only=True)
    code = StrictCharField(max_length=30)
    title = StrictCharField(max_length=200)
    description = StrictCharField(required=False, allow_blank=True, max_length=20000)
    offered_in_person = StrictBooleanField(required=False, default=True)
    offered_virtual = StrictBooleanField(required=False, default=False)
    ce_hours = PatternDecimalField(pattern=CE_HOURS_PATTERN, min_value=Decimal("0.25"), max_value=Decimal("100"),
                                   **HOURS)
    kind = serializers.ChoiceField(choices=CourseKind.choices, required=False)
    qualifies_for = StrictCharField(source="qualifies_for_code", max_length=30, required=False,
                                    allow_null=True,
                                    help_text="Code of the course a train-the-trainer course qualifies for.")
    is_active = StrictBooleanField(required=False)
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
        raise field_error("qualifies_for", f"Unknown course {code!r}.")
    return course


class CourseListCreateApi(generics.GenericAPIView):
    """The course catalogue: readable by any signed-in user; staff add courses."""

    serializer_class = TrainingCourseSerializer
    filterset_fields = ["kind", "is_active"]
    search_fields = ["code", "title"]
    search_help = "course code or title"
    ordering_fields = {"code": ("code",), "title": ("title",), "ce_hours": ("ce_hours",),
                       "created_at": ("created_at",)}

    def get_queryset(self):
        return selectors.course_visible_to(self.request.user)

    def get_permissions(self):
        return [IsCertificationStaff()] if self.request.method == "POST" else [IsAuthenticated()]

    @extend_schema(responses=TrainingCourseSerializer(many=True), tags=TAGS)
    def get(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(TrainingCourseSerializer(page, many=True).data)

    @extend_schema(request=TrainingCourseSerializer, responses={201: TrainingCourseSerializer}, tags=TAGS,
                   examples=examples.COURSE_CREATE)
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
        """One course of the catalogue, with its state accreditations (any signed-in user)."""
        course = selectors.course_get_for_user(user=request.user, course_id=course_id)
        return Response(TrainingCourseSerializer(course).data)

    @extend_schema(request=TrainingCourseSerializer(partial=True), responses=TrainingCourseSerializer,
                   tags=TAGS)
    def patch(self, request, course_id: int):
        """Staff edit a course (title, hours, description, active); its code and kind never change. Audited."""
        course = selectors.course_get_for_user(user=request.user, course_id=course_id)
        require_staff(request.user, "edit the catalogue")
        serializer = TrainingCourseSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = serializer.to_service_kwargs()
        if {"code", "kind", "qualifies_for"} & set(data):
            raise ApplicationError("validation_error", "A course's code and kind cannot change.", fields={
                name: ["Cannot be changed."] for name in ("code", "kind", "qualifies_for") if name in data})
        services.course_update(course=course, actor=request.user, data=data)
        course = selectors.course_get_for_user(user=request.user, course_id=course_id)
        return Response(TrainingCourseSerializer(course).data)


class TrainingAccreditationInputSerializer(StrictSerializer):
    accepted = StrictBooleanField()
    hours_accepted = PatternDecimalField(pattern=ACCEPTED_HOURS_PATTERN, min_value=Decimal("0"),
                                         max_value=Decimal("100"), required=False,
                                              allow_null=True, help_text="Defaults to the course's hours when "
                                              "accepted.", **HOURS)
    state_course_number = StrictCharField(max_length=50, required=False, allow_blank=True)
    ncp_recognised = StrictBooleanField(required=False)


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
            raise field_error("state", f"Unknown state {state}.", summary="Unknown state.")
        serializer = TrainingAccreditationInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        mapping = services.accreditation_set(course=course, state=state, actor=request.user,
                                             **serializer.validated_data)
        return Response(TrainingAccreditationOutputSerializer(mapping).data)


# --- toolkit resources --------------------------------------------------------------------------------------


class TrainingResourceOutputSerializer(StrictModelSerializer):
    resource_kind = serializers.ChoiceField(choices=ToolkitResourceKind.choices, source="kind")
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = ToolkitResource
        fields = ["id", "course", "title", "resource_kind", "original_name", "content_type", "size_bytes", "sha256",
                  "created_at", "download_url"]

    def get_download_url(self, obj) -> str:
        return f"/api/v1/training/resources/{obj.pk}/download/"


class TrainingResourceInputSerializer(StrictSerializer):
    title = StrictCharField(max_length=200)
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
        """Staff remove a toolkit file from a course; the stored file is deleted once the change is committed."""
        resource = selectors.toolkit_resource_get_for_user(user=request.user, resource_id=resource_id)
        require_staff(request.user, "may do this")
        services.toolkit_resource_delete(resource=resource, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ResourceDownloadApi(DownloadNegotiationMixin, APIView):
    # Always an attachment, with the type detected from the content at upload, and nosniff (core.uploads).
    @extend_schema(responses=download_schema_responses(services.TOOLKIT_TYPES), tags=TAGS)
    def get(self, request, resource_id: int):
        """A toolkit file of a course, for any signed-in user: always an attachment, in the type detected from its
        content at upload."""
        resource = selectors.toolkit_resource_get_for_user(user=request.user, resource_id=resource_id)
        return file_download_response(resource.file, filename=resource.original_name,
                                      content_type=resource.content_type)
