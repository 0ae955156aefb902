"""Issue 7, acceptance 5: the device simulator drives a patient into a high NEWS2 score; the doctor's monitoring page
shows the alert live, without reloading; acknowledging it stops escalation; the patient sees the advice.
Real Chromium, daphne on the test database (with REDIS_URL: Redis layer and a real Celery worker scoring)."""

import io
from datetime import date, timedelta

from django.core.management import call_command
from playwright.sync_api import Page, expect

from accounts.roles import Role
from records.services import patient_sign_up
from telemonitor.models import Alert
from telemonitor.services import plans
from telemonitor.services.alerts import alerts_escalate
from tests.conftest import PASSWORD, UserFactory
from tests.e2e.conftest import DESK, PHONE
from tests.e2e.signin import sign_in as two_step_sign_in


def sign_in(page: Page, live_url: str, login: str, next_path: str) -> None:
    """Password, then for staff the real second step (tests.e2e.signin: a TOTP code from their secret)."""
    two_step_sign_in(page, live_url, login, PASSWORD, next_path)




def test_simulated_deterioration_reaches_the_doctors_queue_live_and_the_patient_gets_advice(live_url, worker,
                                                                                          new_context, screens):
    account = patient_sign_up(name="赵大爷", phone="13855550001", email="zhao@example.test", password=PASSWORD,
                              sex="male", date_of_birth=date(1948, 3, 1))
    doctor = UserFactory(roles=[Role.DOCTOR], name="张明")
    plans.plan_enrol(patient=account.own_patient, kind="cardiac", lead_doctor=doctor, enrolled_by=doctor)

    desk = new_context(**DESK).new_page()
    sign_in(desk, live_url, doctor.email, "/monitoring/clinic/")
    expect(desk.get_by_test_id("alert-queue")).to_contain_text("No active alerts")
    expect(desk.locator("#alert-queue-section")).to_have_attribute("data-live", "connected")
    desk.evaluate("window.__sameDocument = true")

    call_command("simulate_devices", patient_email=[account.email], minutes=30, to="http", url=live_url,
                 stdout=io.StringIO())

    alert_row = desk.get_by_test_id("alert")
    expect(alert_row).to_have_count(1, timeout=20_000)
    expect(alert_row).to_contain_text("赵大爷")
    expect(alert_row).to_contain_text("NEWS2")
    assert desk.evaluate("window.__sameDocument === true")
    desk.screenshot(path=str(screens / "01-doctor-queue-live.png"), full_page=True)

    alert_row.get_by_label("Note").fill("Phoned; ambulance on the way")
    alert_row.get_by_test_id("alert-acknowledge").click()
    expect(desk.get_by_test_id("alert")).to_contain_text("Acknowledged by 张明")
    alert = Alert.objects.get(patient=account.own_patient, kind="news2")
    assert alert.status == "acknowledged"
    assert alerts_escalate(now=alert.ack_due_at + timedelta(hours=2)) == 0
    alert_row.get_by_role("link", name="赵大爷").click()
    expect(desk.get_by_test_id("trend-spo2")).to_be_visible()
    desk.screenshot(path=str(screens / "02-doctor-patient-trends.png"), full_page=True)

    phone = new_context(**PHONE).new_page()
    sign_in(phone, live_url, account.phone, "/monitoring/")
    advice = phone.get_by_test_id("advice").first
    expect(advice).to_contain_text("Call emergency services (120) now")
    expect(phone.get_by_test_id("trend-heart_rate")).to_be_visible()
    phone.screenshot(path=str(screens / "03-patient-advice-360.png"), full_page=True)
