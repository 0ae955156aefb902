"""Issue 9, journey 2: a doctor's day at a desk PC, in one browser session.

The doctor signs in (password, then the code of the authenticator app they set up on their first day), works the
queue console (three patients checked in by phone: the first is called, recalled, and moved back because they do
not come; the second is called, comes in and is completed after the visit), opens the chart of the patient with them,
writes a note with a diagnosis found by ICD-10 search and signs it, amends the signed note (a new version; the
signed one stays readable and says it was amended), then goes to the monitoring page from the menu and acknowledges
the alert a patient of theirs raised at home. The database is checked at the end: ticket statuses, the signed note
and its signed amendment, the alert acknowledged by this doctor.
The browser signs in through the pages themselves (the autouse fixture of tests/conftest.py that skips the second
step only touches Django's test client), so no `real_two_factor` marker is needed.
Real Chromium against daphne on the test database; patients, bookings, check-ins and the home readings go through
the services. Screenshots of the key screens under the test's output folder."""

import pyotp
import pytest
from django.conf import settings
from playwright.sync_api import expect

from accounts import twofactor
from appointments.models import AppointmentStatus, QueueTicket, TicketStatus
from records.models import Encounter, EncounterStatus
from telemonitor.models import Alert, AlertStatus
from tests.appointments.queue import world
from tests.e2e.hospital import booked_and_checked_in, deteriorating_at_home

PASSWORD = "Quiet-River-2024"  # tests.appointments.factories.user


@pytest.fixture(autouse=True)
def hospital_daytime(settings):
    """Slots "in 30 minutes" must be today's queue, whatever the hour (the server gets this zone through live_url)."""
    settings.TIME_ZONE = world.daytime_zone()


def test_a_doctors_day_queue_note_amendment_and_a_monitoring_alert(live_url, desk_page, screens):
    clinic = world.clinic(prefix="A", room_name="3诊室")
    doctor = clinic.doctor.user
    authenticator = pyotp.TOTP(pyotp.random_base32())  # the app on the doctor's phone, set up on their first day
    twofactor.device_enrol_with_secret(user=doctor, secret=authenticator.secret)
    slot = world.slot_at(clinic, world.soon(30))
    absent, seen, later = (booked_and_checked_in(clinic, slot, name=name) for name in ("张三明", "刘芳", "王建国"))
    assert [t.number for t in (absent, seen, later)] == ["A001", "A002", "A003"]
    at_home = deteriorating_at_home(lead_doctor=doctor, name="赵大爷")
    page = desk_page

    # Sign in: password, then the authenticator's code.
    page.goto(f"{live_url}/accounts/login/")
    page.get_by_label("Email or mobile number").fill(doctor.phone)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("main").get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Two-step sign-in")).to_be_visible()
    page.get_by_label("Code").fill(authenticator.now())
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_test_id("logout")).to_be_attached()

    # The queue: from the home page's card to the console of the doctor's one service point.
    page.get_by_test_id("card-console").click()
    expect(page.get_by_test_id("console-waiting-row")).to_have_count(3)
    page.get_by_test_id("call-next").click()
    expect(page.get_by_test_id("console-current-number")).to_have_text("A001")
    page.get_by_test_id("console-recall").click()
    expect(page.get_by_test_id("console-current")).to_contain_text(f"Recalled 1 of {settings.QUEUE_RECALL_LIMIT} times.")
    page.screenshot(path=str(screens / "01-console-recalled.png"), full_page=True)
    page.get_by_test_id("console-skip").click()  # "Move back": they did not come
    expect(page.get_by_test_id("console-current")).to_contain_text("Nobody is with you.")
    expect(page.get_by_role("heading", name="Missed their call")).to_be_visible()
    expect(page.get_by_test_id("call-next")).to_contain_text("A002")
    page.get_by_test_id("call-next").click()
    expect(page.get_by_test_id("console-current-number")).to_have_text("A002")
    page.get_by_test_id("console-start").click()  # "Patient is here"
    expect(page.get_by_test_id("console-current")).to_contain_text("With the doctor")
    expect(page.get_by_test_id("console-waiting-row")).to_have_count(1)
    page.screenshot(path=str(screens / "02-console-with-patient.png"), full_page=True)

    # The chart of the patient with the doctor, and a note with an ICD-10 diagnosis, signed.
    page.get_by_test_id("console-open-chart").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("刘芳")
    page.get_by_test_id("note-new").click()
    expect(page.get_by_test_id("note-appointment")).to_be_visible()
    page.get_by_label("Chief complaint").fill("咳嗽一周")
    page.get_by_label("Examination").fill("双肺呼吸音粗，未闻及啰音。")
    page.get_by_label("Assessment").fill("急性支气管炎。")
    page.get_by_label("Plan").fill("多饮水，一周后复诊。")
    page.get_by_test_id("note-create").click()
    expect(page.get_by_test_id("note-status")).to_contain_text("Draft · version 1")
    code = page.get_by_label("ICD-10 diagnosis")
    code.press_sequentially("bronchitis", delay=20)
    option = page.get_by_role("option", name="J20.9 Acute bronchitis, unspecified")
    expect(option).to_be_visible()
    page.screenshot(path=str(screens / "03-icd10-search.png"), full_page=True)
    option.click()
    expect(code).to_have_value("J20.9")
    page.get_by_test_id("diagnosis-add").click()
    expect(page.get_by_test_id("note-diagnoses")).to_contain_text("J20.9")
    page.get_by_test_id("note-sign").click()
    expect(page.get_by_test_id("note-status")).to_contain_text("Signed · version 1")
    signed_url = page.url

    # Amend the signed note: a new version, edited and signed; the first stays as it was and says so.
    page.get_by_label("Why does the note need amending?").fill("Plan corrected: antibiotics not indicated")
    page.get_by_test_id("note-amend").click()
    expect(page.get_by_test_id("note-status")).to_contain_text("Draft · version 2")
    expect(page.get_by_role("main")).to_contain_text("Amends version 1: Plan corrected: antibiotics not indicated")
    expect(page.get_by_test_id("note-diagnoses")).to_contain_text("J20.9")  # copied from version 1
    page.get_by_label("Plan").fill("多饮水，不用抗生素；一周后复诊。")
    page.get_by_test_id("note-sign").click()
    expect(page.get_by_test_id("note-status")).to_contain_text("Signed · version 2")
    expect(page.get_by_test_id("note-text")).to_contain_text("不用抗生素")
    expect(page.get_by_test_id("note-versions").locator("li")).to_have_count(2)
    page.screenshot(path=str(screens / "04-amendment-signed.png"), full_page=True)
    page.get_by_test_id("note-versions").get_by_role("link", name="Version 1").click()
    assert page.url == signed_url
    expect(page.get_by_test_id("note-superseded")).to_contain_text("The current text is version 2")
    expect(page.get_by_test_id("note-text")).to_contain_text("多饮水，一周后复诊。")
    expect(page.get_by_test_id("note-text")).not_to_contain_text("不用抗生素")
    page.screenshot(path=str(screens / "05-original-superseded.png"), full_page=True)

    # Back to the queue from the menu: the visit is over.
    page.locator("details.menu summary").click()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="My queue").click()
    expect(page.get_by_test_id("console-current-number")).to_have_text("A002")
    page.get_by_test_id("console-complete").click()
    expect(page.get_by_test_id("console-current")).to_contain_text("Nobody is with you.")
    expect(page.get_by_test_id("call-next")).to_contain_text("A003")
    page.screenshot(path=str(screens / "06-console-after-visit.png"), full_page=True)

    # The monitoring page from the menu: the alert of the patient at home, acknowledged.
    page.locator("details.menu summary").click()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Monitoring").click()
    alert_row = page.get_by_test_id("alert").filter(has_text="赵大爷").filter(has_text="NEWS2")
    expect(alert_row).to_have_count(1)
    page.screenshot(path=str(screens / "07-monitoring-alert.png"), full_page=True)
    alert_row.get_by_label("Note").fill("Phoned; GP visit arranged today")
    alert_row.get_by_test_id("alert-acknowledge").click()
    expect(alert_row).to_contain_text(f"Acknowledged by {doctor.name}")
    expect(alert_row.get_by_test_id("alert-acknowledge")).to_have_count(0)
    page.screenshot(path=str(screens / "08-monitoring-acknowledged.png"), full_page=True)

    # What the day left in the database.
    statuses = dict(QueueTicket.objects.filter(pk__in=[absent.pk, seen.pk, later.pk]).values_list("number", "status"))
    assert statuses == {"A001": TicketStatus.SKIPPED, "A002": TicketStatus.DONE, "A003": TicketStatus.WAITING}
    seen.appointment.refresh_from_db()
    assert seen.appointment.status == AppointmentStatus.COMPLETED
    original, amendment = Encounter.objects.filter(patient=seen.patient).order_by("version")
    assert (original.status, original.signed_by, original.amends) == (EncounterStatus.SIGNED, doctor, None)
    assert original.plan == "多饮水，一周后复诊。"
    assert original.appointment_public_id == seen.appointment.public_id
    assert (amendment.record_id, amendment.version, amendment.amends) == (original.record_id, 2, original)
    assert (amendment.status, amendment.signed_by) == (EncounterStatus.SIGNED, doctor)
    assert amendment.amendment_reason == "Plan corrected: antibiotics not indicated"
    assert list(amendment.diagnoses.values_list("icd10_code", flat=True)) == ["J20.9"]
    alert = Alert.objects.get(patient=at_home, kind="news2")
    assert (alert.status, alert.acknowledged_by, alert.ack_note) == (AlertStatus.ACKNOWLEDGED, doctor,
                                                                    "Phoned; GP visit arranged today")
