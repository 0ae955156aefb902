"""appointment_book and friends: what a booking creates, holds for payment, and how it is confirmed."""

from decimal import Decimal

import pytest
from django.test import override_settings
from django.utils import timezone

from accounts.roles import Role
from appointments import services
from appointments.errors import InvalidTransitionError
from appointments.fees import registration_fee
from appointments.models import Appointment, AppointmentEvent, AppointmentStatus, DoctorTitle, Slot
from appointments.signals import appointment_status_changed
from tests.appointments import factories

pytestmark = pytest.mark.django_db

FEES = {DoctorTitle.CHIEF: "50", DoctorTitle.ATTENDING: "20.5"}


@pytest.fixture
def family():
    """An account holder with herself and her father on the list."""
    account, herself = factories.account_with_patient(name="刘芳")
    father = factories.patient(name="刘建国")
    factories.add_to_list(account, father)
    return account, herself, father


def test_free_booking_is_booked_at_once_and_takes_one_number(family):
    account, herself, _ = family
    slot = factories.slot(capacity=3)

    appointment = services.appointment_book(patient=herself, slot=slot, booked_by=account)

    slot.refresh_from_db()
    assert (appointment.status, appointment.fee, appointment.hold_expires_at, slot.booked) == (
        AppointmentStatus.BOOKED, Decimal("0.00"), None, 1)
    assert (appointment.doctor_id, appointment.date, appointment.session) == (slot.doctor_id, slot.date, slot.session)
    assert appointment.booked_at is not None


@override_settings(REGISTRATION_FEES=FEES, APPOINTMENT_HOLD_MINUTES=15)
def test_booking_with_a_fee_is_held_for_payment(family):
    account, herself, _ = family
    slot = factories.slot(doc=factories.doctor(title=DoctorTitle.CHIEF))
    before = timezone.now()

    appointment = services.appointment_book(patient=herself, slot=slot, booked_by=account)

    assert appointment.status == AppointmentStatus.HELD
    assert appointment.fee == Decimal("50.00")
    assert before.timestamp() + 15 * 60 <= appointment.hold_expires_at.timestamp() <= timezone.now().timestamp() + 15 * 60
    assert appointment.booked_at is None


@override_settings(REGISTRATION_FEES=FEES)
def test_registration_fee_comes_from_the_title_and_unlisted_titles_are_free():
    assert registration_fee(doctor=factories.doctor(title=DoctorTitle.ATTENDING)) == Decimal("20.50")
    assert registration_fee(doctor=factories.doctor(title=DoctorTitle.RESIDENT)) == Decimal("0.00")


def test_account_holder_books_for_a_parent_on_the_list(family):
    account, _, father = family

    appointment = services.appointment_book(patient=father, slot=factories.slot(), booked_by=account)

    assert (appointment.patient, appointment.booked_by) == (father, account)


def test_front_desk_books_for_a_walk_in_patient_not_on_any_list():
    desk = factories.user(Role.FRONT_DESK)
    walk_in = factories.patient(name="张三")

    appointment = services.appointment_book(patient=walk_in, slot=factories.slot(), booked_by=desk)

    assert appointment.patient == walk_in


def test_same_request_key_books_once(family):
    account, herself, _ = family
    slot = factories.slot(capacity=5)

    first = services.appointment_book(patient=herself, slot=slot, booked_by=account, request_key="tap-1")
    again = services.appointment_book(patient=herself, slot=slot, booked_by=account, request_key="tap-1")

    slot.refresh_from_db()
    assert (again.pk, slot.booked, Appointment.objects.count()) == (first.pk, 1, 1)


def test_booking_records_an_event_and_signals_after_commit(family, django_capture_on_commit_callbacks):
    account, herself, _ = family
    seen = []

    def receiver(sender, appointment, from_status, to_status, by, **kwargs):
        seen.append((appointment.pk, from_status, to_status, by))

    appointment_status_changed.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            appointment = services.appointment_book(patient=herself, slot=factories.slot(), booked_by=account)
        assert seen == []  # nothing is announced before the booking is committed
        for callback in callbacks:
            callback()
    finally:
        appointment_status_changed.disconnect(receiver)

    assert seen == [(appointment.pk, "", AppointmentStatus.BOOKED, account)]
    assert list(AppointmentEvent.objects.filter(appointment=appointment).values_list("from_status", "to_status", "by")) == [
        ("", AppointmentStatus.BOOKED, account.pk)]


@override_settings(REGISTRATION_FEES=FEES)
def test_confirm_turns_a_hold_into_a_booking_once(family):
    account, herself, _ = family
    held = services.appointment_book(patient=herself, slot=factories.slot(doc=factories.doctor(title=DoctorTitle.CHIEF)),
                                     booked_by=account)

    confirmed = services.appointment_confirm(appointment=held)
    again = services.appointment_confirm(appointment=held)

    assert (confirmed.status, again.status) == (AppointmentStatus.BOOKED, AppointmentStatus.BOOKED)
    assert AppointmentEvent.objects.filter(appointment=held, to_status=AppointmentStatus.BOOKED).count() == 1


@override_settings(REGISTRATION_FEES=FEES)
def test_confirm_after_the_hold_was_released_is_refused(family):
    account, herself, _ = family
    slot = factories.slot(doc=factories.doctor(title=DoctorTitle.CHIEF))
    held = services.appointment_book(patient=herself, slot=slot, booked_by=account)
    services.appointment_release(appointment=held, reason="payment failed")

    with pytest.raises(InvalidTransitionError):
        services.appointment_confirm(appointment=held)

    held.refresh_from_db()
    assert held.status == AppointmentStatus.EXPIRED
    assert Slot.objects.get(pk=slot.pk).booked == 0
