"""Security baseline, issue 9: the key pages of every role work under the Content-Security-Policy in real Chromium.

The policy (core.security) allows no inline script or style. A page that still had some would silently lose it in
the browser, so each page is loaded, its scripts given time to run (the queue's and the feed's websockets connect,
the admin's autocomplete opens), and the test fails on any violation the browser reports: a console message
("Refused to ... because it violates the following Content Security Policy directive") or a
`securitypolicyviolation` event, collected by a script Playwright adds outside the page's policy.
"""

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import DESK
from tests.e2e.hospital import ADMIN, DOCTOR, PATIENT, seed_hospital, sign_in

LISTEN = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(`${e.violatedDirective} blocked ${e.blockedURI || "inline"} at ${e.sourceFile}:${e.lineNumber}`);
});
"""


class Violations:
    """CSP violations seen by one page, from the console and from the DOM event."""

    def __init__(self, page: Page):
        self.page = page
        self.console: list[str] = []
        page.add_init_script(LISTEN)
        page.on("console", lambda message: self.console.append(message.text)
                if "Content Security Policy" in message.text else None)

    def after_visit(self, name: str) -> list[str]:
        self.page.wait_for_load_state("networkidle")
        events = self.page.evaluate("window.__cspViolations || []")
        found = [f"{name}: {text}" for text in [*self.console, *events]]
        self.console.clear()
        return found


def visit_all(page: Page, live_url: str, pages: dict[str, str]) -> list[str]:
    violations = Violations(page)
    found = []
    for name, path in pages.items():
        response = page.goto(live_url + path)
        assert response.status == 200, f"{name} {path} answered {response.status}"
        found += violations.after_visit(name)
    return found


@pytest.fixture
def hospital(live_url):
    return seed_hospital()


def test_patient_pages_run_under_the_csp(live_url, new_context, hospital):
    page = new_context(**DESK).new_page()
    sign_in(page, live_url, PATIENT)

    assert visit_all(page, live_url, hospital.patient) == []


def test_signed_out_pages_the_queue_board_and_the_api_docs_run_under_the_csp(live_url, new_context, hospital):
    page = new_context(**DESK).new_page()

    found = visit_all(page, live_url, {**hospital.anonymous, **hospital.public_screens})
    expect(page.locator(".swagger-ui .info")).to_be_visible()  # the API docs really started (their script ran)

    assert found == []


def test_doctor_pages_run_under_the_csp(live_url, new_context, hospital):
    page = new_context(**DESK).new_page()
    sign_in(page, live_url, DOCTOR)

    found = visit_all(page, live_url, hospital.doctor)
    violations = Violations(page)
    page.goto(live_url + hospital.doctor["note-new"])
    page.get_by_test_id("note-create").click()  # a draft: the editor, with its ICD-10 search (note-editor.js)
    page.locator("[role=combobox]").first.fill("hyper")
    expect(page.locator("[role=option]").first).to_be_visible()
    found += violations.after_visit("note editor, typing a diagnosis")

    assert found == []


def test_django_admin_runs_under_the_csp_including_its_autocomplete(live_url, new_context, hospital):
    page = new_context(**DESK).new_page()
    sign_in(page, live_url, ADMIN)
    violations = Violations(page)

    found = visit_all(page, live_url, hospital.admin)
    page.goto(live_url + hospital.admin["admin-change-form"])
    page.locator(".select2-selection").first.click()  # the autocomplete widget (select2, admin's own JS)
    expect(page.locator(".select2-results__option").first).to_be_visible()
    found += violations.after_visit("admin autocomplete")

    assert found == []


def test_an_inline_script_is_reported_by_this_check(live_url, new_context, hospital):
    """The check itself: an inline script slipped into a page is refused by the browser and seen here."""
    page = new_context(**DESK).new_page()
    violations = Violations(page)
    page.goto(live_url + "/")
    page.evaluate("""() => { const s = document.createElement("script"); s.textContent = "window.ran = 1";
                            document.body.appendChild(s); }""")
    page.evaluate("""() => { const d = document.createElement("div"); d.setAttribute("style", "color: red");
                            document.body.appendChild(d); }""")

    found = violations.after_visit("home with injected code")

    assert page.evaluate("window.ran") is None
    assert any("script-src" in line for line in found), found
    assert any("style-src" in line for line in found), found
