"""Issue 9: the key steps of the four journeys, with the keyboard alone.

The journeys (test_journey_patient_day.py, test_journey_doctor_day.py, test_journey_admin_session.py,
test_journey_home_monitoring.py) use the mouse; here their key steps not already done by keyboard elsewhere are done
with Tab / Shift+Tab, arrow keys, Enter, Space and typing only (page.keyboard: no click, no fill on the steps under
test), and every element that takes the focus on the way must show a focus ring (tab_to, as in
test_accessibility.py's booking for a parent). Set-up (people, bookings, check-ins, alerts, signing in) goes through
the services and the sign-in page, as the journeys do. Each step is checked on the page and in the database.
"""

import re
from datetime import datetime, time, timedelta

import pytest
from playwright.sync_api import Page, expect

from appointments import services as booking_services
from appointments.localtime import hospital_today, hospital_zone
from appointments.models import Appointment, AppointmentStatus, QueueTicket, Slot, SlotStatus, TicketStatus
from payments.models import Coverage, LineCategory
from records.models import Encounter, EncounterStatus
from telemonitor.models import Alert, AlertStatus, PairingCode
from tests.appointments import factories
from tests.appointments.queue import world
from tests.backoffice import world as backoffice
from tests.e2e.conftest import DESK, PHONE
from tests.e2e.hospital import booked_and_checked_in, deteriorating_at_home
from tests.e2e.signin import sign_in
from tests.e2e.test_accessibility import FOCUS
from tests.payments import factories as pay

PASSWORD = "Quiet-River-2024"  # tests.appointments.factories.user


@pytest.fixture(autouse=True)
def hospital_daytime(settings):
    """Slots "in 30 minutes" must be today's queue, whatever the hour (the server gets this zone through live_url)."""
    settings.TIME_ZONE = world.daytime_zone()


def tab_to(page: Page, selector: str, *, back: bool = False, limit: int = 120) -> None:
    """Press Tab (Shift+Tab with back) until the focus is on `selector`; every stop must show a focus ring."""
    for _ in range(limit):
        page.keyboard.press("Shift+Tab" if back else "Tab")
        seen = page.evaluate(FOCUS, selector)
        assert seen["ring"], f"no visible focus on {seen['what']}"
        if seen["matches"]:
            return
    raise AssertionError(f"{'Shift+' if back else ''}Tab never reached {selector}")


def press_and_load(page: Page, key: str = "Enter") -> None:
    """Press `key` on the focused control and wait for the page it leads to."""
    with page.expect_navigation():
        page.keyboard.press(key)


def arrow_to(page: Page, wanted: str, *, limit: int = 10) -> None:
    """On a focused <select> (or radio group), ArrowDown until the chosen option's text contains `wanted`."""
    chosen = """() => { const el = document.activeElement;
        return el.tagName === "SELECT" ? el.selectedOptions[0].textContent : el.closest("label").textContent; }"""
    for _ in range(limit):
        if wanted in page.evaluate(chosen):
            return
        page.keyboard.press("ArrowDown")
    raise AssertionError(f"the arrow keys never reached {wanted}")


def focused(page: Page):
    return page.locator(":focus")


# --- 1. The patient, on a 360 px phone: check in, and link medical insurance ------------------------------------


def test_patient_checks_in_and_links_insurance_by_keyboard_on_a_phone(live_url, new_context, screens):
    clinic = world.clinic(prefix="A", room_name="3诊室")
    slot = world.slot_at(clinic, world.soon(30))
    account, herself = factories.account_with_patient(name="李华")
    appointment = booking_services.appointment_book(patient=herself, slot=slot, booked_by=account)
    assert appointment.status == AppointmentStatus.BOOKED
    father = factories.patient(name="李建国")
    factories.add_to_list(account, father)
    pay.plan(ratios={LineCategory.DRUG: "0.70"}, code="urban-employee")
    phone = new_context(**PHONE).new_page()
    sign_in(phone, live_url, account.email, PASSWORD, "/queue/")

    # Check in from the phone: the queue page's "Check in", then the ticket.
    expect(phone.get_by_test_id("check-in-appointment")).to_contain_text("李华")
    tab_to(phone, "[data-testid=check-in]")
    press_and_load(phone)
    expect(phone.get_by_test_id("ticket-number")).to_have_text("A001")
    phone.screenshot(path=str(screens / "patient-01-ticket.png"), full_page=True)
    ticket = QueueTicket.objects.get(appointment=appointment)
    assert (ticket.number, ticket.status) == ("A001", TicketStatus.WAITING)

    # Link her father's insurance: person and plan chosen with the arrow keys, the number typed, submitted.
    phone.goto(f"{live_url}/payments/insurance/")
    tab_to(phone, "#id_person")
    arrow_to(phone, "李建国")
    tab_to(phone, "#id_plan")
    arrow_to(phone, "城镇职工医保")
    tab_to(phone, "#id_member_number")
    phone.keyboard.type("SH 2026 5678")
    tab_to(phone, "[data-testid=link-form] button[type=submit]")
    phone.screenshot(path=str(screens / "patient-02-insurance-form.png"), full_page=True)
    phone.keyboard.press("Enter")
    person = phone.get_by_test_id("insured-person").filter(has_text="李建国")
    expect(person.get_by_test_id("coverage-number")).to_have_text("SH20265678", timeout=30_000)
    phone.screenshot(path=str(screens / "patient-03-insurance-linked.png"), full_page=True)
    assert Coverage.objects.get(patient=father).member_number == "SH20265678"
    assert not Coverage.objects.filter(patient=herself).exists()


# --- 2. The doctor, at a desk: the queue console, a diagnosis from the ICD-10 search, signing, an alert --------


def test_doctor_works_the_queue_signs_a_note_and_acknowledges_an_alert_by_keyboard(live_url, new_context, screens):
    clinic = world.clinic(prefix="A", room_name="3诊室")
    doctor = clinic.doctor.user
    slot = world.slot_at(clinic, world.soon(30))
    first, second = (booked_and_checked_in(clinic, slot, name=name) for name in ("刘芳", "王建国"))
    at_home = deteriorating_at_home(lead_doctor=doctor, name="赵大爷")
    console = f"/queue/console/{first.service_point.public_id}/"
    page = new_context(**DESK).new_page()
    sign_in(page, live_url, doctor.phone, PASSWORD, console)
    expect(page.get_by_test_id("console-waiting-row")).to_have_count(2)
    expect(page.locator("[data-live]")).to_have_attribute("data-live-connected", "true")

    # Call next: the console is re-read in place, and the focus goes on to "Patient is here", not back to the top.
    tab_to(page, "[data-testid=call-next]")
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("console-current-number")).to_have_text("A001")
    expect(focused(page)).to_have_attribute("data-testid", "console-start")
    page.keyboard.press("Enter")  # "Patient is here"
    expect(page.get_by_test_id("console-current")).to_contain_text("With the doctor")
    expect(focused(page)).to_have_attribute("data-testid", "console-complete")
    assert QueueTicket.objects.get(pk=first.pk).status == TicketStatus.SERVING
    page.screenshot(path=str(screens / "doctor-01-console-with-patient.png"), full_page=True)

    # The chart, a new note typed, a diagnosis picked from the ICD-10 suggestions with the arrow keys, signed.
    tab_to(page, "[data-testid=console-open-chart]", back=True)
    press_and_load(page)
    expect(page.get_by_role("heading", level=1)).to_contain_text("刘芳")
    tab_to(page, "[data-testid=note-new]")
    press_and_load(page)
    tab_to(page, "#id_chief_complaint")
    page.keyboard.type("咳嗽一周")
    tab_to(page, "#id_assessment")
    page.keyboard.type("急性支气管炎。")
    tab_to(page, "[data-testid=note-create]")
    press_and_load(page)
    expect(page.get_by_test_id("note-status")).to_contain_text("Draft · version 1")
    tab_to(page, "[data-icd10-search]")
    page.keyboard.type("bronchitis", delay=20)
    option = page.get_by_role("option", name="J20.9 Acute bronchitis, unspecified")
    expect(option).to_be_visible()
    for _ in range(30):  # down the list of matches, one at a time
        if option.get_attribute("aria-selected") == "true":
            break
        page.keyboard.press("ArrowDown")
    expect(option).to_have_attribute("aria-selected", "true")
    expect(focused(page)).to_have_attribute("aria-activedescendant", option.get_attribute("id"))
    page.screenshot(path=str(screens / "doctor-02-icd10-suggestion.png"), full_page=True)
    page.keyboard.press("Enter")
    expect(page.locator("[data-icd10-search]")).to_have_value("J20.9")
    expect(page.get_by_test_id("icd10-chosen")).to_contain_text("Acute bronchitis")
    tab_to(page, "[data-testid=diagnosis-add]")
    press_and_load(page)
    expect(page.get_by_test_id("note-diagnoses").first).to_contain_text("J20.9")
    tab_to(page, "[data-testid=note-sign]")
    press_and_load(page)
    expect(page.get_by_test_id("note-status")).to_contain_text("Signed · version 1")
    page.screenshot(path=str(screens / "doctor-03-note-signed.png"), full_page=True)
    note = Encounter.objects.get(patient=first.patient)
    assert (note.status, note.signed_by, note.chief_complaint) == (EncounterStatus.SIGNED, doctor, "咳嗽一周")
    assert list(note.diagnoses.values_list("icd10_code", flat=True)) == ["J20.9"]

    # Back on the console: complete the visit.
    page.goto(f"{live_url}{console}")
    expect(page.locator("[data-live]")).to_have_attribute("data-live-connected", "true")
    tab_to(page, "[data-testid=console-complete]")
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("console-current")).to_contain_text("Nobody is with you.")
    expect(focused(page)).to_have_attribute("data-testid", "call-next")  # ready to call A002
    expect(focused(page)).to_contain_text("A002")
    first.refresh_from_db()
    assert first.status == TicketStatus.DONE
    assert Appointment.objects.get(pk=first.appointment_id).status == AppointmentStatus.COMPLETED
    assert QueueTicket.objects.get(pk=second.pk).status == TicketStatus.WAITING

    # The monitoring dashboard: the alert of the patient at home, a note typed and acknowledged.
    page.goto(f"{live_url}/monitoring/clinic/")
    expect(page.locator("#alert-queue-section")).to_have_attribute("data-live", "connected")
    alert = Alert.objects.get(patient=at_home, kind="news2")
    row = page.locator(f"[data-alert='{alert.public_id}']")
    tab_to(page, f"#note-{alert.public_id}")
    page.keyboard.type("Phoned; GP visit arranged today")
    tab_to(page, f"[data-alert='{alert.public_id}'] [data-testid=alert-acknowledge]")
    page.keyboard.press("Enter")
    expect(row).to_contain_text(f"Acknowledged by {doctor.name}")
    expect(row.get_by_test_id("alert-acknowledge")).to_have_count(0)
    page.screenshot(path=str(screens / "doctor-04-alert-acknowledged.png"), full_page=True)
    alert.refresh_from_db()
    assert (alert.status, alert.acknowledged_by, alert.ack_note) == (AlertStatus.ACKNOWLEDGED, doctor,
                                                                    "Phoned; GP visit arranged today")


# --- 3. The administrator, in the Django admin: cancel a session through its confirmation page ----------------


def test_administrator_cancels_a_session_by_keyboard(live_url, new_context, screens):
    doctor = factories.doctor(name="林晓东")
    day = hospital_today() + timedelta(days=2)
    slots = [factories.slot(doc=doctor, starts_at=datetime.combine(day, at, tzinfo=hospital_zone()), minutes=30,
                            capacity=2) for at in (time(8, 0), time(8, 30))]
    bookings = []
    for slot in (slots[0], slots[1]):
        account, person = factories.account_with_patient()
        bookings.append(booking_services.appointment_book(patient=person, slot=slot, booked_by=account))
    admin = backoffice.admin_user(email="duty.manager@example.test", name="院办 周主任")
    desk = new_context(**DESK).new_page()
    sign_in(desk, live_url, admin.email, PASSWORD, "/admin/appointments/slot/?q=林晓东")
    expect(desk.locator("#result_list tbody tr")).to_have_count(2)

    # The action chosen with the arrow keys, every row selected with Space, Go with Enter.
    tab_to(desk, "select[name=action]")
    arrow_to(desk, "Cancel")
    assert desk.evaluate("document.activeElement.value") == "cancel_sessions"
    tab_to(desk, "#action-toggle")
    desk.keyboard.press("Space")
    expect(desk.locator("#result_list input[name=_selected_action]:checked")).to_have_count(2)
    tab_to(desk, "button[name=index]", back=True)
    press_and_load(desk)
    expect(desk.locator("h1")).to_have_text("Cancel sessions")
    expect(desk.locator("#content")).to_contain_text("cancels 2 appointments")

    # The confirmation page: the reason typed, confirmed with Enter.
    tab_to(desk, "textarea, #content input[type=text]")
    desk.keyboard.type("Dr 林 is ill today")
    tab_to(desk, "#content input[type=submit]")
    desk.screenshot(path=str(screens / "admin-01-cancel-confirm.png"), full_page=True)
    press_and_load(desk)
    expect(desk.locator(".messagelist")).to_contain_text(
        "Cancelled 1 session and 2 appointments; the patients have been notified.")
    desk.screenshot(path=str(screens / "admin-02-cancelled.png"), full_page=True)
    assert sorted(Slot.objects.filter(doctor=doctor).values_list("status", flat=True)) == [SlotStatus.CANCELLED] * 2
    cancelled = Appointment.objects.filter(pk__in=[b.pk for b in bookings])
    assert set(cancelled.values_list("status", "cancel_reason")) == {(AppointmentStatus.CANCELLED,
                                                                      "Dr 林 is ill today")}


# --- 4. Home monitoring, on the patient's phone: a pairing code -------------------------------------------------


def test_patient_makes_a_pairing_code_by_keyboard_on_a_phone(live_url, new_context, screens):
    from telemonitor.services import plans

    account, herself = factories.account_with_patient(name="钱秀英")
    doctor = factories.user("doctor", name="周丽")
    plans.plan_enrol(patient=herself, kind="cardiac", lead_doctor=doctor, enrolled_by=doctor)
    phone = new_context(**PHONE).new_page()
    sign_in(phone, live_url, account.email, PASSWORD, "/monitoring/")
    expect(phone.get_by_text("No devices paired yet.")).to_be_visible()

    tab_to(phone, "[data-testid=pairing-code]")
    press_and_load(phone)
    expect(phone.get_by_role("heading", name="Pair a device")).to_be_visible()
    code = phone.get_by_test_id("pairing-code-value").inner_text().strip()
    assert re.fullmatch(r"[A-HJ-NP-Z2-9]{8}", code), code
    phone.screenshot(path=str(screens / "monitoring-01-pairing-code.png"), full_page=True)
    made = PairingCode.objects.get(patient=herself)
    assert (made.used_at, made.created_by) == (None, account)
