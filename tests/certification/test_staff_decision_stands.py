"""A staff rejection stands: after staff reject a checklist item, the agency's next attestation or document puts it
back into staff review — it is met only when staff mark it met — and every rejection stays visible."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from certification import services
from certification.models import RequirementState, RequirementStatus

pytestmark = pytest.mark.django_db
BASE = "/api/v1/certification"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def line(certification, code) -> RequirementStatus:
    return RequirementStatus.objects.get(certification=certification, requirement__code=code)


@pytest.fixture
def application(agency_a, programme, staff_user):
    return services.agency_certification_apply(actor=staff_user, agency=agency_a, programme=programme)


def test_reattestation_after_a_staff_rejection_goes_back_to_review_not_met(admin_a_client, staff_client,
                                                                           application):
    item = line(application, "commitment")
    first = admin_a_client.post(f"{BASE}/requirement-statuses/{item.pk}/attest/",
                                {"text": "We commit.", "attested_by_name": "Chief Ana Ruiz"}, format="json")
    assert first.json()["state"] == "met"  # a first attestation meets the item, as the programme says
    rejected = staff_client.post(f"{BASE}/requirement-statuses/{item.pk}/mark/",
                                 {"state": "rejected", "note": "Unsigned statement"}, format="json")
    assert rejected.status_code == 200 and rejected.json()["state"] == "rejected"

    again = admin_a_client.post(f"{BASE}/requirement-statuses/{item.pk}/attest/",
                                {"text": "We commit, really.", "attested_by_name": "Chief Ana Ruiz"}, format="json")
    assert again.status_code == 200
    body = again.json()
    assert body["state"] == "submitted"
    assert [r["note"] for r in body["rejections"]] == ["Unsigned statement"]
    assert body["rejections"][0]["by"] == "staff"
    assert line(application, "commitment").state == RequirementState.SUBMITTED

    met = staff_client.post(f"{BASE}/requirement-statuses/{item.pk}/mark/", {"state": "met"}, format="json")
    assert met.json()["state"] == "met" and len(met.json()["rejections"]) == 1


def test_a_new_document_after_a_rejection_waits_for_staff_and_the_history_is_kept(admin_a_client, staff_client,
                                                                                  application):
    item = line(application, "policy_manual")

    def upload():
        return admin_a_client.post(f"{BASE}/requirement-statuses/{item.pk}/document/",
                                   {"file": SimpleUploadedFile("manual.pdf", PDF)}, format="multipart")

    assert upload().json()["state"] == "submitted"
    for note in ("Wrong policy", "Still the wrong policy"):
        staff_client.post(f"{BASE}/requirement-statuses/{item.pk}/mark/", {"state": "rejected", "note": note},
                          format="json")
        resubmitted = upload()
        assert resubmitted.status_code == 200 and resubmitted.json()["state"] == "submitted"
    detail = admin_a_client.get(f"{BASE}/agency-certifications/{application.pk}/").json()
    assert detail["status"] == "applied"
    assert [r["note"] for r in line(application, "policy_manual").rejections] == ["Wrong policy",
                                                                                 "Still the wrong policy"]
