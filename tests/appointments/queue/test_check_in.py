"""Check-in (phone, the desk's QR link, front desk) and walk-ins: each refusal beside the allowed case."""

import time as clock
from datetime import date, timedelta

import pytest
from django.test import override_settings

from accounts.roles import Role
from appointments.models import AppointmentEvent, AppointmentStatus, CheckInChannel, QueueTicket, ServicePoint
from appointments.queue import services
from appointments.queue.errors import CheckInLinkInvalid, CheckInRefused
from core.errors import PermissionRefused
from tests.appointments import factories
from tests.appointments.queue import world

pytestmark = pytest.mark.django_db


def reason(exc_info) -> str:
    return exc_info.value.extra.get("reason")


def test_patient_checks_in_from_the_phone_and_gets_the_first_number():
    c = world.clinic(prefix="A")
    appointment = world.booked(c, world.slot_at(c, world.soon(30)))

    ticket = world.checked_in(c, appointment)

    appointment.refresh_from_db()
    assert (ticket.number, ticket.sequence, ticket.channel, ticket.late) == ("A001", 1, CheckInChannel.PHONE, False)
    assert appointment.status == AppointmentStatus.CHECKED_IN and appointment.checked_in_at is not None
    assert ticket.service_point.room == c.room and ticket.service_point.doctor == c.doctor
    assert AppointmentEvent.objects.filter(appointment=appointment, to_status="checked_in").count() == 1


def test_numbers_count_up_per_queue_and_day():
    c = world.clinic(prefix="A")
    s = world.slot_at(c, world.soon(30))
    numbers = [world.checked_in(c, world.booked(c, s)).number for _ in range(3)]

    assert numbers == ["A001", "A002", "A003"]


def test_check_in_opens_an_hour_before_the_slot_and_is_refused_before():
    c = world.clinic()
    s = world.slot_at(c, world.soon(30))
    early, on_time = world.booked(c, s), world.booked(c, s)

    with pytest.raises(CheckInRefused) as refused:
        world.checked_in(c, early, at=s.starts_at - timedelta(minutes=61))
    ticket = world.checked_in(c, on_time, at=s.starts_at - timedelta(minutes=60))

    assert reason(refused) == "too_early" and "Check-in opens at" in refused.value.message
    assert ticket.status == "waiting"
    early.refresh_from_db()
    assert early.status == AppointmentStatus.BOOKED and not QueueTicket.objects.filter(appointment=early).exists()


def test_arriving_after_the_slot_started_is_late_and_after_the_limit_is_refused():
    c = world.clinic()
    s = world.slot_at(c, world.soon(10))
    late, too_late = world.booked(c, s), world.booked(c, s)

    ticket = world.checked_in(c, late, at=s.starts_at + timedelta(minutes=5))
    with pytest.raises(CheckInRefused) as refused:
        world.checked_in(c, too_late, at=s.starts_at + timedelta(minutes=61))

    assert ticket.late is True
    assert reason(refused) == "too_late"


def test_cancelled_appointment_is_refused():
    c = world.clinic()
    s = world.slot_at(c, world.soon(30))
    cancelled = world.booked(c, s, status=AppointmentStatus.CANCELLED)

    with pytest.raises(CheckInRefused) as refused:
        world.checked_in(c, cancelled)

    assert reason(refused) == "cancelled" and not QueueTicket.objects.exists()


def test_unpaid_appointment_is_refused_until_paid():
    c = world.clinic()
    held = world.booked(c, world.slot_at(c, world.soon(30)), status=AppointmentStatus.HELD)

    with pytest.raises(CheckInRefused) as refused:
        world.checked_in(c, held)

    assert reason(refused) == "not_paid"


def test_checking_in_twice_is_refused_with_the_number_already_given():
    c = world.clinic(prefix="A")
    appointment = world.booked(c, world.slot_at(c, world.soon(30)))
    world.checked_in(c, appointment)

    with pytest.raises(CheckInRefused) as refused:
        world.checked_in(c, appointment)

    assert reason(refused) == "twice" and "A001" in refused.value.message
    assert QueueTicket.objects.count() == 1


def test_someone_else_cannot_check_my_appointment_in_but_the_front_desk_can():
    c = world.clinic()
    appointment = world.booked(c, world.slot_at(c, world.soon(30)))
    stranger = factories.user(Role.PATIENT)

    with pytest.raises(PermissionRefused):
        services.ticket_check_in(appointment=appointment, by=stranger)
    ticket = services.ticket_check_in(appointment=appointment, by=c.desk, channel=CheckInChannel.DESK)

    assert ticket.channel == CheckInChannel.DESK and ticket.checked_in_by == c.desk


def test_only_staff_give_a_priority_class():
    c = world.clinic()
    s = world.slot_at(c, world.soon(30))
    mine, at_desk = world.booked(c, s), world.booked(c, s)

    with pytest.raises(PermissionRefused):
        world.checked_in(c, mine, priority="emergency")
    ticket = services.ticket_check_in(appointment=at_desk, by=c.desk, channel=CheckInChannel.DESK, priority="disability")

    assert ticket.priority == "disability"


def test_a_patient_aged_80_or_over_gets_the_aged_priority_and_79_does_not():
    c = world.clinic()
    s = world.slot_at(c, world.soon(30))
    today = s.starts_at.date()
    eighty = world.booked(c, s, dob=date(today.year - 81, 1, 1))
    seventy_nine = world.booked(c, s, dob=date(today.year - 79, 1, 1))

    assert world.checked_in(c, eighty).priority == "aged"
    assert world.checked_in(c, seventy_nine).priority == "normal"


def test_qr_link_of_the_department_checks_in():
    c = world.clinic()
    appointment = world.booked(c, world.slot_at(c, world.soon(30)))
    token = services.check_in_link_make(department=c.department)

    ticket = services.ticket_check_in_by_link(token=token, appointment=appointment, by=world.account_of(c, appointment))

    assert ticket.channel == CheckInChannel.QR


def test_forged_qr_link_is_refused():
    c = world.clinic()
    appointment = world.booked(c, world.slot_at(c, world.soon(30)))
    token = services.check_in_link_make(department=c.department)
    forged = token.replace(token.split(":")[0], str(c.department.pk + 1), 1)

    with pytest.raises(CheckInLinkInvalid) as refused:
        services.ticket_check_in_by_link(token=forged, appointment=appointment, by=world.account_of(c, appointment))

    assert reason(refused) == "forged" and not QueueTicket.objects.exists()


def test_expired_qr_link_is_refused():
    c = world.clinic()
    appointment = world.booked(c, world.slot_at(c, world.soon(30)))
    token = services.check_in_link_make(department=c.department)
    clock.sleep(1.1)

    with override_settings(QUEUE_CHECK_IN_LINK_MINUTES=0), pytest.raises(CheckInLinkInvalid) as refused:
        services.ticket_check_in_by_link(token=token, appointment=appointment, by=world.account_of(c, appointment))

    assert reason(refused) == "expired"


def test_qr_link_of_another_department_is_refused():
    c, other = world.clinic(), world.clinic()
    appointment = world.booked(c, world.slot_at(c, world.soon(30)))

    with pytest.raises(CheckInRefused) as refused:
        services.ticket_check_in_by_link(token=services.check_in_link_make(department=other.department),
                                         appointment=appointment, by=world.account_of(c, appointment))

    assert reason(refused) == "wrong_department"


def test_front_desk_registers_a_walk_in_once_and_a_patient_cannot():
    c = world.clinic(prefix="A")
    point = ServicePoint.objects.create(department=c.department, doctor=c.doctor, room=c.room)
    walk_in = factories.patient()

    ticket = services.ticket_walk_in(patient=walk_in, service_point=point, by=c.desk)
    with pytest.raises(CheckInRefused):
        services.ticket_walk_in(patient=walk_in, service_point=point, by=c.desk)
    with pytest.raises(PermissionRefused):
        services.ticket_walk_in(patient=factories.patient(), service_point=point, by=factories.user(Role.PATIENT))

    assert (ticket.number, ticket.appointment, ticket.channel) == ("A001", None, CheckInChannel.WALK_IN)
    assert QueueTicket.objects.count() == 1
