"""The front desk page: find a patient by name, pinyin initials, phone or MRN, register a walk-in, book them a time."""

import re
import uuid
from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role
from appointments.models import Appointment, AppointmentStatus
from records.models import Patient
from tests.appointments import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def clerk():
    return factories.user(Role.FRONT_DESK, name="前台小李")


@pytest.fixture
def desk(client, clerk):
    client.force_login(clerk)
    return client


@pytest.fixture
def xiaoming():
    return factories.patient(name="王小明", phone="13812345678", dob=date(1960, 3, 4))


def text(response) -> str:
    return response.content.decode()


def results(response) -> str:
    return text(response).split('data-testid="search-results"')[1].split("</table>")[0]


def test_desk_needs_sign_in(client):
    response = client.get(reverse("appointments:desk"))

    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]


def test_desk_is_refused_to_patients(client, xiaoming):
    account, _ = factories.account_with_patient()
    client.force_login(account)

    assert client.get(reverse("appointments:desk")).status_code == 403
    assert client.get(reverse("appointments:desk_patient", args=[xiaoming.public_id])).status_code == 403


@pytest.mark.parametrize("query", ["wxm", "王小明", "wangxiaoming", "13812345678", "1381234"], ids=[
    "pinyin-initials", "name", "full-pinyin", "phone", "phone-start"])
def test_desk_finds_a_patient(desk, xiaoming, query):
    factories.patient(name="李华")

    found = results(desk.get(reverse("appointments:desk"), {"q": query}))

    assert "王小明" in found and "李华" not in found


def test_desk_finds_a_patient_by_mrn(desk, xiaoming):
    found = results(desk.get(reverse("appointments:desk"), {"q": xiaoming.mrn}))

    assert reverse("appointments:desk_patient", args=[xiaoming.public_id]) in found


def test_desk_search_with_no_match_says_what_to_try(desk, xiaoming):
    found = results(desk.get(reverse("appointments:desk"), {"q": "zzz"}))

    assert "Nobody found" in found and "王小明" not in found


def test_desk_search_needs_two_characters(desk, xiaoming):
    page = text(desk.get(reverse("appointments:desk"), {"q": "w"}))

    assert 'data-testid="search-results"' not in page
    assert "at least 2 characters" in page


def test_desk_registers_a_walk_in_and_goes_on_to_book_for_them(desk, clerk):
    response = desk.post(reverse("appointments:desk"), {
        "name": "赵六", "sex": "male", "date_of_birth": "1950-02-03", "phone": "139 0000 1111"})

    patient = Patient.objects.get(name="赵六")
    assert (patient.phone, patient.created_by, patient.name_initials) == ("13900001111", clerk, "zl")
    assert response.status_code == 302
    assert response["Location"] == reverse("appointments:desk_patient", args=[patient.public_id])


def test_desk_refuses_a_walk_in_with_bad_details_and_registers_nobody(desk):
    response = desk.post(reverse("appointments:desk"), {"name": "赵六", "sex": "male", "date_of_birth": "2999-01-01"})

    assert response.status_code == 400
    assert "The date of birth cannot be in the future." in text(response)
    assert not Patient.objects.filter(name="赵六").exists()


def test_desk_patient_page_lists_the_departments_sessions_leading_to_booking_for_them(desk, xiaoming):
    dept = factories.department(name_en="Cardiology")
    doc = factories.doctor(dept=dept, name="王强")
    slot = factories.slot(doc=doc, day=timezone.localdate() + timedelta(days=1), capacity=3)

    page = text(desk.get(reverse("appointments:desk_patient", args=[xiaoming.public_id]), {"department": dept.public_id}))
    assert "王强" in page and "3 numbers left" in page
    session_url = re.search(r'<a class="session" data-testid="session" href="([^"]+)"', page).group(1)
    session_page = text(desk.get(session_url.replace("&amp;", "&")))

    confirm = reverse("appointments:confirm", args=[slot.public_id]) + f"?patient={xiaoming.public_id}"
    assert confirm in session_page.replace("&amp;", "&")
    assert "Booking for <strong>王小明</strong>" in session_page


def test_desk_books_for_a_patient_who_is_on_nobodys_list(desk, clerk, xiaoming):
    slot = factories.slot()
    confirm = reverse("appointments:confirm", args=[slot.public_id])
    assert "王小明" in text(desk.get(confirm, {"patient": xiaoming.public_id}))

    response = desk.post(confirm, {"patient": str(xiaoming.public_id), "request_key": uuid.uuid4().hex})

    appointment = Appointment.objects.get()
    assert (appointment.patient, appointment.booked_by, appointment.status) == (xiaoming, clerk, AppointmentStatus.BOOKED)
    assert response["Location"] == reverse("appointments:desk_patient", args=[xiaoming.public_id])
    assert f"a-{appointment.public_id}" not in text(desk.get(reverse("appointments:mine")))  # not the clerk's family


def test_desk_patient_page_shows_their_coming_appointments(desk, clerk, xiaoming):
    from appointments import services

    appointment = services.appointment_book(patient=xiaoming, slot=factories.slot(), booked_by=clerk)

    page = text(desk.get(reverse("appointments:desk_patient", args=[xiaoming.public_id])))

    assert appointment.doctor.user.name in page.split("Coming appointments")[1].split("Book a time")[0]


def test_desk_booking_a_full_slot_shows_why_and_books_nothing(desk, xiaoming):
    slot = factories.slot(capacity=1, booked=1)

    response = desk.post(reverse("appointments:confirm", args=[slot.public_id]),
                         {"patient": str(xiaoming.public_id), "request_key": uuid.uuid4().hex})

    assert response.status_code == 409
    assert "just been taken" in text(response)
    assert not Appointment.objects.exists()


def test_front_desk_sees_the_desk_in_the_menu_and_on_home(desk):
    page = text(desk.get(reverse("core:home")))

    assert 'data-testid="card-front-desk"' in page
    assert f'href="{reverse("appointments:desk")}"' in page
    assert 'data-testid="card-book"' not in page
