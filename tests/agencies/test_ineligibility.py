"""Permanent ineligibility: set once by a verified finding, never cleared (on PostgreSQL not even by raw SQL)."""

import pytest
from django.db import connection, transaction

from agencies.services import officer_mark_permanently_ineligible
from core.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_marking_is_idempotent_and_audited_once(officer_a, staff_user):
    officer_mark_permanently_ineligible(officer=officer_a, actor=staff_user, reason="finding 7 verified")
    first_mark = officer_a.permanently_ineligible_at
    officer_mark_permanently_ineligible(officer=officer_a, actor=staff_user, reason="again")
    assert officer_a.permanently_ineligible_at == first_mark
    assert officer_a.ineligibility_reason == "finding 7 verified"
    assert AuditEvent.objects.filter(action="officer.permanently_ineligible").count() == 1


@pytest.mark.postgres
@pytest.mark.parametrize("statement", [
    "UPDATE agencies_officer SET permanently_ineligible_at = NULL WHERE id = %s",
    "UPDATE agencies_officer SET permanently_ineligible_at = now() + interval '1 day' WHERE id = %s",
])
def test_raw_sql_cannot_clear_permanent_ineligibility(officer_a, staff_user, statement):
    officer_mark_permanently_ineligible(officer=officer_a, actor=staff_user, reason="finding verified")
    with pytest.raises(Exception, match="permanently ineligible"), transaction.atomic(), connection.cursor() as cur:
        cur.execute(statement, [officer_a.pk])
    officer_a.refresh_from_db()
    assert officer_a.permanently_ineligible_at is not None


@pytest.mark.postgres
def test_other_officer_fields_remain_editable_after_ineligibility(officer_a, staff_user):
    officer_mark_permanently_ineligible(officer=officer_a, actor=staff_user, reason="finding verified")
    with connection.cursor() as cursor:
        cursor.execute("UPDATE agencies_officer SET rank = 'Retired' WHERE id = %s", [officer_a.pk])
    officer_a.refresh_from_db()
    assert officer_a.rank == "Retired"
