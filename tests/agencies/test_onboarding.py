"""Onboarding (issue #14): accounts created with a role get an e-mailed one-time link to set their password (page
and API), forgot-password sends the same link without telling who has an account, staff deactivate."""

import re
from datetime import datetime, timedelta

import pytest
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core import mail
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from rest_framework.test import APIClient

from agencies.models import Role, User
from core.models import AuditEvent
from tests.factories import OfficerFactory, UserFactory
from training.models import InstructorAccount

pytestmark = pytest.mark.django_db

ACCOUNTS = "/api/v1/accounts/"
SET = "/api/v1/auth/password/set/"
FORGOT = "/api/v1/auth/password/forgot/"
GOOD_PASSWORD = "Harbour lantern 1987"
LINK = re.compile(r"http://[^/\s]+/account/set-password/(?P<uid>[^/\s]+)/(?P<token>[^/\s]+)/")


@pytest.fixture
def mailed(django_capture_on_commit_callbacks):
    """Run a request and deliver the e-mails its transaction queued (they leave on commit)."""
    def run(call):
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            response = call()
        return response
    return run


def _link_in(message) -> dict:
    found = LINK.search(message.body)
    assert found, message.body
    return found.groupdict() | {"path": found.group(0).split("://", 1)[1].split("/", 1)[1]}


def _login(username, password):
    return APIClient().post("/api/v1/auth/token/", {"username": username, "password": password}, format="json")


def _invite_officer(client, mailed, officer, email="j.carter@riverside.example.org"):
    return mailed(lambda: client.post(ACCOUNTS, {"role": "officer", "email": email, "officer": officer.pk},
                                      format="json"))


def test_staff_invite_an_agency_admin_who_sets_a_password_through_the_api_and_logs_in(staff_client, agency_a, mailed):
    response = mailed(lambda: staff_client.post(ACCOUNTS, {
        "role": "agency_admin", "email": "lt.morales@agency-a.example.org", "first_name": "Ana", "last_name": "Morales",
        "agency": agency_a.pk}, format="json"))
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["role"], body["agency"], body["has_password"]) == ("agency_admin", agency_a.pk, False)
    assert [m.to for m in mail.outbox] == [["lt.morales@agency-a.example.org"]]
    assert _login("lt.morales@agency-a.example.org", GOOD_PASSWORD).status_code == 401  # no password yet
    link = _link_in(mail.outbox[0])
    answer = APIClient().post(SET, {"uid": link["uid"], "token": link["token"], "password": GOOD_PASSWORD},
                              format="json")
    assert answer.status_code == 204, answer.content
    assert _login("lt.morales@agency-a.example.org", GOOD_PASSWORD).status_code == 200
    assert AuditEvent.objects.filter(action="user.invited", target_id=str(body["id"])).exists()


def test_the_link_works_once(staff_client, agency_a, mailed):
    mailed(lambda: staff_client.post(ACCOUNTS, {"role": "coach", "email": "casey@coaches.example.org"}, format="json"))
    link = _link_in(mail.outbox[0])
    first = APIClient().post(SET, {"uid": link["uid"], "token": link["token"], "password": GOOD_PASSWORD},
                             format="json")
    assert first.status_code == 204
    again = APIClient().post(SET, {"uid": link["uid"], "token": link["token"], "password": "Another lantern 2044"},
                             format="json")
    assert again.status_code == 400 and again.json()["code"] == "invalid_link"
    assert _login("casey@coaches.example.org", GOOD_PASSWORD).status_code == 200  # the first password stands
    assert APIClient().get(f"/{link['path']}").status_code == 400  # the page refuses it too


def test_an_expired_link_is_refused(staff_client, mailed, settings):
    mailed(lambda: staff_client.post(ACCOUNTS, {"role": "staff", "email": "new.staff@peacecert.example.org"},
                                     format="json"))
    user = User.objects.get(email="new.staff@peacecert.example.org")
    hours = settings.ACCOUNT_LINK_VALID_HOURS
    assert hours * 3600 == settings.PASSWORD_RESET_TIMEOUT

    def issued(hours_ago):
        class IssuedEarlier(PasswordResetTokenGenerator):  # Django's generator, its clock set back
            def _now(self):
                return datetime.now() - timedelta(hours=hours_ago)
        return IssuedEarlier().make_token(user)

    uid = urlsafe_base64_encode(force_bytes(user.pk))
    response = APIClient().post(SET, {"uid": uid, "token": issued(hours + 0.1), "password": GOOD_PASSWORD},
                                format="json")
    assert response.status_code == 400 and response.json()["code"] == "invalid_link"
    response = APIClient().post(SET, {"uid": uid, "token": issued(hours - 0.1), "password": GOOD_PASSWORD},
                                format="json")
    assert response.status_code == 204  # still inside the validity


def test_a_weak_password_is_refused_and_the_link_still_works(staff_client, mailed):
    mailed(lambda: staff_client.post(ACCOUNTS, {"role": "coach", "email": "bo@coaches.example.org"}, format="json"))
    link = _link_in(mail.outbox[0])
    weak = APIClient().post(SET, {"uid": link["uid"], "token": link["token"], "password": "12345678901234"},
                            format="json")
    assert weak.status_code == 400 and weak.json()["code"] == "weak_password"
    assert "password" in weak.json()["fields"]
    ok = APIClient().post(SET, {"uid": link["uid"], "token": link["token"], "password": GOOD_PASSWORD}, format="json")
    assert ok.status_code == 204


def test_the_page_sets_the_password_without_inline_script(staff_client, mailed, client):
    mailed(lambda: staff_client.post(ACCOUNTS, {"role": "coach", "email": "page@coaches.example.org"}, format="json"))
    path = "/" + _link_in(mail.outbox[0])["path"]
    page = client.get(path)
    assert page.status_code == 200
    html = page.content.decode()
    assert "<script" not in html and "Choose your password" in html
    assert page["Cache-Control"].startswith("max-age=0") or "no-cache" in page["Cache-Control"]
    mismatch = client.post(path, {"password": GOOD_PASSWORD, "password_again": "something else"})
    assert mismatch.status_code == 400 and "do not match" in mismatch.content.decode()
    done = client.post(path, {"password": GOOD_PASSWORD, "password_again": GOOD_PASSWORD})
    assert done.status_code == 200 and "Your password is set" in done.content.decode()
    assert _login("page@coaches.example.org", GOOD_PASSWORD).status_code == 200
    assert client.get(path).status_code == 400  # used


def test_forgot_password_answers_202_for_an_unknown_address_and_sends_nothing(mailed):
    response = mailed(lambda: APIClient().post(FORGOT, {"email": "nobody@nowhere.example.org"}, format="json"))
    assert response.status_code == 202
    assert mail.outbox == []


def test_forgot_password_sends_the_same_one_time_link_to_a_known_account(admin_a, mailed):
    for identifier in ({"email": admin_a.email.upper()}, {"username": admin_a.username}):
        response = mailed(lambda identifier=identifier: APIClient().post(FORGOT, identifier, format="json"))
        assert response.status_code == 202
        assert [m.to for m in mail.outbox] == [[admin_a.email]]
    link = _link_in(mail.outbox[0])
    assert APIClient().post(SET, {"uid": link["uid"], "token": link["token"], "password": GOOD_PASSWORD},
                            format="json").status_code == 204
    assert _login(admin_a.username, GOOD_PASSWORD).status_code == 200


def test_forgot_password_is_rate_limited_per_account_whether_or_not_it_exists(settings, mailed):
    settings.LOGIN_MAX_ATTEMPTS_PER_ACCOUNT = 3
    codes = [APIClient().post(FORGOT, {"email": "ghost@nowhere.example.org"}, format="json").status_code
             for _ in range(5)]
    assert codes == [202, 202, 202, 429, 429]


def test_deactivation_kills_an_existing_access_token_at_once_and_only_staff_may(staff_client, admin_a_client,
                                                                                agency_a, admin_a, mailed):
    from tests.conftest import jwt_client

    officer = OfficerFactory(agency=agency_a)
    account_id = _invite_officer(admin_a_client, mailed, officer).json()["id"]
    user = User.objects.get(pk=account_id)
    user.set_password(GOOD_PASSWORD)
    user.save()
    officer_client = jwt_client(user)
    assert officer_client.get("/api/v1/me/").status_code == 200
    refused = admin_a_client.post(f"{ACCOUNTS}{account_id}/deactivate/")
    assert refused.status_code == 403  # the agency sees its officer's account but may not switch it off
    response = staff_client.post(f"{ACCOUNTS}{account_id}/deactivate/")
    assert response.status_code == 200 and response.json()["is_active"] is False
    assert officer_client.get("/api/v1/me/").status_code == 401
    assert staff_client.post(f"{ACCOUNTS}{account_id}/deactivate/").status_code == 409
    assert staff_client.post(f"{ACCOUNTS}{account_id}/reactivate/").json()["is_active"] is True
    assert officer_client.get("/api/v1/me/").status_code == 401  # the old token stays dead
    actions = set(AuditEvent.objects.filter(target_id=str(account_id)).values_list("action", flat=True))
    assert {"user.invited", "user.deactivated", "user.activated"} <= actions


def test_agency_admin_cannot_invite_another_agencys_officer_or_other_roles(admin_a_client, agency_b, agency_a, mailed):
    foreign = OfficerFactory(agency=agency_b)
    response = _invite_officer(admin_a_client, mailed, foreign)
    missing = _invite_officer(admin_a_client, mailed, type("Missing", (), {"pk": 987654})())
    assert response.status_code == missing.status_code == 400  # the same answer as for a missing id
    assert response.json()["fields"] == {"officer": [f"Unknown officer {foreign.pk}."]}
    assert missing.json()["fields"] == {"officer": ["Unknown officer 987654."]}
    staff = mailed(lambda: admin_a_client.post(ACCOUNTS, {"role": "staff", "email": "x@example.org"}, format="json"))
    assert staff.status_code == 403
    assert mail.outbox == [] and not User.objects.filter(role=Role.OFFICER).exists()


def test_an_officer_keeps_the_account_after_moving_and_the_new_agency_cannot_take_it_over(
        staff_client, admin_a_client, admin_b_client, agency_a, agency_b, mailed):
    officer = OfficerFactory(agency=agency_a)
    account_id = _invite_officer(admin_a_client, mailed, officer).json()["id"]
    moved = staff_client.patch(f"/api/v1/officers/{officer.pk}/", {"agency": agency_b.pk}, format="json")
    assert moved.status_code == 200, moved.content
    assert User.objects.get(pk=account_id).officer_id == officer.pk
    listed = admin_b_client.get(ACCOUNTS).json()["results"]
    assert [row["id"] for row in listed] == [account_id]  # it follows the officer
    assert admin_a_client.get(f"{ACCOUNTS}{account_id}/").status_code == 404
    again = _invite_officer(admin_b_client, mailed, officer, email="carter.new@agency-b.example.org")
    assert again.status_code == 409 and again.json()["code"] == "officer_has_account"
    assert admin_b_client.post(f"{ACCOUNTS}{account_id}/deactivate/").status_code == 403
    assert User.objects.get(pk=account_id).is_active


def test_staff_create_an_instructor_linked_to_an_officer_record(staff_client, agency_a, mailed):
    officer = OfficerFactory(agency=agency_a)
    response = mailed(lambda: staff_client.post(ACCOUNTS, {
        "role": "instructor", "email": "sgt.okafor@agency-a.example.org", "officer": officer.pk}, format="json"))
    assert response.status_code == 201, response.content
    assert response.json()["officer"] == officer.pk
    assert InstructorAccount.objects.get(user_id=response.json()["id"]).officer == officer
    assert len(mail.outbox) == 1


def test_staff_list_accounts_by_role_and_agency(staff_client, admin_a, admin_b, agency_a):
    UserFactory(username="coach_x", role=Role.COACH)
    by_role = staff_client.get(ACCOUNTS, {"role": "agency_admin"}).json()["results"]
    assert {row["id"] for row in by_role} == {admin_a.pk, admin_b.pk}
    by_agency = staff_client.get(ACCOUNTS, {"agency": agency_a.pk}).json()["results"]
    assert {row["id"] for row in by_agency} == {admin_a.pk}
    assert staff_client.get(ACCOUNTS, {"role": "wizard"}).status_code == 400


def test_a_duplicate_email_is_refused_and_nothing_is_sent(staff_client, admin_a, mailed):
    response = mailed(lambda: staff_client.post(ACCOUNTS, {"role": "coach", "email": admin_a.email.upper()},
                                                format="json"))
    assert response.status_code == 409 and response.json()["code"] == "email_taken"
    assert mail.outbox == []


def test_log_lines_never_carry_the_token_of_a_set_password_link():
    import logging

    from core.log_masking import SecretLinkFilter

    record = logging.LogRecord("django.request", logging.WARNING, __file__, 1, "Bad Request: %s", (
        "/account/set-password/MTI/cbx9s2-4f1e0c7d2a9b8e6f5a4c3d2e1f0a9b8c/",), None)
    SecretLinkFilter().filter(record)
    assert record.getMessage() == "Bad Request: /account/set-password/MTI/[token]/"
