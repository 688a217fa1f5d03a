"""Toolkit resources: allow-listed types checked by name, declared type and content; size limit is a 413."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from core.models import AuditEvent
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
    ("notes.txt", b"\xff\xfe\x00\x00binary", "text/plain", "unsupported_file_type"),
    ("deck.pptx", b"%PDF-1.4 pretending", "application/octet-stream", "unsupported_file_type"),
    ("empty.csv", b"", "text/csv", "validation_error"),
])
def test_refused_files_are_400_and_store_nothing(staff_client, course, name, content, content_type, code):
    response = upload(staff_client, course, name, content, content_type)
    assert response.status_code == 400, response.json()
    assert response.json()["code"] == code and "file" in response.json()["fields"]
    assert not ToolkitResource.objects.exists()


def test_allowed_text_and_office_types(staff_client, course):
    assert upload(staff_client, course, "roster.csv", b"a,b\n1,2\n", "text/csv").status_code == 201
    assert upload(staff_client, course, "deck.pptx", b"PK\x03\x04rest", "application/octet-stream"
                  ).status_code == 201
    assert upload(staff_client, course, "photo.JPG", b"\xff\xd8\xff\xe0JFIF", "image/jpeg").status_code == 201
    assert ToolkitResource.objects.count() == 3


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
