"""Ranked matches for one needs assessment and the best assignment for a cohort (read-only)."""

import time

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from core.permissions import IsCertificationStaff, IsStaffOrAgencyAdmin
from core.serializers import StrictCharField, StrictIntegerField, StrictQuerySerializer, StrictSerializer

from .. import selectors
from ._common import TAGS


class MatchFactorOutputSerializer(StrictSerializer):
    name = StrictCharField(help_text="needs_expertise, region, experience or language.")
    value = serializers.FloatField(help_text="0 to 1.")
    weight = serializers.FloatField()
    points = serializers.FloatField(help_text="value x weight x 100; the points add up to the score.")


class CoachMatchOutputSerializer(StrictSerializer):
    coach = StrictIntegerField(source="coach_id")
    coach_name = StrictCharField()
    score = serializers.FloatField(help_text="0 to 100.")
    factors = MatchFactorOutputSerializer(many=True)
    matched_areas = serializers.ListField(child=StrictCharField(),
                                          help_text="Needed areas the coach covers, most needed first.")


class MatchesOutputSerializer(StrictSerializer):
    needs_assessment = StrictIntegerField()
    results = CoachMatchOutputSerializer(many=True)


class MatchesQuerySerializer(StrictQuerySerializer):
    limit = StrictIntegerField(min_value=1, max_value=50, default=5, help_text="1 to 50 (default 5)")


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


class CohortMatchInputSerializer(StrictSerializer):
    needs_assessment_ids = serializers.ListField(child=StrictIntegerField(min_value=1), min_length=1,
                                                 max_length=selectors.COHORT_MAX_ASSESSMENTS)


class CohortAssignmentOutputSerializer(CoachMatchOutputSerializer):
    needs_assessment = StrictIntegerField()
    coachee = StrictIntegerField()
    coachee_name = StrictCharField()


class CohortUnmatchedOutputSerializer(StrictSerializer):
    needs_assessment = StrictIntegerField()
    coachee = StrictIntegerField()
    coachee_name = StrictCharField()
    reason = StrictCharField(help_text="no_eligible_coach, capacity_taken or not_open.")
    detail = StrictCharField()
    exclusions = serializers.DictField(child=StrictIntegerField(),
                                       help_text="How many coaches each exclusion rule removed.")


class CohortMatchOutputSerializer(StrictSerializer):
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


