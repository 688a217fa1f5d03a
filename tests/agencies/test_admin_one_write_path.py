"""The Django admin is a second door: for people and agencies it saves through the same services as the API (with
their audit entries and identity rules); elsewhere it is read-only; permanent ineligibility is never editable."""

import re
from html import unescape

import pytest
from django.test import Client
from django.utils import timezone

from agencies.models import Officer, OfficerLicense
from core.models import AuditEvent
from tests.factories import OfficerFactory

pytestmark = pytest.mark.django_db
INPUT = re.compile(r"<(input|select|textarea)\b([^>]*)>", re.I)
ATTR = re.compile(r'(\w[\w-]*)="([^"]*)"')


@pytest.fixture
def console(staff_user):
    """The staff console as the certification-staff role (not a superuser) uses it."""
    staff_user.set_password("pw-for-the-console-1")
    staff_user.save()
    client = Client()
    assert client.login(username=staff_user.username, password="pw-for-the-console-1")
    return client


def form_data(html: str) -> dict:
    """Every field of the rendered admin form with its current value (hidden management forms included)."""
    data = {}
    for _tag, attrs in INPUT.findall(html):
        a = dict(ATTR.findall(attrs))
        name = a.get("name")
        if not name or a.get("type") in ("submit", "checkbox") and "checked" not in attrs:
            continue
        data[name] = unescape(a.get("value", ""))
    return data


def test_admin_add_officer_goes_through_the_service_and_refuses_a_decertified_licence(console, agency_a):
    banned = OfficerFactory(agency=agency_a, state="CA", license_number="CA-100201")
    Officer.objects.filter(pk=banned.pk).update(permanently_ineligible_at=timezone.now())
    page = console.get("/admin/agencies/officer/add/")
    assert page.status_code == 200
    data = {**form_data(page.content.decode()), "agency": agency_a.pk, "first_name": "Maria",
            "last_name": "Alvarez", "state": "CA", "license_number": "CA-100201"}
    response = console.post("/admin/agencies/officer/add/", data, follow=True)
    assert "was held by a permanently ineligible officer" in response.content.decode()
    assert Officer.objects.filter(license_number="CA-100201").count() == 1

    data["license_number"] = "CA-777"
    console.post("/admin/agencies/officer/add/", data)
    created = Officer.objects.get(license_number="CA-777")
    assert AuditEvent.objects.filter(action="officer.created", target_id=str(created.pk)).exists()
    assert OfficerLicense.objects.get(officer=created).recorded_by == "staff"


def test_admin_change_form_cannot_rename_relicense_or_clear_ineligibility(console, agency_a):
    officer = OfficerFactory(agency=agency_a, state="CA", license_number="CA-5", last_name="Original")
    Officer.objects.filter(pk=officer.pk).update(permanently_ineligible_at=timezone.now())
    url = f"/admin/agencies/officer/{officer.pk}/change/"
    html = console.get(url).content.decode()
    data = form_data(html)
    assert "license_number" not in data and "permanently_ineligible_at" not in data  # read-only on the screen
    data.update({"rank": "Captain", "license_number": "CA-NEW", "last_name": "Renamed",
                 "permanently_ineligible_at_0": "", "permanently_ineligible_at_1": ""})
    console.post(url, data)
    officer.refresh_from_db()
    assert (officer.license_number, officer.last_name, officer.rank) == ("CA-5", "Original", "Captain")
    assert officer.permanently_ineligible_at is not None
    assert AuditEvent.objects.filter(action="officer.updated", target_id=str(officer.pk)).exists()


@pytest.mark.parametrize("path", [
    # Courses and instructor qualifications now save through training's services (test_staff_console_training.py).
    "/admin/evaluations/instrument/add/", "/admin/evaluations/item/add/", "/admin/coaching/coachprofile/add/",
])
def test_screens_without_a_service_behind_them_are_read_only(console, path):
    assert console.get(path).status_code == 403


def test_staff_console_cannot_grant_superuser(console, staff_user, admin_a):
    url = f"/admin/agencies/user/{admin_a.pk}/change/"
    data = form_data(console.get(url).content.decode())
    data["is_superuser"] = "on"
    data["first_name"] = "Renamed"
    console.post(url, data)
    admin_a.refresh_from_db()
    assert admin_a.is_superuser is False and admin_a.first_name == "Renamed"
    assert AuditEvent.objects.filter(action="user.updated", target_id=str(admin_a.pk)).exists()
