"""Issue 9, journey 1: a patient's whole day on a 360 px phone, through the real UI.

She signs up, adds her father (with his insurance number), books him a number for this morning with a fee and pays
it in the sandbox's hosted checkout; the real reminder job (appointments.queue.tasks.reminders_send, sent to a real
Celery worker as beat sends it) raises the "appointment soon" reminder, which she reads in the in-app notification
list. At the hospital she opens the department desk's signed check-in link (read off the front desk's QR page in a
second browser) and checks him in; the doctor (a third browser) calls the patient ahead and then him, and the phone
follows without reloading until it says "please go to 3诊室". The doctor writes and signs the note in the doctor's UI:
a diagnosis, a prescription and a lab order; the doctor then completes the visit on the console. The lab's result and
report come in through the services (records.services.result_record / report_create: a lab system posts them through
the clinical API; there is no lab screen). She pays the medicines and the test with insurance applied (the split is
checked), is given a pharmacy window and number, reads the lab report on his record and downloads the receipt PDF
(its text is checked).

What is set up behind the scenes, because no screen does it: the clinic (department, doctor, room, today's slot, a
patient checked in ahead), the fee schedule, the pharmacy's queue, and the father's insurance coverage (the number
typed in the family form is stored on the patient; the hospital's insurance office registers the coverage in the
admin). Needs PostgreSQL and Redis (the sandbox's notifications and the reminder go through the worker), like the
payment journey. Screenshots of each key screen under the test's output folder, numbered in order."""

import io
import re
from datetime import date
from decimal import Decimal

import pytest
from django.conf import settings
from playwright.sync_api import expect
from pypdf import PdfReader

from accounts.models import User
from accounts.roles import Role
from appointments.localtime import hospital_zone
from appointments.models import Appointment, AppointmentStatus, DoctorTitle
from appointments.queue.tasks import reminders_send
from notifications.models import Notification
from payments.models import Coverage, FeeItem, FeeKind, InsurancePlan, InsuranceRatio, Invoice, LineCategory
from records import services as records
from records.models import Encounter, EncounterStatus, FamilyMember, Order, OrderStatus, Relationship
from tests import servers
from tests.appointments import factories
from tests.appointments.queue import world
from tests.e2e.conftest import DESK, PHONE
from tests.e2e.hospital import pay_in_sandbox, payment_server, pharmacy_with_a_queue
from tests.e2e.signin import sign_in as two_step_sign_in
from tests.e2e.test_booking_journey import step
from tests.e2e.test_patient_signup_journey import PASSWORD_LABEL
from tests.e2e.test_queue_live import mark_no_reload, still_same_document
from tests.records.clinical import drug
from tests.services import require_postgres, require_redis

STAFF_PASSWORD = "Quiet-River-2024"  # tests.appointments.factories.user
HER_PASSWORD = "Lantern-River-42"
FATHER = "李建国"
MEMBER_NUMBER = "SH-58110301"


@pytest.fixture(autouse=True)
def hospital_daytime(settings):
    """This morning's slot "in 30 minutes" must be today's queue whatever the hour; the server and the worker get
    this zone through pay_url."""
    settings.TIME_ZONE = world.daytime_zone()


@pytest.fixture
def pay_url(transactional_db, screens):
    require_postgres()
    require_redis()
    with payment_server(screens, TIME_ZONE=settings.TIME_ZONE) as url:
        yield url


def hospital():
    """Respiratory medicine with 王强 (attending, ¥25 registration) seeing patients in 3诊室 from 30 minutes from now,
    one patient already checked in; the city's insurance plan; the pharmacy with people waiting; a medicine and the
    blood count's price."""
    dept = factories.department(code="respiratory", name_en="Respiratory Medicine", name_zh="呼吸内科", queue_prefix="A")
    clinic = world.clinic(dept=dept, room_name="3诊室")
    User.objects.filter(pk=clinic.doctor.user.pk).update(name="王强")
    clinic.doctor.title = DoctorTitle.ATTENDING
    clinic.doctor.save(update_fields=["title"])
    start = world.soon(30)
    slot = world.slot_at(clinic, start)
    ahead = world.checked_in(clinic, world.booked(clinic, slot, name="张三明"))
    since = date(2020, 1, 1)
    FeeItem.objects.create(kind=FeeKind.REGISTRATION, code=DoctorTitle.ATTENDING, name="普通门诊挂号费",
                           category=LineCategory.REGISTRATION, amount=Decimal("25.00"), effective_from=since)
    FeeItem.objects.create(kind=FeeKind.TEST, code="58410-2", name="血常规", category=LineCategory.LAB,
                           amount=Decimal("30.00"), effective_from=since)
    plan = InsurancePlan.objects.create(code="urban-employee", name="城镇职工医保")
    InsuranceRatio.objects.create(plan=plan, category=LineCategory.DRUG, ratio=Decimal("0.70"))
    InsuranceRatio.objects.create(plan=plan, category=LineCategory.LAB, ratio=Decimal("0.50"))
    pharmacy_with_a_queue()
    medicine = drug(code="amoxicillin-caps", name="阿莫西林胶囊", generic_name="Amoxicillin", strength="250 mg × 24",
                    unit_price=Decimal("40.00"))
    return clinic, slot, ahead, plan, medicine


def test_a_patients_day_from_sign_up_to_the_receipt_on_a_phone(pay_url, new_context, screens):
    clinic, slot, ahead, plan, medicine = hospital()
    url = pay_url
    phone = new_context(**PHONE).new_page()

    # --- Sign up, add her father -------------------------------------------------------------------------------
    phone.goto(f"{url}/signup/")
    phone.get_by_label("Full name").fill("李华")
    phone.get_by_label("Mobile phone").fill("138 1234 5678")
    phone.get_by_label("Email").fill("lihua@example.test")
    phone.get_by_label(PASSWORD_LABEL).fill(HER_PASSWORD)
    phone.get_by_label("Password again").fill(HER_PASSWORD)
    phone.get_by_label("Sex").select_option("female")
    phone.get_by_label("Date of birth").fill("1990-05-12")
    step(phone, screens, "01-signup")
    phone.get_by_role("button", name="Create my account").click()
    expect(phone.get_by_role("heading", name="Hello, 李华")).to_be_visible()
    account = User.objects.get(email="lihua@example.test")

    phone.get_by_role("main").get_by_role("link", name="My family").click()
    phone.get_by_test_id("family-add").click()
    phone.get_by_label("Relationship to you").select_option("parent")
    phone.get_by_label("Full name").fill(FATHER)
    phone.get_by_label("Sex").select_option("male")
    phone.get_by_label("Date of birth").fill("1958-11-03")
    phone.get_by_label("Medical insurance number").fill(MEMBER_NUMBER)
    phone.get_by_label("I look after this person's health records").check()
    step(phone, screens, "02-add-father")
    phone.get_by_role("button", name="Add to my list").click()
    expect(phone.get_by_test_id("family-member").filter(has_text=FATHER)).to_contain_text("Parent")
    step(phone, screens, "03-family")
    father = FamilyMember.objects.select_related("patient").get(account=account, relationship=Relationship.PARENT).patient
    assert father.insurance_number == MEMBER_NUMBER
    # The insurance office checks the number with the insurer and registers the coverage (admin; no patient screen).
    Coverage.objects.create(patient=father, plan=plan, member_number=father.insurance_number, valid_from=date(2020, 1, 1))

    # --- Book him this morning's number and pay the registration fee ---------------------------------------------
    phone.goto(f"{url}/")
    phone.get_by_test_id("card-book").click()
    phone.get_by_test_id("department").filter(has_text="Respiratory Medicine").get_by_role("link").click()
    phone.get_by_test_id("doctor").filter(has_text="王强").click()
    expect(phone.get_by_role("heading", name="王强")).to_be_visible()
    phone.get_by_test_id("day").first.get_by_test_id("session").click()
    at = slot.starts_at.astimezone(hospital_zone()).strftime("%H:%M")
    phone.get_by_test_id("slot").filter(has_text=at).click()
    phone.get_by_test_id("who").filter(has_text=FATHER).click()
    phone.get_by_role("button", name="Continue").click()
    expect(phone.get_by_test_id("confirm-patient")).to_have_text(FATHER)
    step(phone, screens, "04-confirm-booking")
    phone.get_by_test_id("confirm-booking").click()

    expect(phone.get_by_test_id("patient-total")).to_have_text("¥25.00")  # registration: not covered by the plan
    step(phone, screens, "05-registration-bill")
    phone.get_by_test_id("pay").click()
    expect(phone.get_by_test_id("sandbox-amount")).to_contain_text("¥25.00")
    pay_in_sandbox(phone, screens, "06-registration")
    expect(phone.get_by_test_id("pay-state")).to_contain_text("Your appointment is confirmed.")
    step(phone, screens, "07-registration-paid")
    appointment = Appointment.objects.get(patient=father)
    assert (appointment.slot_id, appointment.status) == (slot.pk, AppointmentStatus.BOOKED)
    phone.get_by_test_id("to-appointments").click()
    expect(phone.get_by_test_id("appointment-status").first).to_have_text("Booked")

    # --- The reminder: the periodic job, run by the worker as beat runs it, then read in the app --------------------
    reminder_key = f"appointment:{appointment.pk}:reminder-1h"
    reminders_send.delay()
    servers.wait_until(lambda: Notification.objects.filter(user=account, key=reminder_key).exists(), timeout=30,
                       message="the reminder job raising the one-hour reminder")
    unread = Notification.objects.filter(user=account, read_at=None).count()
    expect(phone.locator("#notification-badge")).to_have_text(str(unread))  # pushed to the open page
    phone.locator("#notification-bell").click()
    reminder = phone.locator("#notification-list li").filter(has_text="Appointment soon")
    expect(reminder).to_contain_text(f"{FATHER} sees 王强 (Respiratory Medicine)")
    expect(reminder).to_contain_text("Check in when you arrive to get a queue number.")
    step(phone, screens, "08-reminder")

    # --- At the hospital: the desk's QR link (read off the front desk's screen), opened on the phone ----------------
    desk = new_context(**DESK).new_page()
    two_step_sign_in(desk, url, clinic.desk.phone, STAFF_PASSWORD, f"/queue/desk/qr/{clinic.department.public_id}/")
    expect(desk.get_by_test_id("check-in-qr").locator("svg")).to_be_visible()
    desk.screenshot(path=str(screens / "09-desk-qr.png"), full_page=True)
    link = desk.get_by_test_id("check-in-link").get_attribute("href")
    assert link.startswith(f"{url}/queue/scan/")
    desk.context.close()

    phone.goto(link)
    expect(phone.get_by_role("heading", name="Check in: Respiratory Medicine")).to_be_visible()
    row = phone.get_by_test_id("check-in-appointment")
    expect(row).to_have_count(1)
    expect(row).to_contain_text(FATHER)
    step(phone, screens, "10-scan-check-in")
    row.get_by_test_id("check-in").click()
    expect(phone.get_by_test_id("ticket-number")).to_have_text("A002")
    expect(phone.get_by_test_id("ticket-ahead")).to_have_text("1 person ahead of you")
    step(phone, screens, "11-ticket-waiting")

    # --- The queue moves: the doctor calls the patient ahead, then him ------------------------------------------
    doctor = new_context(**DESK).new_page()
    console = f"/queue/console/{ahead.service_point.public_id}/"
    two_step_sign_in(doctor, url, clinic.doctor.user.phone, STAFF_PASSWORD, console)
    expect(doctor.get_by_test_id("console-waiting-row")).to_have_count(2)
    mark_no_reload(phone)
    doctor.get_by_test_id("call-next").click()
    expect(doctor.get_by_test_id("console-current-number")).to_have_text("A001")
    expect(phone.get_by_test_id("ticket-ahead")).to_have_text("You are next.")
    step(phone, screens, "12-ticket-next")
    doctor.get_by_test_id("console-complete").click()
    expect(doctor.get_by_test_id("call-next")).to_contain_text("A002")
    doctor.get_by_test_id("call-next").click()
    expect(phone.get_by_test_id("ticket-called")).to_contain_text("please go to 3诊室")
    assert still_same_document(phone)
    step(phone, screens, "13-ticket-called")

    # --- The visit, in the doctor's UI: note, diagnosis, prescription, blood count ordered, signed -----------------
    expect(doctor.get_by_test_id("console-current")).to_contain_text(FATHER)
    doctor.get_by_test_id("console-open-chart").click()
    expect(doctor.get_by_role("heading", level=1)).to_contain_text(FATHER)
    doctor.get_by_test_id("note-new").click()
    doctor.get_by_label("Chief complaint").fill("咽痛、咳嗽三天")
    doctor.get_by_label("Assessment").fill("急性上呼吸道感染。")
    doctor.get_by_label("Plan").fill("阿莫西林口服五天；查血常规。")
    doctor.get_by_test_id("note-create").click()
    expect(doctor.get_by_test_id("note-status")).to_contain_text("Draft")
    doctor.get_by_label("ICD-10 diagnosis").press_sequentially("upper respiratory", delay=20)
    doctor.get_by_role("option", name="J06.9 Acute upper respiratory infection, unspecified").click()
    doctor.get_by_test_id("diagnosis-add").click()
    expect(doctor.get_by_test_id("note-diagnoses")).to_contain_text("J06.9")
    doctor.get_by_role("combobox", name="Medicine").select_option(str(medicine.public_id))
    doctor.get_by_role("spinbutton", name="Dose", exact=True).fill("500")
    doctor.get_by_label("How often").select_option("tid")
    doctor.get_by_label("For (days)").fill("5")
    doctor.get_by_label("Quantity to dispense").fill("2")
    doctor.get_by_test_id("prescription-add").click()
    expect(doctor.get_by_test_id("note-prescriptions")).to_contain_text("阿莫西林胶囊")
    doctor.get_by_label(re.compile(r"^Kind\b")).select_option("lab")
    doctor.get_by_label("Test or examination").fill("血常规")
    doctor.get_by_label("LOINC code (optional)").fill("58410-2")
    doctor.get_by_test_id("order-add").click()
    expect(doctor.get_by_test_id("note-orders")).to_contain_text("血常规")
    doctor.screenshot(path=str(screens / "14-doctor-note-draft.png"), full_page=True)
    doctor.get_by_test_id("note-sign").click()
    expect(doctor.get_by_test_id("note-status")).to_contain_text("Signed · version 1")
    doctor.screenshot(path=str(screens / "15-doctor-note-signed.png"), full_page=True)
    doctor.goto(f"{url}{console}")
    doctor.get_by_test_id("console-complete").click()
    expect(doctor.get_by_test_id("console-current-number")).to_have_count(0)
    note = Encounter.objects.get(patient=father)
    assert (note.status, note.appointment_public_id) == (EncounterStatus.SIGNED, appointment.public_id)
    order = Order.objects.get(encounter=note)
    assert (order.kind, order.code, order.status) == ("lab", "58410-2", OrderStatus.ORDERED)
    assert Appointment.objects.get(pk=appointment.pk).status == AppointmentStatus.COMPLETED

    # The laboratory reports (services: the lab system's side of the clinical API).
    lab = factories.user(Role.NURSE, name="检验科 周敏")
    records.result_record(patient=father, loinc_code="6690-2", name="白细胞计数", value="11.8", unit="10*9/L",
                          reference_low="3.5", reference_high="9.5", order=order, by=lab)
    records.result_record(patient=father, loinc_code="718-7", name="血红蛋白", value="138", unit="g/L",
                          reference_low="130", reference_high="175", order=order, by=lab)
    records.report_create(patient=father, kind="lab", title="血常规检验报告", order=order, by=lab,
                          text="白细胞计数升高，血红蛋白正常。提示细菌感染可能。")

    # --- Pay the medicines and the test, insurance applied; the pharmacy window and number --------------------------
    bill = Invoice.objects.get(patient=father, source="encounter")
    phone.goto(f"{url}/")
    phone.get_by_test_id("card-bills").click()
    phone.get_by_test_id("bills-to-pay").get_by_test_id("bill").first.click()
    expect(phone.get_by_test_id("invoice-number")).to_have_text(bill.number)
    medicine_line = phone.get_by_test_id("line").filter(has_text="阿莫西林胶囊")
    test_line = phone.get_by_test_id("line").filter(has_text="血常规")
    # ¥80.00 of medicine, 70 % insured (¥56.00); the blood count ¥30.00, 50 % insured (¥15.00).
    expect(medicine_line.get_by_test_id("line-insurer")).to_have_text("¥56.00")
    expect(medicine_line.get_by_test_id("line-patient")).to_have_text("¥24.00")
    expect(test_line.get_by_test_id("line-insurer")).to_have_text("¥15.00")
    expect(test_line.get_by_test_id("line-patient")).to_have_text("¥15.00")
    expect(phone.get_by_test_id("total")).to_have_text("¥110.00")
    expect(phone.get_by_test_id("insurer-total")).to_have_text("¥71.00")
    expect(phone.get_by_test_id("patient-total")).to_have_text("¥39.00")
    expect(phone.get_by_test_id("insurance-plan")).to_contain_text("城镇职工医保")
    step(phone, screens, "16-medicines-bill")
    phone.get_by_test_id("pay").click()
    expect(phone.get_by_test_id("sandbox-amount")).to_contain_text("¥39.00")
    pay_in_sandbox(phone, screens, "17-medicines")
    # The shortest line is window 2 (one person waiting there).
    expect(phone.get_by_test_id("pharmacy")).to_contain_text("2号窗口")
    expect(phone.get_by_test_id("pharmacy-waiting")).to_contain_text("1 person is waiting ahead of you.")
    expect(phone.get_by_test_id("pharmacy-number")).to_have_text("Y002")
    step(phone, screens, "18-pharmacy-number")

    # --- Read the lab report on his record ----------------------------------------------------------------------
    phone.goto(f"{url}/")
    phone.get_by_test_id("card-records").click()
    phone.get_by_test_id("record-link").filter(has_text=FATHER).click()
    expect(phone.get_by_role("heading", level=1)).to_contain_text(FATHER)
    results = phone.get_by_test_id("results")
    expect(results.locator("tr").filter(has_text="白细胞计数")).to_contain_text("Higher than normal")
    expect(results.locator("tr").filter(has_text="血红蛋白")).to_contain_text("Within the normal range")
    report = phone.get_by_test_id("report").filter(has_text="血常规检验报告")
    expect(report).to_contain_text("白细胞计数升高，血红蛋白正常。")
    expect(phone.get_by_test_id("encounter").first).to_contain_text("Acute upper respiratory infection")
    step(phone, screens, "19-lab-report")

    # --- The receipt ------------------------------------------------------------------------------------------
    phone.goto(f"{url}/")
    phone.get_by_test_id("card-bills").click()
    phone.get_by_test_id("bills-done").get_by_test_id("bill").filter(has_text=bill.number).click()
    step(phone, screens, "20-bill-paid")
    with phone.expect_download() as download:
        phone.get_by_test_id("receipt").click()
    saved = screens / "receipt.pdf"
    download.value.save_as(saved)
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(saved.read_bytes())).pages)
    expected = ["Payment receipt", bill.number, FATHER, father.mrn, "阿莫西林胶囊 250 mg × 24", "血常规", "¥80.00",
                "¥30.00", "¥110.00", "¥71.00", "¥39.00", "城镇职工医保", "*******0301", "Paid"]
    assert [word for word in expected if word not in text] == []
