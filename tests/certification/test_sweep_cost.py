"""What the daily lapse sweep costs the database per row (issue #16: a 1M-row sweep under 5 s, one UPDATE).

The guard trigger's rules are pinned in test_officer_certification.py; these tests pin that the sweep pays for
none of it: the guard function is not entered for a row that lapses, and a lapsed row leaves the sweep's index
instead of taking new entries in it."""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from agencies.models import Officer
from certification.models import OfficerCertification, OfficerCertificationStatus
from certification.services import officer_certifications_lapse_due
from tests.factories import AgencyFactory, OfficerFactory

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def _ended_certifications(count: int) -> None:
    agency = AgencyFactory()
    today = timezone.localdate()
    officers = Officer.objects.bulk_create(
        Officer(agency=agency, first_name="Ended", last_name=f"Cycle{i}", state="CA", license_number=f"END-{i}")
        for i in range(count))
    OfficerCertification.objects.bulk_create(
        OfficerCertification(officer=o, status=OfficerCertificationStatus.ACTIVE, cycle_start=today - timedelta(400),
                             valid_until=today - timedelta(35), granted_at=timezone.now()) for o in officers)


def _guard_calls_in_this_transaction(cursor) -> int:
    cursor.execute("SELECT coalesce(pg_stat_get_xact_function_calls(p.oid), 0) FROM pg_proc p "
                   "WHERE p.proname = 'certification_officer_certification_guard'")
    return cursor.fetchone()[0]


def test_the_lapse_sweep_never_enters_the_guard_trigger():
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL track_functions = 'pl'")  # counts PL/pgSQL calls in this (test) transaction
        _ended_certifications(30)
        inserts = _guard_calls_in_this_transaction(cursor)
        lapsed = officer_certifications_lapse_due()
        assert len(lapsed) == 30
        assert inserts == 30  # an active row is checked as it is written ...
        assert _guard_calls_in_this_transaction(cursor) == inserts  # ... a lapse is not


def test_a_lapsing_row_takes_no_new_entry_in_the_sweep_or_finding_index():
    """Both indexes are partial on what a lapse does not have (status 'active', a revoking finding), so the new row
    version a lapse writes is inserted into the primary key and officer indexes only."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname, indexdef FROM pg_indexes "
                       "WHERE tablename = 'certification_officercertification'")
        definitions = dict(cursor.fetchall())
    assert "WHERE ((status)::text = 'active'::text)" in definitions["officer_cert_active_until_idx"]
    assert "WHERE (revoked_by_finding_id IS NOT NULL)" in definitions["officer_cert_finding_idx"]
    unconditional = sorted(name for name, definition in definitions.items() if " WHERE " not in definition)
    assert unconditional == ["certification_officercertification_officer_id_key",
                             "certification_officercertification_pkey"]


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_lapse_each_certification_exactly_once():
    from core.models import AuditEvent
    from tests.support.races import run_together

    _ended_certifications(200)
    outcomes = run_together(2, lambda _: officer_certifications_lapse_due())
    assert outcomes.errors == []
    first, second = outcomes.results
    assert sorted(first + second) == sorted(OfficerCertification.objects.values_list("pk", flat=True))
    assert not set(first) & set(second)
    entries = AuditEvent.objects.filter(action="officer_certification.lapsed")
    assert sorted(i for e in entries for i in e.data["ids"]) == sorted(first + second)


def test_a_sweep_filtering_across_a_join_is_refused_rather_than_run_unsafely():
    from certification.services.officer_certifications import OFFICER_CERTIFICATION_LIFECYCLE

    with pytest.raises(ValueError, match="own columns"):
        OFFICER_CERTIFICATION_LIFECYCLE.bulk_transition(
            queryset=OfficerCertification.objects.filter(officer__state="CA"), from_status="active", to="lapsed",
            actor="test", fields={})


def test_the_guard_behind_its_when_clauses_still_refuses_moving_a_revoked_certification():
    """The UPDATE trigger's WHEN (`NEW.status = 'active' OR OLD.status = 'revoked'`) must still let the guard see a
    revoked row handed to another officer (which would free the first officer's one-certification slot)."""
    from django.db import transaction
    from django.db.utils import IntegrityError

    from certification.models import RevocationCategory

    first, second = OfficerFactory(), OfficerFactory()
    revoked = OfficerCertification.objects.create(
        officer=first, status=OfficerCertificationStatus.REVOKED, cycle_start=timezone.localdate() - timedelta(400),
        valid_until=timezone.localdate() - timedelta(35), granted_at=timezone.now(), revoked_at=timezone.now(),
        revocation_category=RevocationCategory.SUSTAINED_FINDING)
    with pytest.raises(IntegrityError, match="revocation is final"), transaction.atomic(), \
            connection.cursor() as cursor:
        cursor.execute("UPDATE certification_officercertification SET officer_id = %s WHERE id = %s",
                       [second.pk, revoked.pk])
    revoked.refresh_from_db()
    assert revoked.officer_id == first.pk
