"""Issue 3, acceptance item 4: on a 360 px phone a patient books for her father, sees it in "My appointments",
moves it to another day with the same doctor, then cancels it. Screenshots of each screen under the test output."""

from datetime import time, timedelta
from pathlib import Path

from playwright.sync_api import Page, expect

from accounts.roles import Role
from appointments.localtime import hospital_today
from appointments.models import Appointment, AppointmentStatus, Slot
from records.models import Relationship
from tests.appointments import factories

PHONE_WIDTH = 360
PASSWORD = "Quiet-River-2024"  # tests.appointments.factories.user


def fits_phone_width(page: Page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= PHONE_WIDTH


def screenshot(page: Page, folder: Path, name: str) -> None:
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True, scale="css")


def step(page: Page, folder: Path, name: str) -> None:
    """Every screen of the journey fits the phone and is kept as a picture."""
    assert fits_phone_width(page), f"{name} is wider than {PHONE_WIDTH} px"
    screenshot(page, folder, name)


def hospital():
    """A cardiologist with morning numbers on two coming days, and 刘芳 with her father on her list."""
    dept = factories.department(code="cardiology", name_en="Cardiology", name_zh="心内科", location="Outpatient 3F")
    doctor = factories.doctor(dept=dept, name="王强")
    doctor.specialties = "Heart failure"
    doctor.save()
    first_day, second_day = hospital_today() + timedelta(days=2), hospital_today() + timedelta(days=3)
    for day in (first_day, second_day):
        for at in (time(9, 0), time(9, 30)):
            factories.slot(doc=doctor, day=day, at=at, minutes=30, capacity=2)
    account = factories.user(Role.PATIENT, name="刘芳", email="liufang@example.test", phone="13912345678")
    herself = factories.patient(name="刘芳")
    factories.add_to_list(account, herself, Relationship.SELF)
    father = factories.patient(name="刘建国")
    factories.add_to_list(account, father, Relationship.PARENT)
    return doctor, father, first_day, second_day


def test_patient_books_for_her_father_on_a_phone_moves_it_and_cancels_it(live_url, phone_page, screens):
    doctor, father, first_day, second_day = hospital()
    page = phone_page

    page.goto(f"{live_url}/accounts/login/?next=/")
    page.get_by_label("Email or mobile number").fill("13912345678")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("main").get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Hello, 刘芳")).to_be_visible()

    # Not sure where to go: the guide suggests cardiology for chest pain.
    page.get_by_test_id("card-book").click()
    expect(page.get_by_role("heading", name="Book an appointment")).to_be_visible()
    step(page, screens, "01-departments-360")
    page.get_by_text("Not sure which department?").click()
    page.get_by_label("Chest pain or tightness").check()
    page.get_by_label("Age of the person who is ill").fill("68")
    step(page, screens, "02-guide-360")
    page.get_by_role("button", name="Suggest departments").click()
    suggestions = page.get_by_test_id("suggestions")
    expect(suggestions).to_contain_text("Cardiology")
    step(page, screens, "03-guide-suggests-360")
    suggestions.get_by_role("link", name="Cardiology").click()

    expect(page.get_by_role("heading", name="Cardiology")).to_be_visible()
    doctor_card = page.get_by_test_id("doctor").filter(has_text="王强")
    expect(doctor_card).to_contain_text(f"Next free number: {first_day:%a %Y-%m-%d}")
    step(page, screens, "04-doctors-360")
    doctor_card.click()

    expect(page.get_by_role("heading", name="王强")).to_be_visible()
    expect(page.get_by_test_id("day")).to_have_count(2)
    step(page, screens, "05-doctor-sessions-360")
    page.get_by_test_id("day").first.get_by_test_id("session").click()

    expect(page.get_by_role("heading", name="Choose a time with 王强")).to_be_visible()
    step(page, screens, "06-times-360")
    page.get_by_test_id("slot").filter(has_text="09:00").click()

    expect(page.get_by_role("heading", name="Who is the appointment for?")).to_be_visible()
    page.get_by_test_id("who").filter(has_text="刘建国").click()
    step(page, screens, "07-who-360")
    page.get_by_role("button", name="Continue").click()

    expect(page.get_by_role("heading", name="Confirm the appointment")).to_be_visible()
    expect(page.get_by_test_id("confirm-patient")).to_have_text("刘建国")
    step(page, screens, "08-confirm-360")
    page.get_by_test_id("confirm-booking").dblclick()  # an impatient double tap books once

    expect(page.get_by_role("heading", name="My appointments")).to_be_visible()
    expect(page.locator(".message-success")).to_contain_text("Booked: 刘建国 with 王强")
    upcoming = page.get_by_test_id("upcoming").get_by_test_id("appointment")
    expect(upcoming).to_have_count(1)
    expect(upcoming).to_contain_text(f"{first_day:%Y-%m-%d} 09:00")
    expect(upcoming.get_by_test_id("appointment-patient")).to_have_text("刘建国")
    expect(upcoming.get_by_test_id("appointment-status")).to_have_text("Booked")
    step(page, screens, "09-my-appointments-360")
    booked = Appointment.objects.get()
    assert (booked.patient, booked.slot.date, booked.status) == (father, first_day, AppointmentStatus.BOOKED)

    # Move it to the next day, same doctor.
    upcoming.get_by_test_id("reschedule").click()
    expect(page.get_by_test_id("moving")).to_contain_text("Choosing a new time for 刘建国")
    step(page, screens, "10-move-choose-day-360")
    page.get_by_test_id("day").nth(1).get_by_test_id("session").click()
    step(page, screens, "11-move-choose-time-360")
    page.get_by_test_id("slot").filter(has_text="09:30").click()
    expect(page.get_by_role("heading", name="Change the time?")).to_be_visible()
    step(page, screens, "12-move-confirm-360")
    page.get_by_test_id("reschedule-confirm").click()

    expect(page.locator(".message-success")).to_contain_text("Moved: 刘建国 now sees 王强")
    upcoming = page.get_by_test_id("upcoming").get_by_test_id("appointment")
    expect(upcoming).to_have_count(1)
    expect(upcoming).to_contain_text(f"{second_day:%Y-%m-%d} 09:30")
    expect(page.get_by_test_id("past").get_by_test_id("appointment")).to_contain_text("Cancelled")
    step(page, screens, "13-moved-360")

    # Cancel it: a confirmation step first, then it is gone from "coming up".
    upcoming.get_by_test_id("cancel").click()
    expect(page.get_by_role("heading", name="Cancel the appointment?")).to_be_visible()
    step(page, screens, "14-cancel-confirm-360")
    page.get_by_label("Reason (optional)").fill("Feeling better")
    page.get_by_test_id("cancel-confirm").click()

    expect(page.locator(".message-success")).to_contain_text("has been cancelled")
    expect(page.get_by_test_id("upcoming").get_by_test_id("appointment")).to_have_count(0)
    expect(page.get_by_test_id("past").get_by_test_id("appointment")).to_have_count(2)
    step(page, screens, "15-cancelled-360")

    appointments = list(Appointment.objects.order_by("pk"))
    assert [(a.slot.date, a.status) for a in appointments] == [
        (first_day, AppointmentStatus.CANCELLED), (second_day, AppointmentStatus.CANCELLED)]
    assert appointments[1].rescheduled_from == appointments[0]
    assert appointments[1].cancel_reason == "Feeling better"
    assert sum(Slot.objects.filter(doctor=doctor).values_list("booked", flat=True)) == 0
