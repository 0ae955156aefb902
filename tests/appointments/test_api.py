"""/api/v1/appointments/: the catalogue (departments, guide, doctors, sessions, slots), booking, my appointments,
cancel and reschedule, front-desk search. Ids are UUIDs; a refusal is problem+json with the service's code
and status, and changes nothing."""

import uuid
from datetime import date, datetime, time, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.roles import Role
from appointments import services
from appointments.models import Appointment, AppointmentStatus, Slot, SlotStatus
from records.models import Relationship
from tests.appointments import factories

pytestmark = pytest.mark.django_db

API = "/api/v1/appointments"
PROBLEM = "application/problem+json"


@pytest.fixture
def family():
    account, herself = factories.account_with_patient(name="刘芳")
    father = factories.patient(name="刘建国")
    factories.add_to_list(account, father, Relationship.PARENT)
    return account, herself, father


@pytest.fixture
def api(api_client, family):
    api_client.force_login(family[0])
    return api_client


def numbers_taken(slot: Slot) -> int:
    return Slot.objects.get(pk=slot.pk).booked


def book_json(patient, slot, key=None) -> dict:
    return {"patient": str(patient.public_id), "slot": str(slot.public_id), "request_key": key or uuid.uuid4().hex}


def refused(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert body["code"] == code
    return body


def queries_for(client, url: str, **params) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url, params).status_code == 200
    return len(queries)


# --- Catalogue ------------------------------------------------------------------------------------------------

def test_departments_are_listed_with_uuids_to_anyone(api_client):
    dept = factories.department(name_en="Cardiology")

    body = api_client.get(f"{API}/departments").json()

    assert body == [{"id": str(dept.public_id), "code": dept.code, "name": "Cardiology", "name_zh": dept.name_zh,
                     "name_en": "Cardiology", "description": "", "location": ""}]


def test_guide_lists_its_symptoms_and_suggests_departments(api_client):
    factories.department(code="cardiology", name_en="Cardiology")
    factories.department(code="paediatrics", name_en="Paediatrics")

    body = api_client.get(f"{API}/guide", {"symptom": ["chest_pain", "palpitations"], "age": 60}).json()

    assert [d["name"] for d in body["suggestions"]] == ["Cardiology"]
    assert {"key": "fever", "label": "Fever"} in body["symptoms"]


def test_guide_refuses_an_impossible_age(api_client):
    refused(api_client.get(f"{API}/guide", {"age": 300}), 400, "invalid")


def test_doctors_of_a_department_come_with_their_next_free_date(api_client):
    dept = factories.department()
    doc = factories.doctor(dept=dept, name="王强")
    slot = factories.slot(doc=doc)
    factories.doctor(dept=factories.department())  # another department's

    body = api_client.get(f"{API}/doctors", {"department": dept.public_id}).json()

    assert [(d["id"], d["name"], d["next_available_date"]) for d in body] == [
        (str(doc.public_id), "王强", slot.date.isoformat())]
    assert body[0]["department"]["id"] == str(dept.public_id)


def test_doctors_need_a_known_department(api_client):
    assert refused(api_client.get(f"{API}/doctors"), 400, "invalid")["errors"] == {
        "department": ["This parameter is required."]}
    refused(api_client.get(f"{API}/doctors", {"department": "42"}), 400, "invalid")
    refused(api_client.get(f"{API}/doctors", {"department": uuid.uuid4()}), 404, "not_found")


def test_doctor_list_queries_do_not_grow_with_the_number_of_doctors(api_client):
    one, five = factories.department(), factories.department()
    factories.slot(doc=factories.doctor(dept=one))
    for _ in range(5):
        factories.slot(doc=factories.doctor(dept=five))

    assert queries_for(api_client, f"{API}/doctors", department=one.public_id) == queries_for(
        api_client, f"{API}/doctors", department=five.public_id)


def test_a_doctors_sessions_say_numbers_left_and_when_closed_ones_open(api_client):
    doc = factories.doctor()
    today = timezone.localdate()
    factories.slot(doc=doc, day=today + timedelta(days=2), capacity=3, booked=1)
    factories.slot(doc=doc, day=today + timedelta(days=3), capacity=1, booked=1)
    closed = factories.slot(doc=doc, day=today + timedelta(days=4), released=False)

    body = api_client.get(f"{API}/doctors/{doc.public_id}/sessions").json()

    assert [(s["date"], s["state"], s["remaining"]) for s in body] == [
        ((today + timedelta(days=2)).isoformat(), "open", 2),
        ((today + timedelta(days=3)).isoformat(), "full", 0),
        ((today + timedelta(days=4)).isoformat(), "not_released", 1)]
    assert datetime.fromisoformat(body[2]["release_at"]) == closed.release_at


def test_a_doctors_slots_on_a_day_say_which_can_be_booked(api_client):
    doc = factories.doctor()
    day = timezone.localdate() + timedelta(days=2)
    free = factories.slot(doc=doc, day=day, capacity=2)
    full = factories.slot(doc=doc, day=day, at=time(10, 0), capacity=1, booked=1)

    body = api_client.get(f"{API}/doctors/{doc.public_id}/slots", {"date": day.isoformat()}).json()

    assert [(s["id"], s["remaining"], s["bookable"]) for s in body] == [
        (str(free.public_id), 2, True), (str(full.public_id), 0, False)]


def test_slots_need_a_date_and_a_known_doctor(api_client):
    doc = factories.doctor()

    refused(api_client.get(f"{API}/doctors/{doc.public_id}/slots"), 400, "invalid")
    refused(api_client.get(f"{API}/doctors/{uuid.uuid4()}/slots", {"date": "2030-01-01"}), 404, "not_found")


# --- Booking ----------------------------------------------------------------------------------------------------

def test_booking_for_my_father_answers_201_with_the_appointment(api, family):
    _, _, father = family
    slot = factories.slot(capacity=2)

    response = api.post(f"{API}/book", book_json(father, slot), format="json")

    assert response.status_code == 201
    appointment = Appointment.objects.get()
    body = response.json()
    assert (body["id"], body["patient"]["id"], body["slot"]["id"], body["status"]) == (
        str(appointment.public_id), str(father.public_id), str(slot.public_id), "booked")
    assert numbers_taken(slot) == 1


def test_booking_twice_with_one_request_key_books_once(api, family):
    _, herself, _ = family
    slot = factories.slot(capacity=5)
    payload = book_json(herself, slot, key="same-key")

    first = api.post(f"{API}/book", payload, format="json")
    second = api.post(f"{API}/book", payload, format="json")

    assert first.json()["id"] == second.json()["id"]
    assert Appointment.objects.count() == 1 and numbers_taken(slot) == 1


# Queries of one booking through the API, fixed whatever the patient already holds (a rush is all these requests):
# sign-in (session, user), the request's slot and patient, the rules read once without a lock; then one transaction
# (BEGIN/COMMIT, counted as SAVEPOINT/RELEASE inside a test): the patient's lock, the rules read again under it, the
# slot's conditional UPDATE ... RETURNING, the registration fee from payments' fee schedule (appointments.fees), the
# appointment and its history row. The answer needs no query of its own.
BOOKING_QUERIES = 13
# A slot already full is refused from the first read: no transaction, no lock.
FULL_SLOT_QUERIES = 5


def test_booking_takes_a_fixed_number_of_queries_however_many_bookings_the_patient_has(api, family,
                                                                                       django_assert_num_queries):
    account, herself, _ = family
    book(account, herself, factories.slot())  # another doctor, the same day
    slot = factories.slot(capacity=5, booked=2)

    with django_assert_num_queries(BOOKING_QUERIES):
        response = api.post(f"{API}/book", book_json(herself, slot), format="json")

    assert response.status_code == 201
    assert response.json()["slot"]["remaining"] == 2  # the count this booking made, from the UPDATE's RETURNING


def test_booking_a_full_slot_is_refused_from_one_read_without_taking_a_lock(api, family, django_assert_num_queries):
    _, herself, _ = family
    slot = factories.slot(capacity=2, booked=2)

    with django_assert_num_queries(FULL_SLOT_QUERIES) as captured:
        refused(api.post(f"{API}/book", book_json(herself, slot), format="json"), 409, "slot_full")

    assert not any("FOR UPDATE" in query["sql"] or query["sql"].startswith("UPDATE") for query in captured.captured_queries)


@pytest.mark.parametrize(("slot_fields", "code", "reason"), [
    ({"capacity": 1, "booked": 1}, "slot_full", None),
    ({"released": False}, "slot_not_bookable", "not_released"),
    ({"status": SlotStatus.CANCELLED}, "slot_not_bookable", "cancelled"),
    ({"starts_at": "past"}, "slot_not_bookable", "past"),
], ids=["full", "not-yet-released", "cancelled", "past"])
def test_booking_a_slot_that_cannot_be_booked_is_409_and_books_nothing(api, family, slot_fields, code, reason):
    _, herself, _ = family
    if slot_fields.get("starts_at") == "past":
        slot_fields = {"starts_at": timezone.now() - timedelta(hours=1)}
    slot = factories.slot(**slot_fields)
    before = numbers_taken(slot)

    body = refused(api.post(f"{API}/book", book_json(herself, slot), format="json"), 409, code)

    assert body.get("reason") == reason
    assert body["detail"]
    assert not Appointment.objects.exists() and numbers_taken(slot) == before


def test_booking_for_someone_not_on_my_list_is_403(api):
    stranger = factories.patient(name="陌生人")
    slot = factories.slot()

    refused(api.post(f"{API}/book", book_json(stranger, slot), format="json"), 403, "not_your_patient")
    refused(api.post(f"{API}/book", {"patient": str(uuid.uuid4()), "slot": str(slot.public_id)}, format="json"),
            403, "not_your_patient")

    assert not Appointment.objects.exists() and numbers_taken(slot) == 0


def test_a_second_booking_with_the_same_doctor_and_session_is_409(api, family):
    _, herself, _ = family
    doc = factories.doctor()
    day = timezone.localdate() + timedelta(days=2)
    assert api.post(f"{API}/book", book_json(herself, factories.slot(doc=doc, day=day)), format="json").status_code == 201
    second = factories.slot(doc=doc, day=day, at=time(10, 0))

    refused(api.post(f"{API}/book", book_json(herself, second), format="json"), 409, "already_booked")

    assert Appointment.objects.count() == 1 and numbers_taken(second) == 0


def test_booking_an_unknown_slot_is_404_and_a_malformed_request_400(api, family):
    _, herself, _ = family

    refused(api.post(f"{API}/book", {"patient": str(herself.public_id), "slot": str(uuid.uuid4())}, format="json"),
            404, "not_found")
    body = refused(api.post(f"{API}/book", {"patient": "1", "slot": "2"}, format="json"), 400, "invalid")

    assert set(body["errors"]) == {"patient", "slot"}


def test_booking_needs_sign_in(api_client, family):
    response = api_client.post(f"{API}/book", book_json(family[1], factories.slot()), format="json")

    assert response.status_code == 403 and response["Content-Type"] == PROBLEM
    assert not Appointment.objects.exists()


def test_front_desk_books_for_any_patient(api_client):
    clerk = factories.user(Role.FRONT_DESK)
    walk_in = factories.patient(name="赵六")
    api_client.force_login(clerk)

    response = api_client.post(f"{API}/book", book_json(walk_in, factories.slot()), format="json")

    assert response.status_code == 201
    assert Appointment.objects.get().booked_by == clerk


# --- My appointments, cancel, reschedule ------------------------------------------------------------------------

def book(account, patient, slot) -> Appointment:
    return services.appointment_book(patient=patient, slot=slot, booked_by=account)


def test_my_appointments_lists_coming_and_past_ones_of_my_family_only(api, family):
    account, herself, father = family
    coming = book(account, father, factories.slot())
    gone = book(account, herself, factories.slot())
    services.appointment_cancel(appointment=gone, by=account)
    other, theirs = factories.account_with_patient()
    book(other, theirs, factories.slot())

    upcoming = api.get(f"{API}/mine").json()
    past = api.get(f"{API}/mine", {"when": "past"}).json()

    assert [a["id"] for a in upcoming["results"]] == [str(coming.public_id)]
    assert [(a["id"], a["status"]) for a in past["results"]] == [(str(gone.public_id), "cancelled")]
    refused(api.get(f"{API}/mine", {"when": "someday"}), 400, "invalid")


def test_my_appointments_queries_do_not_grow_with_the_number_of_appointments(api_client):
    one_account, one_patient = factories.account_with_patient()
    five_account, five_patient = factories.account_with_patient()
    book(one_account, one_patient, factories.slot())
    for days_ahead in range(2, 7):
        book(five_account, five_patient, factories.slot(day=timezone.localdate() + timedelta(days=days_ahead)))

    api_client.force_login(one_account)
    one = queries_for(api_client, f"{API}/mine")
    api_client.force_login(five_account)
    five = queries_for(api_client, f"{API}/mine")

    assert one == five


def test_an_appointment_is_readable_by_its_family_and_not_found_for_others(api, family):
    account, herself, _ = family
    mine = book(account, herself, factories.slot())
    other, theirs = factories.account_with_patient()
    not_mine = book(other, theirs, factories.slot())

    assert api.get(f"{API}/{mine.public_id}").json()["id"] == str(mine.public_id)
    refused(api.get(f"{API}/{not_mine.public_id}"), 404, "not_found")


def test_cancel_gives_the_number_back(api, family):
    account, herself, _ = family
    appointment = book(account, herself, factories.slot())

    response = api.post(f"{API}/{appointment.public_id}/cancel", {"reason": "feeling better"}, format="json")

    assert response.status_code == 200 and response.json()["status"] == "cancelled"
    assert numbers_taken(appointment.slot) == 0


def test_cancel_after_the_cut_off_is_409_and_keeps_the_appointment(api, family):
    account, herself, _ = family
    appointment = book(account, herself, factories.slot(starts_at=timezone.now() + timedelta(hours=1)))

    body = refused(api.post(f"{API}/{appointment.public_id}/cancel", {}, format="json"), 409, "cancellation_closed")

    assert "cutoff" in body
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.BOOKED and numbers_taken(appointment.slot) == 1


def test_cancelling_someone_elses_appointment_is_404_and_changes_nothing(api):
    other, theirs = factories.account_with_patient()
    appointment = book(other, theirs, factories.slot())

    refused(api.post(f"{API}/{appointment.public_id}/cancel", {}, format="json"), 404, "not_found")

    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.BOOKED


def test_reschedule_moves_to_another_time_of_the_same_doctor(api, family):
    account, herself, _ = family
    appointment = book(account, herself, factories.slot())
    new_slot = factories.slot(doc=appointment.doctor, starts_at=appointment.slot.starts_at + timedelta(days=1))

    response = api.post(f"{API}/{appointment.public_id}/reschedule", {"slot": str(new_slot.public_id)}, format="json")

    assert response.status_code == 200
    body = response.json()
    assert (body["slot"]["id"], body["rescheduled_from"], body["status"]) == (
        str(new_slot.public_id), str(appointment.public_id), "booked")
    assert (numbers_taken(appointment.slot), numbers_taken(new_slot)) == (0, 1)


def test_reschedule_to_a_full_time_is_409_and_keeps_the_old_appointment(api, family):
    account, herself, _ = family
    appointment = book(account, herself, factories.slot())
    full = factories.slot(doc=appointment.doctor, starts_at=appointment.slot.starts_at + timedelta(days=1), booked=1)

    refused(api.post(f"{API}/{appointment.public_id}/reschedule", {"slot": str(full.public_id)}, format="json"),
            409, "slot_full")

    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.BOOKED and Appointment.objects.count() == 1


def test_reschedule_to_another_doctor_is_400(api, family):
    account, herself, _ = family
    appointment = book(account, herself, factories.slot())

    body = refused(api.post(f"{API}/{appointment.public_id}/reschedule", {"slot": str(factories.slot().public_id)},
                            format="json"), 400, "invalid")

    assert "slot" in body["errors"]
    assert Appointment.objects.get().status == AppointmentStatus.BOOKED


def test_rescheduling_someone_elses_appointment_is_404(api):
    other, theirs = factories.account_with_patient()
    appointment = book(other, theirs, factories.slot())
    new_slot = factories.slot(doc=appointment.doctor, starts_at=appointment.slot.starts_at + timedelta(days=1))

    refused(api.post(f"{API}/{appointment.public_id}/reschedule", {"slot": str(new_slot.public_id)}, format="json"),
            404, "not_found")

    assert numbers_taken(new_slot) == 0


# --- Front desk search --------------------------------------------------------------------------------------

def test_front_desk_finds_patients_by_pinyin_initials(api_client):
    api_client.force_login(factories.user(Role.FRONT_DESK))
    xiaoming = factories.patient(name="王小明", dob=date(1960, 3, 4))
    factories.patient(name="李华")

    body = api_client.get(f"{API}/patients", {"q": "wxm"}).json()

    assert [(p["id"], p["mrn"]) for p in body] == [(str(xiaoming.public_id), xiaoming.mrn)]


def test_patient_search_is_refused_to_patients(api):
    refused(api.get(f"{API}/patients", {"q": "wxm"}), 403, "permission_denied")


def test_schema_documents_every_registration_endpoint(client):
    paths = set(client.get("/api/schema/", {"format": "json"}).json()["paths"])

    assert {f"{API}/departments", f"{API}/guide", f"{API}/doctors", f"{API}/doctors/{{public_id}}/sessions",
            f"{API}/doctors/{{public_id}}/slots", f"{API}/book", f"{API}/mine", f"{API}/patients",
            f"{API}/{{public_id}}", f"{API}/{{public_id}}/cancel", f"{API}/{{public_id}}/reschedule"} <= paths


@pytest.mark.parametrize("action", ["cancel", "reschedule"])
def test_staff_who_may_only_view_an_appointment_are_refused_before_their_input_is_read(api_client, family, action):
    """Found by the access probe: a doctor of another department posting an empty reschedule got 400 (invalid
    input) instead of 403 (may not change it). Who may is answered before what was sent."""
    account, herself, _ = family
    appointment = book(account, herself, factories.slot())
    api_client.force_login(factories.doctor().user)  # appointments.view_appointment, not change

    refused(api_client.post(f"{API}/{appointment.public_id}/{action}", {}, format="json"), 403, "not_your_patient")

    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.BOOKED
