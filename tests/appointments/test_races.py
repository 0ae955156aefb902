"""Concurrent bookings on real PostgreSQL: the database keeps capacity and one-booking-per-session.

Each thread has its own database connection and waits at a barrier, so the requests really reach
the database together; what keeps them apart is the locking in appointments.services, nothing here.
"""

import threading
from datetime import time, timedelta

import pytest
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from accounts.roles import Role
from appointments import services
from appointments.errors import AlreadyBookedError, SlotFullError
from appointments.models import ACTIVE_STATUSES, Appointment, AppointmentEvent, AppointmentStatus, DoctorTitle, Slot
from tests.appointments import factories
from tests.services import require_postgres

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def postgres_only():
    require_postgres()


def race(count: int, action) -> list:
    """Run action(i) for i in range(count) in threads released together; each result or raised exception."""
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def run(i: int) -> None:
        try:
            connection.ensure_connection()  # connect first, so the barrier releases requests, not handshakes
            barrier.wait(timeout=60)
            results[i] = action(i)
        except Exception as exc:
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a booking thread hung (lock wait or deadlock)"
    return results


def kinds(results: list) -> dict[str, int]:
    counted: dict[str, int] = {}
    for result in results:
        name = "booked" if isinstance(result, Appointment) else type(result).__name__
        counted[name] = counted.get(name, 0) + 1
    return counted


def active_in(slot: Slot) -> int:
    return Appointment.objects.filter(slot=slot, status__in=ACTIVE_STATUSES).count()


def test_fifty_people_racing_for_the_last_number_book_it_once():
    desk = factories.user(Role.FRONT_DESK)
    slot = factories.slot(capacity=3)
    for _ in range(2):
        services.appointment_book(patient=factories.patient(), slot=slot, booked_by=desk)
    patients = [factories.patient() for _ in range(50)]

    results = race(50, lambda i: services.appointment_book(patient=patients[i], slot=slot, booked_by=desk))

    assert kinds(results) == {"booked": 1, "SlotFullError": 49}
    assert all("just been taken" in str(r.message) for r in results if isinstance(r, SlotFullError))
    slot.refresh_from_db()
    assert slot.booked == active_in(slot) == 3


def test_fifty_people_racing_for_ten_numbers_book_exactly_ten():
    desk = factories.user(Role.FRONT_DESK)
    slot = factories.slot(capacity=10)
    patients = [factories.patient() for _ in range(50)]

    results = race(50, lambda i: services.appointment_book(patient=patients[i], slot=slot, booked_by=desk))

    assert kinds(results) == {"booked": 10, "SlotFullError": 40}
    slot.refresh_from_db()
    assert slot.booked == active_in(slot) == 10


def test_one_patient_booking_one_session_twice_at_once_gets_one():
    account, herself = factories.account_with_patient()
    doc = factories.doctor()
    nine, ten = factories.slot(doc=doc, capacity=5), factories.slot(doc=doc, at=time(10, 0), capacity=5)

    results = race(10, lambda i: services.appointment_book(patient=herself, slot=(nine, ten)[i % 2], booked_by=account))

    assert kinds(results) == {"booked": 1, "AlreadyBookedError": 9}
    assert all(isinstance(r, (Appointment, AlreadyBookedError)) for r in results)
    nine.refresh_from_db()
    ten.refresh_from_db()
    assert (nine.booked + ten.booked, active_in(nine) + active_in(ten)) == (1, 1)


@override_settings(MAX_ACTIVE_BOOKINGS_PER_DAY=2)
def test_one_patient_booking_many_doctors_at_once_stops_at_the_daily_cap():
    account, herself = factories.account_with_patient()
    slots = [factories.slot() for _ in range(8)]  # eight doctors, same morning

    results = race(8, lambda i: services.appointment_book(patient=herself, slot=slots[i], booked_by=account))

    assert kinds(results) == {"booked": 2, "DailyLimitError": 6}
    assert sum(Slot.objects.filter(pk__in=[s.pk for s in slots]).values_list("booked", flat=True)) == 2


def test_two_clicks_on_confirm_with_one_request_key_book_once():
    account, herself = factories.account_with_patient()
    slot = factories.slot(capacity=5)

    results = race(6, lambda i: services.appointment_book(patient=herself, slot=slot, booked_by=account,
                                                          request_key="confirm-tap-1"))

    assert {r.pk for r in results if isinstance(r, Appointment)} == {Appointment.objects.get().pk}
    assert kinds(results) == {"booked": 6}
    slot.refresh_from_db()
    assert slot.booked == 1


@override_settings(REGISTRATION_FEES={DoctorTitle.ATTENDING: "25"})
def test_holds_expire_run_twice_at_once_releases_each_hold_once():
    desk = factories.user(Role.FRONT_DESK)
    slots = [factories.slot(capacity=4) for _ in range(3)]
    held = [services.appointment_book(patient=factories.patient(), slot=slots[i % 3], booked_by=desk) for i in range(12)]
    later = timezone.now() + timedelta(hours=1)

    results = race(2, lambda i: services.holds_expire(now=later))
    # A hold whose slot the other run has locked at that instant is skipped (SKIP LOCKED), left for
    # the next minute's run; so the two runs plus the next one release each hold exactly once.
    results.append(services.holds_expire(now=later))

    assert sum(results) == 12
    assert set(Appointment.objects.filter(pk__in=[a.pk for a in held]).values_list("status", flat=True)) == {
        AppointmentStatus.EXPIRED}
    assert AppointmentEvent.objects.filter(to_status=AppointmentStatus.EXPIRED).count() == 12
    assert set(Slot.objects.filter(pk__in=[s.pk for s in slots]).values_list("booked", flat=True)) == {0}


def test_crossing_reschedules_do_not_deadlock():
    # A moves from slot 1 to slot 2 while B moves from slot 2 to slot 1: locking both slots in
    # primary-key order means neither waits on the other in a cycle.
    desk = factories.user(Role.FRONT_DESK)
    pairs = []
    for _ in range(5):
        one, two = factories.slot(capacity=2), factories.slot(capacity=2)
        a = services.appointment_book(patient=factories.patient(), slot=one, booked_by=desk)
        b = services.appointment_book(patient=factories.patient(), slot=two, booked_by=desk)
        pairs += [(a, two), (b, one)]

    results = race(10, lambda i: services.appointment_reschedule(appointment=pairs[i][0], new_slot=pairs[i][1], by=desk))

    assert kinds(results) == {"booked": 10}
    assert all(s.booked == active_in(s) == 1 for s in Slot.objects.all())
