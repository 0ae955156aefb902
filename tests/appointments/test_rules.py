"""The rules a hospital enforces on bookings, each refused case beside the allowed one.

A refusal raises a clear error and changes nothing: no appointment, no number taken, the old
booking kept.
"""

from datetime import UTC, date, time, timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from accounts.roles import Role
from appointments import services
from appointments.errors import (
    AlreadyBookedError,
    CancellationClosedError,
    DailyLimitError,
    InvalidTransitionError,
    NotYourPatientError,
    SlotFullError,
    SlotNotBookableError,
)
from appointments.localtime import hospital_zone
from appointments.models import Appointment, AppointmentStatus, Slot, SlotStatus
from notifications.models import Notification
from tests.appointments import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def holder():
    account, herself = factories.account_with_patient(name="刘芳")
    return account, herself


def booked_numbers(slot: Slot) -> int:
    return Slot.objects.get(pk=slot.pk).booked


def nothing_booked(*slots: Slot) -> bool:
    return not Appointment.objects.exists() and all(booked_numbers(s) == 0 for s in slots)


# --- Who a person may book for ---------------------------------------------------------------------

def test_booking_for_someone_on_your_list_is_allowed(holder):
    account, _ = holder
    father = factories.patient(name="刘建国")
    factories.add_to_list(account, father)

    assert services.appointment_book(patient=father, slot=factories.slot(), booked_by=account).patient == father


def test_booking_for_someone_not_on_your_list_is_refused(holder):
    account, _ = holder
    stranger = factories.patient(name="陌生人")
    slot = factories.slot()

    with pytest.raises(NotYourPatientError) as refused:
        services.appointment_book(patient=stranger, slot=slot, booked_by=account)

    assert refused.value.http_status == 403
    assert nothing_booked(slot)


def test_a_doctor_cannot_book_for_a_patient_not_on_their_own_list():
    doctor_account = factories.user(Role.DOCTOR)
    slot = factories.slot()

    with pytest.raises(NotYourPatientError):
        services.appointment_book(patient=factories.patient(), slot=slot, booked_by=doctor_account)

    assert nothing_booked(slot)


# --- Which slots can be booked --------------------------------------------------------------------

def test_released_future_open_slot_can_be_booked(holder):
    account, herself = holder
    slot = factories.slot(starts_at=timezone.now() + timedelta(minutes=5))

    assert services.appointment_book(patient=herself, slot=slot, booked_by=account).status == AppointmentStatus.BOOKED


def test_past_slot_is_refused(holder):
    account, herself = holder
    slot = factories.slot(starts_at=timezone.now() - timedelta(minutes=1))

    with pytest.raises(SlotNotBookableError) as refused:
        services.appointment_book(patient=herself, slot=slot, booked_by=account)

    assert refused.value.extra["reason"] == "past"
    assert nothing_booked(slot)


@override_settings(TIME_ZONE="Asia/Shanghai")
def test_slot_not_yet_released_is_refused_saying_when_it_opens(holder):
    account, herself = holder
    slot = factories.slot(released=False)
    Slot.objects.filter(pk=slot.pk).update(release_at=timezone.now().replace(year=2099, month=3, day=2, hour=0, minute=0,
                                                                               second=0, microsecond=0))

    with pytest.raises(SlotNotBookableError) as refused:
        services.appointment_book(patient=herself, slot=slot, booked_by=account)

    assert refused.value.extra["reason"] == "not_released"
    assert "2099-03-02 08:00" in str(refused.value.message)  # 00:00 UTC is 08:00 in the hospital's zone
    assert nothing_booked(slot)


def test_cancelled_slot_is_refused(holder):
    account, herself = holder
    slot = factories.slot(status=SlotStatus.CANCELLED)

    with pytest.raises(SlotNotBookableError) as refused:
        services.appointment_book(patient=herself, slot=slot, booked_by=account)

    assert refused.value.extra["reason"] == "cancelled"
    assert nothing_booked(slot)


def test_slot_with_a_number_left_can_be_booked(holder):
    account, herself = holder
    slot = factories.slot(capacity=2, booked=1)

    services.appointment_book(patient=herself, slot=slot, booked_by=account)

    assert booked_numbers(slot) == 2


def test_full_slot_is_refused_as_just_taken(holder):
    account, herself = holder
    slot = factories.slot(capacity=2, booked=2)

    with pytest.raises(SlotFullError) as refused:
        services.appointment_book(patient=herself, slot=slot, booked_by=account)

    assert (refused.value.http_status, refused.value.code) == (409, "slot_full")
    assert "just been taken" in str(refused.value.message)
    assert booked_numbers(slot) == 2 and not Appointment.objects.exists()


# --- One per doctor and session, and the daily cap -------------------------------------------------

def test_second_booking_with_the_same_doctor_in_another_session_is_allowed(holder):
    account, herself = holder
    doc = factories.doctor()
    morning, afternoon = factories.slot(doc=doc), factories.slot(doc=doc, at=time(14, 0))

    services.appointment_book(patient=herself, slot=morning, booked_by=account)
    services.appointment_book(patient=herself, slot=afternoon, booked_by=account)

    assert Appointment.objects.filter(patient=herself).count() == 2


def test_second_booking_with_the_same_doctor_in_the_same_session_is_refused(holder):
    account, herself = holder
    doc = factories.doctor()
    first, later = factories.slot(doc=doc), factories.slot(doc=doc, at=time(10, 0))
    services.appointment_book(patient=herself, slot=first, booked_by=account)

    with pytest.raises(AlreadyBookedError):
        services.appointment_book(patient=herself, slot=later, booked_by=account)

    assert booked_numbers(later) == 0
    assert Appointment.objects.filter(patient=herself).count() == 1


@override_settings(MAX_ACTIVE_BOOKINGS_PER_DAY=2)
def test_bookings_up_to_the_daily_cap_are_allowed(holder):
    account, herself = holder

    for _ in range(2):
        services.appointment_book(patient=herself, slot=factories.slot(), booked_by=account)

    assert Appointment.objects.filter(patient=herself, status=AppointmentStatus.BOOKED).count() == 2


@override_settings(MAX_ACTIVE_BOOKINGS_PER_DAY=2)
def test_booking_past_the_daily_cap_is_refused(holder):
    account, herself = holder
    for _ in range(2):
        services.appointment_book(patient=herself, slot=factories.slot(), booked_by=account)
    third = factories.slot()

    with pytest.raises(DailyLimitError) as refused:
        services.appointment_book(patient=herself, slot=third, booked_by=account)

    assert refused.value.code == "daily_limit"
    assert booked_numbers(third) == 0
    assert Appointment.objects.filter(patient=herself).count() == 2


@override_settings(MAX_ACTIVE_BOOKINGS_PER_DAY=1)
def test_daily_cap_counts_only_that_day_and_only_active_appointments(holder):
    account, herself = holder
    today_slot = factories.slot()
    booked = services.appointment_book(patient=herself, slot=today_slot, booked_by=account)
    next_day = factories.slot(day=today_slot.date + timedelta(days=1))

    services.appointment_book(patient=herself, slot=next_day, booked_by=account)  # another day: allowed
    services.appointment_cancel(appointment=booked, by=account)
    services.appointment_book(patient=herself, slot=factories.slot(day=today_slot.date), booked_by=account)

    assert Appointment.objects.filter(patient=herself, status=AppointmentStatus.BOOKED).count() == 2


# --- Cancellation and its cut-off -----------------------------------------------------------------------

@override_settings(CANCEL_CUTOFF_HOURS=2)
def test_patient_cancels_before_the_cut_off_and_the_number_is_given_back(holder):
    account, herself = holder
    slot = factories.slot(starts_at=timezone.now() + timedelta(hours=2, minutes=5))
    appointment = services.appointment_book(patient=herself, slot=slot, booked_by=account)

    cancelled = services.appointment_cancel(appointment=appointment, by=account, reason="feeling better")

    assert (cancelled.status, cancelled.cancel_reason) == (AppointmentStatus.CANCELLED, "feeling better")
    assert booked_numbers(slot) == 0


@override_settings(CANCEL_CUTOFF_HOURS=2, TIME_ZONE="Asia/Shanghai")
def test_patient_cancelling_after_the_cut_off_is_refused_naming_it(holder):
    account, herself = holder
    slot = factories.slot(starts_at=timezone.now() + timedelta(hours=1, minutes=55))
    appointment = services.appointment_book(patient=herself, slot=slot, booked_by=account)

    with pytest.raises(CancellationClosedError) as refused:
        services.appointment_cancel(appointment=appointment, by=account)

    cutoff = services.cancel_cutoff(slot)
    assert cutoff.astimezone(hospital_zone()).strftime("%Y-%m-%d %H:%M") in str(refused.value.message)
    appointment.refresh_from_db()
    assert (appointment.status, booked_numbers(slot)) == (AppointmentStatus.BOOKED, 1)


@override_settings(CANCEL_CUTOFF_HOURS=2)
def test_front_desk_cancels_after_the_cut_off_and_the_patient_is_told(holder):
    account, herself = holder
    slot = factories.slot(starts_at=timezone.now() + timedelta(minutes=30))
    appointment = services.appointment_book(patient=herself, slot=slot, booked_by=account)

    services.appointment_cancel(appointment=appointment, by=factories.user(Role.FRONT_DESK), reason="doctor ill")

    assert booked_numbers(slot) == 0
    assert Notification.objects.filter(user=account, key=f"appointment:{appointment.pk}:cancelled").count() == 1


def test_cancelling_someone_elses_appointment_is_refused(holder):
    account, herself = holder
    appointment = services.appointment_book(patient=herself, slot=factories.slot(), booked_by=account)
    other_account, _ = factories.account_with_patient()

    with pytest.raises(NotYourPatientError):
        services.appointment_cancel(appointment=appointment, by=other_account)

    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.BOOKED


def test_cancelling_twice_gives_the_number_back_once(holder):
    account, herself = holder
    slot = factories.slot(capacity=3, booked=1)
    appointment = services.appointment_book(patient=herself, slot=slot, booked_by=account)

    services.appointment_cancel(appointment=appointment, by=account)
    services.appointment_cancel(appointment=appointment, by=account)

    assert booked_numbers(slot) == 1


def test_a_checked_in_appointment_cannot_be_cancelled_online(holder):
    account, herself = holder
    appointment = services.appointment_book(patient=herself, slot=factories.slot(), booked_by=account)
    Appointment.objects.filter(pk=appointment.pk).update(status=AppointmentStatus.CHECKED_IN)

    with pytest.raises(InvalidTransitionError):
        services.appointment_cancel(appointment=appointment, by=account)


# --- Rescheduling ------------------------------------------------------------------------------------------

def test_reschedule_moves_the_booking_in_one_step(holder):
    account, herself = holder
    old_slot, new_slot = factories.slot(), factories.slot()
    old = services.appointment_book(patient=herself, slot=old_slot, booked_by=account)

    new = services.appointment_reschedule(appointment=old, new_slot=new_slot, by=account)

    old.refresh_from_db()
    assert (old.status, new.status, new.rescheduled_from) == (AppointmentStatus.CANCELLED, AppointmentStatus.BOOKED, old)
    assert (booked_numbers(old_slot), booked_numbers(new_slot)) == (0, 1)


def test_reschedule_within_the_same_session_of_the_same_doctor_is_allowed(holder):
    account, herself = holder
    doc = factories.doctor()
    nine, ten = factories.slot(doc=doc), factories.slot(doc=doc, at=time(10, 0))
    old = services.appointment_book(patient=herself, slot=nine, booked_by=account)

    new = services.appointment_reschedule(appointment=old, new_slot=ten, by=account)

    assert new.slot == ten


def test_reschedule_to_a_full_slot_keeps_the_old_booking(holder):
    account, herself = holder
    old_slot, full_slot = factories.slot(), factories.slot(capacity=1, booked=1)
    old = services.appointment_book(patient=herself, slot=old_slot, booked_by=account)

    with pytest.raises(SlotFullError):
        services.appointment_reschedule(appointment=old, new_slot=full_slot, by=account)

    old.refresh_from_db()
    assert (old.status, old.cancelled_at, booked_numbers(old_slot), booked_numbers(full_slot)) == (
        AppointmentStatus.BOOKED, None, 1, 1)
    assert Appointment.objects.count() == 1


@override_settings(CANCEL_CUTOFF_HOURS=2)
def test_reschedule_after_the_cut_off_is_refused(holder):
    account, herself = holder
    old = services.appointment_book(patient=herself, slot=factories.slot(starts_at=timezone.now() + timedelta(hours=1)),
                                    booked_by=account)
    new_slot = factories.slot()

    with pytest.raises(CancellationClosedError):
        services.appointment_reschedule(appointment=old, new_slot=new_slot, by=account)

    old.refresh_from_db()
    assert (old.status, booked_numbers(new_slot)) == (AppointmentStatus.BOOKED, 0)


def test_reschedule_twice_to_the_same_slot_moves_once(holder):
    account, herself = holder
    old = services.appointment_book(patient=herself, slot=factories.slot(), booked_by=account)
    new_slot = factories.slot(capacity=5)

    first = services.appointment_reschedule(appointment=old, new_slot=new_slot, by=account)
    again = services.appointment_reschedule(appointment=old, new_slot=new_slot, by=account)

    assert (again.pk, booked_numbers(new_slot)) == (first.pk, 1)


def test_reschedule_of_someone_elses_appointment_is_refused(holder):
    account, herself = holder
    old = services.appointment_book(patient=herself, slot=factories.slot(), booked_by=account)
    other_account, _ = factories.account_with_patient()

    with pytest.raises(NotYourPatientError):
        services.appointment_reschedule(appointment=old, new_slot=factories.slot(), by=other_account)


def test_slot_dates_are_local_dates():
    # A 07:00 session in Shanghai starts at 23:00 UTC the day before; its slot belongs to the local day.
    with override_settings(TIME_ZONE="Asia/Shanghai"):
        slot = factories.slot(day=date(2099, 5, 4), at=time(7, 0))
    assert (slot.date, slot.starts_at.astimezone(UTC).date()) == (date(2099, 5, 4), date(2099, 5, 3))
