"""Coaching over HTTP: thin views; services enforce the rules and selectors the access."""

import time

from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from agencies.models import User
from agencies.selectors import agency_visible_to, officer_visible_to
from core.exceptions import ApplicationError
from core.filters import StrictFilterSet
from core.permissions import IsCertificationStaff, IsStaffOrAgencyAdmin
from core.strict_fields import StrictQuerySerializer
from core.vocabulary import COACHING_AREAS

from . import selectors, services
from .models import Agreement, Cadence, Coachee, CoacheeType, CoachingSession, CoachProfile, NeedsAssessment

TAGS = ["coaching"]


def _language_list(**kwargs):
    return serializers.ListField(child=serializers.RegexField(r"^[a-z]{2,3}$"), max_length=20,
                                 help_text="Lower-case ISO 639 language codes, e.g. [\"en\", \"es\"].", **kwargs)


def _state_list(**kwargs):
    # Plain strings (the model validates the codes): a ChoiceField would publish a second enum of the same states.
    kwargs.setdefault("help_text", "Two-letter state codes, e.g. [\"CA\", \"NV\"].")
    return serializers.ListField(child=serializers.RegexField(r"^[A-Z]{2}$"), max_length=60, **kwargs)


def _bad_field(name: str, message: str) -> ApplicationError:
    return ApplicationError("validation_error", "The request is not valid.", fields={name: [message]})


# --- coaches ----------------------------------------------------------------------------------------------


class CoachProfileOutputSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="display_name")
    places_taken = serializers.IntegerField(help_text="Proposed and active agreements.")

    class Meta:
        model = CoachProfile
        fields = ["id", "user", "name", "years_in_leadership", "highest_rank", "former_agency",
                  "former_agency_name", "expertise_areas", "states", "languages", "capacity", "places_taken",
                  "active", "bio", "created_at", "updated_at"]


class CoachPublicOutputSerializer(serializers.ModelSerializer):
    """What an agency administrator sees of an active coach when requesting coaching."""

    name = serializers.CharField(source="display_name")

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


class CoachProfileInputSerializer(serializers.Serializer):
    user = serializers.IntegerField(min_value=1, required=False,
                                    help_text="The coach user (staff only); a coach omits it to create their own.")
    years_in_leadership = serializers.IntegerField(min_value=0, max_value=60)
    highest_rank = serializers.CharField(max_length=100)
    former_agency = serializers.IntegerField(min_value=1, required=False, allow_null=True,
                                             help_text="Agency id (staff only): its coachees are never matched.")
    former_agency_name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    expertise_areas = serializers.ListField(child=serializers.ChoiceField(choices=COACHING_AREAS), required=False,
                                            max_length=len(COACHING_AREAS))
    states = _state_list(required=False)
    languages = _language_list(required=False)
    capacity = serializers.IntegerField(min_value=0, max_value=20, required=False)
    active = serializers.BooleanField(required=False)
    bio = serializers.CharField(max_length=4000, required=False, allow_blank=True)


class CoachProfileUpdateSerializer(CoachProfileInputSerializer):
    """A profile belongs to its coach for good: `user` is not part of an update."""

    user = None


def _coach_output(profile: CoachProfile, user):
    if user.is_certification_staff or profile.user_id == user.pk:
        return CoachProfileOutputSerializer(profile).data
    return CoachPublicOutputSerializer(profile).data


def _former_agency(data: dict) -> None:
    if data.get("former_agency") is not None:
        from agencies.models import Agency

        agency = Agency.objects.filter(pk=data["former_agency"]).first()
        if agency is None:
            raise _bad_field("former_agency", f"Unknown agency {data['former_agency']}.")
        data["former_agency"] = agency


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
                raise _bad_field("user", "This field is required.")
            user = User.objects.filter(pk=user_id).first()
            if user is None:
                raise _bad_field("user", f"Unknown user {user_id}.")
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
        profile = selectors.coach_profile_get_for_user(user=request.user, coach_id=coach_id)
        serializer = CoachProfileUpdateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        if "user" in request.data and request.data["user"] != profile.user_id:
            # Not in the update schema; refuse rather than silently ignore an attempt to move the profile.
            raise _bad_field("user", "A coach profile's user cannot be changed.")
        _former_agency(data)
        services.coach_profile_update(profile=profile, actor=request.user, data=data)
        profile = selectors.coach_profile_get_for_user(user=request.user, coach_id=coach_id)
        return Response(CoachProfileOutputSerializer(profile).data)


# --- coachees ---------------------------------------------------------------------------------------------


class CoacheeOutputSerializer(serializers.ModelSerializer):
    agency_name = serializers.CharField(source="agency.name")

    class Meta:
        model = Coachee
        fields = ["id", "coachee_type", "agency", "agency_name", "officer", "first_name", "last_name", "title", "email",
                  "created_at"]


class CoacheeInputSerializer(serializers.Serializer):
    agency = serializers.IntegerField(min_value=1, required=False,
                                      help_text="Agency id; an agency administrator may omit it (their own).")
    coachee_type = serializers.ChoiceField(choices=CoacheeType.choices)
    officer = serializers.IntegerField(min_value=1, required=False, allow_null=True,
                                       help_text="The officer on the agency's roster (police leaders only).")
    first_name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    last_name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    title = serializers.CharField(max_length=150, required=False, allow_blank=True)
    email = serializers.EmailField(required=False, allow_blank=True)


class CoacheeListCreateApi(generics.GenericAPIView):
    serializer_class = CoacheeOutputSerializer
    permission_classes = [IsStaffOrAgencyAdmin]

    def get_queryset(self):
        return selectors.coachee_visible_to(self.request.user)

    @extend_schema(responses=CoacheeOutputSerializer(many=True), tags=TAGS)
    def get(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(CoacheeOutputSerializer(page, many=True).data)

    @extend_schema(request=CoacheeInputSerializer, responses={201: CoacheeOutputSerializer}, tags=TAGS)
    def post(self, request):
        serializer = CoacheeInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        agency_id = data.pop("agency", None)
        if agency_id is None and request.user.is_agency_admin:
            agency_id = request.user.agency_id
        if agency_id is None:
            raise _bad_field("agency", "This field is required.")
        agency = agency_visible_to(request.user).filter(pk=agency_id).first()
        if agency is None:
            raise _bad_field("agency", f"Unknown agency {agency_id}.")
        officer_id = data.pop("officer", None)
        officer = None
        if officer_id is not None:
            officer = officer_visible_to(request.user).filter(pk=officer_id).first()
            if officer is None:
                raise _bad_field("officer", f"Unknown officer {officer_id}.")
        coachee = services.coachee_create(actor=request.user, agency=agency, officer=officer, **data)
        coachee = selectors.coachee_get_for_user(user=request.user, coachee_id=coachee.pk)
        return Response(CoacheeOutputSerializer(coachee).data, status=status.HTTP_201_CREATED)


class CoacheeDetailApi(APIView):
    permission_classes = [IsStaffOrAgencyAdmin]

    @extend_schema(responses=CoacheeOutputSerializer, tags=TAGS)
    def get(self, request, coachee_id: int):
        return Response(CoacheeOutputSerializer(
            selectors.coachee_get_for_user(user=request.user, coachee_id=coachee_id)).data)


# --- needs assessments ------------------------------------------------------------------------------------


class NeedsAssessmentOutputSerializer(serializers.ModelSerializer):
    coachee_name = serializers.CharField(source="coachee.full_name")
    agency = serializers.IntegerField(source="coachee.agency_id")
    agency_name = serializers.CharField(source="coachee.agency.name")
    priorities = serializers.SerializerMethodField()
    conflicts = serializers.SerializerMethodField()

    class Meta:
        model = NeedsAssessment
        fields = ["id", "coachee", "coachee_name", "agency", "agency_name", "status", "priorities", "goals",
                  "languages", "states", "remote_only", "conflicts", "prefilled_from_360_at", "created_at",
                  "updated_at"]

    def get_priorities(self, obj) -> dict[str, int]:
        return {p.area: p.priority for p in obj.priorities.all()}

    def get_conflicts(self, obj) -> list[int]:
        return sorted(c.pk for c in obj.conflicts.all())


class NeedsAssessmentInputSerializer(serializers.Serializer):
    coachee = serializers.IntegerField(min_value=1)
    priorities = serializers.DictField(child=serializers.IntegerField(min_value=0, max_value=3), required=False,
                                       help_text="Coaching area -> priority 0 (none) to 3 (most needed).")
    goals = serializers.CharField(max_length=4000, required=False, allow_blank=True)
    languages = _language_list(required=False, min_length=1)
    states = _state_list(required=False, help_text="States where in-person sessions can happen.")
    remote_only = serializers.BooleanField(required=False)
    conflicts = serializers.ListField(child=serializers.IntegerField(min_value=1), required=False, max_length=100,
                                      help_text="Coach profile ids the coachee must not be matched with.")


class NeedsAssessmentUpdateSerializer(NeedsAssessmentInputSerializer):
    coachee = None


class NeedsAssessmentFilter(StrictFilterSet):
    class Meta:
        model = NeedsAssessment
        fields = ["status", "coachee"]


class NeedsAssessmentListCreateApi(generics.GenericAPIView):
    serializer_class = NeedsAssessmentOutputSerializer
    permission_classes = [IsStaffOrAgencyAdmin]
    filterset_class = NeedsAssessmentFilter

    def get_queryset(self):
        return selectors.needs_assessment_visible_to(self.request.user)

    @extend_schema(responses=NeedsAssessmentOutputSerializer(many=True), tags=TAGS)
    def get(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(NeedsAssessmentOutputSerializer(page, many=True).data)

    @extend_schema(request=NeedsAssessmentInputSerializer, responses={201: NeedsAssessmentOutputSerializer},
                   tags=TAGS)
    def post(self, request):
        serializer = NeedsAssessmentInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        coachee = selectors.coachee_visible_to(request.user).filter(pk=data.pop("coachee")).first()
        if coachee is None:
            raise _bad_field("coachee", "Unknown coachee.")
        assessment = services.needs_assessment_create(actor=request.user, coachee=coachee, **data)
        assessment = selectors.needs_assessment_get_for_user(user=request.user, assessment_id=assessment.pk)
        return Response(NeedsAssessmentOutputSerializer(assessment).data, status=status.HTTP_201_CREATED)


class NeedsAssessmentDetailApi(APIView):
    permission_classes = [IsStaffOrAgencyAdmin]

    @extend_schema(responses=NeedsAssessmentOutputSerializer, tags=TAGS)
    def get(self, request, assessment_id: int):
        assessment = selectors.needs_assessment_get_for_user(user=request.user, assessment_id=assessment_id)
        return Response(NeedsAssessmentOutputSerializer(assessment).data)

    @extend_schema(request=NeedsAssessmentUpdateSerializer(partial=True), responses=NeedsAssessmentOutputSerializer,
                   tags=TAGS)
    def patch(self, request, assessment_id: int):
        assessment = selectors.needs_assessment_get_for_user(user=request.user, assessment_id=assessment_id)
        serializer = NeedsAssessmentUpdateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        services.needs_assessment_update(assessment=assessment, actor=request.user,
                                         data=dict(serializer.validated_data))
        assessment = selectors.needs_assessment_get_for_user(user=request.user, assessment_id=assessment_id)
        return Response(NeedsAssessmentOutputSerializer(assessment).data)


class NeedsAssessmentPrefillApi(APIView):
    """Raise priorities to the development areas of the coachee's released 360 report (never lowers any)."""

    permission_classes = [IsStaffOrAgencyAdmin]

    @extend_schema(request=None, responses=NeedsAssessmentOutputSerializer, tags=TAGS)
    def post(self, request, assessment_id: int):
        assessment = selectors.needs_assessment_get_for_user(user=request.user, assessment_id=assessment_id)
        services.needs_assessment_prefill_from_360(assessment=assessment, actor=request.user)
        assessment = selectors.needs_assessment_get_for_user(user=request.user, assessment_id=assessment_id)
        return Response(NeedsAssessmentOutputSerializer(assessment).data)


class NeedsAssessmentWithdrawInputSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True)


class NeedsAssessmentWithdrawApi(APIView):
    permission_classes = [IsStaffOrAgencyAdmin]

    @extend_schema(request=NeedsAssessmentWithdrawInputSerializer, responses=NeedsAssessmentOutputSerializer,
                   tags=TAGS)
    def post(self, request, assessment_id: int):
        assessment = selectors.needs_assessment_get_for_user(user=request.user, assessment_id=assessment_id)
        serializer = NeedsAssessmentWithdrawInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.needs_assessment_withdraw(assessment=assessment, actor=request.user,
                                           reason=serializer.validated_data.get("reason", ""))
        assessment = selectors.needs_assessment_get_for_user(user=request.user, assessment_id=assessment_id)
        return Response(NeedsAssessmentOutputSerializer(assessment).data)


# --- matching ---------------------------------------------------------------------------------------------


class MatchFactorOutputSerializer(serializers.Serializer):
    name = serializers.CharField(help_text="needs_expertise, region, experience or language.")
    value = serializers.FloatField(help_text="0 to 1.")
    weight = serializers.FloatField()
    points = serializers.FloatField(help_text="value x weight x 100; the points add up to the score.")


class CoachMatchOutputSerializer(serializers.Serializer):
    coach = serializers.IntegerField(source="coach_id")
    coach_name = serializers.CharField()
    score = serializers.FloatField(help_text="0 to 100.")
    factors = MatchFactorOutputSerializer(many=True)
    matched_areas = serializers.ListField(child=serializers.CharField(),
                                          help_text="Needed areas the coach covers, most needed first.")


class MatchesOutputSerializer(serializers.Serializer):
    needs_assessment = serializers.IntegerField()
    results = CoachMatchOutputSerializer(many=True)


class MatchesQuerySerializer(StrictQuerySerializer):
    limit = serializers.IntegerField(min_value=1, max_value=50, default=5, help_text="1 to 50 (default 5)")


class NeedsAssessmentMatchesApi(APIView):
    """Ranked eligible coaches (active, with a free place, not from the coachee's agency, no declared conflict,
    a shared language, in region unless remote) with the score explained per factor."""

    permission_classes = [IsStaffOrAgencyAdmin]

    @extend_schema(parameters=[MatchesQuerySerializer],
                   responses=MatchesOutputSerializer, tags=TAGS)
    def get(self, request, assessment_id: int):
        assessment = selectors.needs_assessment_get_for_user(user=request.user, assessment_id=assessment_id)
        query = MatchesQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        matches = selectors.needs_assessment_matches(assessment=assessment, limit=query.validated_data["limit"])
        return Response(MatchesOutputSerializer({"needs_assessment": assessment.pk, "results": matches}).data)


class CohortMatchInputSerializer(serializers.Serializer):
    needs_assessment_ids = serializers.ListField(child=serializers.IntegerField(min_value=1), min_length=1,
                                                 max_length=selectors.COHORT_MAX_ASSESSMENTS)


class CohortAssignmentOutputSerializer(CoachMatchOutputSerializer):
    needs_assessment = serializers.IntegerField()
    coachee = serializers.IntegerField()
    coachee_name = serializers.CharField()


class CohortUnmatchedOutputSerializer(serializers.Serializer):
    needs_assessment = serializers.IntegerField()
    coachee = serializers.IntegerField()
    coachee_name = serializers.CharField()
    reason = serializers.CharField(help_text="no_eligible_coach, capacity_taken or not_open.")
    detail = serializers.CharField()
    exclusions = serializers.DictField(child=serializers.IntegerField(),
                                       help_text="How many coaches each exclusion rule removed.")


class CohortMatchOutputSerializer(serializers.Serializer):
    total_score = serializers.FloatField()
    matched = CohortAssignmentOutputSerializer(many=True)
    unmatched = CohortUnmatchedOutputSerializer(many=True)
    elapsed_ms = serializers.FloatField(help_text="Time spent loading and solving.")


class CohortMatchApi(APIView):
    """Best total score for a whole cohort under every coach's free places (SciPy linear_sum_assignment over
    capacity slots). Writes nothing: staff confirm the matches they want, one by one."""

    permission_classes = [IsCertificationStaff]

    @extend_schema(request=CohortMatchInputSerializer, responses=CohortMatchOutputSerializer, tags=TAGS)
    def post(self, request):
        started = time.perf_counter()
        serializer = CohortMatchInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        outcome = selectors.cohort_match(user=request.user,
                                         assessment_ids=serializer.validated_data["needs_assessment_ids"])
        by_id = outcome.assessments

        def who(needs_id):
            return {"needs_assessment": needs_id, "coachee": by_id[needs_id].coachee_id,
                    "coachee_name": by_id[needs_id].coachee.full_name}

        matched = [{**who(nid), "coach_id": m.coach_id, "coach_name": m.coach_name, "score": m.score,
                    "factors": m.factors, "matched_areas": m.matched_areas}
                   for nid, m in sorted(outcome.result.assignments.items(), key=lambda kv: -kv[1].score)]
        unmatched = [{**who(u.needs_id), "reason": u.reason, "detail": u.detail, "exclusions": u.exclusions}
                     for u in outcome.result.unmatched]
        unmatched += [{**who(a.pk), "reason": "not_open", "detail": f"This needs assessment is {a.status}.",
                       "exclusions": {}} for a in outcome.not_open]
        body = {"total_score": outcome.result.total_score, "matched": matched, "unmatched": unmatched,
                "elapsed_ms": round((time.perf_counter() - started) * 1000, 2)}
        return Response(CohortMatchOutputSerializer(body).data)


# --- agreements -------------------------------------------------------------------------------------------


class AgreementOutputSerializer(serializers.ModelSerializer):
    coach_name = serializers.CharField(source="coach.display_name")
    coachee_name = serializers.CharField(source="coachee.full_name")
    sponsor_agency_name = serializers.CharField(source="sponsor_agency.name")

    class Meta:
        model = Agreement
        fields = ["id", "coach", "coach_name", "coachee", "coachee_name", "sponsor_agency", "sponsor_agency_name",
                  "needs_assessment", "start_date", "end_date", "goals", "cadence", "confidentiality_terms",
                  "status", "coach_accepted_at", "sponsor_accepted_at", "activated_at", "ended_at",
                  "termination_reason", "coach_outcome_rating", "sponsor_outcome_rating", "baseline_cycle_id",
                  "follow_up_cycle_id", "created_at", "updated_at"]


class AgreementConfirmInputSerializer(serializers.Serializer):
    coach = serializers.IntegerField(min_value=1)
    start_date = serializers.DateField()
    end_date = serializers.DateField(help_text="3 to 6 calendar months after the start.")
    cadence = serializers.ChoiceField(choices=Cadence.choices, required=False)
    goals = serializers.CharField(max_length=4000, required=False, allow_blank=True,
                                  help_text="Defaults to the needs assessment's goals.")
    confidentiality_terms = serializers.CharField(max_length=4000, required=False, allow_blank=True)
    baseline_cycle_id = serializers.IntegerField(min_value=1, required=False, allow_null=True,
                                                 help_text="The released 360 cycle a follow-up would repeat.")


class NeedsAssessmentConfirmApi(APIView):
    """Staff confirm a match: proposes an agreement to the coach and the sponsoring agency."""

    permission_classes = [IsCertificationStaff]

    @extend_schema(request=AgreementConfirmInputSerializer, responses={201: AgreementOutputSerializer}, tags=TAGS)
    def post(self, request, assessment_id: int):
        assessment = selectors.needs_assessment_get_for_user(user=request.user, assessment_id=assessment_id)
        serializer = AgreementConfirmInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        coach = CoachProfile.objects.filter(pk=data.pop("coach")).first()
        if coach is None:
            raise _bad_field("coach", "Unknown coach.")
        agreement = services.agreement_propose(assessment=assessment, coach=coach, actor=request.user, **data)
        agreement = selectors.agreement_get_for_user(user=request.user, agreement_id=agreement.pk)
        return Response(AgreementOutputSerializer(agreement).data, status=status.HTTP_201_CREATED)


class AgreementFilter(StrictFilterSet):
    class Meta:
        model = Agreement
        fields = ["status", "coach", "coachee"]


class AgreementListApi(generics.GenericAPIView):
    """Staff see every agreement; a coach their own; an agency administrator those their agency sponsors."""

    serializer_class = AgreementOutputSerializer
    filterset_class = AgreementFilter

    def get_queryset(self):
        return selectors.agreement_visible_to(self.request.user)

    @extend_schema(responses=AgreementOutputSerializer(many=True), tags=TAGS)
    def get(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(AgreementOutputSerializer(page, many=True).data)


class AgreementDetailApi(APIView):
    @extend_schema(responses=AgreementOutputSerializer, tags=TAGS)
    def get(self, request, agreement_id: int):
        return Response(AgreementOutputSerializer(
            selectors.agreement_get_for_user(user=request.user, agreement_id=agreement_id)).data)


class AgreementAcceptApi(APIView):
    """The coach, or the sponsoring agency's administrator (or staff, for the coachee), accepts. Active once both
    have."""

    @extend_schema(request=None, responses=AgreementOutputSerializer, tags=TAGS)
    def post(self, request, agreement_id: int):
        agreement = selectors.agreement_get_for_user(user=request.user, agreement_id=agreement_id)
        services.agreement_accept(agreement=agreement, actor=request.user)
        return Response(AgreementOutputSerializer(
            selectors.agreement_get_for_user(user=request.user, agreement_id=agreement_id)).data)


class AgreementTerminateInputSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


class AgreementTerminateApi(APIView):
    @extend_schema(request=AgreementTerminateInputSerializer, responses=AgreementOutputSerializer, tags=TAGS)
    def post(self, request, agreement_id: int):
        agreement = selectors.agreement_get_for_user(user=request.user, agreement_id=agreement_id)
        serializer = AgreementTerminateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.agreement_terminate(agreement=agreement, actor=request.user, **serializer.validated_data)
        return Response(AgreementOutputSerializer(
            selectors.agreement_get_for_user(user=request.user, agreement_id=agreement_id)).data)


class AgreementCompleteInputSerializer(serializers.Serializer):
    rating = serializers.IntegerField(min_value=1, max_value=5, help_text="Your side's outcome rating.")
    follow_up_opens_at = serializers.DateTimeField(required=False,
                                                   help_text="Give both to start the follow-up mini-360 now.")
    follow_up_closes_at = serializers.DateTimeField(required=False)


class AgreementCompleteApi(APIView):
    @extend_schema(request=AgreementCompleteInputSerializer, responses=AgreementOutputSerializer, tags=TAGS)
    def post(self, request, agreement_id: int):
        agreement = selectors.agreement_get_for_user(user=request.user, agreement_id=agreement_id)
        serializer = AgreementCompleteInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.agreement_complete(agreement=agreement, actor=request.user, **serializer.validated_data)
        return Response(AgreementOutputSerializer(
            selectors.agreement_get_for_user(user=request.user, agreement_id=agreement_id)).data)


class AgreementOutcomeInputSerializer(serializers.Serializer):
    rating = serializers.IntegerField(min_value=1, max_value=5)


class AgreementOutcomeApi(APIView):
    """The other side's outcome rating of a completed agreement."""

    @extend_schema(request=AgreementOutcomeInputSerializer, responses=AgreementOutputSerializer, tags=TAGS)
    def post(self, request, agreement_id: int):
        agreement = selectors.agreement_get_for_user(user=request.user, agreement_id=agreement_id)
        serializer = AgreementOutcomeInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.agreement_outcome_record(agreement=agreement, actor=request.user, **serializer.validated_data)
        return Response(AgreementOutputSerializer(
            selectors.agreement_get_for_user(user=request.user, agreement_id=agreement_id)).data)


class AgreementFollowUpInputSerializer(serializers.Serializer):
    opens_at = serializers.DateTimeField()
    closes_at = serializers.DateTimeField()
    source_cycle_id = serializers.IntegerField(min_value=1, required=False,
                                               help_text="Defaults to the agreement's baseline cycle.")


class AgreementFollowUpApi(APIView):
    """Start the follow-up mini-360 of a completed agreement (same rater groups as the baseline cycle)."""

    @extend_schema(request=AgreementFollowUpInputSerializer, responses={201: AgreementOutputSerializer}, tags=TAGS)
    def post(self, request, agreement_id: int):
        agreement = selectors.agreement_get_for_user(user=request.user, agreement_id=agreement_id)
        serializer = AgreementFollowUpInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.agreement_follow_up_start(agreement=agreement, actor=request.user, **serializer.validated_data)
        return Response(AgreementOutputSerializer(
            selectors.agreement_get_for_user(user=request.user, agreement_id=agreement_id)).data,
            status=status.HTTP_201_CREATED)


# --- session log ------------------------------------------------------------------------------------------


class CoachingSessionOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = CoachingSession
        fields = ["id", "agreement", "held_on", "duration_minutes", "topics", "created_at"]


class CoachingSessionCoachOutputSerializer(serializers.ModelSerializer):
    """The coach's own view: with their private notes."""

    class Meta:
        model = CoachingSession
        fields = [*CoachingSessionOutputSerializer.Meta.fields, "private_notes"]


class CoachingSessionInputSerializer(serializers.Serializer):
    held_on = serializers.DateField()
    duration_minutes = serializers.IntegerField(min_value=5, max_value=480)
    topics = serializers.ListField(child=serializers.CharField(max_length=100), required=False, max_length=20)
    private_notes = serializers.CharField(max_length=10000, required=False, allow_blank=True,
                                          help_text="Readable only by you, the coach: never by staff or the agency.")


class AgreementSessionListCreateApi(generics.GenericAPIView):
    serializer_class = CoachingSessionOutputSerializer
    permission_classes = [IsAuthenticated]

    def get_queryset(self):  # pragma: no cover - the views build their querysets from the agreement
        return CoachingSession.objects.none()

    @extend_schema(responses=CoachingSessionOutputSerializer(many=True), tags=TAGS,
                   description="The agreement's coach also receives `private_notes`; nobody else ever does.")
    def get(self, request, agreement_id: int):
        agreement = selectors.agreement_get_for_user(user=request.user, agreement_id=agreement_id)
        output = (CoachingSessionCoachOutputSerializer if agreement.coach.user_id == request.user.pk
                  else CoachingSessionOutputSerializer)
        page = self.paginate_queryset(selectors.coaching_sessions_of(agreement=agreement))
        return self.get_paginated_response(output(page, many=True).data)

    @extend_schema(request=CoachingSessionInputSerializer, responses={201: CoachingSessionCoachOutputSerializer},
                   tags=TAGS)
    def post(self, request, agreement_id: int):
        agreement = selectors.agreement_get_for_user(user=request.user, agreement_id=agreement_id)
        serializer = CoachingSessionInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        session = services.coaching_session_record(agreement=agreement, actor=request.user,
                                                   **serializer.validated_data)
        return Response(CoachingSessionCoachOutputSerializer(session).data, status=status.HTTP_201_CREATED)

