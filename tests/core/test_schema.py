from pathlib import Path

import pytest
from django.core.management import call_command


@pytest.mark.django_db
def test_openapi_schema_generates_and_validates_without_warnings(tmp_path: Path):
    target = tmp_path / "schema.yaml"
    # --fail-on-warn turns any drf-spectacular warning (unresolvable serializer, name collision) into a failure.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    text = target.read_text()
    assert "/api/v1/officers/import/" in text
    assert "ApiError" in text


@pytest.mark.django_db
def test_swagger_ui_is_served_offline(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    assert b"swagger-ui" in response.content
    assert b"cdn" not in response.content.lower()


@pytest.mark.django_db
def test_admin_login_page_is_styled(client):
    response = client.get("/admin/login/")
    assert response.status_code == 200
    assert b"admin/css/base.css" in response.content
