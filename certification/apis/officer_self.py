"""An officer's own certification standing (issue #18, read side): status and history, and CE credits per cycle and
per state with what is still needed. Officer accounts only (403 for every other role)."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from core.permissions import IsOfficer
from core.serializers import StrictBooleanField, StrictCharField, StrictIntegerField, StrictSerializer

from ..selectors.officer_self import officer_own_standing

TAGS = ["me"]
HOURS = {"max_digits": 7, "decimal_places": 2}


class OwnCreditWindowSerializer(StrictSerializer):
    label = StrictCharField(help_text="cycle: the hours that qualified a past cycle; renewal: the current cycle's "
                                      "hours towards renewal; certification: the last twelve months towards a grant.")
    start = serializers.DateField()
    end = serializers.DateField()
    hours = serializers.DecimalField(**HOURS)
    hours_by_state = serializers.DictField(child=serializers.DecimalField(**HOURS),
                                           help_text="Hours each state accepts, from its accreditation mapping.")
    required_hours = serializers.DecimalField(**HOURS)
    still_needed = serializers.DecimalField(**HOURS)


class OwnCycleSerializer(StrictSerializer):
    cycle_start = serializers.DateField()
    cycle_end = serializers.DateField()
    granted_at = serializers.DateTimeField()
    qualifying_hours = serializers.DecimalField(**HOURS)
    credits = OwnCreditWindowSerializer()


class OwnCreditsSerializer(StrictSerializer):
    officer = StrictIntegerField(source="officer.pk")
    certification_status = StrictCharField(source="status", allow_null=True,
                                           help_text="active, lapsed, revoked, or null if never certified.")
    blocked_by = serializers.ListField(child=StrictCharField(), help_text="Why no CE hours can certify the officer "
                                       "(permanently_ineligible, sustained_finding, revoked); empty otherwise.")
    current = OwnCreditWindowSerializer(allow_null=True, help_text="What counts now and what is still needed.")
    cycles = OwnCycleSerializer(many=True, help_text="Past cycles, newest first, with their credits per state.")


class OwnCertificationSerializer(StrictSerializer):
    officer = StrictIntegerField(source="officer.pk")
    status = StrictCharField(allow_null=True, help_text="active, lapsed, revoked, or null if never certified.")
    cycle_start = serializers.DateField(source="certification.cycle_start", allow_null=True, default=None)
    valid_until = serializers.DateField(source="certification.valid_until", allow_null=True, default=None)
    granted_at = serializers.DateTimeField(source="certification.granted_at", allow_null=True, default=None)
    renewed_at = serializers.DateTimeField(source="certification.renewed_at", allow_null=True, default=None)
    lapsed_at = serializers.DateTimeField(source="certification.lapsed_at", allow_null=True, default=None)
    revoked_at = serializers.DateTimeField(source="certification.revoked_at", allow_null=True, default=None)
    revocation_category = StrictCharField(source="certification.revocation_category", allow_null=True,
                                          default=None)
    permanently_ineligible = StrictBooleanField()
    history = OwnCycleSerializer(many=True, source="cycles")


class OfficerOwnCreditsApi(APIView):
    permission_classes = [IsOfficer]

    @extend_schema(summary="My CE credits and what is still needed", tags=TAGS, responses=OwnCreditsSerializer,
                   description="The signed-in officer's CE hours per certification cycle and per state, and for "
                               "the window that counts now (the current cycle, or the last twelve months if not "
                               "certified) the hours still needed for the Good Officer Certification.")
    def get(self, request):
        return Response(OwnCreditsSerializer(officer_own_standing(user=request.user)).data)


class OfficerOwnCertificationApi(APIView):
    permission_classes = [IsOfficer]

    @extend_schema(summary="My Good Officer Certification", tags=TAGS, responses=OwnCertificationSerializer,
                   description="The signed-in officer's certification status (a cycle past its end reads lapsed), "
                               "its dates, a revocation's date and category, and every cycle granted.")
    def get(self, request):
        return Response(OwnCertificationSerializer(officer_own_standing(user=request.user)).data)
