"""Issue 6, acceptance 4: on a 360 px phone a patient with insurance books a number with a registration fee, pays it
in the sandbox's hosted checkout and sees the appointment confirmed; later, after the doctor signs a visit with a
prescription (through the services), pays the prescription with insurance applied (the split on the bill is
checked), is told which pharmacy window to go to and how many wait there, and downloads the receipt PDF (its text
is checked).

Real Chromium against daphne on the test database, with a real Celery worker: the sandbox delivers its signed
notification over HTTP to the live server's webhook, and the bill's page polls the ledger until it says paid.
Screenshots of the key screens under the test's output folder."""

import io
from datetime import date
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from appointments.models import Appointment, AppointmentStatus, DoctorTitle
from payments.models import Coverage, FeeItem, FeeKind, InsurancePlan, InsuranceRatio, Invoice, LineCategory
from records import services as records
from tests.appointments import factories
from tests.appointments.queue import world
from tests.e2e.conftest import PHONE
from tests.e2e.hospital import pay_in_sandbox, payment_server, pharmacy_with_a_queue
from tests.records.clinical import drug
from tests.services import require_postgres, require_redis

PASSWORD = "Quiet-River-2024"  # tests.appointments.factories.user


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
