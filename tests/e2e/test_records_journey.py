"""Issue 5, acceptance 5: a doctor (desk PC) calls a patient from the queue console, opens the chart, writes and
signs a note with a diagnosis (found by ICD-10 search as they type) and a prescription; the patient (phone, a
second browser context) then sees the visit on their record and downloads it as a PDF containing the diagnosis.
Real Chromium against daphne on the test database; the booking and check-in go through the services.
Screenshots of the key screens under the test's output folder."""

import io

from playwright.sync_api import Page, expect
from pypdf import PdfReader

from appointments import services as booking
from appointments.models import AppointmentStatus
from appointments.queue import services as queue
from records import services as records
from records.models import Encounter, EncounterStatus
from tests.appointments import factories
from tests.appointments.queue import world
from tests.e2e.conftest import DESK, PHONE
from tests.e2e.signin import sign_in as two_step_sign_in
from tests.records.clinical import drug

PASSWORD = "Quiet-River-2024"  # tests.appointments.factories.user


def sign_in(page: Page, live_url: str, login: str, next_path: str) -> None:
    """Password, then for staff the real second step (tests.e2e.signin: a TOTP code from their secret)."""
    two_step_sign_in(page, live_url, login, PASSWORD, next_path)


def checked_in_patient(clinic: world.Clinic):
    """A patient with their own account who booked today's slot with the clinic's doctor and checked in by phone."""
    account, person = factories.account_with_patient(name="刘芳")
    records.allergy_record(patient=person, substance="青霉素", severity="severe", reaction="皮疹",
                           by=factories.doctor().user)
    appointment = booking.appointment_book(patient=person, slot=world.slot_at(clinic, world.soon(30)), booked_by=account)
    if appointment.status == AppointmentStatus.HELD:  # a registration fee: paid
        appointment = booking.appointment_confirm(appointment=appointment)
    ticket = queue.ticket_check_in(appointment=appointment, by=account)
    return account, person, appointment, ticket


def test_doctor_writes_and_signs_a_note_from_the_queue_and_the_patient_downloads_it(live_url, new_context, screens):
    clinic = world.clinic(prefix="A", room_name="3诊室")
    account, person, appointment, ticket = checked_in_patient(clinic)
    medicine = drug(code="paracetamol-500", name="对乙酰氨基酚片", generic_name="Paracetamol", strength="500 mg × 20")

    desk = new_context(**DESK).new_page()
    sign_in(desk, live_url, clinic.doctor.user.phone, f"/queue/console/{ticket.service_point.public_id}/")
    desk.get_by_test_id("call-next").click()
    expect(desk.get_by_test_id("console-current")).to_contain_text("刘芳")
    desk.screenshot(path=str(screens / "01-console-called.png"), full_page=True)

    desk.get_by_test_id("console-open-chart").click()
    expect(desk.get_by_role("heading", level=1)).to_contain_text("刘芳")
    expect(desk.get_by_test_id("allergy-banner")).to_contain_text("青霉素")
    desk.get_by_test_id("note-new").click()
    expect(desk.get_by_test_id("note-appointment")).to_be_visible()
    desk.get_by_label("Chief complaint").fill("咽痛、发热两天")
    desk.get_by_label("History of present illness").fill("两天前受凉后咽痛，最高体温38.6℃。")
    desk.get_by_label("Examination").fill("咽部充血，双肺呼吸音清。")
    desk.get_by_label("Assessment").fill("急性上呼吸道感染。")
    desk.get_by_label("Plan").fill("对症退热，多饮水；三天不退热复诊。")
    desk.get_by_test_id("note-create").click()
    expect(desk.get_by_test_id("note-status")).to_contain_text("Draft")

    code = desk.get_by_label("ICD-10 diagnosis")
    code.press_sequentially("upper respiratory", delay=20)
    option = desk.get_by_role("option", name="J06.9 Acute upper respiratory infection, unspecified")
    expect(option).to_be_visible()
    desk.screenshot(path=str(screens / "02-icd10-search.png"), full_page=True)
    option.click()
    expect(code).to_have_value("J06.9")
    desk.get_by_test_id("diagnosis-add").click()
    expect(desk.get_by_test_id("note-diagnoses")).to_contain_text("J06.9")

    desk.get_by_role("combobox", name="Medicine").select_option(str(medicine.public_id))
    desk.get_by_role("spinbutton", name="Dose", exact=True).fill("500")
    desk.get_by_label("How often").select_option("prn")
    desk.get_by_label("For (days)").fill("3")
    desk.get_by_label("Quantity to dispense").fill("1")
    desk.get_by_test_id("prescription-add").click()
    expect(desk.get_by_test_id("note-prescriptions")).to_contain_text("对乙酰氨基酚片")
    desk.screenshot(path=str(screens / "03-note-draft.png"), full_page=True)

    desk.get_by_test_id("note-sign").click()
    expect(desk.get_by_test_id("note-status")).to_contain_text("Signed · version 1")
    desk.screenshot(path=str(screens / "04-note-signed.png"), full_page=True)
    note = Encounter.objects.get(patient=person)
    assert (note.status, note.appointment_public_id) == (EncounterStatus.SIGNED, appointment.public_id)

    phone = new_context(**PHONE, accept_downloads=True).new_page()
    sign_in(phone, live_url, account.phone, "/")
    phone.get_by_test_id("card-records").click()
    phone.get_by_test_id("record-link").first.click()
    expect(phone.get_by_test_id("encounter").first).to_contain_text("Acute upper respiratory infection")
    expect(phone.get_by_role("main")).to_contain_text("对乙酰氨基酚片")
    phone.screenshot(path=str(screens / "05-patient-record-360.png"), full_page=True)
    with phone.expect_download() as download_info:
        phone.get_by_test_id("pdf-visits").click()
    download = download_info.value
    saved = screens / "visits.pdf"
    download.save_as(saved)
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(saved.read_bytes())).pages)
    assert "J06.9" in text and "Acute upper respiratory infection" in text and "咽痛、发热两天" in text

    phone.get_by_test_id("viewers-link").click()
    expect(phone.get_by_test_id("viewer-row").first).to_contain_text("Doctor")
    expect(phone.get_by_test_id("viewers")).not_to_contain_text(clinic.doctor.user.name)
    phone.screenshot(path=str(screens / "06-who-has-viewed-360.png"), full_page=True)
