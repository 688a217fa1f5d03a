"""Every file download answers 200 to the Accept header its documentation names (what Swagger UI sends) and to */*;
errors stay JSON. DRF alone answers 406 when a client asks for the very type the endpoint documents."""

import pytest

from tests.conftest import jwt_client

pytestmark = pytest.mark.django_db


def downloads(world):
    a = world.a
    return [
        ("staff", f"/api/v1/certification/plaques/{a.plaque.pk}/plaque.pdf", "application/pdf"),
        ("staff", f"/api/v1/training/completions/{a.completion.pk}/certificate.pdf", "application/pdf"),
        ("staff", "/api/v1/training/reports/state-roster.csv?state=CA&from=2000-01-01&to=2100-01-01", "text/csv"),
        ("staff", f"/api/v1/evaluations/cycles/{a.released_cycle.pk}/report.pdf", "application/pdf"),
        ("anon", "/api/v1/public/revocations.csv", "text/csv"),
    ]


@pytest.mark.parametrize("index", range(5))
@pytest.mark.parametrize("accept", ["documented", "*/*", None])
def test_downloads_honour_their_documented_accept_header(world, index, accept):
    role, path, content_type = downloads(world)[index]
    from rest_framework.test import APIClient

    client = APIClient() if role == "anon" else jwt_client(world.users[role])
    headers = {} if accept is None else {"HTTP_ACCEPT": content_type if accept == "documented" else accept}
    response = client.get(path, **headers)
    assert response.status_code == 200, (path, response.status_code)
    assert response["Content-Type"].startswith(content_type)


def test_a_download_error_is_still_json_whatever_the_accept(world):
    client = jwt_client(world.users["staff"])
    response = client.get("/api/v1/certification/plaques/999999999/plaque.pdf", HTTP_ACCEPT="application/pdf")
    assert response.status_code == 404 and response.json()["code"] == "not_found"
