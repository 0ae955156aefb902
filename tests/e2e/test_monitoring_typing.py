"""A doctor typing an acknowledgement note on the monitoring dashboard while a new alert arrives live: the new alert
shows at once, and the note being typed, and the caret in it, are kept (static/js/telemonitor-alerts.js puts them
back after each re-read; before, a live update either wiped the note or held back the new alert). Real Chromium,
daphne on the test database; with REDIS_URL the alert's nudge goes through a real Celery worker."""

from playwright.sync_api import expect

from telemonitor.models import Alert
from tests.appointments.queue import world
from tests.e2e.conftest import DESK
from tests.e2e.hospital import deteriorating_at_home
from tests.e2e.signin import sign_in

PASSWORD = "Quiet-River-2024"  # tests.appointments.factories.user


def test_a_note_being_typed_survives_a_new_alert_arriving_live(live_url, worker, new_context, screens):
    doctor = world.clinic(prefix="A").doctor.user
    first = Alert.objects.get(patient=deteriorating_at_home(lead_doctor=doctor, name="赵大爷"), kind="news2")
    page = new_context(**DESK).new_page()
    sign_in(page, live_url, doctor.phone, PASSWORD, "/monitoring/clinic/")
    expect(page.locator("#alert-queue-section")).to_have_attribute("data-live", "connected")
    note = page.locator(f"#note-{first.public_id}")
    note.click()
    page.keyboard.type("Phoned him, ")
    updated = page.locator("#alert-queue-section").get_attribute("data-updated")

    second = Alert.objects.get(patient=deteriorating_at_home(lead_doctor=doctor, name="钱阿姨"), kind="news2")

    expect(page.locator(f"[data-alert='{second.public_id}']")).to_be_visible(timeout=30_000)  # shown without reload
    assert page.locator("#alert-queue-section").get_attribute("data-updated") != updated  # the queue was re-read
    expect(note).to_have_value("Phoned him, ")
    expect(note).to_be_focused()
    page.keyboard.type("GP visit today")  # the caret is where it was: typing goes on at the end
    expect(note).to_have_value("Phoned him, GP visit today")
    page.screenshot(path=str(screens / "note-kept-with-new-alert.png"), full_page=True)
