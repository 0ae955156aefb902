"""Accessibility, issue 9: every page a patient sees, in English and 中文, on a 360 px phone.

- axe-core (from the npm registry, node_modules/axe-core, installed by `make setup`) is injected into each page and
  the test fails on any violation axe rates serious or critical (contrast, names of links and fields, landmarks,
  language, ...), and then on any moderate or minor one as well, since there are none left. The contexts bypass
  the page's Content-Security-Policy only so that axe itself can be injected; the policy is checked on its own in
  test_security_headers.py.
- Text at 200 % zoom: the same pages at 180 CSS px wide with 2 device pixels per CSS pixel, which is what a 360 px
  phone shows at 200 %: the body must not scroll sideways and no text may be cut off by a box too narrow for it.
- Keyboard only: booking for a parent from the department list to the confirmed number with Tab, arrow keys and
  Enter alone, every element that takes the focus on the way showing where the focus is.
"""

import json

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import PHONE
from tests.e2e.hospital import PATIENT, seed_hospital, sign_in, switch_language
from tests.servers import ROOT

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
LANGUAGES = ["en", "zh-hans"]
SERIOUS = ("serious", "critical")
ZOOM_200 = {**PHONE, "viewport": {"width": 180, "height": 370}, "device_scale_factor": 2}


@pytest.fixture
def hospital(live_url):
    if not AXE.exists():
        pytest.fail(f"{AXE.relative_to(ROOT)} is missing: run `make setup` (npm ci) first.")
    return seed_hospital()


def axe_violations(page: Page, name: str) -> list[dict]:
    """Run axe-core on the page as it is; its violations of every impact, one dict per rule broken."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    results = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    return [{"page": name, "rule": v["id"], "impact": v["impact"], "help": v["help"],
             "where": [" ".join(n["target"]) for n in v["nodes"][:5]]}
            for v in results["violations"]]


def serious(violations: list[dict]) -> list[dict]:
    return [v for v in violations if v["impact"] in SERIOUS]


def patient_pages(page: Page, live_url: str, hospital, language: str):
    """Yield (name, page) for each patient-facing page in `language`: signed out first, then signed in."""
    page.goto(live_url + "/")
    switch_language(page, language)
    for name, path in hospital.anonymous.items():
        page.goto(live_url + path)
        yield f"signed out/{name}", page
    sign_in(page, live_url, PATIENT)
    switch_language(page, language)
    for name, path in hospital.patient.items():
        response = page.goto(live_url + path)
        assert response.status == 200, f"{name} {path} answered {response.status}"
        expect(page.locator("html")).to_have_attribute("lang", language)
        yield name, page
    page.goto(live_url + hospital.patient["monitoring"])
    page.get_by_test_id("pairing-code").click()  # a POST: the one-time code for pairing a device
    page.wait_for_load_state()
    yield "pairing-code", page


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_patient_page_has_no_serious_accessibility_violation(live_url, new_context, hospital, language, screens):
    page = new_context(**PHONE, bypass_csp=True).new_page()
    checked, found = [], []
    for name, at in patient_pages(page, live_url, hospital, language):
        checked.append(name)
        found += axe_violations(at, name)
    (screens / f"axe-{language}.json").write_text(json.dumps({"pages": checked, "violations": found}, indent=1,
                                                              ensure_ascii=False))

    assert len(checked) >= 30
    assert serious(found) == [], json.dumps(serious(found), indent=1, ensure_ascii=False)
    # The portal is at zero moderate and minor violations too (heading order, one h1 per page, unique landmarks):
    # keep it there.
    assert found == [], json.dumps(found, indent=1, ensure_ascii=False)


def test_the_check_catches_what_it_is_there_to_catch(live_url, new_context, hospital):
    """axe really runs here: a nameless link, an image with no text and grey-on-grey text are each reported."""
    page = new_context(**PHONE, bypass_csp=True).new_page()
    page.goto(live_url + "/")
    page.evaluate("""() => {
      const main = document.querySelector("main");
      main.insertAdjacentHTML("beforeend", '<a href="/x"></a><img src="/static/none.png"><p class="probe">faint</p>');
      const probe = main.querySelector(".probe"); probe.style.color = "#bbb"; probe.style.background = "#fff";
    }""")

    rules = {v["rule"] for v in serious(axe_violations(page, "home with faults"))}

    assert {"link-name", "image-alt", "color-contrast"} <= rules


def test_the_zoom_check_sees_a_page_wider_than_the_phone_and_text_cut_off(live_url, new_context, hospital):
    page = new_context(**ZOOM_200, bypass_csp=True).new_page()
    page.goto(live_url + "/")
    before = page.evaluate(OVERFLOW)
    assert before["scrollWidth"] <= before["width"] <= ZOOM_200["viewport"]["width"] + 1
    assert before["clipped"] == before["out"] == []
    page.evaluate("""() => {
      const main = document.querySelector("main");
      main.insertAdjacentHTML("beforeend", '<p class="wide">Registration-and-payment-counter-opening-hours</p>'
                                           + '<p class="cut">Pharmacy window 3, ground floor, east wing</p>');
      main.querySelector(".wide").style.width = "400px";
      const cut = main.querySelector(".cut");
      Object.assign(cut.style, {width: "60px", overflow: "hidden", whiteSpace: "nowrap"});
    }""")

    seen = page.evaluate(OVERFLOW)

    assert seen["scrollWidth"] > seen["width"]
    assert any("Pharmacy window 3" in what for what in seen["clipped"])


OVERFLOW = """() => {
  const root = document.scrollingElement;
  const clipped = [];
  for (const el of document.querySelectorAll("body *")) {
    const style = getComputedStyle(el);
    if (el.closest(".visually-hidden, [hidden], .skip-link") || style.display === "none") continue;
    const hides = ["hidden", "clip"].includes(style.overflowX) || style.textOverflow === "ellipsis";
    if (hides && el.scrollWidth > el.clientWidth + 1 && el.clientWidth > 1 && el.textContent.trim())
      clipped.push(`${el.tagName.toLowerCase()}.${el.className}: ${el.textContent.trim().slice(0, 40)}`);
  }
  // The layout viewport's width, not innerWidth: a phone zooms out to show a page wider than itself, and
  // innerWidth grows with it.
  const width = document.documentElement.clientWidth;
  // What sticks out: the innermost elements whose right edge is past the viewport (for the failure message).
  const out = [...document.querySelectorAll("body *")].filter((el) => el.getBoundingClientRect().right > width + 0.5
      && el.checkVisibility() && !el.closest(".visually-hidden")
      && ![...el.children].some((c) => c.checkVisibility() && c.getBoundingClientRect().right > width + 0.5))
    .slice(0, 4).map((el) => `${el.tagName.toLowerCase()}.${el.className} "${el.textContent.trim().slice(0, 30)}"`
                            + ` to ${Math.round(el.getBoundingClientRect().right)} px`);
  return {scrollWidth: root.scrollWidth, width, clipped, out};
}"""


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_patient_page_is_readable_at_200_percent_zoom_on_a_phone(live_url, new_context, hospital, language,
                                                                      screens):
    page = new_context(**ZOOM_200, bypass_csp=True).new_page()
    problems = []
    for name, at in patient_pages(page, live_url, hospital, language):
        seen = at.evaluate(OVERFLOW)
        if seen["scrollWidth"] > seen["width"]:
            problems.append(f"{name}: the page scrolls sideways ({seen['scrollWidth']} > {seen['width']} px): "
                            + "; ".join(seen["out"]))
            at.screenshot(path=str(screens / f"zoom-{language}-{name.replace('/', '-')}.png"), full_page=True)
        problems += [f"{name}: text cut off in {what}" for what in seen["clipped"]]

    assert problems == [], "\n".join(problems)


FOCUS = """(selector) => {
  const el = document.activeElement;
  const style = getComputedStyle(el);
  const ring = (style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2) || style.boxShadow !== "none";
  return {matches: el.matches(selector), ring, what: `${el.tagName.toLowerCase()} ${el.getAttribute("href") || ""}`
          + ` ${(el.textContent || el.value || "").trim().slice(0, 30)}`};
}"""


def tab_to(page: Page, selector: str, limit: int = 80) -> None:
    """Press Tab until the focus is on `selector`; every stop on the way must show a focus ring."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        seen = page.evaluate(FOCUS, selector)
        assert seen["ring"], f"no visible focus on {seen['what']}"
        if seen["matches"]:
            return
    raise AssertionError(f"Tab never reached {selector}")


def enter(page: Page) -> None:
    """Press Enter on the focused link or button and wait for the page it leads to."""
    with page.expect_navigation():
        page.keyboard.press("Enter")


def test_booking_for_a_parent_by_keyboard_alone(live_url, new_context, hospital, screens):
    from appointments.models import Appointment

    page = new_context(**PHONE).new_page()
    sign_in(page, live_url, PATIENT)
    page.goto(live_url + hospital.patient["departments"])

    tab_to(page, f'a[href="{hospital.patient["doctors"]}"]')
    enter(page)
    tab_to(page, f'a[href^="{hospital.patient["doctor"]}"]')
    enter(page)
    tab_to(page, f'a[href^="{hospital.patient["session"]}"]')
    enter(page)
    tab_to(page, f'a[href^="{hospital.patient["choose-patient"]}"]')
    enter(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("Who is the appointment for?")
    tab_to(page, "input[type=radio]")
    for _ in range(5):  # arrow keys move the choice within the group
        if "刘建国" in page.evaluate("document.activeElement.closest('label').textContent"):
            break
        page.keyboard.press("ArrowDown")
    page.screenshot(path=str(screens / "keyboard-01-who.png"), full_page=True)
    tab_to(page, "button[type=submit]")
    enter(page)
    tab_to(page, "[data-testid=confirm-booking]")
    page.screenshot(path=str(screens / "keyboard-02-confirm.png"), full_page=True)
    enter(page)

    expect(page.get_by_role("heading", level=1)).to_be_visible()
    page.screenshot(path=str(screens / "keyboard-03-booked.png"), full_page=True)
    booked = Appointment.objects.filter(patient__name="刘建国", slot__public_id=hospital.patient["choose-patient"]
                                        .rstrip("/").rsplit("/", 1)[1])
    assert booked.count() == 1
