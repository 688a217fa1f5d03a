"""Coach profiles over HTTP."""

from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from agencies.selectors import agencies_for_lookup, users_for_lookup
from core.access import access_by_id, field_error
from core.exceptions import ApplicationError
from core.filters import StrictFilterSet
from core.serializers import (
    StrictBooleanField,
    StrictCharField,
    StrictIntegerField,
    StrictModelSerializer,
    StrictSerializer,
)
from core.vocabulary import COACHING_AREAS

from .. import selectors, services
from ..models import CoachProfile
from ._common import TAGS, _language_list, _state_list


class CoachProfileOutputSerializer(StrictModelSerializer):
    name = StrictCharField(source="display_name")
    places_taken = StrictIntegerField(help_text="Proposed and active agreements.")

    class Meta:
        model = CoachProfile
        fields = ["id", "user", "name", "years_in_leadership", "highest_rank", "former_agency",
                  "former_agency_name", "expertise_areas", "states", "languages", "capacity", "places_taken",
                  "active", "bio", "created_at", "updated_at"]


class CoachPublicOutputSerializer(StrictModelSerializer):
    """What an agency administrator sees of an active coach when requesting coaching."""

    name = StrictCharField(source="display_name")

    class Meta:
        model = CoachProfile
        fields = ["id", "name", "years_in_leadership", "highest_rank", "former_agency_name", "expertise_areas",
                  "states", "languages", "bio"]


class CoachOutputSerializer(CoachProfileOutputSerializer):
    """Documents what GET answers: staff and the coach get every field, an agency administrator only the public
    ones (CoachPublicOutput), so the other fields are optional here. Schema only."""

    def get_fields(self):
        fields = super().get_fields()
        public = set(CoachPublicOutputSerializer.Meta.fields)
        for name, field in fields.items():
            if name not in public:
                field.read_only, field.required = False, False
        return fields


class CoachProfileInputSerializer(StrictSerializer):
    user = StrictIntegerField(min_value=1, required=False,
                              help_text="The coach user (staff only); a coach omits it to create their own.")
    years_in_leadership = StrictIntegerField(min_value=0, max_value=60)
    highest_rank = StrictCharField(max_length=100)
    former_agency = StrictIntegerField(min_value=1, required=False, allow_null=True,
                                       help_text="Agency id (staff only): its coachees are never matched.")
    former_agency_name = StrictCharField(max_length=200, required=False, allow_blank=True)
    expertise_areas = serializers.ListField(child=serializers.ChoiceField(choices=COACHING_AREAS), required=False,
                                            max_length=len(COACHING_AREAS))
    states = _state_list(required=False)
    languages = _language_list(required=False)
    capacity = StrictIntegerField(min_value=0, max_value=20, required=False)
    active = StrictBooleanField(required=False)
    bio = StrictCharField(max_length=4000, required=False, allow_blank=True)


class CoachProfileUpdateSerializer(CoachProfileInputSerializer):
    """A profile belongs to its coach for good: `user` is not part of an update."""

    user = None


def _coach_output(profile: CoachProfile, user):
    if user.is_certification_staff or profile.user_id == user.pk:
        return CoachProfileOutputSerializer(profile).data
    return CoachPublicOutputSerializer(profile).data


def _former_agency(data: dict) -> None:
    # Any agency may be named (only staff may set it at all, which the service decides with a 403).
    if data.get("former_agency") is not None:
        data["former_agency"] = access_by_id(agencies_for_lookup(), data["former_agency"], field="former_agency",
                                             noun="agency")


class CoachFilter(StrictFilterSet):
    class Meta:
        model = CoachProfile
        fields = ["active"]


class CoachListCreateApi(generics.GenericAPIView):
    """Staff see every coach; a coach their own profile; an agency administrator the active coaches (public
    fields only)."""

    serializer_class = CoachProfileOutputSerializer
    filterset_class = CoachFilter

    def get_queryset(self):
        return selectors.coach_profile_visible_to(self.request.user)

    @extend_schema(responses=CoachOutputSerializer(many=True), tags=TAGS,
                   description="Agency administrators receive only the public fields (CoachPublicOutput).")
    def get(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response([_coach_output(p, request.user) for p in page])

    @extend_schema(request=CoachProfileInputSerializer, responses={201: CoachProfileOutputSerializer}, tags=TAGS)
    def post(self, request):
        serializer = CoachProfileInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        user_id = data.pop("user", None)
        if request.user.is_certification_staff:
            if user_id is None:
                raise field_error("user", "This field is required.")
            user = access_by_id(users_for_lookup(), user_id, field="user", noun="user")
        elif request.user.role == "coach" and user_id in (None, request.user.pk):
            user = request.user
        else:
            raise ApplicationError("permission_denied", "Staff create coach profiles; a coach creates their own.",
                                   status_code=403)
        _former_agency(data)
        profile = services.coach_profile_create(actor=request.user, user=user, **data)
        profile = selectors.coach_profile_get_for_user(user=request.user, coach_id=profile.pk)
        return Response(CoachProfileOutputSerializer(profile).data, status=status.HTTP_201_CREATED)


class CoachDetailApi(APIView):
    @extend_schema(responses=CoachOutputSerializer, tags=TAGS,
                   description="Agency administrators receive only the public fields (CoachPublicOutput).")
    def get(self, request, coach_id: int):
        profile = selectors.coach_profile_get_for_user(user=request.user, coach_id=coach_id)
        return Response(_coach_output(profile, request.user))

    @extend_schema(request=CoachProfileUpdateSerializer(partial=True), responses=CoachProfileOutputSerializer,
                   tags=TAGS)
    def patch(self, request, coach_id: int):
        """A coach edits their own profile, staff any; only staff change `active` and `former_agency` (403
        otherwise). A profile's user never changes."""
        profile = selectors.coach_profile_get_for_user(user=request.user, coach_id=coach_id)
        serializer = CoachProfileUpdateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        if "user" in request.data and request.data["user"] != profile.user_id:
            # Not in the update schema; refuse rather than silently ignore an attempt to move the profile.
            raise field_error("user", "A coach profile's user cannot be changed.")
        _former_agency(data)
        services.coach_profile_update(profile=profile, actor=request.user, data=data)
        profile = selectors.coach_profile_get_for_user(user=request.user, coach_id=coach_id)
        return Response(CoachProfileOutputSerializer(profile).data)


