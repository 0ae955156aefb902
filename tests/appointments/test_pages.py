"""The patient's booking pages: departments and the guide → doctors → sessions → a time → who → confirm →
my appointments (cancel, change the time). Each refused case beside the allowed one: a refusal shows
the service's message on the page and changes nothing."""

import re
import uuid
from datetime import time, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from appointments.models import Appointment, AppointmentStatus, Slot, SlotStatus
from records.models import Relationship
from tests.appointments import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def family():
    """刘芳's account with herself and her father 刘建国 on the list."""
    account, herself = factories.account_with_patient(name="刘芳")
    father = factories.patient(name="刘建国")
    factories.add_to_list(account, father, Relationship.PARENT)
    return account, herself, father


@pytest.fixture
def signed_in(client, family):
    client.force_login(family[0])
    return client


def numbers_taken(slot: Slot) -> int:
    return Slot.objects.get(pk=slot.pk).booked


def confirm_url(slot: Slot) -> str:
    return reverse("appointments:confirm", args=[slot.public_id])


def confirm_post(client, slot: Slot, patient, key: str | None = None):
    return client.post(confirm_url(slot), {"patient": str(patient.public_id), "request_key": key or uuid.uuid4().hex})


def text(response) -> str:
    return response.content.decode()


def count_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


# --- Departments and the guide --------------------------------------------------------------------------

def test_departments_page_lists_departments_open_for_booking(client):
    factories.department(name_en="Cardiology", code="cardiology")
    factories.department(name_en="Closed clinic", is_active=False)

    page = text(client.get(reverse("appointments:departments")))

    assert "Cardiology" in page
    assert "Closed clinic" not in page


def test_guide_suggests_departments_for_symptoms(client):
    factories.department(code="cardiology", name_en="Cardiology")
    factories.department(code="dermatology", name_en="Dermatology")

    response = client.get(reverse("appointments:departments"), {"guide": "1", "symptoms": ["chest_pain"], "age": "70"})

    suggestions = text(response).split('data-testid="suggestions"')[1].split("</section>")[0]
    assert "Cardiology" in suggestions
    assert "Dermatology" not in suggestions


def test_guide_sends_a_child_to_paediatrics(client):
    factories.department(code="paediatrics", name_en="Paediatrics")
    factories.department(code="internal", name_en="Internal Medicine")

    response = client.get(reverse("appointments:departments"), {"guide": "1", "symptoms": ["fever"], "age": "5"})

    suggestions = text(response).split('data-testid="suggestions"')[1].split("</section>")[0]
    assert "Paediatrics" in suggestions and "Internal Medicine" not in suggestions


def test_guide_with_nothing_chosen_asks_for_a_symptom_or_an_age(client):
    response = client.get(reverse("appointments:departments"), {"guide": "1"})

    assert "Tick at least one symptom, or enter an age." in text(response)
    assert 'data-testid="suggestions"' not in text(response)


# --- Doctors and their sessions ---------------------------------------------------------------------------

def test_doctor_list_shows_title_specialties_and_next_free_date(client):
    dept = factories.department(name_en="Cardiology")
    doc = factories.doctor(dept=dept, name="王强")
    doc.specialties = "Heart failure"
    doc.save()
    slot = factories.slot(doc=doc)

    page = text(client.get(reverse("appointments:doctors", args=[dept.public_id])))

    assert "王强" in page and "Attending physician" in page and "Heart failure" in page
    assert f"Next free number: {slot.date:%a %Y-%m-%d}" in page


def test_doctor_list_says_when_numbers_open_if_none_are_open_yet(client):
    dept = factories.department()
    factories.slot(doc=factories.doctor(dept=dept), released=False)

    page = text(client.get(reverse("appointments:doctors", args=[dept.public_id])))

    assert "No numbers left now. More open" in page


def test_doctor_list_queries_do_not_grow_with_the_number_of_doctors(client):
    one, five = factories.department(), factories.department()
    factories.slot(doc=factories.doctor(dept=one))
    for _ in range(5):
        factories.slot(doc=factories.doctor(dept=five))

    assert count_queries(client, reverse("appointments:doctors", args=[one.public_id])) == count_queries(
        client, reverse("appointments:doctors", args=[five.public_id]))


def test_unknown_department_is_not_found(client):
    assert client.get(reverse("appointments:doctors", args=[uuid.uuid4()])).status_code == 404


def test_doctor_page_shows_each_session_with_numbers_left_full_or_when_it_opens(client):
    doc = factories.doctor()
    today = timezone.localdate()
    factories.slot(doc=doc, day=today + timedelta(days=2), capacity=3, booked=1)  # morning, 2 left
    factories.slot(doc=doc, day=today + timedelta(days=3), capacity=1, booked=1)  # full
    factories.slot(doc=doc, day=today + timedelta(days=4), released=False)  # not open yet

    page = text(client.get(reverse("appointments:doctor", args=[doc.public_id])))

    assert "2 numbers left" in page
    assert "Full" in page
    assert "Opens " in page
    assert page.count('<a class="session"') == 1  # only the session with numbers left can be chosen


def test_session_page_links_only_the_times_with_numbers_left(client):
    doc = factories.doctor()
    day = timezone.localdate() + timedelta(days=2)
    free = factories.slot(doc=doc, day=day, capacity=2)
    full = factories.slot(doc=doc, day=day, at=time(10, 0), capacity=1, booked=1)

    page = text(client.get(reverse("appointments:session", args=[doc.public_id, day.isoformat(), free.session])))

    assert reverse("appointments:choose_patient", args=[free.public_id]) in page
    assert reverse("appointments:choose_patient", args=[full.public_id]) not in page
    assert "Full" in page


def test_session_page_for_a_day_without_slots_is_not_found(client):
    doc = factories.doctor()
    day = timezone.localdate() + timedelta(days=2)

    assert client.get(reverse("appointments:session", args=[doc.public_id, day.isoformat(), "morning"])).status_code == 404
    assert client.get(reverse("appointments:session", args=[doc.public_id, "not-a-date", "morning"])).status_code == 404


# --- Who it is for, and confirming ---------------------------------------------------------------------------

def test_choosing_who_needs_sign_in(client):
    slot = factories.slot()

    response = client.get(reverse("appointments:choose_patient", args=[slot.public_id]))

    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]


def test_choose_who_lists_myself_and_my_family(signed_in, family):
    page = text(signed_in.get(reverse("appointments:choose_patient", args=[factories.slot().public_id])))

    assert "刘芳" in page and "刘建国" in page


def test_confirm_page_names_the_person_and_carries_a_fresh_request_key(signed_in, family):
    _, _, father = family
    slot = factories.slot()

    first = text(signed_in.get(confirm_url(slot), {"patient": father.public_id}))
    second = text(signed_in.get(confirm_url(slot), {"patient": father.public_id}))

    assert "刘建国" in first
    keys = [re.search(r'name="request_key" value="([0-9a-f]+)"', page).group(1) for page in (first, second)]
    assert keys[0] != keys[1]


def test_confirm_page_for_someone_not_on_my_list_refuses_without_naming_them(signed_in):
    stranger = factories.patient(name="陌生人")

    response = signed_in.get(confirm_url(factories.slot()), {"patient": stranger.public_id})

    assert response.status_code == 403
    assert "This person is not on your list." in text(response)
    assert "陌生人" not in text(response)


def test_confirming_books_for_my_father_and_shows_it_in_my_appointments(signed_in, family):
    _, _, father = family
    slot = factories.slot(capacity=2)

    response = confirm_post(signed_in, slot, father)

    appointment = Appointment.objects.get()
    assert (appointment.patient, appointment.slot, appointment.status) == (father, slot, AppointmentStatus.BOOKED)
    assert response.status_code == 302 and response["Location"].startswith(reverse("appointments:mine"))
    mine = text(signed_in.get(reverse("appointments:mine")))
    assert "Booked: 刘建国" in mine and f'id="a-{appointment.public_id}"' in mine


def test_two_clicks_on_confirm_give_one_appointment(signed_in, family):
    _, herself, _ = family
    slot = factories.slot(capacity=5)
    key = uuid.uuid4().hex

    first = confirm_post(signed_in, slot, herself, key)
    second = confirm_post(signed_in, slot, herself, key)

    assert first.status_code == second.status_code == 302
    assert Appointment.objects.count() == 1
    assert numbers_taken(slot) == 1


@pytest.mark.parametrize(("slot_fields", "message"), [
    ({"capacity": 1, "booked": 1}, "the last number for this time has just been taken"),
    ({"released": False}, "Numbers for this day are not open yet. They open at"),
    ({"status": SlotStatus.CANCELLED}, "The hospital has cancelled this session."),
], ids=["full", "not-yet-released", "cancelled"])
def test_confirming_a_slot_that_cannot_be_booked_shows_why_and_books_nothing(signed_in, family, slot_fields, message):
    _, herself, _ = family
    slot = factories.slot(**slot_fields)
    before = numbers_taken(slot)

    response = confirm_post(signed_in, slot, herself)

    assert response.status_code == 409
    assert message in text(response)
    assert not Appointment.objects.exists() and numbers_taken(slot) == before


def test_confirming_a_past_slot_shows_why_and_books_nothing(signed_in, family):
    _, herself, _ = family
    slot = factories.slot(starts_at=timezone.now() - timedelta(hours=1))

    response = confirm_post(signed_in, slot, herself)

    assert response.status_code == 409
    assert "This time has already passed." in text(response)
    assert not Appointment.objects.exists()


def test_confirming_for_someone_not_on_my_list_is_refused(signed_in):
    stranger = factories.patient(name="陌生人")
    slot = factories.slot()

    response = confirm_post(signed_in, slot, stranger)

    assert response.status_code == 403
    assert "This person is not on your list." in text(response) and "陌生人" not in text(response)
    assert not Appointment.objects.exists() and numbers_taken(slot) == 0


def test_confirming_a_patient_id_that_does_not_exist_gets_the_same_refusal(signed_in):
    slot = factories.slot()

    response = signed_in.post(confirm_url(slot), {"patient": str(uuid.uuid4()), "request_key": "k1"})

    assert response.status_code == 403
    assert not Appointment.objects.exists()


def test_second_booking_with_the_same_doctor_and_session_is_refused(signed_in, family):
    _, herself, _ = family
    doc = factories.doctor()
    day = timezone.localdate() + timedelta(days=2)
    first = factories.slot(doc=doc, day=day, capacity=3)
    confirm_post(signed_in, first, herself)
    second = factories.slot(doc=doc, day=day, at=time(10, 0), capacity=3)

    response = confirm_post(signed_in, second, herself)

    assert response.status_code == 409
    assert "already has an appointment with this doctor in this session" in text(response)
    assert Appointment.objects.count() == 1 and numbers_taken(second) == 0


def test_confirm_form_without_its_hidden_fields_is_a_bad_request(signed_in):
    assert signed_in.post(confirm_url(factories.slot()), {}).status_code == 400
    assert not Appointment.objects.exists()


# --- My appointments: list, cancel, change the time ----------------------------------------------------------

def book(account, patient, slot) -> Appointment:
    from appointments import services

    return services.appointment_book(patient=patient, slot=slot, booked_by=account)


def test_my_appointments_shows_coming_and_past_ones_of_everyone_on_my_list(signed_in, family):
    account, herself, father = family
    coming = book(account, father, factories.slot())
    gone = book(account, herself, factories.slot())
    Appointment.objects.filter(pk=gone.pk).update(status=AppointmentStatus.CANCELLED)
    someone_else, theirs = factories.account_with_patient(name="别人")
    book(someone_else, theirs, factories.slot())

    page = text(signed_in.get(reverse("appointments:mine")))

    upcoming, past = page.split('data-testid="upcoming"')[1].split('data-testid="past"')
    assert f"a-{coming.public_id}" in upcoming and "刘建国" in upcoming
    assert f"a-{gone.public_id}" in past and "Cancelled" in past
    assert "别人" not in page


def test_my_appointments_queries_do_not_grow_with_the_number_of_appointments(client):
    one_account, one_patient = factories.account_with_patient()
    five_account, five_patient = factories.account_with_patient()
    book(one_account, one_patient, factories.slot())
    for days_ahead in range(2, 7):
        book(five_account, five_patient, factories.slot(day=timezone.localdate() + timedelta(days=days_ahead)))
    url = reverse("appointments:mine")

    client.force_login(one_account)
    one = count_queries(client, url)
    client.force_login(five_account)
    five = count_queries(client, url)

    assert one == five


def test_cancel_asks_first_then_cancels_and_gives_the_number_back(signed_in, family):
    account, herself, _ = family
    appointment = book(account, herself, factories.slot())
    url = reverse("appointments:cancel", args=[appointment.public_id])

    asked = signed_in.get(url)
    assert "Cancel the appointment?" in text(asked)
    assert Appointment.objects.get(pk=appointment.pk).status == AppointmentStatus.BOOKED

    response = signed_in.post(url, {"reason": "feeling better"})

    appointment.refresh_from_db()
    assert response.status_code == 302
    assert (appointment.status, appointment.cancel_reason, numbers_taken(appointment.slot)) == (
        AppointmentStatus.CANCELLED, "feeling better", 0)


def test_cancel_after_the_cut_off_is_refused_with_the_time_and_changes_nothing(signed_in, family):
    account, herself, _ = family
    appointment = book(account, herself, factories.slot(starts_at=timezone.now() + timedelta(hours=1)))

    response = signed_in.post(reverse("appointments:cancel", args=[appointment.public_id]))

    assert response.status_code == 409
    assert "Online cancellation and changes closed at" in text(response)
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.BOOKED and numbers_taken(appointment.slot) == 1


def test_my_appointments_hides_cancel_after_the_cut_off_and_says_whom_to_ask(signed_in, family):
    account, herself, _ = family
    book(account, herself, factories.slot(starts_at=timezone.now() + timedelta(hours=1)))

    page = text(signed_in.get(reverse("appointments:mine")))

    assert "please contact the front desk" in page
    assert 'data-testid="cancel"' not in page


def test_someone_elses_appointment_cannot_be_seen_cancelled_or_moved(signed_in):
    other, theirs = factories.account_with_patient(name="别人")
    appointment = book(other, theirs, factories.slot())
    new_slot = factories.slot(doc=appointment.doctor, starts_at=appointment.slot.starts_at + timedelta(days=1))

    assert signed_in.get(reverse("appointments:cancel", args=[appointment.public_id])).status_code == 404
    assert signed_in.post(reverse("appointments:cancel", args=[appointment.public_id])).status_code == 404
    assert signed_in.get(reverse("appointments:reschedule", args=[appointment.public_id])).status_code == 404
    assert signed_in.post(reverse("appointments:reschedule_confirm",
                                  args=[appointment.public_id, new_slot.public_id])).status_code == 404
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.BOOKED and appointment.slot_id != new_slot.pk


def test_change_time_shows_the_same_doctors_times_leading_to_the_move(signed_in, family):
    account, herself, _ = family
    appointment = book(account, herself, factories.slot(capacity=2))
    other_day = factories.slot(doc=appointment.doctor, starts_at=appointment.slot.starts_at + timedelta(days=1))

    doctor_page = signed_in.get(reverse("appointments:reschedule", args=[appointment.public_id]), follow=True)
    assert "Choosing a new time for 刘芳" in text(doctor_page)
    links = re.findall(r'<a class="session" data-testid="session" href="([^"]+)"', text(doctor_page))
    same_day, next_day = (text(signed_in.get(link.replace("&amp;", "&"))) for link in links)

    assert "Current time" in same_day
    assert reverse("appointments:reschedule_confirm", args=[appointment.public_id, appointment.slot.public_id]) not in same_day
    assert reverse("appointments:reschedule_confirm", args=[appointment.public_id, other_day.public_id]) in next_day


def test_moving_books_the_new_time_and_cancels_the_old(signed_in, family):
    account, herself, _ = family
    appointment = book(account, herself, factories.slot())
    new_slot = factories.slot(doc=appointment.doctor, starts_at=appointment.slot.starts_at + timedelta(days=1))
    url = reverse("appointments:reschedule_confirm", args=[appointment.public_id, new_slot.public_id])

    assert "Change the time?" in text(signed_in.get(url))
    response = signed_in.post(url)

    moved = Appointment.objects.get(rescheduled_from=appointment)
    appointment.refresh_from_db()
    assert response.status_code == 302
    assert (appointment.status, moved.slot, moved.status) == (AppointmentStatus.CANCELLED, new_slot, AppointmentStatus.BOOKED)
    assert (numbers_taken(appointment.slot), numbers_taken(new_slot)) == (0, 1)


def test_moving_to_a_full_time_keeps_the_old_appointment(signed_in, family):
    account, herself, _ = family
    appointment = book(account, herself, factories.slot())
    full = factories.slot(doc=appointment.doctor, starts_at=appointment.slot.starts_at + timedelta(days=1), booked=1)

    response = signed_in.post(reverse("appointments:reschedule_confirm", args=[appointment.public_id, full.public_id]))

    assert response.status_code == 409
    assert "the last number for this time has just been taken" in text(response)
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.BOOKED and Appointment.objects.count() == 1


def test_moving_to_another_doctors_time_is_not_offered(signed_in, family):
    account, herself, _ = family
    appointment = book(account, herself, factories.slot())
    elsewhere = factories.slot()

    response = signed_in.post(reverse("appointments:reschedule_confirm", args=[appointment.public_id, elsewhere.public_id]))

    assert response.status_code == 404
    assert Appointment.objects.get().status == AppointmentStatus.BOOKED


# --- Navigation ---------------------------------------------------------------------------------------------

def test_patient_sees_book_and_my_appointments_in_the_menu_and_on_home(signed_in):
    page = text(signed_in.get(reverse("core:home")))

    assert f'href="{reverse("appointments:departments")}"' in page
    assert f'href="{reverse("appointments:mine")}"' in page
    assert 'data-testid="card-book"' in page and 'data-testid="card-front-desk"' not in page


def test_a_number_with_a_fee_is_shown_as_held_until_paid(signed_in, family, settings):
    settings.REGISTRATION_FEES = {"attending": "25"}
    _, herself, _ = family
    slot = factories.slot()

    assert "The number is held for you for" in text(signed_in.get(confirm_url(slot), {"patient": herself.public_id}))
    response = confirm_post(signed_in, slot, herself)

    assert Appointment.objects.get().status == AppointmentStatus.HELD
    # Straight on to paying (payments' page, through appointments.payment_link), with the hold's deadline said.
    assert "Pay the registration fee by" in text(signed_in.get(response["Location"], follow=True))
    assert "Awaiting payment of the registration fee" in text(signed_in.get(reverse("appointments:mine")))
