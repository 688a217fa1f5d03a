"""Accounts over HTTP (onboarding, issue #14): staff list, create (with an e-mailed one-time link), deactivate and
reactivate accounts; agency administrators invite officers of their own agency and list their officers' accounts.

These views live in training, not agencies, because an instructor's account is linked to an officer record through
training's `InstructorAccount` (training sits above agencies in the layers). Coaches get a plain account: staff
add the coach profile afterwards with `POST coaching/coaches/`."""

from django.db.models import Q
from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from agencies import services as agency_services
from agencies.models import Role, User
from agencies.selectors import account_get_for_user, account_visible_to, agency_visible_to, officer_visible_to
from core.access import access_by_id
from core.filters import IdFilter, StrictBooleanFilter, StrictFilterSet
from core.permissions import IsStaffOrAgencyAdmin
from core.serializers import (
    StrictBooleanField,
    StrictCharField,
    StrictEmailField,
    StrictIntegerField,
    StrictSerializer,
)

from ..services.accounts import instructor_account_create

TAGS = ["accounts"]


class AccountOutputSerializer(StrictSerializer):
    id = StrictIntegerField()
    username = StrictCharField()
    email = StrictCharField(help_text="The account's e-mail address; empty when none is on file.")
    first_name = StrictCharField()
    last_name = StrictCharField()
    role = StrictCharField(source="effective_role")
    agency = StrictIntegerField(source="agency_id", allow_null=True,
                                help_text="The agency an agency administrator administers.")
    officer = StrictIntegerField(source="officer_id", allow_null=True,
                                 help_text="The officer record of an officer's or an instructor's account.")
    is_active = StrictBooleanField()
    has_password = StrictBooleanField(source="has_usable_password",
                                      help_text="False until the owner sets a password through the e-mailed link.")

    def to_representation(self, user):
        data = super().to_representation(user)
        data["officer"] = _linked_officer_id(user)
        return data


def _linked_officer_id(user) -> int | None:
    if user.officer_id:
        return user.officer_id
    link = getattr(user, "instructor_account", None) if user.role == Role.INSTRUCTOR else None
    return link.officer_id if link else None


class AccountCreateInputSerializer(StrictSerializer):
    role = serializers.ChoiceField(choices=agency_services.ACCOUNT_ROLES,
                                   help_text="Agency administrators: officer only.")
    email = StrictEmailField(max_length=254, help_text="The invitation with the one-time link goes here.")
    username = StrictCharField(max_length=150, required=False, help_text="Defaults to the e-mail address.")
    first_name = StrictCharField(max_length=150, required=False, allow_blank=True)
    last_name = StrictCharField(max_length=150, required=False, allow_blank=True)
    agency = StrictIntegerField(min_value=1, required=False, help_text="Required for an agency administrator.")
    officer = StrictIntegerField(min_value=1, required=False,
                                 help_text="Required for an officer or an instructor: their officer record.")


class AccountFilter(StrictFilterSet):
    role = filters.ChoiceFilter(field_name="role", choices=[(r, r) for r in agency_services.ACCOUNT_ROLES])
    agency = IdFilter(method="filter_agency", help_text="Accounts of this agency: its administrators and its "
                                                        "officers' own accounts.")
    is_active = StrictBooleanFilter(field_name="is_active")

    class Meta:
        model = User
        fields = ["role", "agency", "is_active"]

    def filter_agency(self, queryset, name, value):
        return queryset.filter(Q(agency_id=value) | Q(officer__agency_id=value))


class AccountListCreateApi(generics.GenericAPIView):
    permission_classes = [IsStaffOrAgencyAdmin]
    filterset_class = AccountFilter
    serializer_class = AccountOutputSerializer

    def get_queryset(self):
        return account_visible_to(self.request.user).select_related("instructor_account")

    @extend_schema(summary="List accounts", tags=TAGS, responses=AccountOutputSerializer(many=True),
                   description="Staff: every account (`?role=`, `?agency=`, `?is_active=`). An agency "
                               "administrator: the own accounts of their agency's officers.")
    def get(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(AccountOutputSerializer(page, many=True).data)

    @extend_schema(
        summary="Create an account and e-mail its one-time link", tags=TAGS, request=AccountCreateInputSerializer,
        responses={201: AccountOutputSerializer},
        description="Creates the account without a password and e-mails the person a link to set one (valid "
                    "`ACCOUNT_LINK_VALID_HOURS`, once). Staff create any role; an agency administrator invites an "
                    "officer of their own agency only (another agency's officer is the same 400 as a missing one). "
                    "An officer who already has an account cannot be invited again (409 `officer_has_account`): "
                    "the account follows the officer between agencies. A coach's profile is added afterwards with "
                    "`POST coaching/coaches/`.",
        examples=[
            OpenApiExample("An agency administrator", request_only=True, value={
                "role": "agency_admin", "email": "lt.morales@riverside-pd.example.org", "first_name": "Ana",
                "last_name": "Morales", "agency": 1}),
            OpenApiExample("An officer (invited by their agency)", request_only=True, value={
                "role": "officer", "email": "j.carter@riverside-pd.example.org", "officer": 12}),
            OpenApiExample("An instructor linked to their officer record", request_only=True, value={
                "role": "instructor", "email": "sgt.okafor@franklin-so.example.org", "officer": 31}),
        ])
    def post(self, request):
        serializer = AccountCreateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        role = data.pop("role")
        officer_id, agency_id = data.pop("officer", None), data.pop("agency", None)
        officer = agency = None
        if officer_id is not None:
            officer = access_by_id(officer_visible_to(request.user), officer_id, field="officer", noun="officer")
        if agency_id is not None:
            agency = access_by_id(agency_visible_to(request.user), agency_id, field="agency", noun="agency")
        if role == Role.INSTRUCTOR and officer is not None and request.user.is_certification_staff:
            user = instructor_account_create(actor=request.user, officer=officer, **data)
        else:
            user = agency_services.account_create(actor=request.user, role=role, agency=agency, officer=officer,
                                                  **data)
        return Response(AccountOutputSerializer(user).data, status=status.HTTP_201_CREATED)


class AccountDetailApi(APIView):
    permission_classes = [IsStaffOrAgencyAdmin]

    @extend_schema(summary="Read an account", tags=TAGS, responses=AccountOutputSerializer,
                   description="Staff: any account; an agency administrator: their officers' own accounts.")
    def get(self, request, account_id: int):
        return Response(AccountOutputSerializer(account_get_for_user(user=request.user, account_id=account_id)).data)


class _AccountActivationApi(APIView):
    permission_classes = [IsStaffOrAgencyAdmin]
    activate = False

    def post(self, request, account_id: int):
        user = account_get_for_user(user=request.user, account_id=account_id)  # 404 before 403
        user = agency_services.account_set_active(actor=request.user, user=user, is_active=self.activate)
        return Response(AccountOutputSerializer(user).data)


class AccountDeactivateApi(_AccountActivationApi):
    @extend_schema(summary="Deactivate an account", tags=TAGS, request=None, responses=AccountOutputSerializer,
                   description="Staff only (an agency administrator sees their officers' accounts but may not "
                               "switch them off: 403). Every access and refresh token of the account stops "
                               "working at once; 409 if it is already deactivated.")
    def post(self, request, account_id: int):
        return super().post(request, account_id)


class AccountReactivateApi(_AccountActivationApi):
    activate = True

    @extend_schema(summary="Reactivate an account", tags=TAGS, request=None, responses=AccountOutputSerializer,
                   description="Staff only. Tokens issued before the deactivation stay dead: the owner logs in "
                               "again. 409 if the account is active.")
    def post(self, request, account_id: int):
        return super().post(request, account_id)
