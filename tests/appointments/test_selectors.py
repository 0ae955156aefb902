"""Reads for registration: sessions with numbers left, doctors' next free date, a person's appointments,
access to one appointment, the front desk's patient search, and the booking guide (导诊)."""

from datetime import time, timedelta

import pytest
from django.utils import timezone

from accounts.roles import Role
from appointments import guide, selectors, services
from appointments.models import Appointment, AppointmentStatus, SessionOfDay, Slot, SlotStatus
from core.errors import NotFound
from tests.appointments import factories

pytestmark = pytest.mark.django_db


# --- Sessions and doctors ----------------------------------------------------------------------------------

def test_session_list_sums_the_numbers_left_per_session():
    doc = factories.doctor()
    a = factories.slot(doc=doc, at=time(8, 0), capacity=3, booked=1)
    factories.slot(doc=doc, at=time(8, 30), capacity=3, booked=3)
    factories.slot(doc=doc, at=time(14, 0), capacity=2)

    sessions = selectors.session_list(date_from=a.date, date_to=a.date, doctor=doc)

    assert [(s.session, s.capacity, s.remaining, s.state()) for s in sessions] == [
        (SessionOfDay.MORNING, 6, 2, "open"), (SessionOfDay.AFTERNOON, 2, 2, "open")]
    assert (sessions[0].starts_at, sessions[0].ends_at) == (a.starts_at, a.starts_at + timedelta(minutes=45))


def test_session_list_tells_full_cancelled_and_not_yet_released_sessions_apart():
    doc = factories.doctor()
    full = factories.slot(doc=doc, at=time(8, 0), capacity=1, booked=1)
    factories.slot(doc=doc, at=time(14, 0), status=SlotStatus.CANCELLED)
    factories.slot(doc=doc, at=time(19, 0), released=False)

    states = {s.session: s.state() for s in selectors.session_list(date_from=full.date, date_to=full.date, doctor=doc)}

    assert states == {SessionOfDay.MORNING: "full", SessionOfDay.AFTERNOON: "cancelled", SessionOfDay.EVENING: "not_released"}


def test_session_list_for_a_department_covers_its_doctors_only():
    dept = factories.department()
    one, two = factories.doctor(dept=dept), factories.doctor(dept=dept)
    day = factories.slot(doc=one).date
    factories.slot(doc=two)
    factories.slot()  # another department

    sessions = selectors.session_list(date_from=day, date_to=day, department=dept)

    assert {s.doctor_id for s in sessions} == {one.pk, two.pk}


def test_doctor_list_gives_each_doctors_next_bookable_date_in_one_query(django_assert_num_queries):
    dept = factories.department()
    doctors = [factories.doctor(dept=dept) for _ in range(3)]
    soon = factories.slot(doc=doctors[0], starts_at=timezone.now() + timedelta(days=1))
    factories.slot(doc=doctors[0], starts_at=timezone.now() + timedelta(days=3))
    factories.slot(doc=doctors[1], starts_at=timezone.now() + timedelta(days=1), capacity=1, booked=1)  # full
    later = factories.slot(doc=doctors[1], starts_at=timezone.now() + timedelta(days=4))
    factories.slot(doc=doctors[2], starts_at=timezone.now() + timedelta(days=2), released=False)

    with django_assert_num_queries(1):
        listed = {d.pk: (d.next_available_date, d.next_opening_at is not None, d.user.name)
                  for d in selectors.doctor_list(department=dept)}

    assert {pk: v[:2] for pk, v in listed.items()} == {
        doctors[0].pk: (soon.date, False), doctors[1].pk: (later.date, False), doctors[2].pk: (None, True)}


# --- A person's appointments --------------------------------------------------------------------------------

@pytest.fixture
def family():
    account, herself = factories.account_with_patient()
    father = factories.patient()
    factories.add_to_list(account, father)
    return account, herself, father


def test_appointment_list_shows_the_whole_family_upcoming_and_past_apart(family):
    account, herself, father = family
    mine = services.appointment_book(patient=herself, slot=factories.slot(), booked_by=account)
    his = services.appointment_book(patient=father, slot=factories.slot(), booked_by=account)
    cancelled = services.appointment_book(patient=father, slot=factories.slot(at=time(14, 0)), booked_by=account)
    services.appointment_cancel(appointment=cancelled, by=account)
    services.appointment_book(patient=factories.patient(), slot=factories.slot(), booked_by=factories.user(Role.FRONT_DESK))

    upcoming = list(selectors.appointment_list_for_account(account=account, upcoming=True))
    past = list(selectors.appointment_list_for_account(account=account, upcoming=False))

    assert set(upcoming) == {mine, his}
    assert past == [cancelled]


def test_appointment_list_is_one_query_however_long(family, django_assert_num_queries):
    account, herself, _father = family
    for hour in (8, 14, 19):
        services.appointment_book(patient=herself, slot=factories.slot(at=time(hour, 0)), booked_by=account)

    with django_assert_num_queries(1):
        rows = [(a.patient.name, a.doctor.user.name, a.doctor.department.name, a.slot.starts_at)
                for a in selectors.appointment_list_for_account(account=account, upcoming=True)]

    assert len(rows) == 3


def test_access_appointment_finds_ones_own_familys_appointment(family):
    account, _herself, father = family
    appointment = services.appointment_book(patient=father, slot=factories.slot(), booked_by=account)

    assert selectors.access_appointment(user=account, public_id=appointment.public_id) == appointment


def test_access_appointment_of_someone_else_is_not_found(family):
    account, herself, _ = family
    appointment = services.appointment_book(patient=herself, slot=factories.slot(), booked_by=account)
    stranger, _own = factories.account_with_patient()

    with pytest.raises(NotFound):
        selectors.access_appointment(user=stranger, public_id=appointment.public_id)
    with pytest.raises(NotFound):
        selectors.access_appointment(user=account, public_id="not-a-uuid")


def test_access_appointment_by_front_desk_finds_any(family):
    account, herself, _ = family
    appointment = services.appointment_book(patient=herself, slot=factories.slot(), booked_by=account)

    assert selectors.access_appointment(user=factories.user(Role.FRONT_DESK), public_id=appointment.public_id) == appointment


# --- Front desk search -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("query", ["张三明", "三明", "zsm", "ZSM", "zhangsanming", "zhang san", "13712345678", "1371234"])
def test_patient_search_finds_by_name_pinyin_initials_and_phone(query):
    wanted = factories.patient(name="张三明", phone="13712345678")
    factories.patient(name="李四", phone="13698765432")

    assert list(selectors.patient_search(query=query)) == [wanted]


def test_patient_search_finds_by_mrn():
    wanted = factories.patient(name="王五")
    factories.patient(name="赵六")

    assert list(selectors.patient_search(query=wanted.mrn.lower())) == [wanted]


@pytest.mark.parametrize("query", ["", "   ", "zz", "99999999999"])
def test_patient_search_without_a_match_finds_nobody(query):
    factories.patient(name="张三明", phone="13712345678")

    assert list(selectors.patient_search(query=query)) == []


# --- Booking guide --------------------------------------------------------------------------------------------

@pytest.fixture
def departments():
    return {code: factories.department(code=code, sort_order=i) for i, code in
            enumerate(["internal", "cardiology", "paediatrics", "surgery", "dermatology"])}


def test_guide_suggests_cardiology_first_for_chest_pain_and_palpitations(departments):
    suggested = guide.department_suggestions(symptoms=["chest_pain", "palpitations"], age_years=60)

    assert [d.code for d in suggested] == ["cardiology", "internal"]


def test_guide_sends_a_feverish_child_to_paediatrics(departments):
    assert [d.code for d in guide.department_suggestions(symptoms=["fever", "cough"], age_years=5)] == ["paediatrics"]


def test_guide_sends_an_injured_child_to_surgery(departments):
    assert [d.code for d in guide.department_suggestions(symptoms=["injury"], age_years=5)] == ["surgery"]


def test_guide_with_nothing_known_suggests_the_general_department(departments):
    assert [d.code for d in guide.department_suggestions(symptoms=["unknown"], age_years=None)] == ["internal"]


def test_guide_leaves_out_departments_closed_for_booking(departments):
    departments["dermatology"].is_active = False
    departments["dermatology"].save()

    assert [d.code for d in guide.department_suggestions(symptoms=["rash"], age_years=30)] == []


def test_every_guide_symptom_has_a_label_and_a_known_department():
    known = {"internal", "cardiology", "paediatrics", "surgery", "dermatology"}

    assert all(label and set(guide.SYMPTOMS[key][1]) <= known for key, label in guide.symptom_choices())


def test_booking_counts_stay_equal_to_the_active_appointments(family):
    # The invariant the selectors rely on: a slot's booked count is its active appointments.
    account, herself, father = family
    slot = factories.slot(capacity=3)
    first = services.appointment_book(patient=herself, slot=slot, booked_by=account)
    services.appointment_book(patient=father, slot=slot, booked_by=account)
    services.appointment_cancel(appointment=first, by=account)

    assert Slot.objects.get(pk=slot.pk).booked == Appointment.objects.filter(
        slot=slot, status=AppointmentStatus.BOOKED).count() == 1
