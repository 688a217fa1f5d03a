"""The staff console (Django admin) as the certification-staff role, not a superuser: each certification action
calls its service (ledger entry written, refusal shown as a message, nothing half-written), and the needs-action
filters list exactly the rows that need action, with a query count that does not grow with the page."""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from certification import services
from certification.models import (
    AgencyCertification,
    Finding,
    FindingSource,
    FindingStatus,
    OfficerCertification,
    Plaque,
    RequirementKind,
    RequirementStatus,
)
from core.models import AuditEvent
from tests.factories import AgencyFactory, OfficerFactory
from tests.support.builders import agency_certification_ready, certified_agency, credits_record

pytestmark = pytest.mark.django_db

CERTS = "/admin/certification/agencycertification/"
PLAQUES = "/admin/certification/plaque/"
FINDINGS = "/admin/certification/finding/"
OFFICER_CERTS = "/admin/certification/officercertification/"


@pytest.fixture
def console(client, staff_user):
    assert not staff_user.is_superuser
    client.force_login(staff_user)
    return client


def act(client, url, action, rows, **data):
    """Run a changelist action on `rows` (with the intermediate form's answers when given), following redirects."""
    payload = {"action": action, "_selected_action": [r.pk for r in rows], **data}
    if data:
        payload["apply"] = "yes"
    response = client.post(url, payload, follow=True)
    assert response.status_code == 200
    return response.content.decode()


def audited(action, obj) -> bool:
    return AuditEvent.objects.filter(action=action, target_id=str(obj.pk)).exists()


# --- agency certification: apply, checklist, issue, revoke ----------------------------------------------------

def test_adding_a_certification_applies_through_the_service_and_starts_the_checklist(console, agency_a, programme):
    page = console.get(f"{CERTS}add/")
    assert page.status_code == 200
    response = console.post(f"{CERTS}add/", {"agency": agency_a.pk, "programme": programme.pk}, follow=True)
    certification = AgencyCertification.objects.get(agency=agency_a)
    assert response.status_code == 200 and certification.requirements.count() > 0
    assert audited("agency_certification.applied", certification)
    again = console.post(f"{CERTS}add/", {"agency": agency_a.pk, "programme": programme.pk}, follow=True)
    assert "already has an application in progress" in again.content.decode()
    assert AgencyCertification.objects.filter(agency=agency_a).count() == 1


def checklist_post(console, certification, decisions: dict) -> str:
    """Post the change page with a state and note per checklist line id (others left as they are)."""
    lines = list(certification.requirements.order_by("requirement__position", "requirement_id"))
    data = {"requirements-TOTAL_FORMS": len(lines), "requirements-INITIAL_FORMS": len(lines),
            "requirements-MIN_NUM_FORMS": 0, "requirements-MAX_NUM_FORMS": 1000, "_save": "Save"}
    for i, line in enumerate(lines):
        state, note = decisions.get(line.pk, (line.state, line.note))
        data.update({f"requirements-{i}-id": line.pk, f"requirements-{i}-certification": certification.pk,
                     f"requirements-{i}-state": state, f"requirements-{i}-note": note})
    response = console.post(f"{CERTS}{certification.pk}/change/", data, follow=True)
    assert response.status_code == 200
    return response.content.decode()


def test_checklist_lines_are_marked_and_rejected_through_the_service(console, agency_a, programme, staff_user):
    certification = services.agency_certification_apply(actor=staff_user, agency=agency_a, programme=programme)
    hand = certification.requirements.exclude(requirement__kind=RequirementKind.COMPUTED).order_by("id")
    first, second = hand[0], hand[1]
    checklist_post(console, certification, {first.pk: ("met", ""), second.pk: ("rejected", "Policy is unsigned")})
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.state, second.state) == ("met", "rejected")
    assert second.rejections[0]["note"] == "Policy is unsigned" and second.updated_by == staff_user
    assert audited("requirement_status.met", first) and audited("requirement_status.rejected", second)


def test_one_refused_checklist_line_keeps_every_line_unchanged(console, agency_a, programme, staff_user):
    certification = services.agency_certification_apply(actor=staff_user, agency=agency_a, programme=programme)
    first, second = certification.requirements.exclude(requirement__kind=RequirementKind.COMPUTED).order_by("id")[:2]
    # A rejection without a note is refused by the service: the other line's "met" must not be kept either.
    html = checklist_post(console, certification, {first.pk: ("met", ""), second.pk: ("rejected", "")})
    assert "Not saved" in html and "A rejection needs a note" in html
    assert set(RequirementStatus.objects.filter(pk__in=[first.pk, second.pk]).values_list("state", flat=True)) == {
        "pending"}
    assert not AuditEvent.objects.filter(action__startswith="requirement_status.").exists()


def test_submit_and_issue_actions_order_the_plaque_and_refuse_unmet_requirements(console, agency_a, agency_b,
                                                                                 programme, staff_user):
    ready = agency_certification_ready(agency_a, programme, staff_user)
    unmet = services.agency_certification_apply(actor=staff_user, agency=agency_b, programme=programme)
    html = act(console, CERTS, "submit_selected", [unmet])
    assert "1 sent to review" in html
    html = act(console, CERTS, "issue_selected", [ready, unmet])
    assert "1 issued" in html and "Not every requirement is met" in html
    ready.refresh_from_db()
    assert ready.status == "issued" and Plaque.objects.get(certification=ready).status == "ordered"
    assert audited("agency_certification.issued", ready)
    assert AgencyCertification.objects.get(pk=unmet.pk).status == "under_review"


def test_revoke_asks_for_a_reason_then_revokes_with_it(console, agency_a, programme, staff_user):
    certification = certified_agency(agency_a, programme, staff_user)
    form = act(console, CERTS, "revoke_selected", [certification])
    assert 'name="reason"' in form and AgencyCertification.objects.get(pk=certification.pk).status == "issued"
    html = act(console, CERTS, "revoke_selected", [certification], reason="Chief resigned after the audit")
    certification.refresh_from_db()
    assert "1 revoked" in html and certification.status == "revoked"
    assert certification.revocation_reason == "Chief resigned after the audit"
    assert audited("agency_certification.revoked", certification)


# --- plaques: every step -----------------------------------------------------------------------------------------

def test_a_plaque_moves_printed_shipped_with_tracking_and_delivered(console, agency_a, programme, staff_user):
    plaque = certified_agency(agency_a, programme, staff_user).plaque
    assert "1 marked printed" in act(console, PLAQUES, "mark_printed", [plaque])
    form = act(console, PLAQUES, "mark_shipped", [plaque], carrier="", tracking_number="")
    assert "This field is required" in form and Plaque.objects.get(pk=plaque.pk).status == "printed"
    html = act(console, PLAQUES, "mark_shipped", [plaque], carrier="UPS", tracking_number="1Z999AA10123456784")
    plaque.refresh_from_db()
    assert "1 marked shipped" in html and plaque.status == "shipped"
    assert (plaque.carrier, plaque.tracking_number) == ("UPS", "1Z999AA10123456784")
    assert "1 marked delivered" in act(console, PLAQUES, "mark_delivered", [plaque])
    plaque.refresh_from_db()
    assert plaque.status == "delivered" and plaque.days_taken is not None
    for verb in ("printed", "shipped", "delivered"):
        assert audited(f"plaque.{verb}", plaque), verb


def test_an_out_of_order_plaque_step_is_a_message_not_an_error(console, agency_a, programme, staff_user):
    plaque = certified_agency(agency_a, programme, staff_user).plaque
    html = act(console, PLAQUES, "mark_delivered", [plaque])
    assert "ordered" in html and "delivered" in html and "errornote" not in html
    assert Plaque.objects.get(pk=plaque.pk).status == "ordered"


def test_overdue_filter_lists_undelivered_plaques_past_their_due_date(console, agency_a, agency_b, programme,
                                                                      staff_user):
    late = certified_agency(agency_a, programme, staff_user).plaque
    on_time = certified_agency(agency_b, programme, staff_user).plaque
    Plaque.objects.filter(pk=late.pk).update(due_on=timezone.localdate() - timedelta(days=1))
    html = console.get(PLAQUES, {"overdue": "yes"}).content.decode()
    assert agency_a.name in html and agency_b.name not in html
    assert on_time.pk not in [p.pk for p in console.get(PLAQUES, {"overdue": "yes"}).context["cl"].result_list]


# --- agency certifications expiring within 90/30/7 days ---------------------------------------------------------

@pytest.mark.parametrize(("window", "listed"), [("90", {"A", "B", "C"}), ("30", {"B", "C"}), ("7", {"C"})])
def test_expiring_filter_lists_certificates_ending_within_the_window(console, programme, staff_user, window, listed):
    today = timezone.localdate()
    ends = {"A": 60, "B": 20, "C": 5, "D": 200}
    for label, days in ends.items():
        certification = certified_agency(AgencyFactory(name=f"Agency {label} PD"), programme, staff_user)
        AgencyCertification.objects.filter(pk=certification.pk).update(valid_until=today + timedelta(days=days))
    rows = console.get(CERTS, {"expiring_within": window}).context["cl"].result_list
    assert {c.agency.name.split()[1] for c in rows} == listed


# --- findings: record, notice, determine, verify -------------------------------------------------------------

def test_the_officer_autocomplete_answers_staff_on_the_finding_form(console, officer_a):
    response = console.get("/admin/autocomplete/", {"app_label": "certification", "model_name": "finding",
                                                    "field_name": "officer", "term": officer_a.last_name})
    assert response.status_code == 200
    assert [r["id"] for r in response.json()["results"]] == [str(officer_a.pk)]


def test_a_finding_is_noticed_determined_and_verified_by_a_second_staff_member(
        console, client, staff_user, staff2, officer_a, django_capture_on_commit_callbacks):
    finding = services.finding_record(actor=staff_user, officer=officer_a, incident_date=date(2025, 4, 1),
                                      summary="Excessive force at a traffic stop", source=FindingSource.COMPLAINT)
    assert "1 noticed" in act(console, FINDINGS, "notice_selected", [finding])
    finding.refresh_from_db()
    early = act(console, FINDINGS, "determine_selected", [finding], determination="sustained",
                reason="Body-camera footage shows strikes after restraint")
    assert "may respond until" in early and Finding.objects.get(pk=finding.pk).status == FindingStatus.NOTICED
    Finding.objects.filter(pk=finding.pk).update(response_due_on=timezone.localdate() - timedelta(days=1))
    html = act(console, FINDINGS, "determine_selected", [finding], determination="sustained",
               reason="Body-camera footage shows strikes after restraint")
    finding.refresh_from_db()
    assert "1 determined" in html and finding.determined_by == staff_user and finding.determination == "sustained"
    refused = act(console, FINDINGS, "verify_selected", [finding])
    assert "verified by a second staff member" in refused
    assert Finding.objects.get(pk=finding.pk).status == FindingStatus.DETERMINED
    client.force_login(staff2)
    with django_capture_on_commit_callbacks(execute=True):
        assert "1 verified" in act(client, FINDINGS, "verify_selected", [finding])
    finding.refresh_from_db()
    officer_a.refresh_from_db()
    assert finding.verified_by == staff2 and officer_a.permanently_ineligible_at is not None
    for verb in ("noticed", "determined", "verified"):
        assert audited(f"finding.{verb}", finding), verb


def test_past_response_date_filter_lists_noticed_findings_whose_window_closed(console, staff_user, officer_a,
                                                                              officer_b):
    findings = []
    for officer in (officer_a, officer_b):
        finding = services.finding_record(actor=staff_user, officer=officer, incident_date=date(2025, 4, 1),
                                          summary="Use of force", source=FindingSource.COMPLAINT)
        findings.append(services.finding_notice(actor=staff_user, finding=finding))
    Finding.objects.filter(pk=findings[0].pk).update(response_due_on=timezone.localdate() - timedelta(days=2))
    rows = console.get(FINDINGS, {"past_response_date": "yes"}).context["cl"].result_list
    assert [f.pk for f in rows] == [findings[0].pk]


# --- officer certifications short of CE hours --------------------------------------------------------------------

def test_short_of_ce_hours_filter_lists_active_holders_below_the_cycle_requirement(console, staff_user, agency_a,
                                                                                   settings):
    settings.OFFICER_CE_HOURS_PER_CYCLE = 8
    short, enough = OfficerFactory(agency=agency_a), OfficerFactory(agency=agency_a)
    credits_record([short, enough], on=timezone.localdate() - timedelta(days=1), hours="8")
    certifications = [services.officer_certification_grant(actor=staff_user, officer=o) for o in (short, enough)]
    # In the new cycle (starting today) only `enough` has earned hours so far.
    credits_record([enough], on=timezone.localdate(), hours="8")
    rows = console.get(OFFICER_CERTS, {"short_of_ce_hours": "yes"}).context["cl"].result_list
    assert [c.pk for c in rows] == [certifications[0].pk]
    hours = [c.cycle_ce_hours for c in console.get(OFFICER_CERTS).context["cl"].result_list]
    assert sorted(hours) == [0, 8]


def test_console_lists_keep_their_query_count_as_rows_grow(console, staff_user, programme):
    def queries(url):
        with CaptureQueriesContext(connection) as captured:
            assert console.get(url).status_code == 200
        return len(captured)

    def grow():
        officer = OfficerFactory(agency=AgencyFactory())
        credits_record([officer], on=timezone.localdate(), hours="8")
        services.officer_certification_grant(actor=staff_user, officer=officer)
        certification = certified_agency(officer.agency, programme, staff_user)
        services.finding_record(actor=staff_user, officer=officer, agency=officer.agency,
                                incident_date=date(2025, 1, 2), summary="x", source=FindingSource.COMPLAINT)
        return certification

    urls = (CERTS, PLAQUES, FINDINGS, OFFICER_CERTS, f"{OFFICER_CERTS}?short_of_ce_hours=yes",
            f"{PLAQUES}?overdue=yes", f"{CERTS}?expiring_within=90")
    grow()
    before = {url: queries(url) for url in urls}
    for _ in range(4):
        grow()
    assert {url: queries(url) for url in urls} == before
    assert OfficerCertification.objects.count() == 5
