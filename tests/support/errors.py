"""The one error shape every 4xx answers: `{"code", "message", "fields"}`."""

ERROR_KEYS = {"code", "message", "fields"}


def refused(response, status: int, code: str, *fields: str) -> dict:
    """Assert the response is the error `code` with `status`, in the one shape, naming each of `fields`."""
    body = response.json()
    assert response.status_code == status, (response.status_code, body)
    assert set(body) == ERROR_KEYS, body
    assert body["code"] == code, body
    for field in fields:
        assert field in body["fields"], body
    return body
