"""Setting a password with the one-time link, "forgot password", and an officer's own record (/me/officer/)."""

from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from core.client import client_address
from core.openapi import ApiErrorSerializer
from core.permissions import IsOfficer
from core.serializers import StrictCharField, StrictSerializer

from . import services
from .apis import OfficerDetailOutputSerializer
from .selectors import officer_own_detail


class PasswordSetInputSerializer(StrictSerializer):
    uid = StrictCharField(max_length=64, help_text="The first part of the link after /account/set-password/.")
    token = StrictCharField(max_length=128, help_text="The second part of the link.")
    password = StrictCharField(max_length=128, trim_whitespace=False,
                               help_text="Checked by the password rules (at least 12 characters, not common, "
                                         "not all digits, not like the username).")


class PasswordSetApi(APIView):
    permission_classes = [AllowAny]
    authentication_classes = []

    @extend_schema(
        summary="Set a password with the e-mailed link", tags=["auth"], request=PasswordSetInputSerializer,
        responses={204: None, 400: ApiErrorSerializer, 429: ApiErrorSerializer},
        description="The link from an invitation or a forgot-password e-mail, split into `uid` and `token`. It "
                    "works once (setting the password invalidates it) and expires after `ACCOUNT_LINK_VALID_HOURS`; "
                    "a used, expired or wrong link is a 400 `invalid_link`, a weak password 400 `weak_password`. "
                    "Then log in with `POST auth/token/`.",
        examples=[OpenApiExample("From the link", request_only=True, value={
            "uid": "MTI", "token": "cbx9s2-4f1e0c7d2a9b8e6f5a4c3d2e1f0a9b8c", "password": "Harbour lantern 1987"})])
    def post(self, request):
        serializer = PasswordSetInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        services.password_set_with_link(uidb64=data["uid"], token=data["token"], password=data["password"],
                                        address=client_address(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class PasswordForgotInputSerializer(StrictSerializer):
    email = StrictCharField(max_length=254, required=False, help_text="The account's e-mail address, or:")
    username = StrictCharField(max_length=150, required=False, help_text="the account's username.")

    def validate(self, attrs):
        if not (attrs.get("email") or attrs.get("username")):
            raise ValidationError({"email": ["Give an e-mail address or a username."]})
        return attrs


class PasswordForgotApi(APIView):
    permission_classes = [AllowAny]
    authentication_classes = []

    @extend_schema(
        summary="Ask for a link to set a new password", tags=["auth"], request=PasswordForgotInputSerializer,
        responses={202: OpenApiResponse(None, "Always, whether or not an account matched (no enumeration)."),
                   400: ApiErrorSerializer, 429: ApiErrorSerializer},
        description="If an active account has this e-mail address or username, it is sent the same one-time link "
                    "as an invitation. The answer is 202 either way. Limited per e-mail/username and per client "
                    "address like failed logins (429).",
        examples=[OpenApiExample("By e-mail", request_only=True, value={"email": "j.carter@riverside-pd.example.org"}),
                  OpenApiExample("By username", request_only=True, value={"username": "admin_riverside"})])
    def post(self, request):
        serializer = PasswordForgotInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        identifier = serializer.validated_data.get("email") or serializer.validated_data["username"]
        services.password_forgot(identifier=identifier, address=client_address(request))
        return Response(status=status.HTTP_202_ACCEPTED)


class OfficerSelfApi(APIView):
    """The signed-in officer's own record: identity, employment history and every licence it held."""

    permission_classes = [IsOfficer]

    @extend_schema(summary="My officer record", tags=["me"],
                   description="For an officer's own account only (403 for every other role): the linked officer "
                               "record with its employment history and licence history.",
                   responses=OfficerDetailOutputSerializer)
    def get(self, request):
        return Response(officer_own_detail(user=request.user))
