"""Concurrent check-ins and console clicks on real PostgreSQL: numbers unique and gap-free, one ticket per
appointment, one call per click. Threads with their own connections meet at a barrier; what keeps them
apart is the locking in appointments.queue.services."""

import pytest

from appointments.models import AppointmentStatus, QueueTicket, TicketStatus
from appointments.queue import services
from appointments.queue.errors import CheckInRefused, QueueActionRefused
from tests.appointments.queue import world
from tests.appointments.test_races import race
from tests.services import require_postgres

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def postgres_only():
    require_postgres()


def test_fifty_concurrent_check_ins_get_fifty_unique_gap_free_numbers():
    c = world.clinic(prefix="A")
    s = world.slot_at(c, world.soon(30), capacity=60)
    appointments = [world.booked(c, s) for _ in range(50)]
    accounts = [world.account_of(c, a) for a in appointments]

    results = race(50, lambda i: services.ticket_check_in(appointment=appointments[i], by=accounts[i]))

    assert all(isinstance(r, QueueTicket) for r in results), [r for r in results if not isinstance(r, QueueTicket)]
    numbers = sorted(QueueTicket.objects.values_list("sequence", flat=True))
    assert numbers == list(range(1, 51))
    assert sorted(QueueTicket.objects.values_list("number", flat=True)) == [f"A{i:03d}" for i in range(1, 51)]


def test_the_same_appointment_checked_in_ten_times_at_once_gets_one_ticket_and_no_gap():
    c = world.clinic(prefix="A")
    s = world.slot_at(c, world.soon(30))
    appointment = world.booked(c, s)
    account = world.account_of(c, appointment)

    results = race(10, lambda i: services.ticket_check_in(appointment=appointment, by=account))

    assert sum(isinstance(r, QueueTicket) for r in results) == 1
    assert all(isinstance(r, (QueueTicket, CheckInRefused)) for r in results), results
    later = world.checked_in(c, world.booked(c, s))
    assert later.number == "A002"  # the refused ones gave their numbers back
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.CHECKED_IN


def test_two_clicks_on_call_next_at_once_call_one_patient():
    c = world.clinic(prefix="A")
    s = world.slot_at(c, world.soon(30))
    tickets = [world.checked_in(c, world.booked(c, s)) for _ in range(3)]
    point, doctor = tickets[0].service_point, c.doctor.user

    results = race(2, lambda i: services.queue_call_next(service_point=point, by=doctor))

    assert sum(isinstance(r, QueueTicket) for r in results) == 1
    assert any(isinstance(r, QueueActionRefused) for r in results)
    assert QueueTicket.objects.filter(status=TicketStatus.CALLED).count() == 1
