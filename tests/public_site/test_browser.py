"""Every public page in Debian's Chromium at 1280 px and 390 px: no sideways scrolling on a phone, no console errors
(CSP violations are reported there), and axe-core with no serious or critical violation. The reviewer form's
static script: focus on the error summary, a live progress count, and the browser-side draft.

axe-core comes from the npm registry into tests/.node (CI installs it: .ci/run); without it the axe tests skip with
the command to run. One browser for the module; one context per check (the axe run alone bypasses the CSP so its
script can be injected; the console check runs under the real policy)."""


import pytest

from tests.evaluations.factories import cycle_make, invite, open_cycle, token_set
from tests.factories import OfficerFactory
from tests.support.browser import AXE, AXE_MISSING, WIDTHS, axe_serious_violations, console_errors

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]



@pytest.fixture
def site(registry_world):
    """The pages to check, built from the registry world and an open 360 cycle with a reviewer link."""
    from training.models import Completion

    maria, james, agency = registry_world["maria"], registry_world["james"], registry_world["agency"]
    subject = OfficerFactory(agency=agency, first_name="Dana", last_name="Reyes")
    cycle = open_cycle(cycle_make(subject=subject))
    peer = invite(cycle, "peer")[0]
    completion = Completion.objects.filter(officer=maria).first()
    return {
        "home": "/",
        "registry search": "/registry/?q=Riverside",
        "officer page": f"/registry/officers/{james.pk}/",
        "agency page": f"/registry/agency/{agency.pk}/",
        "agency certificate": f"/registry/agencies/{registry_world['certificate'].certificate_number}/",
        "verify form": "/verify/",
        "verify form, unknown code": "/verify/?code=ZZZZ-9999",
        "verify result": f"/verify/{completion.verification_code}/",
        "transparency": "/transparency/",
        "404": "/no-such-page/",
        "reviewer form": f"/feedback/{token_set(peer)}/",
    }


def _visit(page, url: str) -> None:
    page.goto(url, wait_until="load")


@pytest.mark.parametrize("width", WIDTHS)
def test_every_public_page_fits_the_screen_and_logs_no_console_error(browser, live_server, site, width):
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    errors = console_errors(page)
    overflow = {}
    try:
        for name, path in site.items():
            _visit(page, live_server.url + path)
            if name == "404":
                # The 404 status of the page itself is reported as a failed load; that one is expected.
                errors[:] = [e for e in errors if "status of 404" not in e]
            assert page.locator("main h1").count() == 1, name
            scroll = page.evaluate("document.documentElement.scrollWidth")
            if scroll > width:
                overflow[name] = scroll
    finally:
        context.close()
    assert overflow == {}, f"pages wider than {width} px: {overflow}"
    assert errors == []


@pytest.mark.skipif(not AXE.exists(), reason=AXE_MISSING)
@pytest.mark.parametrize("width", WIDTHS)
def test_every_public_page_has_no_serious_accessibility_violation(browser, live_server, site, width):
    context = browser.new_context(viewport={"width": width, "height": 900}, bypass_csp=True)
    page = context.new_page()
    found = {}
    try:
        for name, path in site.items():
            _visit(page, live_server.url + path)
            serious = axe_serious_violations(page)
            if serious:
                found[name] = serious
    finally:
        context.close()
    assert found == {}


def test_reviewer_form_script_counts_focuses_the_error_summary_and_keeps_a_draft(browser, live_server, site):
    context = browser.new_context(viewport={"width": 390, "height": 800})
    page = context.new_page()
    errors = console_errors(page)
    try:
        url = live_server.url + site["reviewer form"]
        _visit(page, url)
        progress = page.locator("#progress")
        total = int(page.locator("#progress-total").inner_text())
        assert progress.inner_text() == f"0 of {total} answered"
        assert page.locator("#autosave-note").is_visible()
        items = page.locator("fieldset.item")
        items.nth(0).get_by_label("4 - Usually").check()
        items.nth(1).get_by_label("Not observed").check()
        assert progress.inner_text() == f"2 of {total} answered"

        # Without saving a draft on the server, a reload restores the answers from this browser.
        page.reload()
        assert items.nth(0).get_by_label("4 - Usually").is_checked()
        assert progress.inner_text() == f"2 of {total} answered"

        # A failed submit: the static script moves focus to the error summary (no inline script, no CSP error).
        page.get_by_role("button", name="Submit feedback").click()
        page.wait_for_selector("#error-summary")
        assert page.evaluate("document.activeElement.id") == "error-summary"
        # The page's own 400 status is reported as a failed load; that one is expected, nothing else is.
        errors[:] = [e for e in errors if "status of 400" not in e]

        # The skip link is the first thing a keyboard reaches.
        _visit(page, url)
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.textContent") == "Skip to main content"
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.textContent") == "Skip to the questions"
    finally:
        context.close()
    assert errors == []
