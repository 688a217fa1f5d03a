"""Certification lists and details over HTTP: the number of queries does not grow with the rows."""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from certification import services
from certification.models import FindingSource
from tests.factories import AgencyFactory, OfficerFactory
from tests.support.builders import certified_agency, credits_record

pytestmark = pytest.mark.django_db
BASE = "/api/v1/certification"


def _count(client, path):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path)
        assert response.status_code == 200, response.content
    return len(ctx.captured_queries)


def _make_rows(kind, n, staff, programme):
    for _ in range(n):
        agency = AgencyFactory(sworn_headcount=1)
        officer = OfficerFactory(agency=agency)
        if kind in ("agency-certifications", "plaques", "ledger"):
            certified_agency(agency, programme, staff)
        elif kind == "officer-certifications":
            credits_record([officer], on=timezone.localdate() - timedelta(days=1))
            services.officer_certification_grant(actor=staff, officer=officer)
        elif kind == "findings":
            services.finding_record(actor=staff, officer=officer, incident_date=date(2025, 1, 1), summary="x",
                                    source=FindingSource.OTHER)


@pytest.mark.parametrize("kind", ["agency-certifications", "plaques", "officer-certifications", "findings",
                                  "ledger", "programmes"])
def test_list_query_count_does_not_grow_with_length(staff_client, staff_user, programme, kind):
    path = f"{BASE}/{kind}/?page_size=100"
    _make_rows(kind, 1, staff_user, programme)
    one = _count(staff_client, path)
    _make_rows(kind, 25, staff_user, programme)
    if kind == "programmes":
        from certification.services import certification_programme_create

        for i in range(25):
            certification_programme_create(actor=staff_user, code=f"p{i}", name=f"P{i}")
    assert _count(staff_client, path) == one


def test_agency_certification_detail_query_count_does_not_grow_with_the_checklist(staff_client, staff_user,
                                                                                 agency_a, programme):
    from certification.services import programme_requirement_create

    first = services.agency_certification_apply(actor=staff_user, agency=agency_a, programme=programme)
    one = _count(staff_client, f"{BASE}/agency-certifications/{first.pk}/")
    for i in range(20):
        programme_requirement_create(actor=staff_user, programme=programme, code=f"extra{i}", title="x",
                                     kind="staff_verified")
    other = services.agency_certification_apply(actor=staff_user, agency=AgencyFactory(), programme=programme)
    assert _count(staff_client, f"{BASE}/agency-certifications/{other.pk}/") == one
