"""An officer's own training record (issue #18, read side): their completions and certificate PDFs, their
transcript, their enrolments, and the sessions their agency could enrol them in. Officer accounts only (403 for
every other role); the selectors return the officer's own rows, so another officer's id is a 404."""

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.response import Response
from rest_framework.views import APIView

from agencies.selectors import officer_of_account
from core.permissions import IsOfficer
from core.uploads import DownloadNegotiationMixin

from .. import selectors, services
from ..pdf import render_completion_certificate
from .completions import (
    TrainingCompletionOutputSerializer,
    TrainingTranscriptQuerySerializer,
    TrainingTranscriptSerializer,
)
from .sessions import TrainingEnrollmentOutputSerializer, TrainingSessionOutputSerializer

TAGS = ["me"]


class OfficerOpenSessionSerializer(TrainingSessionOutputSerializer):
    """The calendar an officer may browse: no meeting link (it goes to enrolled people) and no instructor logins."""

    class Meta(TrainingSessionOutputSerializer.Meta):
        fields = [f for f in TrainingSessionOutputSerializer.Meta.fields if f not in ("meeting_url", "instructors")]


class OfficerOwnCompletionSerializer(TrainingCompletionOutputSerializer):
    def get_certificate_url(self, obj) -> str:
        return f"/api/v1/me/officer/completions/{obj.pk}/certificate.pdf"


class OfficerOwnCompletionListApi(generics.GenericAPIView):
    permission_classes = [IsOfficer]
    serializer_class = OfficerOwnCompletionSerializer

    def get_queryset(self):
        return selectors.completion_own(self.request.user)

    @extend_schema(summary="My completions", tags=TAGS, responses=OfficerOwnCompletionSerializer(many=True),
                   description="Every course the signed-in officer completed (newest first), each with its "
                               "certificate link. Officer accounts only.")
    def get(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(OfficerOwnCompletionSerializer(page, many=True).data)


class OfficerOwnCertificateApi(DownloadNegotiationMixin, APIView):
    permission_classes = [IsOfficer]

    @extend_schema(summary="My completion certificate (PDF)", tags=TAGS,
                   responses={(200, "application/pdf"): OpenApiTypes.BINARY},
                   description="The same certificate staff and the agency download, for one of the signed-in "
                               "officer's own completions (another officer's completion is a 404).")
    def get(self, request, completion_id: int):
        completion = selectors.completion_own_get(user=request.user, completion_id=completion_id)
        pdf = render_completion_certificate(services.completion_certificate_data(completion=completion))
        response = HttpResponse(pdf, content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="certificate-{completion.verification_code}.pdf"'
        return response


class OfficerOwnTranscriptApi(APIView):
    permission_classes = [IsOfficer]

    @extend_schema(summary="My transcript", tags=TAGS, parameters=[TrainingTranscriptQuerySerializer],
                   responses=TrainingTranscriptSerializer,
                   description="The signed-in officer's completions and CE hours for a period (`from`, `to`), "
                               "with totals per state from the accreditation mapping (`state` for one state).")
    def get(self, request):
        query = TrainingTranscriptQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        transcript = selectors.officer_transcript(officer=officer_of_account(request.user), start=params.get("start"),
                                                  end=params.get("end"), state=params.get("state"))
        return Response(TrainingTranscriptSerializer(transcript).data)


class OfficerOwnEnrollmentListApi(generics.GenericAPIView):
    permission_classes = [IsOfficer]
    serializer_class = TrainingEnrollmentOutputSerializer

    def get_queryset(self):
        return selectors.enrollment_own(self.request.user)

    @extend_schema(summary="My enrolments", tags=TAGS, responses=TrainingEnrollmentOutputSerializer(many=True),
                   description="The signed-in officer's enrolments (enrolled, waitlisted, attended, completed, "
                               "cancelled), newest session first. Read-only: the agency administrator enrols.")
    def get(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(TrainingEnrollmentOutputSerializer(page, many=True).data)


class OfficerOpenSessionListApi(generics.GenericAPIView):
    permission_classes = [IsOfficer]
    serializer_class = OfficerOpenSessionSerializer

    def get_queryset(self):
        return selectors.sessions_open_to_officer(self.request.user)

    @extend_schema(summary="Sessions I could be enrolled in", tags=TAGS,
                   responses=OfficerOpenSessionSerializer(many=True),
                   description="Scheduled sessions that have not started, soonest first: what the officer's "
                               "agency can enrol them in (read-only; ask the agency administrator).")
    def get(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(OfficerOpenSessionSerializer(page, many=True).data)
