"""Requirement documents (issue #12, finding 5): an allow-list of types checked by content, random stored names,
replaced files deleted, and downloads only through the authenticated endpoint, as attachments with nosniff."""

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from certification import services
from certification.models import RequirementKind, RequirementState, RequirementStatus
from core.models import AuditEvent
from tests.upload_samples import ALLOWED_DOCUMENTS, PDF, REFUSED_FILES

pytestmark = pytest.mark.django_db
BASE = "/api/v1/certification/requirement-statuses"


@pytest.fixture
def line(agency_a, programme, staff_user):
    certification = services.agency_certification_apply(actor=staff_user, agency=agency_a, programme=programme)
    return certification.requirements.filter(requirement__kind=RequirementKind.DOCUMENT).order_by("id").first()


def upload(client, line, name, content, content_type="application/octet-stream"):
    return client.post(f"{BASE}/{line.pk}/document/", {"file": SimpleUploadedFile(name, content, content_type)},
                       format="multipart")


def body_of(response) -> bytes:
    return b"".join(response.streaming_content)


@pytest.mark.parametrize("case", sorted(REFUSED_FILES))
def test_html_svg_and_other_disguised_documents_are_refused_and_nothing_is_stored(admin_a_client, line, case):
    name, content, content_type = REFUSED_FILES[case]
    response = upload(admin_a_client, line, name, content, content_type)
    assert response.status_code == 400, response.json()
    assert response.json()["code"] == "unsupported_file_type" and "file" in response.json()["fields"]
    line.refresh_from_db()
    assert line.state == RequirementState.PENDING and not line.document and not line.document_name
    assert not AuditEvent.objects.filter(action="requirement_status.document_uploaded").exists()


@pytest.mark.parametrize("name", sorted(ALLOWED_DOCUMENTS))
def test_each_allowed_type_is_accepted_stored_under_a_random_name_and_downloaded_as_itself(
        admin_a_client, staff_client, line, name):
    content, content_type = ALLOWED_DOCUMENTS[name]
    response = upload(admin_a_client, line, name, content)
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["state"], body["document_name"], body["document_content_type"]) == ("submitted", name,
                                                                                      content_type)
    line.refresh_from_db()
    stored = line.document.name
    extension = name.rsplit(".", 1)[1].replace("jpeg", "jpg")
    assert stored.startswith("certification/requirements/") and stored.endswith(f".{extension}")
    assert name.rsplit(".", 1)[0] not in stored  # never the client's name in the path
    download = staff_client.get(body["document_url"])
    assert download.status_code == 200
    assert body_of(download) == content
    assert download["Content-Type"] == content_type
    assert download["Content-Disposition"] == f'attachment; filename="{name}"'
    assert download["X-Content-Type-Options"] == "nosniff"


def test_replaced_document_is_deleted_from_storage_when_the_change_commits(
        admin_a_client, line, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        assert upload(admin_a_client, line, "draft.pdf", PDF).status_code == 200
    line.refresh_from_db()
    first = line.document.name
    assert default_storage.exists(first)
    with django_capture_on_commit_callbacks(execute=True):
        assert upload(admin_a_client, line, "final.docx", ALLOWED_DOCUMENTS["policy.docx"][0]).status_code == 200
    line.refresh_from_db()
    assert line.document.name != first and default_storage.exists(line.document.name)
    assert not default_storage.exists(first)


def test_a_refused_replacement_keeps_the_current_document(admin_a_client, line, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        assert upload(admin_a_client, line, "manual.pdf", PDF).status_code == 200
    line.refresh_from_db()
    current = line.document.name
    with django_capture_on_commit_callbacks(execute=True):
        assert upload(admin_a_client, line, "manual.pdf", REFUSED_FILES["html named .pdf"][1]).status_code == 400
    line.refresh_from_db()
    assert line.document.name == current and default_storage.exists(current)


def test_a_document_whose_change_fails_leaves_no_file_behind(admin_a, line, monkeypatch):
    before = set(default_storage.listdir("certification/requirements")[1]) \
        if default_storage.exists("certification/requirements") else set()

    def fail(**kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr("certification.services.agency_certifications.audit_record", fail)
    with pytest.raises(RuntimeError):
        services.requirement_document_upload(actor=admin_a, status=line, name="manual.pdf", content=PDF)
    assert set(default_storage.listdir("certification/requirements")[1]) == before
    assert not RequirementStatus.objects.get(pk=line.pk).document


def test_only_staff_and_the_owning_agency_download_and_another_agency_gets_the_missing_row_404(
        admin_a_client, admin_b_client, staff_client, instructor_client, anon_client, line):
    url = upload(admin_a_client, line, "manual.pdf", PDF).json()["document_url"]
    assert staff_client.get(url).status_code == 200
    assert admin_a_client.get(url).status_code == 200
    foreign = admin_b_client.get(url)
    missing = admin_b_client.get(f"{BASE}/999999999/document/download/")
    assert foreign.status_code == missing.status_code == 404 and foreign.json() == missing.json()
    assert instructor_client.get(url).status_code == 403
    assert anon_client.get(url).status_code == 401


def test_a_line_without_a_document_is_a_404(staff_client, line):
    response = staff_client.get(f"{BASE}/{line.pk}/document/download/")
    assert response.status_code == 404 and response.json()["code"] == "not_found"


@pytest.mark.parametrize("accept", ["application/pdf", "*/*", "application/json", "application/pdf, */*;q=0.8"])
def test_download_answers_200_for_its_own_content_type_and_any_accept(admin_a_client, staff_client, line, accept):
    url = upload(admin_a_client, line, "manual.pdf", PDF).json()["document_url"]
    response = staff_client.get(url, HTTP_ACCEPT=accept)
    assert response.status_code == 200 and body_of(response) == PDF


def test_errors_of_the_download_stay_json_whatever_the_accept(admin_b_client, line):
    response = admin_b_client.get(f"{BASE}/{line.pk}/document/download/", HTTP_ACCEPT="application/pdf")
    assert response.status_code == 404 and response.json()["code"] == "not_found"


def test_media_files_are_not_served_by_any_public_url(admin_a_client, staff_client, anon_client, line, client):
    upload(admin_a_client, line, "manual.pdf", PDF)
    line.refresh_from_db()
    stored = line.document.name
    for path in (f"/media/{stored}", f"/{stored}", f"/static/{stored}", f"/api/v1/media/{stored}"):
        for who in (anon_client, staff_client, client):
            response = who.get(path)
            assert response.status_code == 404, path
            content = b"".join(response.streaming_content) if response.streaming else response.content
            assert PDF not in content
