"""The officer's pages in Debian's Chromium at 1280 px and 390 px (the public site's standard): signed in through the
real form, no sideways scrolling on a phone, no console errors (CSP violations are reported there), one h1 inside
main, and axe-core with no serious or critical violation (axe from tests/.node, as tests/public_site)."""

import pytest

from tests.factories import TEST_PASSWORD
from tests.support.browser import AXE, AXE_MISSING, WIDTHS, axe_serious_violations, console_errors

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def officer_site(officer_world):
    finding = officer_world["findings"][officer_world["x"].pk]
    return {
        "my record": "/me/",
        "my training": "/me/training/",
        "findings": "/me/findings/",
        "one finding with the answer form": f"/me/findings/{finding.pk}/",
        "my data": "/me/data/",
    }


def _sign_in(page, base: str, password: str = TEST_PASSWORD) -> None:
    page.goto(base + "/me/login/", wait_until="load")
    page.get_by_label("Username").fill("maria")
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state("load")


def _check(page, width: int) -> list[str]:
    problems = []
    if page.locator("main h1").count() != 1:
        problems.append("not exactly one h1 in main")
    scroll = page.evaluate("document.documentElement.scrollWidth")
    if scroll > width:
        problems.append(f"{scroll} px wide")
    return problems


@pytest.mark.parametrize("width", WIDTHS)
def test_every_officer_page_fits_the_screen_and_logs_no_console_error(browser, live_server, officer_site, width):
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    errors = console_errors(page)
    found = {}
    try:
        page.goto(live_server.url + "/me/login/", wait_until="load")
        found["sign-in"] = _check(page, width)
        _sign_in(page, live_server.url, password="not-my-password")  # noqa: S106 - a wrong password on purpose
        assert page.locator("#form-error").is_visible()
        found["sign-in, refused"] = _check(page, width)
        errors[:] = [e for e in errors if "status of 400" not in e]  # the refused sign-in's own status
        _sign_in(page, live_server.url)
        assert page.url == live_server.url + "/me/"
        for name, path in officer_site.items():
            page.goto(live_server.url + path, wait_until="load")
            found[name] = _check(page, width)
    finally:
        context.close()
    assert {name: p for name, p in found.items() if p} == {}
    assert errors == []


@pytest.mark.skipif(not AXE.exists(), reason=AXE_MISSING)
@pytest.mark.parametrize("width", WIDTHS)
def test_every_officer_page_has_no_serious_accessibility_violation(browser, live_server, officer_site, width):
    context = browser.new_context(viewport={"width": width, "height": 900}, bypass_csp=True)
    page = context.new_page()
    found = {}

    def audit(name):
        serious = axe_serious_violations(page)
        if serious:
            found[name] = serious

    try:
        page.goto(live_server.url + "/me/login/", wait_until="load")
        audit("sign-in")
        _sign_in(page, live_server.url, password="not-my-password")  # noqa: S106 - a wrong password on purpose
        audit("sign-in, refused")
        _sign_in(page, live_server.url)
        for name, path in officer_site.items():
            page.goto(live_server.url + path, wait_until="load")
            audit(name)
    finally:
        context.close()
    assert found == {}


def test_the_skip_link_comes_first_and_sign_out_ends_the_session(browser, live_server, officer_site):
    context = browser.new_context(viewport={"width": 390, "height": 800})
    page = context.new_page()
    try:
        _sign_in(page, live_server.url)
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.textContent") == "Skip to main content"
        page.get_by_role("button", name="Sign out").click()
        page.wait_for_load_state("load")
        assert page.url == live_server.url + "/me/login/"
        assert page.get_by_text("You are signed out.").is_visible()
        page.goto(live_server.url + "/me/training/", wait_until="load")
        assert page.url == live_server.url + "/me/login/?next=/me/training/"
    finally:
        context.close()
