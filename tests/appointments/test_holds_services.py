"""Held numbers (awaiting payment): released by holds_expire when not paid in time, once."""

from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from appointments import services, tasks
from appointments.errors import InvalidTransitionError
from appointments.models import Appointment, AppointmentEvent, AppointmentStatus, DoctorTitle, Slot
from notifications.models import Notification
from tests.appointments import factories

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("with_fees")]


@pytest.fixture
def with_fees():
    with override_settings(REGISTRATION_FEES={DoctorTitle.ATTENDING: "25"}, APPOINTMENT_HOLD_MINUTES=15):
        yield


@pytest.fixture
def held():
    """A held appointment in a slot of two numbers, and the account that holds it."""
    account, herself = factories.account_with_patient()
    appointment = services.appointment_book(patient=herself, slot=factories.slot(capacity=2), booked_by=account)
    assert appointment.status == AppointmentStatus.HELD
    return appointment


def booked_numbers(appointment: Appointment) -> int:
    return Slot.objects.get(pk=appointment.slot_id).booked


def test_a_hold_still_within_its_time_is_kept(held):
    released = services.holds_expire(now=timezone.now() + timedelta(minutes=14))

    held.refresh_from_db()
    assert (released, held.status, booked_numbers(held)) == (0, AppointmentStatus.HELD, 1)


def test_an_expired_hold_is_released_and_its_number_freed(held):
    released = services.holds_expire(now=timezone.now() + timedelta(minutes=16))

    held.refresh_from_db()
    assert (released, held.status, booked_numbers(held)) == (1, AppointmentStatus.EXPIRED, 0)
    assert held.expired_at is not None
    assert AppointmentEvent.objects.filter(appointment=held, from_status="held", to_status="expired", by=None).exists()


def test_running_holds_expire_twice_releases_once(held):
    later = timezone.now() + timedelta(minutes=16)

    counts = [services.holds_expire(now=later), services.holds_expire(now=later)]

    assert (counts, booked_numbers(held)) == ([1, 0], 0)


def test_a_paid_hold_is_not_released(held):
    services.appointment_confirm(appointment=held)

    assert services.holds_expire(now=timezone.now() + timedelta(hours=1)) == 0
    assert booked_numbers(held) == 1


def test_the_booker_is_told_once_that_the_hold_ran_out(held):
    later = timezone.now() + timedelta(minutes=16)

    services.holds_expire(now=later)
    services.holds_expire(now=later)

    assert Notification.objects.filter(user=held.booked_by, key=f"appointment:{held.pk}:expired").count() == 1


def test_the_freed_number_can_be_booked_by_someone_else(held):
    Slot.objects.filter(pk=held.slot_id).update(capacity=1)
    other_account, other = factories.account_with_patient()
    services.holds_expire(now=timezone.now() + timedelta(minutes=16))

    appointment = services.appointment_book(patient=other, slot=held.slot, booked_by=other_account)

    assert (appointment.status, booked_numbers(held)) == (AppointmentStatus.HELD, 1)


def test_release_of_a_booked_appointment_is_refused(held):
    services.appointment_confirm(appointment=held)

    with pytest.raises(InvalidTransitionError):
        services.appointment_release(appointment=held, reason="payment failed")

    assert booked_numbers(held) == 1


def test_the_periodic_task_runs_the_service(held):
    Appointment.objects.filter(pk=held.pk).update(hold_expires_at=timezone.now() - timedelta(seconds=1))

    assert tasks.holds_expire.apply().get() == 1
    held.refresh_from_db()
    assert held.status == AppointmentStatus.EXPIRED
