"""Chromium opens the e-mailed one-time link and sets a password on the server-rendered page (no script, under the
site's content-security policy), then the link is spent."""

import pytest

from agencies import services
from agencies.models import Role, User
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Harbour lantern 1987"


def test_a_new_account_sets_its_password_on_the_page_once(page, live_server):
    user = UserFactory(username="new.coach", email="new.coach@example.org", role=Role.COACH)
    user.set_unusable_password()
    user.save()
    path = "/account/set-password/" + services.account_link(user).split("/account/set-password/", 1)[1]
    csp_errors = []
    page.on("console", lambda message: csp_errors.append(message.text)
            if "Content Security Policy" in message.text else None)

    page.goto(f"{live_server.url}{path}")
    assert page.get_by_role("heading", name="Choose your password").is_visible()
    page.get_by_label("New password", exact=True).fill(PASSWORD)
    page.get_by_label("The same password again").fill("not the same one at all")
    page.get_by_role("button", name="Set my password").click()
    assert page.get_by_role("alert").filter(has_text="do not match").is_visible()
    assert not User.objects.get(pk=user.pk).has_usable_password()

    page.get_by_label("New password", exact=True).fill(PASSWORD)
    page.get_by_label("The same password again").fill(PASSWORD)
    page.get_by_role("button", name="Set my password").click()
    assert page.get_by_role("heading", name="Your password is set").is_visible()
    assert User.objects.get(pk=user.pk).check_password(PASSWORD)

    response = page.goto(f"{live_server.url}{path}")
    assert response.status == 400
    assert page.get_by_role("heading", name="This link cannot be used").is_visible()
    assert csp_errors == []
