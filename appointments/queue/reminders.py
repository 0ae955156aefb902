"""Reminders (候诊提醒) raised by scanning for due rows, a service the periodic job and the queue call.

The reminder job (appointments.queue.tasks.reminders_send, every minute) scans for due rows rather than scheduling
far-future ETAs: a restart or a moved appointment can never leave a stale reminder queued. Each reminder is a
notification keyed ``appointment:<id>:reminder-evening`` / ``reminder-1h`` / ``turn-near`` (walk-ins:
``queue-ticket:<id>:turn-near``), and notifications.Notification is unique per (user, key): two runs at the same
moment create and send each once.
"""

from datetime import datetime, time, timedelta

from django.conf import settings
from django.db.models import CharField, Exists, OuterRef, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from appointments.localtime import hospital_today, hospital_zone, local_time_text
from appointments.models import Appointment, AppointmentStatus, QueueTicket, ServicePoint, TicketStatus
from appointments.queue import selectors
from notifications.models import Notification
from records.notify import account_holders_notify


def _appointment_params(appointment: Appointment) -> dict:
    return {"doctor": appointment.doctor.user.name, "when": local_time_text(appointment.slot.starts_at),
            "department": appointment.slot.department.name,
            "patient": appointment.patient.name}


def _not_yet_reminded(appointments, event: str):
    """Leave out appointments whose reminder `event` was already raised, so the minutely scan stays small.
    (notification_send is what makes it once; this only saves it the work.)"""
    key = Concat(Value("appointment:"), Cast(OuterRef("pk"), output_field=CharField()), Value(f":{event}"),
                 output_field=CharField())
    return appointments.exclude(Exists(Notification.objects.filter(key=key)))


def reminders_due(*, now: datetime | None = None) -> int:
    """Raise every reminder that is due at `now`; returns how many appointments or tickets were considered.

    - evening before: from QUEUE_REMINDER_EVENING_HOUR (local) on the day before, for booked appointments;
    - one hour before: QUEUE_REMINDER_BEFORE_MINUTES before the slot, for booked appointments not checked in;
    - your turn is near: a waiting ticket with QUEUE_TURN_NEAR_AHEAD or fewer people ahead.
    """
    now = now or timezone.now()
    local_now = now.astimezone(hospital_zone())
    today = local_now.date()
    considered = 0
    booked = (Appointment.objects.filter(status=AppointmentStatus.BOOKED)
              .select_related("slot__department", "doctor__user", "patient"))
    if local_now.time() >= time(settings.QUEUE_REMINDER_EVENING_HOUR):
        for appointment in _not_yet_reminded(booked.filter(date=today + timedelta(days=1)), "reminder-evening"):
            considered += 1
            account_holders_notify(
                patient_id=appointment.patient_id, key=f"appointment:{appointment.pk}:reminder-evening",
                kind="appointment_reminder", title=_("Appointment tomorrow"),
                body=_("Reminder: %(patient)s sees %(doctor)s (%(department)s) at %(when)s. Check in on your phone "
                       "up to an hour before."), params=_appointment_params(appointment), email=True, sms=True)
    soon = now + timedelta(minutes=settings.QUEUE_REMINDER_BEFORE_MINUTES)
    for appointment in _not_yet_reminded(booked.filter(slot__starts_at__gt=now, slot__starts_at__lte=soon), "reminder-1h"):
        considered += 1
        account_holders_notify(
            patient_id=appointment.patient_id, key=f"appointment:{appointment.pk}:reminder-1h",
            kind="appointment_reminder", title=_("Appointment soon"),
            body=_("%(patient)s sees %(doctor)s (%(department)s) at %(when)s. Check in when you arrive to get a "
                   "queue number."), params=_appointment_params(appointment), sms=True)
    for point_id in (QueueTicket.objects.filter(date=hospital_today(), status=TicketStatus.WAITING)
                     .values_list("service_point_id", flat=True).distinct()):
        considered += turn_near_scan(service_point_id=point_id)
    return considered


def turn_near_scan(*, service_point_id: int) -> int:
    """Tell each patient of this queue with QUEUE_TURN_NEAR_AHEAD or fewer people ahead that their turn is near
    (once per ticket's appointment). Returns how many were considered."""
    point = ServicePoint.objects.select_related("room", "doctor__user", "department").filter(pk=service_point_id).first()
    if point is None:
        return 0
    near = selectors.queue_waiting(service_point=point, limit=settings.QUEUE_TURN_NEAR_AHEAD + 1)
    for ahead, ticket in enumerate(near):
        key = (f"appointment:{ticket.appointment_id}:turn-near" if ticket.appointment_id
               else f"queue-ticket:{ticket.pk}:turn-near")
        account_holders_notify(
            patient_id=ticket.patient_id, key=key, kind="queue_turn_near", title=_("Your turn is near"),
            body=_("%(number)s: %(ahead)d ahead of you at %(where)s. Please stay close to the room."),
            params={"number": ticket.number, "ahead": ahead, "where": point.display_name},
            link=f"/queue/tickets/{ticket.public_id}/", sms=True)
    return len(near)
