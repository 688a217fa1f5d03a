"""The audit trail: written with each service write, hash-chained, tamper-evident, append-only on PostgreSQL."""

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction

from agencies.services import agency_create
from core.audit import GENESIS_HASH, audit_chain_verify, audit_record
from core.models import AuditEvent
from tests.support.races import run_together


@pytest.mark.django_db
def test_each_entry_links_to_the_previous_one(staff_user):
    first = agency_create(actor=staff_user, name="One", state="CA")
    agency_create(actor=None, name="Two", state="CA")
    events = list(AuditEvent.objects.order_by("sequence"))
    assert [e.sequence for e in events] == [1, 2]
    assert events[0].prev_hash == GENESIS_HASH
    assert events[1].prev_hash == events[0].entry_hash
    assert (events[0].actor_id, events[0].actor_label, events[0].target_id) == (staff_user.pk, "staff", str(first.pk))
    assert events[1].actor_label == "system"
    assert audit_chain_verify().ok


@pytest.mark.django_db
def test_a_failed_write_leaves_no_audit_entry(staff_user):
    with pytest.raises(RuntimeError), transaction.atomic():
        agency_create(actor=staff_user, name="Doomed", state="CA")
        raise RuntimeError("the rest of the business action failed")
    assert not AuditEvent.objects.exists()


@pytest.mark.django_db
def test_verify_command_reports_an_intact_chain(staff_user, capsys):
    audit_record(actor=staff_user, action="test.one", data={"n": 1})
    call_command("verify_audit_chain")
    assert "intact: 1 entries" in capsys.readouterr().out


@pytest.mark.django_db
def test_edited_entry_is_detected_on_sqlite(staff_user):
    if connection.vendor == "postgresql":
        pytest.skip("PostgreSQL refuses the edit itself (see the trigger test)")
    for n in range(3):
        audit_record(actor=staff_user, action="test.event", data={"n": n})
    AuditEvent.objects.filter(sequence=2).update(data={"n": 99})
    result = audit_chain_verify()
    assert (result.ok, result.first_broken_sequence) == (False, 2)
    with pytest.raises(CommandError, match="#2"):
        call_command("verify_audit_chain")


@pytest.mark.postgres
@pytest.mark.django_db
@pytest.mark.parametrize("statement", [
    "UPDATE core_auditevent SET action = 'forged'",
    "DELETE FROM core_auditevent",
    "TRUNCATE core_auditevent",
])
def test_postgres_refuses_update_delete_truncate_of_audit(staff_user, statement):
    audit_record(actor=staff_user, action="test.event")
    with pytest.raises(Exception, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement)
    assert AuditEvent.objects.filter(action="test.event").count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_appends_never_fork_the_chain():
    def append(n):
        audit_record(actor=None, action="test.concurrent", data={"n": n})

    assert run_together(60, append, threads=20).errors == []
    assert AuditEvent.objects.filter(action="test.concurrent").count() == 60
    assert audit_chain_verify().ok
