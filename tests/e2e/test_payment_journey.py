"""Issue 6, acceptance 4: on a 360 px phone a patient with insurance books a number with a registration fee, pays it
in the sandbox's hosted checkout and sees the appointment confirmed; later, after the doctor signs a visit with a
prescription (through the services), pays the prescription with insurance applied (the split on the bill is
checked), is told which pharmacy window to go to and how many wait there, and downloads the receipt PDF (its text
is checked).

Real Chromium against daphne on the test database, with a real Celery worker: the sandbox delivers its signed
notification over HTTP to the live server's webhook, and the bill's page polls the ledger until it says paid.
Screenshots of the key screens under the test's output folder."""

import io
import subprocess
import sys
from contextlib import contextmanager
from datetime import date
from decimal import Decimal

import pytest
from django.conf import settings
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from appointments.models import Appointment, AppointmentStatus, DoctorTitle, ServicePoint, ServicePointKind
from appointments.queue import services as queue
from payments.models import Coverage, FeeItem, FeeKind, InsurancePlan, InsuranceRatio, Invoice, LineCategory
from records import services as records
from tests import servers
from tests.appointments import factories
from tests.appointments.queue import world
from tests.e2e.conftest import PHONE
from tests.records.clinical import drug
from tests.services import require_postgres, require_redis

PASSWORD = "Quiet-River-2024"  # tests.appointments.factories.user


@contextmanager
def payment_server(screens):
    """Daphne on a port known before it starts, so the portal tells the sandbox to notify that very server
    (PAYMENTS_BASE_URL), and a Celery worker that delivers the sandbox's notifications and settles claims."""
    port = servers.free_port()
    url = f"http://127.0.0.1:{port}"
    env = {"REDIS_URL": settings.REDIS_URL, "PAYMENTS_BASE_URL": url}
    worker = servers.celery_worker(screens / "celery.log", **env)
    with open(screens / "daphne.log", "ab") as log:
        web = subprocess.Popen([sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "config.asgi:application"],
                               cwd=servers.ROOT, env=servers.child_env(**env), stdout=log, stderr=subprocess.STDOUT)
        try:
            servers.wait_for_port(port, process=web)
            servers.wait_for_worker(worker)
            yield url
        finally:
            servers.stop(web)
            servers.stop(worker, timeout=20)


@pytest.fixture
def pay_url(transactional_db, screens):
    require_postgres()
    require_redis()
    with payment_server(screens) as url:
        yield url


def sign_in(page: Page, base: str, login: str, next_path: str) -> None:
    page.goto(f"{base}/accounts/login/?next={next_path}")
    page.get_by_label("Email or mobile number").fill(login)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("main").get_by_role("button", name="Sign in").click()


def insured_patient():
    """刘芳 with her own account and the city's employee insurance: 70 % of medicines, registration not covered."""
    account, person = factories.account_with_patient(name="刘芳")
    plan = InsurancePlan.objects.create(code="urban-employee", name="城镇职工医保")
    InsuranceRatio.objects.create(plan=plan, category=LineCategory.DRUG, ratio=Decimal("0.70"))
    Coverage.objects.create(patient=person, plan=plan, member_number="SH-20261234", valid_from=date(2020, 1, 1))
    return account, person


def pharmacy_with_a_queue():
    """The outpatient pharmacy's two windows: two people already wait at window 1, one at window 2."""
    dept = factories.department(code="pharmacy", name_zh="门诊药房", name_en="Outpatient Pharmacy", queue_prefix="Y",
                                is_active=False)
    windows = [ServicePoint.objects.create(kind=ServicePointKind.PHARMACY_WINDOW, department=dept, name=name)
               for name in ("1号窗口", "2号窗口")]
    desk = factories.user("front_desk")
    for window, waiting in zip(windows, (2, 1), strict=True):
        for _ in range(waiting):
            queue.ticket_walk_in(patient=factories.patient(), service_point=window, by=desk)
    return windows


def pay_in_sandbox(phone: Page, screens, name: str) -> None:
    expect(phone.get_by_test_id("sandbox-warning")).to_be_visible()
    phone.screenshot(path=str(screens / f"{name}-sandbox.png"), full_page=True)
    phone.get_by_test_id("sandbox-pay").click()
    # Back on the portal: the page waits for the ledger (the notification goes through the worker) and reloads.
    expect(phone.get_by_test_id("pay-state")).to_have_attribute("data-state", "paid", timeout=30_000)


def test_patient_pays_registration_then_prescription_with_insurance_and_gets_pharmacy_number_and_receipt(
        pay_url, new_context, screens):
    clinic = world.clinic(prefix="A", room_name="3诊室")
    clinic.doctor.title = DoctorTitle.ATTENDING
    clinic.doctor.save(update_fields=["title"])
    FeeItem.objects.create(kind=FeeKind.REGISTRATION, code=DoctorTitle.ATTENDING, name="普通门诊挂号费",
                           category=LineCategory.REGISTRATION, amount=Decimal("25.00"), effective_from=date(2020, 1, 1))
    account, person = insured_patient()
    pharmacy_with_a_queue()
    slot = world.slot_at(clinic, world.soon(60 * 24))

    phone = new_context(**PHONE).new_page()
    sign_in(phone, pay_url, account.phone, f"/appointments/slots/{slot.public_id}/confirm/?patient={person.public_id}")
    phone.get_by_test_id("confirm-booking").click()

    # The booking goes straight to its bill: ¥25.00, registration is not covered by the plan.
    expect(phone.get_by_test_id("patient-total")).to_have_text("¥25.00")
    phone.screenshot(path=str(screens / "01-registration-bill.png"), full_page=True)
    phone.get_by_test_id("pay").click()
    expect(phone.get_by_test_id("sandbox-amount")).to_contain_text("¥25.00")
    pay_in_sandbox(phone, screens, "02")
    expect(phone.get_by_test_id("pay-state")).to_contain_text("Your appointment is confirmed.")
    phone.screenshot(path=str(screens / "03-registration-paid.png"), full_page=True)
    phone.get_by_test_id("to-appointments").click()
    expect(phone.get_by_test_id("appointment-status").first).to_have_text("Booked")
    appointment = Appointment.objects.get(patient=person)
    assert appointment.status == AppointmentStatus.BOOKED

    # The visit: the doctor prescribes 2 boxes of ¥40.00 and signs (services); the signed note becomes a bill.
    medicine = drug(code="amoxicillin-caps", name="阿莫西林胶囊", generic_name="Amoxicillin", strength="250 mg × 24",
                    unit_price=Decimal("40.00"))
    note = records.encounter_create(patient=person, author=clinic.doctor.user, chief_complaint="咽痛三天",
                                    appointment_public_id=appointment.public_id)
    records.diagnosis_add(encounter=note, code="J02.9", by=clinic.doctor.user)
    records.prescription_create(encounter=note, drug=medicine, dose_amount=500, dose_unit="mg", route="oral",
                                frequency="tid", duration_days=5, quantity=2, by=clinic.doctor.user)
    records.encounter_sign(encounter=note, by=clinic.doctor.user)
    bill = Invoice.objects.get(patient=person, source="encounter")

    phone.goto(f"{pay_url}/payments/")
    phone.get_by_test_id("bills-to-pay").get_by_test_id("bill").first.click()
    expect(phone.get_by_test_id("invoice-number")).to_have_text(bill.number)
    # ¥80.00 of medicine: insurance pays 70 % (¥56.00), the patient ¥24.00.
    expect(phone.get_by_test_id("total")).to_have_text("¥80.00")
    expect(phone.get_by_test_id("line-insurer")).to_have_text("¥56.00")
    expect(phone.get_by_test_id("line-patient")).to_have_text("¥24.00")
    expect(phone.get_by_test_id("insurer-total")).to_have_text("¥56.00")
    expect(phone.get_by_test_id("patient-total")).to_have_text("¥24.00")
    expect(phone.get_by_test_id("insurance-plan")).to_contain_text("城镇职工医保")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360  # nothing wider than the phone
    phone.screenshot(path=str(screens / "04-prescription-bill.png"), full_page=True)
    phone.get_by_test_id("pay").click()
    expect(phone.get_by_test_id("sandbox-amount")).to_contain_text("¥24.00")
    pay_in_sandbox(phone, screens, "05")

    # Paid: the shortest line is window 2 (one person waiting there).
    expect(phone.get_by_test_id("pharmacy")).to_contain_text("2号窗口")
    expect(phone.get_by_test_id("pharmacy-waiting")).to_have_attribute("data-waiting", "1")
    expect(phone.get_by_test_id("pharmacy-waiting")).to_contain_text("1 person is waiting ahead of you.")
    expect(phone.get_by_test_id("pharmacy-number")).to_have_text("Y002")
    phone.screenshot(path=str(screens / "06-pharmacy-number.png"), full_page=True)

    with phone.expect_download() as download:
        phone.get_by_test_id("receipt").click()
    pdf = download.value.path().read_bytes()
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    expected = ["Demo People's Hospital", "Payment receipt", bill.number, "刘芳", person.mrn, "阿莫西林胶囊 250 mg × 24",
                "¥40.00", "¥80.00", "¥56.00", "¥24.00", "城镇职工医保", "*******1234", "Paid"]
    assert [word for word in expected if word not in text] == []
