"""Who gets the staff console: the certification-staff role (not hand-granted model permissions, not a superuser);
agency administrators, instructors, coaches and officers get no admin even with `is_staff` ticked; staff cannot
grant superuser or take over a superuser's account; staff create accounts through the onboarding service."""

import re
from datetime import date

import pytest
from django.contrib.auth.models import Permission
from django.core import mail

from agencies.models import Role, User
from certification import services as certification
from certification.models import FindingSource
from core.models import AuditEvent
from demo.data.certification import programme_ensure
from tests.factories import OfficerFactory, UserFactory
from tests.support.builders import certified_agency

pytestmark = pytest.mark.django_db
PASSWORD = "console-pass-2026!"


@pytest.fixture
def programme(db):
    return programme_ensure(actor="test")[0]  # as tests/certification/conftest.py builds it


def login(client, user) -> bool:
    user.set_password(PASSWORD)
    user.save()
    return client.login(username=user.username, password=PASSWORD)


def test_the_staff_role_alone_opens_every_screen_of_the_console(client, staff_user, agency_a, programme):
    assert not staff_user.is_superuser and not staff_user.user_permissions.exists()
    certification_ = certified_agency(agency_a, programme, staff_user)
    certification.finding_record(actor=staff_user, officer=OfficerFactory(agency=agency_a),
                                 incident_date=date(2025, 2, 1), summary="x", source=FindingSource.COMPLAINT)
    assert login(client, staff_user)
    index = client.get("/admin/")
    assert index.status_code == 200
    links = sorted(set(re.findall(r'href="(/admin/[a-z_]+/[a-z_]+/(?:add/)?)"', index.content.decode())))
    for expected in ("/admin/agencies/agency/", "/admin/agencies/officer/", "/admin/agencies/user/",
                     "/admin/training/course/", "/admin/training/trainingsession/", "/admin/training/enrollment/",
                     "/admin/training/completion/", "/admin/training/instructorqualification/",
                     "/admin/certification/certificationprogramme/", "/admin/certification/agencycertification/",
                     "/admin/certification/plaque/", "/admin/certification/officercertification/",
                     "/admin/certification/finding/", "/admin/evaluations/cycle/", "/admin/evaluations/report/",
                     "/admin/coaching/agreement/", "/admin/coaching/coachprofile/", "/admin/core/auditevent/",
                     "/admin/agencies/identityreview/"):
        assert expected in links, expected
    for url in links:
        response = client.get(url)
        assert response.status_code == 200, url
        assert " object (" not in response.content.decode(), url  # readable row labels
    change = client.get(f"/admin/certification/agencycertification/{certification_.pk}/change/").content.decode()
    assert "Checklist" in change and 'name="requirements-0-state"' not in change  # issued: read-only checklist
    assert client.get(f"/admin/certification/plaque/{certification_.plaque.pk}/change/").status_code == 200
    officer = agency_a.officers.first()
    page = client.get(f"/admin/agencies/officer/{officer.pk}/change/").content.decode()
    assert "Licence history" in page and officer.license_number in page.split("Licence history", 1)[1]


@pytest.mark.parametrize("role", [Role.AGENCY_ADMIN, Role.INSTRUCTOR, Role.COACH, Role.NONE])
def test_other_roles_get_no_admin_even_with_is_staff(client, agency_a, role):
    user = UserFactory(username=f"someone-{role or 'none'}", role=role, is_staff=True,
                       agency=agency_a if role == Role.AGENCY_ADMIN else None)
    if role == Role.INSTRUCTOR:
        user.user_permissions.set(Permission.objects.filter(codename__in=["view_officer", "change_officer"]))
    client.force_login(user)
    for url in ("/admin/", "/admin/agencies/officer/", "/admin/certification/finding/",
                "/admin/autocomplete/?app_label=certification&model_name=finding&field_name=officer"):
        response = client.get(url)
        assert response.status_code == 302 and "/admin/login/" in response["Location"], url


def test_an_officer_account_gets_no_admin(client, officer_a):
    user = UserFactory(username="officer-login", role=Role.OFFICER, officer=officer_a, is_staff=True)
    client.force_login(user)
    assert client.get("/admin/").status_code == 302


def test_staff_cannot_make_anyone_a_superuser(client, staff_user, admin_a):
    assert login(client, staff_user)
    page = client.get(f"/admin/agencies/user/{admin_a.pk}/change/").content.decode()
    assert 'name="is_superuser"' not in page and 'name="user_permissions"' not in page
    data = {"username": admin_a.username, "email": admin_a.email, "first_name": "Ana", "last_name": "Admin",
            "role": Role.AGENCY_ADMIN, "agency": admin_a.agency_id, "is_active": "on", "is_superuser": "on",
            "is_staff": "on", "user_permissions": [Permission.objects.get(codename="change_officer").pk]}
    response = client.post(f"/admin/agencies/user/{admin_a.pk}/change/", data)
    assert response.status_code == 302
    admin_a.refresh_from_db()
    assert admin_a.first_name == "Ana" and not admin_a.is_superuser and not admin_a.is_staff
    assert not admin_a.user_permissions.exists()
    assert AuditEvent.objects.filter(action="user.updated", target_id=str(admin_a.pk)).exists()
    own = {**data, "username": staff_user.username, "role": Role.CERTIFICATION_STAFF, "agency": ""}
    client.post(f"/admin/agencies/user/{staff_user.pk}/change/", own)
    staff_user.refresh_from_db()
    assert not staff_user.is_superuser


def test_staff_cannot_change_or_deactivate_a_superuser_account(client, staff_user):
    root = UserFactory(username="root", is_superuser=True, is_staff=True)
    assert login(client, staff_user)
    assert client.post(f"/admin/agencies/user/{root.pk}/password/",
                       {"password1": "Taken-over-2026!", "password2": "Taken-over-2026!"}).status_code == 403
    page = client.get(f"/admin/agencies/user/{root.pk}/change/")
    assert page.status_code == 200 and 'name="username"' not in page.content.decode()  # view only
    html = client.post("/admin/agencies/user/", {"action": "deactivate_selected", "_selected_action": [root.pk]},
                       follow=True).content.decode()
    assert "Only a superuser changes a superuser" in html
    root.refresh_from_db()
    assert root.is_active and not root.check_password("Taken-over-2026!")


def test_staff_invite_an_agency_administrator_who_sets_their_own_password(client, staff_user, agency_a,
                                                                          django_capture_on_commit_callbacks):
    assert login(client, staff_user)
    assert client.get("/admin/agencies/user/add/").status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/admin/agencies/user/add/", {
            "email": "chief.ortiz@riverside.example", "username": "", "first_name": "Luis", "last_name": "Ortiz",
            "role": Role.AGENCY_ADMIN, "agency": agency_a.pk, "officer": ""})
    assert response.status_code == 302
    user = User.objects.get(email="chief.ortiz@riverside.example")
    assert (user.role, user.agency, user.is_staff) == (Role.AGENCY_ADMIN, agency_a, False)
    assert not user.has_usable_password()
    assert AuditEvent.objects.filter(action="user.invited", target_id=str(user.pk)).exists()
    assert mail.outbox[-1].to == ["chief.ortiz@riverside.example"] and "/account/set-password/" in mail.outbox[-1].body
    refused = client.post("/admin/agencies/user/add/", {
        "email": "someone@riverside.example", "username": "", "role": Role.AGENCY_ADMIN, "agency": "",
        "officer": ""}, follow=True).content.decode()
    assert "Not saved" in refused and "needs an agency" in refused
    assert not User.objects.filter(email="someone@riverside.example").exists()


def test_deactivating_an_account_goes_through_the_service(client, staff_user, admin_a):
    assert login(client, staff_user)
    html = client.post("/admin/agencies/user/", {"action": "deactivate_selected", "_selected_action": [admin_a.pk]},
                       follow=True).content.decode()
    admin_a.refresh_from_db()
    assert "1 deactivated" in html and not admin_a.is_active
    assert AuditEvent.objects.filter(action="user.deactivated", target_id=str(admin_a.pk)).exists()


def test_staff_cannot_set_someone_elses_password_directly(client, staff_user, admin_a):
    """Passwords are set by their owner through the one-time link (audited); Django's direct screen is refused."""
    assert login(client, staff_user)
    url = f"/admin/agencies/user/{admin_a.pk}/password/"
    assert client.get(url).status_code == 403
    assert client.post(url, {"password1": "Chosen-by-staff-26!", "password2": "Chosen-by-staff-26!"}).status_code == 403
    admin_a.refresh_from_db()
    assert not admin_a.check_password("Chosen-by-staff-26!")
