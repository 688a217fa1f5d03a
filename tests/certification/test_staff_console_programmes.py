"""The staff console's programme screens: a programme and its checklist items are created and edited through the
programme services (ledger entries), including the courses a trained-share item counts; refusals are messages."""

import pytest

from certification.models import CertificationProgramme, ProgrammeRequirement
from core.models import AuditEvent
from tests.support.builders import peace_officer_course

pytestmark = pytest.mark.django_db


@pytest.fixture
def console(client, staff_user):
    client.force_login(staff_user)
    return client


def test_a_programme_and_its_checklist_are_built_through_the_services(console):
    response = console.post("/admin/certification/certificationprogramme/add/", {
        "code": "peace-officer-county", "name": "Peace Officer County Certification", "description": ""})
    assert response.status_code == 302
    programme = CertificationProgramme.objects.get(code="peace-officer-county")
    assert AuditEvent.objects.filter(action="certification_programme.created", target_id=str(programme.pk)).exists()

    course = peace_officer_course()
    add = "/admin/certification/programmerequirement/add/"
    assert console.get(add).status_code == 200
    assert console.post(add, {"programme": programme.pk, "code": "trained_share", "title": "Officers trained",
                              "description": "", "kind": "computed", "computed_rule": "trained_share",
                              "position": 1, "is_active": "on", "courses": [course.pk]}).status_code == 302
    item = ProgrammeRequirement.objects.get(programme=programme, code="trained_share")
    assert list(item.courses.all()) == [course]
    assert AuditEvent.objects.filter(action="programme_requirement.created", target_id=str(item.pk)).exists()

    # A trained-share item without a course is refused by the service; nothing is written.
    refused = console.post(add, {"programme": programme.pk, "code": "share_2", "title": "Trained again",
                                 "kind": "computed", "computed_rule": "trained_share", "position": 2,
                                 "is_active": "on"}, follow=True).content.decode()
    assert "Not saved" in refused and "names at least one course" in refused
    assert not ProgrammeRequirement.objects.filter(code="share_2").exists()

    console.post(f"/admin/certification/programmerequirement/{item.pk}/change/", {
        "title": "Sworn officers trained in Peace Officer practice", "description": "", "position": 1,
        "is_active": "on", "courses": [course.pk]})
    item.refresh_from_db()
    assert item.title.startswith("Sworn officers") and item.code == "trained_share"
    assert AuditEvent.objects.filter(action="programme_requirement.updated", target_id=str(item.pk)).exists()
    page = console.get(f"/admin/certification/certificationprogramme/{programme.pk}/change/").content.decode()
    assert "Sworn officers trained in Peace Officer practice" in page
