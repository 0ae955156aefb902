"""The doctor's console: call next, recall, skip, rejoin, no-show, start, complete, transfer; the session-end job.
Each refused action beside its allowed one; the appointment moves with the ticket."""

from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone

from appointments.localtime import hospital_zone
from appointments.models import AppointmentStatus, QueueTicket, ServicePoint, TicketStatus
from appointments.queue import selectors, services
from appointments.queue.errors import NotYourQueue, QueueActionRefused, QueueEmpty
from tests.appointments import factories
from tests.appointments.queue import world

pytestmark = pytest.mark.django_db


def queue_with(n: int, *, prefix: str = "A"):
    """A clinic whose doctor has `n` patients checked in, on time, in slot order."""
    c = world.clinic(prefix=prefix)
    tickets = []
    for i in range(n):
        s = world.slot_at(c, world.soon(30 + 15 * i))
        tickets.append(world.checked_in(c, world.booked(c, s)))
    return c, tickets


def doctor_of(c):
    return c.doctor.user


def status(ticket) -> str:
    ticket.refresh_from_db()
    return ticket.status


def test_call_next_calls_the_first_in_line():
    c, (first, second) = queue_with(2)

    called = services.queue_call_next(service_point=first.service_point, by=doctor_of(c))

    assert called.pk == first.pk and status(first) == TicketStatus.CALLED and called.called_at is not None
    assert status(second) == TicketStatus.WAITING


def test_another_doctor_cannot_call_this_queue():
    _c, (first,) = queue_with(1)
    other = world.clinic()

    with pytest.raises(NotYourQueue):
        services.queue_call_next(service_point=first.service_point, by=other.doctor.user)

    assert status(first) == TicketStatus.WAITING


def test_call_next_on_an_empty_queue_is_refused():
    c = world.clinic()
    point = ServicePoint.objects.create(department=c.department, doctor=c.doctor, room=c.room)

    with pytest.raises(QueueEmpty):
        services.queue_call_next(service_point=point, by=doctor_of(c))


def test_call_next_while_a_called_patient_has_not_come_is_refused():
    c, (first, second) = queue_with(2)
    services.queue_call_next(service_point=first.service_point, by=doctor_of(c))

    with pytest.raises(QueueActionRefused) as refused:
        services.queue_call_next(service_point=first.service_point, by=doctor_of(c))

    assert "A001" in refused.value.message and status(second) == TicketStatus.WAITING


def test_recall_up_to_the_limit_then_refused(settings):
    settings.QUEUE_RECALL_LIMIT = 2
    c, (first,) = queue_with(1)
    services.queue_call_next(service_point=first.service_point, by=doctor_of(c))

    services.ticket_recall(ticket=first, by=doctor_of(c))
    services.ticket_recall(ticket=first, by=doctor_of(c))
    with pytest.raises(QueueActionRefused):
        services.ticket_recall(ticket=first, by=doctor_of(c))

    first.refresh_from_db()
    assert first.recall_count == 2 and first.status == TicketStatus.CALLED


def test_recall_of_a_waiting_patient_is_refused():
    c, (first,) = queue_with(1)

    with pytest.raises(QueueActionRefused):
        services.ticket_recall(ticket=first, by=doctor_of(c))


def test_no_show_is_refused_before_every_recall_and_allowed_after(settings):
    settings.QUEUE_RECALL_LIMIT = 1
    c, (first,) = queue_with(1)
    services.queue_call_next(service_point=first.service_point, by=doctor_of(c))

    with pytest.raises(QueueActionRefused):
        services.ticket_no_show(ticket=first, by=doctor_of(c))
    services.ticket_recall(ticket=first, by=doctor_of(c))
    services.ticket_no_show(ticket=first, by=doctor_of(c))

    first.refresh_from_db()
    assert first.status == TicketStatus.NO_SHOW
    assert first.appointment.status == AppointmentStatus.NO_SHOW and first.appointment.no_show_at is not None


def test_skipped_patient_leaves_the_line_and_rejoins_behind_those_on_time():
    c, (first, second, third) = queue_with(3)
    point = first.service_point
    services.queue_call_next(service_point=point, by=doctor_of(c))

    services.ticket_skip(ticket=first, by=doctor_of(c))
    assert [t.pk for t in selectors.queue_waiting(service_point=point)] == [second.pk, third.pk]
    services.ticket_rejoin(ticket=first, by=world.account_of(c, first.appointment))

    assert [t.pk for t in selectors.queue_waiting(service_point=point)] == [second.pk, third.pk, first.pk]


def test_rejoin_of_a_waiting_patient_changes_nothing_and_of_a_finished_one_is_refused():
    c, (first, _second) = queue_with(2)
    services.ticket_rejoin(ticket=first, by=c.desk)
    services.queue_call_next(service_point=first.service_point, by=doctor_of(c))
    services.ticket_complete(ticket=first, by=doctor_of(c))

    with pytest.raises(QueueActionRefused):
        services.ticket_rejoin(ticket=first, by=c.desk)

    assert status(first) == TicketStatus.DONE


def test_start_then_complete_moves_the_appointment_to_completed():
    c, (first,) = queue_with(1)
    services.queue_call_next(service_point=first.service_point, by=doctor_of(c))

    services.ticket_start(ticket=first, by=doctor_of(c))
    first.appointment.refresh_from_db()
    assert first.appointment.status == AppointmentStatus.IN_CONSULTATION
    services.ticket_complete(ticket=first, by=doctor_of(c))

    first.refresh_from_db()
    assert first.status == TicketStatus.DONE and first.done_at is not None
    assert first.appointment.status == AppointmentStatus.COMPLETED
    assert list(first.appointment.events.values_list("to_status", flat=True)) == [
        "checked_in", "in_consultation", "completed"]


def test_complete_of_a_waiting_patient_is_refused():
    c, (first,) = queue_with(1)

    with pytest.raises(QueueActionRefused):
        services.ticket_complete(ticket=first, by=doctor_of(c))

    assert status(first) == TicketStatus.WAITING


def test_serving_patient_must_be_finished_before_the_next_is_called():
    c, (first, second) = queue_with(2)
    point = first.service_point
    services.queue_call_next(service_point=point, by=doctor_of(c))
    services.ticket_start(ticket=first, by=doctor_of(c))

    with pytest.raises(QueueActionRefused):
        services.queue_call_next(service_point=point, by=doctor_of(c))
    services.ticket_complete(ticket=first, by=doctor_of(c))
    called = services.queue_call_next(service_point=point, by=doctor_of(c))

    assert called.pk == second.pk


def test_transfer_gives_a_number_in_the_other_doctors_queue_and_keeps_the_appointment():
    c, (first,) = queue_with(1)
    colleague = factories.doctor(dept=c.department)
    target = ServicePoint.objects.create(department=c.department, doctor=colleague)

    new = services.ticket_transfer(ticket=first, to=target, by=doctor_of(c))

    first.refresh_from_db()
    assert first.status == TicketStatus.TRANSFERRED and first.transferred_to == new
    assert (new.service_point, new.appointment, new.status, new.number) == (target, first.appointment, "waiting", "A001")
    assert [t.pk for t in selectors.queue_waiting(service_point=target)] == [new.pk]


def test_another_doctor_cannot_transfer_my_patient():
    _c, (first,) = queue_with(1)
    other = world.clinic()
    target = ServicePoint.objects.create(department=other.department, doctor=other.doctor)

    with pytest.raises(NotYourQueue):
        services.ticket_transfer(ticket=first, to=target, by=other.doctor.user)

    assert status(first) == TicketStatus.WAITING and QueueTicket.objects.count() == 1


def test_session_end_marks_booked_patients_who_never_came_and_leaves_a_running_session_alone(settings):
    settings.QUEUE_NO_SHOW_AFTER_MINUTES = 30
    # A fixed afternoon, not the clock: late in the evening "3 hours ago" and "in 5 minutes" share one session.
    now = datetime.combine(timezone.now().astimezone(hospital_zone()).date(), time(15, 0), tzinfo=hospital_zone())
    c = world.clinic()
    ended = world.slot_at(c, now.replace(hour=9), minutes=15)
    never_came = world.booked(c, ended)
    running = world.slot_at(c, now + timedelta(minutes=5))
    still_coming = world.booked(c, running)

    marked = services.no_shows_mark(now=now)
    again = services.no_shows_mark(now=now)

    never_came.refresh_from_db()
    still_coming.refresh_from_db()
    assert (marked, again) == (1, 0)
    assert never_came.status == AppointmentStatus.NO_SHOW
    assert still_coming.status == AppointmentStatus.BOOKED


def test_session_end_marks_a_skipped_ticket_as_no_show_but_not_one_still_waiting(settings):
    settings.QUEUE_NO_SHOW_AFTER_MINUTES = 0
    c = world.clinic()
    s = world.slot_at(c, world.soon(2), minutes=1)
    skipped, waiting = world.booked(c, s), world.booked(c, s)
    ticket = world.checked_in(c, skipped)
    other = world.checked_in(c, waiting)
    services.queue_call_next(service_point=ticket.service_point, by=doctor_of(c))
    services.ticket_skip(ticket=ticket, by=doctor_of(c))

    services.no_shows_mark(now=s.ends_at + timedelta(minutes=1))

    assert status(ticket) == TicketStatus.NO_SHOW and status(other) == TicketStatus.WAITING
