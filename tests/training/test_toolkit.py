"""Toolkit resources: the upload rules of requirement documents (core.uploads) - an allow-list of types checked by
content, random stored names, deleted files removed, attachment downloads with nosniff; size limit is a 413."""

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from core.models import AuditEvent
from tests.upload_samples import HTML, JPEG, REFUSED_FILES, SVG, ooxml
from training.models import ToolkitResource

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def upload(client, course, name, content, content_type, **extra):
    return client.post(f"/api/v1/training/courses/{course.pk}/resources/", {
        "title": "Roll-call checklist", "resource_kind": "checklist",
        "file": SimpleUploadedFile(name, content, content_type), **extra}, format="multipart")


def test_staff_upload_and_anyone_signed_in_downloads(staff_client, coach_client, course):
    response = upload(staff_client, course, "checklist.pdf", PDF, "application/pdf")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["content_type"], body["size_bytes"], body["resource_kind"]) == ("application/pdf", len(PDF),
                                                                                 "checklist")
    assert AuditEvent.objects.filter(action="course.resource_uploaded").exists()
    resource = ToolkitResource.objects.get()
    assert "checklist.pdf" not in resource.file.name  # stored under a generated name
    listing = coach_client.get(f"/api/v1/training/courses/{course.pk}/resources/").json()["results"]
    assert [r["id"] for r in listing] == [resource.pk]
    download = coach_client.get(body["download_url"])
    assert download.status_code == 200 and b"".join(download.streaming_content) == PDF
    assert 'filename="checklist.pdf"' in download["Content-Disposition"]


@pytest.mark.parametrize(("name", "content", "content_type", "code"), [
    ("tool.exe", b"MZ\x90\x00", "application/octet-stream", "unsupported_file_type"),
    ("tool.pdf", b"MZ\x90\x00 not a pdf", "application/pdf", "unsupported_file_type"),
    ("tool.pdf", PDF, "image/png", "unsupported_file_type"),
    ("notes.txt", b"plain notes\n", "text/plain", "unsupported_file_type"),
    ("roster.csv", b"a,b\n1,2\n", "text/csv", "unsupported_file_type"),
    ("deck.pptx", b"%PDF-1.4 pretending", "application/octet-stream", "unsupported_file_type"),
    ("deck.pptx", b"PK\x03\x04rest", "application/octet-stream", "unsupported_file_type"),
    ("guide.pdf", HTML, "application/pdf", "unsupported_file_type"),
    ("guide.html", HTML, "text/html", "unsupported_file_type"),
    ("logo.png", SVG, "image/png", "unsupported_file_type"),
    ("logo.svg", SVG, "image/svg+xml", "unsupported_file_type"),
    ("empty.pdf", b"", "application/pdf", "validation_error"),
])
def test_refused_files_are_400_and_store_nothing(staff_client, course, name, content, content_type, code):
    response = upload(staff_client, course, name, content, content_type)
    assert response.status_code == 400, response.json()
    assert response.json()["code"] == code and "file" in response.json()["fields"]
    assert not ToolkitResource.objects.exists()


@pytest.mark.parametrize("case", ["macro-enabled word named .docx", "a zip header and then html"])
def test_disguised_office_files_are_refused(staff_client, course, case):
    name, content, content_type = REFUSED_FILES[case]
    assert upload(staff_client, course, name, content, content_type).status_code == 400
    assert not ToolkitResource.objects.exists()


def test_allowed_office_and_image_types_by_content(staff_client, course):
    assert upload(staff_client, course, "deck.pptx", ooxml("pptx"), "application/octet-stream").status_code == 201
    assert upload(staff_client, course, "plan.xlsx", ooxml("xlsx"), "application/octet-stream").status_code == 201
    assert upload(staff_client, course, "photo.JPG", JPEG, "image/jpeg").status_code == 201
    assert sorted(ToolkitResource.objects.values_list("content_type", flat=True)) == [
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "image/jpeg"]


def test_download_is_an_attachment_with_the_detected_type_and_nosniff_for_any_accept(staff_client, coach_client,
                                                                                    course):
    url = upload(staff_client, course, "guide.pdf", PDF, "application/pdf").json()["download_url"]
    for accept in ("application/pdf", "*/*", "application/json"):
        response = coach_client.get(url, HTTP_ACCEPT=accept)
        assert response.status_code == 200, accept
        assert response["Content-Type"] == "application/pdf"
        assert response["Content-Disposition"] == 'attachment; filename="guide.pdf"'
        assert response["X-Content-Type-Options"] == "nosniff"


def test_deleted_resource_file_is_removed_from_storage_on_commit(staff_client, course,
                                                                 django_capture_on_commit_callbacks):
    resource_id = upload(staff_client, course, "guide.pdf", PDF, "application/pdf").json()["id"]
    stored = ToolkitResource.objects.get(pk=resource_id).file.name
    assert stored.startswith("toolkit/") and "guide" not in stored and default_storage.exists(stored)
    with django_capture_on_commit_callbacks(execute=True):
        assert staff_client.delete(f"/api/v1/training/resources/{resource_id}/").status_code == 204
    assert not default_storage.exists(stored)


def test_oversized_file_is_413(staff_client, course, settings):
    settings.TOOLKIT_MAX_FILE_BYTES = 10
    response = upload(staff_client, course, "big.pdf", PDF, "application/pdf")
    assert response.status_code == 413 and response.json()["code"] == "file_too_large"
    assert not ToolkitResource.objects.exists()


def test_only_staff_upload_or_delete(admin_a_client, staff_client, course):
    assert upload(admin_a_client, course, "x.pdf", PDF, "application/pdf").status_code == 403
    resource_id = upload(staff_client, course, "x.pdf", PDF, "application/pdf").json()["id"]
    assert admin_a_client.delete(f"/api/v1/training/resources/{resource_id}/").status_code == 403
    assert staff_client.delete(f"/api/v1/training/resources/{resource_id}/").status_code == 204
    assert not ToolkitResource.objects.exists()
    assert staff_client.get(f"/api/v1/training/resources/{resource_id}/download/").status_code == 404
