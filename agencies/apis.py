from django.conf import settings
from django.db.models import Q
from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import generics, serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.serializers import TokenObtainPairSerializer, TokenRefreshSerializer
from rest_framework_simplejwt.tokens import RefreshToken
from rest_framework_simplejwt.views import TokenObtainPairView, TokenRefreshView

from core.access import access_by_id
from core.client import client_address
from core.exceptions import ApplicationError
from core.filters import IdFilter, StrictFilterSet
from core.openapi import ApiErrorSerializer
from core.permissions import IsCertificationStaff, IsStaffOrAgencyAdmin
from core.rows import rows_from, values_for
from core.serializers import (
    StrictBooleanField,
    StrictCharField,
    StrictEmailField,
    StrictIntegerField,
    StrictModelSerializer,
    StrictRegexField,
    StrictSerializer,
)

from . import api_examples, services
from .auth import LogoutSerializer, login_attempt_reserve, login_attempt_succeeded
from .models import Agency, AgencyType, EmploymentRecord, IdentityReview, IdentityReviewStatus, Officer, OfficerLicense
from .selectors import (
    OFFICER_ROW,
    agency_get_for_user,
    agency_visible_to,
    identity_review_get_for_user,
    identity_reviews_visible_to,
    officer_detail_for_user,
    officer_get_for_user,
    officer_visible_to,
)
from .states import US_STATE_CHOICES

# --- auth -------------------------------------------------------------------------------------------------


class LoginApi(TokenObtainPairView):
    """Exchange username and password for an access and a refresh token (rate limited per account and address)."""

    @extend_schema(responses={200: TokenObtainPairSerializer, 401: ApiErrorSerializer, 429: ApiErrorSerializer},
                   tags=["auth"], summary="Log in: get an access and a refresh token", examples=api_examples.LOGIN)
    def post(self, request, *args, **kwargs):
        username = request.data.get("username") if hasattr(request.data, "get") else None
        address = client_address(request)
        if isinstance(username, str) and username:
            login_attempt_reserve(username=username, address=address)
        response = super().post(request, *args, **kwargs)
        if response.status_code == 200:
            login_attempt_succeeded(username=username, address=address)
        return response


class TokenRefreshApi(TokenRefreshView):
    """Exchange a refresh token for a new access token and a new refresh token (the old one is blacklisted)."""

    @extend_schema(responses={200: TokenRefreshSerializer, 401: ApiErrorSerializer}, tags=["auth"],
                   summary="Refresh: a new access and refresh token")
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)


class LogoutRequestSerializer(StrictSerializer):
    """Documents LogoutSerializer's input: the refresh token is a JWT (three base64url parts). Anything else is
    refused: a 400 for a string that is not even text (NUL characters), a 401 for a token this server did not sign."""

    refresh = StrictRegexField(r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$")


class LogoutApi(APIView):
    """Blacklist a refresh token. Access tokens already issued expire within minutes; use logout-all for now."""

    permission_classes = [AllowAny]
    authentication_classes = []

    @extend_schema(request=LogoutRequestSerializer, responses={204: None, 401: ApiErrorSerializer}, tags=["auth"],
                   summary="Log out: revoke a refresh token")
    def post(self, request):
        serializer = LogoutSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        RefreshToken(serializer.validated_data["refresh"]).blacklist()  # TokenError -> 401 via the handler
        return Response(status=status.HTTP_204_NO_CONTENT)


class LogoutEverywhereApi(APIView):
    """Revoke every access and refresh token of the current user, on every device."""

    @extend_schema(request=None, responses={204: None}, tags=["auth"], summary="Log out everywhere")
    def post(self, request):
        services.user_logout_everywhere(user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- me ---------------------------------------------------------------------------------------------------


class MeOutputSerializer(StrictSerializer):
    id = StrictIntegerField()
    username = StrictCharField()
    email = StrictCharField(help_text="The account's e-mail address; empty when none is on file.")
    first_name = StrictCharField()
    last_name = StrictCharField()
    role = StrictCharField(source="effective_role")
    is_certification_staff = StrictBooleanField()
    agency = StrictIntegerField(source="agency_id", allow_null=True)


class MeApi(APIView):
    @extend_schema(responses=MeOutputSerializer, tags=["me"], summary="Who am I")
    def get(self, request):
        """The signed-in user: name, e-mail, role and (for an agency administrator) their agency."""
        return Response(MeOutputSerializer(request.user).data)


class PasswordChangeInputSerializer(StrictSerializer):
    current_password = StrictCharField(max_length=128)
    new_password = StrictCharField(max_length=128)


class PasswordChangeApi(APIView):
    """Change your password; every token issued before stops working."""

    @extend_schema(request=PasswordChangeInputSerializer, responses={204: None}, tags=["me"],
                   summary="Change my password")
    def post(self, request):
        serializer = PasswordChangeInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.user_change_password(user=request.user, **serializer.validated_data)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- agencies ---------------------------------------------------------------------------------------------


class AgencyOutputSerializer(StrictModelSerializer):
    class Meta:
        model = Agency
        fields = ["id", "name", "state", "county", "agency_type", "sworn_headcount", "created_at", "updated_at"]


class AgencyInputSerializer(StrictSerializer):
    name = StrictCharField(max_length=200)
    state = serializers.ChoiceField(choices=US_STATE_CHOICES)
    county = StrictCharField(max_length=100, required=False, allow_blank=True)
    agency_type = serializers.ChoiceField(choices=AgencyType.choices, required=False)
    sworn_headcount = StrictIntegerField(min_value=0, max_value=1_000_000, required=False)


class AgencyFilter(StrictFilterSet):
    name = filters.CharFilter(field_name="name", lookup_expr="icontains")

    class Meta:
        model = Agency
        fields = ["state", "agency_type", "name"]


class AgencyListCreateApi(generics.GenericAPIView):
    filterset_class = AgencyFilter
    serializer_class = AgencyOutputSerializer
    search_fields = ["name", "county"]
    search_help = "agency name, county"
    ordering_fields = {"name": ("name",), "state": ("state",), "sworn_headcount": ("sworn_headcount",),
                       "created_at": ("created_at",)}

    def get_queryset(self):
        return agency_visible_to(self.request.user)

    def get_permissions(self):
        if self.request.method == "POST":
            return [IsCertificationStaff()]
        return [IsAuthenticated()]

    @extend_schema(responses=AgencyOutputSerializer(many=True), tags=["agencies"])
    def get(self, request):
        """Agencies the caller may see: staff every agency, an agency administrator their own. Search by name or
        county, filter by state or type, order by name, state, headcount or creation."""
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(AgencyOutputSerializer(page, many=True).data)

    @extend_schema(request=AgencyInputSerializer, responses={201: AgencyOutputSerializer}, tags=["agencies"])
    def post(self, request):
        """Staff register an agency (name, state, county, type, sworn headcount); the creation is audited."""
        serializer = AgencyInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        agency = services.agency_create(actor=request.user, **serializer.validated_data)
        return Response(AgencyOutputSerializer(agency).data, status=status.HTTP_201_CREATED)


class AgencyDetailApi(APIView):
    @extend_schema(responses=AgencyOutputSerializer, tags=["agencies"])
    def get(self, request, agency_id: int):
        """One agency: staff any, an agency administrator only their own (404 for any other)."""
        return Response(AgencyOutputSerializer(agency_get_for_user(user=request.user, agency_id=agency_id)).data)

    @extend_schema(request=AgencyInputSerializer(partial=True), responses=AgencyOutputSerializer, tags=["agencies"])
    def patch(self, request, agency_id: int):
        """Staff change an agency's details; only the fields sent change, and the change is audited. Its own
        administrator gets 403."""
        agency = agency_get_for_user(user=request.user, agency_id=agency_id)  # 404 before 403: no existence leak
        if not request.user.is_certification_staff:
            raise ApplicationError("permission_denied", "Only certification staff edit agencies.", status_code=403)
        serializer = AgencyInputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        agency = services.agency_update(agency=agency, actor=request.user, data=serializer.validated_data)
        return Response(AgencyOutputSerializer(agency).data)


# --- officers ---------------------------------------------------------------------------------------------


class EmploymentRecordOutputSerializer(StrictModelSerializer):
    agency_name = StrictCharField(source="agency.name")

    class Meta:
        model = EmploymentRecord
        fields = ["agency", "agency_name", "rank", "started_on", "ended_on"]


class OfficerOutputSerializer(StrictModelSerializer):
    agency_name = StrictCharField(source="agency.name")

    class Meta:
        model = Officer
        fields = ["id", "agency", "agency_name", "first_name", "last_name", "state", "license_number", "rank",
                  "hire_date", "email", "date_of_birth", "permanently_ineligible_at", "same_person_as",
                  "created_at", "updated_at"]


class OfficerLicenseOutputSerializer(StrictModelSerializer):
    class Meta:
        model = OfficerLicense
        fields = ["state", "license_number", "held_from", "held_until", "recorded_in_error", "recorded_by", "reason"]


class OfficerDetailOutputSerializer(OfficerOutputSerializer):
    employment_history = EmploymentRecordOutputSerializer(many=True)
    licenses = OfficerLicenseOutputSerializer(many=True, help_text="Every licence this record held, newest first.")

    class Meta(OfficerOutputSerializer.Meta):
        fields = [*OfficerOutputSerializer.Meta.fields, "employment_history", "licenses"]


class OfficerInputSerializer(StrictSerializer):
    agency = StrictIntegerField(
        min_value=1, required=False, help_text="Agency id; an agency administrator may omit it (their own)."
    )
    first_name = StrictCharField(max_length=100)
    last_name = StrictCharField(max_length=100)
    state = serializers.ChoiceField(choices=US_STATE_CHOICES, required=False,
                                    help_text="Licensing state; defaults to the agency's state.")
    license_number = StrictCharField(max_length=50)
    rank = StrictCharField(max_length=100, required=False, allow_blank=True)
    hire_date = serializers.DateField(required=False, allow_null=True)
    email = StrictEmailField(required=False, allow_blank=True)
    date_of_birth = serializers.DateField(required=False, allow_null=True,
                                          help_text="Optional; never public. Used to recognise the same person.")


def _agency_for_write(user, agency_id) -> Agency:
    """The agency a write targets: visible to the user, else the same field error as for a missing id."""
    if agency_id is None and user.is_agency_admin:
        agency_id = user.agency_id
    if agency_id is None:
        raise ApplicationError("validation_error", "The request is not valid.",
                               fields={"agency": ["This field is required."]})
    return access_by_id(agency_visible_to(user), agency_id, field="agency", noun="agency")


class OfficerFilter(StrictFilterSet):
    # A plain number, not a model choice: validating the id against every agency would tell an agency
    # administrator which foreign agency ids exist (400 vs an empty page).
    agency = IdFilter(field_name="agency_id")
    license = filters.CharFilter(field_name="license_number")
    name = filters.CharFilter(method="filter_name", help_text="Matches first or last name (case-insensitive).")

    class Meta:
        model = Officer
        fields = ["agency", "state", "license", "name"]

    def filter_name(self, queryset, name, value):
        for part in value.split()[:4]:
            queryset = queryset.filter(Q(first_name__icontains=part) | Q(last_name__icontains=part))
        return queryset


class OfficerListCreateApi(generics.GenericAPIView):
    filterset_class = OfficerFilter
    serializer_class = OfficerOutputSerializer
    search_fields = ["first_name", "last_name", "license_number", "agency__name"]
    search_help = "first or last name, licence number, agency name"
    ordering_fields = {"name": ("last_name", "first_name"), "license_number": ("license_number",),
                       "hire_date": ("hire_date",), "agency": ("agency__name",), "created_at": ("created_at",)}
    permission_classes = [IsStaffOrAgencyAdmin]

    def get_queryset(self):
        return officer_visible_to(self.request.user)

    @extend_schema(responses=OfficerOutputSerializer(many=True), tags=["officers"])
    def get(self, request):
        """The roster: staff see every officer, an agency administrator their agency's. Search by name, licence number
        or agency; order by name, licence, hire date or agency."""
        page = self.paginate_queryset(values_for(self.filter_queryset(self.get_queryset()), OFFICER_ROW))
        return self.get_paginated_response(rows_from(page, OFFICER_ROW))

    @extend_schema(request=OfficerInputSerializer, responses={201: OfficerDetailOutputSerializer}, tags=["officers"],
                   examples=api_examples.OFFICER_CREATE)
    def post(self, request):
        """Add an officer with their first licence and employment (an agency administrator: to their own agency). 409
        when the licence is, or was, held by another record; a lookalike of a permanently ineligible officer goes to
        the staff review queue instead."""
        serializer = OfficerInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        agency = _agency_for_write(request.user, data.pop("agency", None))
        officer = services.officer_create(actor=request.user, agency=agency, **data)
        return Response(officer_detail_for_user(user=request.user, officer_id=officer.pk),
                        status=status.HTTP_201_CREATED)


class OfficerDetailApi(APIView):
    permission_classes = [IsStaffOrAgencyAdmin]

    @extend_schema(responses=OfficerDetailOutputSerializer, tags=["officers"])
    def get(self, request, officer_id: int):
        """One officer with licence and employment history (staff any, an agency administrator their agency's)."""
        return Response(officer_detail_for_user(user=request.user, officer_id=officer_id))

    @extend_schema(request=OfficerInputSerializer(partial=True), responses=OfficerDetailOutputSerializer,
                   tags=["officers"])
    def patch(self, request, officer_id: int):
        """Change rank, hire date or e-mail; staff may also transfer the officer to another agency. Identity fields
        (name, licence, state, date of birth) change only through an identity correction."""
        officer = officer_get_for_user(user=request.user, officer_id=officer_id)
        serializer = OfficerInputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        target_agency_id = data.pop("agency", officer.agency_id)
        to_agency = None
        if target_agency_id != officer.agency_id:
            if not request.user.is_certification_staff:
                raise ApplicationError("transfer_requires_staff",
                                       "Only certification staff record a transfer to another agency.",
                                       status_code=403)
            to_agency = _agency_for_write(request.user, target_agency_id)
        services.officer_update(officer=officer, actor=request.user, data=data, to_agency=to_agency)
        return Response(officer_detail_for_user(user=request.user, officer_id=officer_id))


class RosterImportInputSerializer(StrictSerializer):
    agency = StrictIntegerField(min_value=1, required=False,
                                help_text="Agency id; an agency administrator may omit it (their own).")
    file = serializers.FileField(help_text="CSV with columns license_number, first_name, last_name "
                                           "and optionally state, rank, hire_date (YYYY-MM-DD), email.")


RosterImportOutputSerializer = inline_serializer("RosterImportOutput", fields={
    "created": StrictIntegerField(), "updated": StrictIntegerField(),
    "unchanged": StrictIntegerField(), "transferred": StrictIntegerField(),
})


class OfficerRosterImportApi(APIView):
    """Upload an agency's roster as CSV: every row is validated first; any error writes nothing."""

    permission_classes = [IsStaffOrAgencyAdmin]

    parser_classes = [MultiPartParser]  # uploads only; the rest of the API takes JSON

    @extend_schema(request={"multipart/form-data": RosterImportInputSerializer},
                   responses={200: RosterImportOutputSerializer,
                              400: OpenApiResponse(ApiErrorSerializer, "Row-numbered errors; nothing written.")},
                   tags=["officers"], examples=api_examples.ROSTER_IMPORT)
    def post(self, request):
        serializer = RosterImportInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        upload = serializer.validated_data["file"]
        if upload.size > settings.MAX_UPLOAD_BYTES:
            raise ApplicationError("file_too_large", f"The file exceeds {settings.MAX_UPLOAD_BYTES} bytes.",
                                   status_code=413, fields={"file": ["File too large."]})
        agency = _agency_for_write(request.user, serializer.validated_data.get("agency"))
        result = services.roster_import(agency=agency, actor=request.user, raw=upload.read(),
                                        allow_transfers=request.user.is_certification_staff)
        if result.errors:
            raise ApplicationError("roster_invalid", f"{len(result.errors)} problem(s) in the roster; nothing was "
                                   "imported.", fields=result.errors)
        return Response({"created": result.created, "updated": result.updated, "unchanged": result.unchanged,
                         "transferred": result.transferred})


# --- identity: staff corrections and the review queue -----------------------------------------------------------


class IdentityCorrectionInputSerializer(StrictSerializer):
    first_name = StrictCharField(max_length=100, required=False)
    last_name = StrictCharField(max_length=100, required=False)
    state = serializers.ChoiceField(choices=US_STATE_CHOICES, required=False)
    license_number = StrictCharField(max_length=50, required=False)
    date_of_birth = serializers.DateField(required=False, allow_null=True)
    previous_license_recorded_in_error = StrictBooleanField(
        required=False, default=False,
        help_text="The licence being replaced was a typo (someone else's number): free it for its real holder. "
                  "Refused for a permanently ineligible officer.")
    reason = StrictCharField(max_length=500)


class OfficerIdentityCorrectionApi(APIView):
    """Staff correct an officer's name, state, licence number or date of birth, with a reason. The old licence
    stays in the record's history (public answers keep matching it); the ledger records the change."""

    permission_classes = [IsCertificationStaff]

    @extend_schema(request=IdentityCorrectionInputSerializer,
                   responses={200: OfficerDetailOutputSerializer, 409: ApiErrorSerializer}, tags=["officers"])
    def post(self, request, officer_id: int):
        officer = officer_get_for_user(user=request.user, officer_id=officer_id)
        serializer = IdentityCorrectionInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.officer_identity_correct(officer=officer, actor=request.user, **serializer.validated_data)
        return Response(officer_detail_for_user(user=request.user, officer_id=officer_id))


class IdentityReviewOutputSerializer(StrictModelSerializer):
    agency_name = StrictCharField(source="agency.name")
    matched_officer_name = StrictCharField(source="matched_officer.full_name")
    requested_by = StrictCharField(source="requested_by.username", allow_null=True, default=None)
    decided_by = StrictCharField(source="decided_by.username", allow_null=True, default=None)

    class Meta:
        model = IdentityReview
        fields = ["id", "agency", "agency_name", "matched_officer", "matched_officer_name", "state",
                  "license_number", "proposed", "source", "requested_by", "requested_at", "status", "decided_by",
                  "decided_at", "decision_reason", "officer"]


class IdentityReviewFilter(StrictFilterSet):
    class Meta:
        model = IdentityReview
        fields = ["status"]


class IdentityReviewListApi(generics.GenericAPIView):
    """The staff queue of new officer records that look like a permanently ineligible person."""

    permission_classes = [IsCertificationStaff]
    filterset_class = IdentityReviewFilter
    serializer_class = IdentityReviewOutputSerializer

    def get_queryset(self):
        return identity_reviews_visible_to(self.request.user)

    @extend_schema(responses=IdentityReviewOutputSerializer(many=True), tags=["officers"])
    def get(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(IdentityReviewOutputSerializer(page, many=True).data)


class IdentityReviewDetailApi(APIView):
    permission_classes = [IsCertificationStaff]

    @extend_schema(responses=IdentityReviewOutputSerializer, tags=["officers"])
    def get(self, request, review_id: int):
        """One queued identity review (staff): the submitted record and the permanently ineligible officer it
        resembles."""
        return Response(IdentityReviewOutputSerializer(
            identity_review_get_for_user(user=request.user, review_id=review_id)).data)


class IdentityReviewDecisionInputSerializer(StrictSerializer):
    decision = serializers.ChoiceField(choices=[IdentityReviewStatus.LINKED, IdentityReviewStatus.CLEARED,
                                                IdentityReviewStatus.DISMISSED])
    reason = StrictCharField(max_length=500)


class IdentityReviewDecideApi(APIView):
    """Decide: `linked` (same person: the record is created and inherits permanent ineligibility), `cleared`
    (a different person: the record is created) or `dismissed` (no record)."""

    permission_classes = [IsCertificationStaff]

    @extend_schema(request=IdentityReviewDecisionInputSerializer,
                   responses={200: IdentityReviewOutputSerializer, 409: ApiErrorSerializer}, tags=["officers"])
    def post(self, request, review_id: int):
        review = identity_review_get_for_user(user=request.user, review_id=review_id)
        serializer = IdentityReviewDecisionInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        review = services.identity_review_decide(review=review, actor=request.user, **serializer.validated_data)
        return Response(IdentityReviewOutputSerializer(identity_review_get_for_user(
            user=request.user, review_id=review.pk)).data)
