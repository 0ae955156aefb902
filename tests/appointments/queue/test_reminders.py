"""Reminders from the periodic scan: evening before, one hour before, "your turn is near" at 3 ahead; each once per
holder however often the job runs, even twice at the same moment (PostgreSQL, two threads)."""

from datetime import datetime, time, timedelta

import pytest
from django.core import mail

from appointments.localtime import hospital_zone
from appointments.queue import reminders, services
from notifications.models import Notification
from tests.appointments.queue import world
from tests.appointments.test_races import race
from tests.services import require_postgres


def local(day, at: time) -> datetime:
    return datetime.combine(day, at, tzinfo=hospital_zone())


@pytest.mark.django_db
def test_evening_reminder_comes_from_seven_pm_the_day_before_once():
    c = world.clinic()
    s = world.slot_at(c, world.soon(60 * 24))
    appointment = world.booked(c, s, name="赵六")
    day_before = s.starts_at.astimezone(hospital_zone()).date() - timedelta(days=1)

    reminders.reminders_due(now=local(day_before, time(18, 59)))
    assert not Notification.objects.filter(key__endswith="reminder-evening").exists()
    reminders.reminders_due(now=local(day_before, time(19, 0)))
    reminders.reminders_due(now=local(day_before, time(19, 1)))

    reminder = Notification.objects.get(key=f"appointment:{appointment.pk}:reminder-evening")
    assert reminder.user == world.account_of(c, appointment) and "赵六" in reminder.body
    assert reminder.send_email and reminder.send_sms


@pytest.mark.django_db
def test_one_hour_reminder_for_a_booking_not_yet_checked_in():
    c = world.clinic()
    s = world.slot_at(c, world.soon(45))
    waiting_at_home, already_here = world.booked(c, s), world.booked(c, s)
    world.checked_in(c, already_here)

    reminders.reminders_due()

    keys = set(Notification.objects.filter(key__endswith="reminder-1h").values_list("key", flat=True))
    assert keys == {f"appointment:{waiting_at_home.pk}:reminder-1h"}


@pytest.mark.django_db
def test_turn_near_goes_to_those_with_three_or_fewer_ahead_once_and_follows_the_line(settings):
    settings.QUEUE_TURN_NEAR_AHEAD = 3
    c = world.clinic()
    tickets = [world.checked_in(c, world.booked(c, world.slot_at(c, world.soon(30 + i)))) for i in range(6)]

    reminders.reminders_due()
    reminders.reminders_due()
    told_first = set(Notification.objects.filter(kind="queue_turn_near").values_list("key", flat=True))
    services.queue_call_next(service_point=tickets[0].service_point, by=c.doctor.user)
    reminders.turn_near_scan(service_point_id=tickets[0].service_point_id)

    told_after = set(Notification.objects.filter(kind="queue_turn_near").values_list("key", flat=True))
    assert told_first == {f"appointment:{t.appointment_id}:turn-near" for t in tickets[:4]}
    assert told_after == told_first | {f"appointment:{tickets[4].appointment_id}:turn-near"}
    assert Notification.objects.filter(kind="queue_turn_near").count() == 5


@pytest.mark.django_db(transaction=True)
def test_two_reminder_jobs_at_the_same_moment_create_and_send_each_reminder_once():
    require_postgres()
    c = world.clinic()
    s = world.slot_at(c, world.soon(60 * 24))
    appointments = [world.booked(c, s) for _ in range(5)]
    for a in appointments:
        account = world.account_of(c, a)
        account.email = f"holder{a.pk}@example.test"
        account.save(update_fields=["email"])
    moment = local(s.starts_at.astimezone(hospital_zone()).date() - timedelta(days=1), time(19, 30))
    mail.outbox.clear()

    results = race(2, lambda i: reminders.reminders_due(now=moment))

    assert all(isinstance(r, int) for r in results), results
    assert Notification.objects.filter(key__endswith="reminder-evening").count() == 5
    assert sorted(m.to[0] for m in mail.outbox) == sorted(f"holder{a.pk}@example.test" for a in appointments)
    assert Notification.objects.filter(key__endswith="reminder-evening", email_sent_at__isnull=False).count() == 5
