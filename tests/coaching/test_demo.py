import io

import pytest

from coaching.models import Agreement, AgreementStatus, CoachProfile, NeedsAssessment
from demo.data.agencies import demo_data_load as agencies_demo_data_load
from demo.data.coaching import DEMO_COACHES, DEMO_LEADERS, demo_data_load
from demo.walk import Walk
from demo.walk import coaching as demo

pytestmark = pytest.mark.django_db


def test_demo_data_is_idempotent():
    agencies_demo_data_load()
    first = demo_data_load()
    assert first["coach_profiles"] == len(DEMO_COACHES) and first["needs_assessments"] == len(DEMO_LEADERS)
    assert demo_data_load() == {"coach_users": 0, "coach_profiles": 0, "coachees": 0, "needs_assessments": 0}
    assert CoachProfile.objects.get(user__username="coach").former_agency.name == "Riverside Police Department"


def test_demo_walk_matches_confirms_and_completes_twice():
    agencies_demo_data_load()
    demo_data_load()
    for run in (1, 2):
        out = io.StringIO()
        demo.run(Walk(out))
        text = out.getvalue()
        assert "POST /api/v1/coaching/cohort-matches/ as staff -> 200" in text
        assert "needs_expertise" in text and "-> 201" in text and "status: active" in text
        assert "Worried about the union" not in text  # the sponsor never sees the coach's notes
        assert Agreement.objects.filter(status=AgreementStatus.COMPLETED).count() == run
    assert NeedsAssessment.objects.filter(status="matched").count() == 2
