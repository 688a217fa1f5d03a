"""The filter backend builds a FilterSet only when the request names one of its filters (building one deep-copies
every declared filter: ~20% of a plain officer list's time in the profile, issue #16)."""

import pytest

from core.filters import StrictFilterSet
from tests.factories import OfficerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def filtersets_built(monkeypatch):
    built = []
    original = StrictFilterSet.__init__

    def counting(self, *args, **kwargs):
        built.append(type(self).__name__)
        original(self, *args, **kwargs)

    monkeypatch.setattr(StrictFilterSet, "__init__", counting)
    return built


def test_a_plain_list_builds_no_filterset(staff_client, filtersets_built):
    OfficerFactory()
    response = staff_client.get("/api/v1/officers/?page_size=20&ordering=name")
    assert response.status_code == 200 and response.json()["count"] == 1
    assert filtersets_built == []


def test_a_filter_in_the_request_still_filters_and_refuses(staff_client, filtersets_built):
    kept, other = OfficerFactory(state="CA"), OfficerFactory(state="NY")
    response = staff_client.get("/api/v1/officers/?state=CA")
    assert [row["id"] for row in response.json()["results"]] == [kept.pk] and other.pk != kept.pk
    assert filtersets_built == ["OfficerFilter"]
    assert staff_client.get("/api/v1/officers/?agency=").status_code == 400  # an empty typed filter is refused
