"""Issue 9, journey 4: home monitoring from pairing to advice, across a patient's phone, a home device and a doctor.

On a 360 px phone a patient opens *Home monitoring* from the home page and pairs a device: the portal shows a
single-use code, which she types into the device's app. The device is the simulator (`simulate_devices
--pairing-code`) in its own process, with no access to the database: it exchanges the code for a token over the
pairing API and sends 30 minutes of worsening readings over the ingest API, in several batches. A real Celery worker
scores them (with REDIS_URL; without, the server scores in-process). The doctor's monitoring page, open in another
browser since before the first reading, shows the alert and the patient's new score in the table of enrolled patients
without reloading; the patient's phone shows the advice
and the paired device. Last, the database: the device is hers, every reading is stored once, and one alert stands
for all of them. Screenshots of each screen under the test's output folder.
"""

import re
import subprocess
import sys
from datetime import date

from playwright.sync_api import Page, expect

from accounts.roles import Role
from records.services import patient_sign_up
from telemonitor.models import Alert, Device, PairingCode, Reading, Score
from telemonitor.services import plans
from tests import servers
from tests.conftest import PASSWORD, UserFactory
from tests.e2e.conftest import DESK, PHONE
from tests.e2e.test_monitoring_live import sign_in

PHONE_WIDTH = PHONE["viewport"]["width"]
SERIAL = "HW-20461"
MINUTES = 30
BATCH = 25  # 96 readings in 4 requests: the alert is raised by one batch and updated by the next ones
# The device knows the portal's address only: any database access from its process would fail at once.
NO_DATABASE = "postgres://nobody@127.0.0.1:1/no_database_for_devices"


def step(page: Page, screens, name: str) -> None:
    """Every phone screen of the journey fits 360 px without sideways scrolling, and is kept as a picture."""
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_WIDTH, f"{name} is wider than the phone"
    page.screenshot(path=str(screens / f"{name}.png"), full_page=True, scale="css")


def device_app(live_url: str, code: str, screens) -> tuple[int, int]:
    """The home device pairs with `code` and sends its readings; returns (readings accepted, readings sent)."""
    result = subprocess.run(
        [sys.executable, "manage.py", "simulate_devices", "--pairing-code", code, "--serial", SERIAL,
         "--minutes", str(MINUTES), "--batch", str(BATCH), "--to", "http", "--url", live_url],
        cwd=servers.ROOT, env=servers.child_env(DATABASE_URL=NO_DATABASE), capture_output=True, text=True,
        timeout=180,
    )
    (screens / "device-simulator.log").write_text(result.stdout + result.stderr)
    assert result.returncode == 0, result.stderr
    assert f"Paired {SERIAL} as device" in result.stdout
    accepted, sent = re.search(r"(\d+) readings accepted of (\d+) sent", result.stdout).groups()
    return int(accepted), int(sent)


def test_patient_pairs_a_home_device_on_her_phone_and_its_worsening_readings_alert_her_doctor_live(
        live_url, worker, new_context, screens):
    account = patient_sign_up(name="钱秀英", phone="13855550042", email="qian@example.test", password=PASSWORD,
                              sex="female", date_of_birth=date(1951, 6, 12))
    patient = account.own_patient
    doctor = UserFactory(roles=[Role.DOCTOR], name="周丽")
    plans.plan_enrol(patient=patient, kind="cardiac", lead_doctor=doctor, enrolled_by=doctor)

    # The patient, on her phone: home → Home monitoring → Pair a new device → the code.
    phone = new_context(**PHONE).new_page()
    sign_in(phone, live_url, account.phone, "/")
    phone.get_by_test_id("card-monitoring").click()
    expect(phone.get_by_role("heading", name="Home monitoring", exact=True)).to_be_visible()
    expect(phone.get_by_text("No devices paired yet.")).to_be_visible()
    expect(phone.get_by_text("No alerts. Keep measuring as your doctor asked.")).to_be_visible()
    step(phone, screens, "01-phone-monitoring-before")
    phone.get_by_role("button", name="Pair a new device").click()
    expect(phone.get_by_role("heading", name="Pair a device")).to_be_visible()
    code = phone.get_by_test_id("pairing-code-value").inner_text().strip()
    assert re.fullmatch(r"[A-HJ-NP-Z2-9]{8}", code), code
    step(phone, screens, "02-phone-pairing-code")

    # The doctor's monitoring page is open, and listening, before the device sends anything.
    desk = new_context(**DESK).new_page()
    sign_in(desk, live_url, doctor.email, "/")
    desk.get_by_test_id("card-monitoring-clinic").click()
    expect(desk.get_by_test_id("alert-queue")).to_contain_text("No active alerts")
    expect(desk.locator("#alert-queue-section")).to_have_attribute("data-live", "connected")
    desk.evaluate("window.__sameDocument = true")
    assert Reading.objects.count() == 0

    accepted, sent = device_app(live_url, code, screens)
    assert accepted == sent > 0

    alert_row = desk.get_by_test_id("alert")
    expect(alert_row).to_have_count(1, timeout=30_000)
    expect(alert_row).to_contain_text("钱秀英")
    expect(alert_row).to_contain_text("NEWS2")
    # The enrolled-patients table beside the queue is re-read with it: her score, alert and last reading.
    cells = desk.get_by_test_id("monitored-patient").filter(has_text="钱秀英").locator("td")
    expect(cells.nth(2)).to_have_text(re.compile(r"^\d+ \w"))
    expect(cells.nth(3)).to_contain_text("Early warning score (NEWS2)")
    expect(cells.nth(4)).to_have_text(re.compile(r"^\d\d-\d\d \d\d:\d\d$"))
    assert desk.evaluate("window.__sameDocument === true"), "the doctor's page was reloaded"
    desk.screenshot(path=str(screens / "03-doctor-alert-live.png"), full_page=True)

    # Back on the phone: done with the code; her device is listed and the advice is there.
    phone.get_by_role("link", name="Done").click()
    device_row = phone.get_by_test_id("device")
    expect(device_row).to_have_count(1)
    expect(device_row).to_contain_text(SERIAL)
    expect(device_row).to_contain_text("last reading received")
    advice = phone.get_by_test_id("advice")
    expect(advice).to_have_count(1)
    expect(advice).to_contain_text("Call emergency services (120) now")
    expect(advice.get_by_role("link", name="Call 120")).to_have_attribute("href", "tel:120")
    expect(phone.get_by_test_id("trend-spo2")).to_be_visible()
    step(phone, screens, "04-phone-device-and-advice")

    # The database agrees with the screens.
    device = Device.objects.get(serial=SERIAL)
    assert (device.patient, device.paired_by, device.revoked_at) == (patient, account, None)
    assert PairingCode.objects.get(device=device).used_at is not None
    readings = Reading.objects.filter(device=device)
    assert readings.count() == sent == Reading.objects.count()
    assert readings.values("device_reading_id").distinct().count() == sent
    assert not readings.exclude(patient=patient).exists()
    alert = Alert.objects.get(patient=patient)  # exactly one, whatever the number of readings and batches
    assert (alert.kind, alert.severity, alert.status) == ("news2", "high", "open")
    high_scores = Score.objects.filter(patient=patient, risk="high").count()
    assert alert.occurrences >= high_scores > 1, (alert.occurrences, high_scores)
