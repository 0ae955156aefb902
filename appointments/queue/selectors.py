"""Reads for the waiting queue: the line in order, the wait estimate, and the three snapshots the live pages
re-read (a patient's ticket, a department's board, a doctor's console).

Snapshots are plain dicts (JSON as they are), built with a fixed number of queries whatever the length
of the queue. The board shows names masked (张*明) because anyone in the hall can read it.
"""

import functools
import math
from datetime import date, datetime, timedelta

import pandas as pd
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import User
from appointments.localtime import hospital_today, hospital_zone
from appointments.models import (
    Appointment,
    AppointmentStatus,
    Department,
    DoctorProfile,
    QueueTicket,
    ServicePoint,
    ServicePointKind,
    Slot,
    TicketPriority,
    TicketStatus,
)
from appointments.queue import live
from appointments.queue.ordering import Waiting, waiting_order
from appointments.queue.services import check_runs_queue, is_account_holder, is_front_desk
from core.errors import NotFound

# The board lists this many of the next patients per room; the console this many of its waiting list.
BOARD_NEXT_SHOWN = 3
CONSOLE_WAITING_SHOWN = 100


# --- The line -----------------------------------------------------------------------------------------

def waiting_ids(*, service_point: ServicePoint | int, day: date | None = None) -> list[int]:
    """Ids of the waiting tickets of `service_point` on `day` (default today), first to be called first.

    Two narrow queries (no model instances, no joins), so calling the next of a long queue stays quick."""
    day = day or hospital_today()
    point_id = service_point if isinstance(service_point, int) else service_point.pk
    rows = QueueTicket.objects.filter(service_point_id=point_id, date=day, status=TicketStatus.WAITING).values_list(
        "pk", "priority", "late", "slot_starts_at", "checked_in_at", "queued_at", "sequence")
    calls = list(QueueTicket.objects.filter(service_point_id=point_id, date=day, called_at__isnull=False)
                 .exclude(priority=TicketPriority.RETURNING).values_list("called_at", flat=True))
    order = waiting_order((Waiting(*row) for row in rows), ordinary_calls=calls,
                          returning_after=settings.QUEUE_RETURNING_AFTER)
    return [w.id for w in order]


def queue_waiting(*, service_point: ServicePoint | int, day: date | None = None, limit: int | None = None,
                  ids: list[int] | None = None) -> list[QueueTicket]:
    """The waiting tickets (with their patients) in the order they will be called; the first `limit` of them.
    `ids`: the order, when the caller has read it already (waiting_ids)."""
    ids = waiting_ids(service_point=service_point, day=day) if ids is None else ids
    ids = ids[:limit] if limit is not None else ids
    by_id = QueueTicket.objects.select_related("patient").in_bulk(ids)
    return [by_id[pk] for pk in ids if pk in by_id]


# --- Wait estimate ------------------------------------------------------------------------------------

def consultation_minutes(*, doctor_id: int | None, now: datetime | None = None) -> tuple[float, float]:
    """(p25, p75) of the doctor's recent consultation lengths in minutes: the last QUEUE_WAIT_SAMPLE finished
    consultations within QUEUE_WAIT_HISTORY_DAYS. With fewer than 3 on record, QUEUE_DEFAULT_CONSULT_MINUTES
    ±50 %. The quartiles (not mean ± sd) because a few long consultations should widen the range, not move it."""
    default = float(settings.QUEUE_DEFAULT_CONSULT_MINUTES)
    if doctor_id is None:
        return default * 0.5, default * 1.5
    now = now or timezone.now()
    rows = list(QueueTicket.objects.filter(
        service_point__doctor_id=doctor_id, status=TicketStatus.DONE, serving_started_at__isnull=False,
        done_at__gte=now - timedelta(days=settings.QUEUE_WAIT_HISTORY_DAYS))
        .order_by("-done_at").values_list("serving_started_at", "done_at")[:settings.QUEUE_WAIT_SAMPLE])
    if len(rows) < 3:
        return default * 0.5, default * 1.5
    frame = pd.DataFrame(rows, columns=["start", "end"])
    minutes = (pd.to_datetime(frame["end"]) - pd.to_datetime(frame["start"])).dt.total_seconds() / 60
    low, high = minutes.clip(lower=0.5).quantile([0.25, 0.75]).tolist()
    return float(low), float(high)


def wait_range(*, ahead: int, someone_in: bool, minutes: tuple[float, float]) -> tuple[int, int]:
    """Minutes until this patient is likely called, as (low, high) rounded out to 5 minutes: the people ahead
    plus the one with the doctor now, each taking between the doctor's lower and upper quartile."""
    turns = ahead + (1 if someone_in else 0)
    low, high = turns * minutes[0], turns * minutes[1]
    return int(math.floor(low / 5) * 5), int(max(math.ceil(high / 5) * 5, 5 if turns else 0))


# --- Access ---------------------------------------------------------------------------------------------

def _uuid_get(queryset, public_id, message):
    try:
        return queryset.get(public_id=public_id)
    except (queryset.model.DoesNotExist, ValueError, ValidationError):
        raise NotFound(message) from None


def access_ticket(*, user: User, public_id) -> QueueTicket:
    """The ticket if `user` may follow it: an account holder of its patient, the front desk, or whoever runs its
    queue. Otherwise NotFound, so other people's tickets cannot even be confirmed to exist."""
    ticket = _uuid_get(QueueTicket.objects.select_related("patient", "service_point__room", "service_point__doctor__user",
                                                          "service_point__department", "appointment__slot"),
                       public_id, _("We could not find this queue ticket."))
    if not user.is_authenticated:
        raise NotFound(_("We could not find this queue ticket."))
    if is_front_desk(user) or is_account_holder(user, ticket.patient_id):
        return ticket
    try:
        check_runs_queue(user=user, service_point=ticket.service_point)
    except Exception:
        raise NotFound(_("We could not find this queue ticket.")) from None
    return ticket


def service_point_get(*, public_id) -> ServicePoint:
    return _uuid_get(ServicePoint.objects.select_related("room", "doctor__user", "department"), public_id,
                     _("We could not find this room."))


def access_console(*, user: User, public_id) -> ServicePoint:
    """The service point if `user` runs it (its doctor); NotYourQueue otherwise."""
    point = service_point_get(public_id=public_id)
    check_runs_queue(user=user, service_point=point)
    return point


def department_get(*, public_id) -> Department:
    return _uuid_get(Department.objects.all(), public_id, _("We could not find this department."))


def service_points_of_doctor(*, doctor: DoctorProfile, day: date | None = None) -> list[ServicePoint]:
    """The doctor's service points: those with a queue today, and those of the rooms of today's slots (made
    on first use, as check-in would)."""
    from appointments.queue.services import service_point_for_slot

    day = day or hospital_today()
    slots = Slot.objects.filter(doctor=doctor, date=day).order_by("starts_at").distinct()
    seen = {}
    for slot in slots:
        point = service_point_for_slot(slot=slot)
        seen.setdefault(point.pk, point)
    for point in ServicePoint.objects.filter(doctor=doctor, tickets__date=day).distinct():
        seen.setdefault(point.pk, point)
    return list(ServicePoint.objects.filter(pk__in=seen).select_related("room", "department", "doctor__user")
                .order_by("pk"))


def appointments_to_check_in(*, patient_ids, day: date | None = None) -> list[Appointment]:
    """Today's appointments of these patients that a check-in could concern (booked, or already in a queue)."""
    day = day or hospital_today()
    return list(Appointment.objects.filter(patient_id__in=patient_ids, date=day)
                .filter(status__in=(AppointmentStatus.BOOKED, AppointmentStatus.HELD, AppointmentStatus.CHECKED_IN,
                                    AppointmentStatus.IN_CONSULTATION))
                .select_related("patient", "slot__room", "slot__department", "doctor__user")
                .order_by("slot__starts_at", "pk"))


# --- Snapshots ------------------------------------------------------------------------------------------

# SEQ_FIRST: a snapshot reads its ``seq`` before anything it shows. Each statement sees every commit made before
# it, so what the snapshot shows is at least as new as its ``seq``; a change committed during the read comes with a
# nudge numbered above ``seq`` and the page reads again. Read last (as it was), a change committed between the
# queue's rows and the ``seq`` gave old rows under the new number, and the page then ignored that change's nudge
# as already shown: a doctor's console kept showing the patient it had just called as waiting (found by the
# Redis-restart fault test, tests/integration/test_faults.py).

def _with_live_state(snapshot):
    """Adds ``live`` ("live" or "delayed", see live.live_state) to what a snapshot selector returns."""

    @functools.wraps(snapshot)
    def wrapper(*args, **kwargs) -> dict:
        return {**snapshot(*args, **kwargs), "live": live.live_state()}

    return wrapper


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _local_hm(moment: datetime | None) -> str:
    return moment.astimezone(hospital_zone()).strftime("%H:%M") if moment else ""


def _where(point: ServicePoint) -> str:
    return point.display_name


def _serving_minutes(point: ServicePoint, now: datetime) -> tuple[float, float]:
    """(low, high) minutes per patient: a pharmacy window's QUEUE_PHARMACY_MINUTES ±50 %, a doctor's quartiles."""
    if point.kind == ServicePointKind.PHARMACY_WINDOW:
        return settings.QUEUE_PHARMACY_MINUTES * 0.5, settings.QUEUE_PHARMACY_MINUTES * 1.5
    return consultation_minutes(doctor_id=point.doctor_id, now=now)


@_with_live_state
def ticket_snapshot(*, ticket: QueueTicket, now: datetime | None = None) -> dict:
    """What the patient's phone shows: number, state, people ahead, estimated wait, where to go when called."""
    now = now or timezone.now()
    point = ticket.service_point
    seq = live.seq_current(live.queue_group(point.pk))  # before the queue is read: see SEQ_FIRST
    pharmacy = point.kind == ServicePointKind.PHARMACY_WINDOW
    ahead = None
    wait = None
    if ticket.status == TicketStatus.WAITING:
        ids = waiting_ids(service_point=point, day=ticket.date)
        ahead = ids.index(ticket.pk) if ticket.pk in ids else None
        someone_in = QueueTicket.objects.filter(service_point=point, date=ticket.date,
                                                status__in=(TicketStatus.CALLED, TicketStatus.SERVING)).exists()
        if ahead is not None:
            low, high = wait_range(ahead=ahead, someone_in=someone_in, minutes=_serving_minutes(point, now))
            wait = {"low_minutes": low, "high_minutes": high}
    message = {
        TicketStatus.WAITING: _("Please wait in the waiting area. Your phone will tell you when it is your turn."),
        TicketStatus.CALLED: _("It is your turn: please go to %(where)s now.") % {"where": _where(point)},
        TicketStatus.SERVING: (_("You are being served at %(where)s.") if pharmacy
                               else _("You are with the doctor in %(where)s.")) % {"where": _where(point)},
        TicketStatus.DONE: _("You have collected your medicines.") if pharmacy else _("Your visit is complete. Thank you."),
        TicketStatus.SKIPPED: _("You missed your call. Tap “I am back” or tell the desk when you are "
                                "here, and you will join the queue again."),
        TicketStatus.NO_SHOW: _("You were called and did not come. Please ask at the front desk."),
        TicketStatus.TRANSFERRED: _("You have been sent to another doctor. Open your new ticket."),
    }[ticket.status]
    transferred_to = None
    if ticket.status == TicketStatus.TRANSFERRED and ticket.transferred_to_id:
        transferred_to = str(QueueTicket.objects.filter(pk=ticket.transferred_to_id)
                             .values_list("public_id", flat=True).first())
    ahead_text = wait_text = ""
    if ahead is not None:
        ahead_text = (ngettext("%(n)d person ahead of you", "%(n)d people ahead of you", ahead) % {"n": ahead}
                      if ahead else _("You are next."))
        if wait and wait["high_minutes"]:
            wait_text = _("Estimated wait: %(low)d–%(high)d minutes") % {"low": wait["low_minutes"],
                                                                         "high": wait["high_minutes"]}
    return {
        "id": str(ticket.public_id),
        "number": ticket.number,
        "status": ticket.status,
        "status_label": str(ticket.get_status_display()),
        "date": ticket.date.isoformat(),
        "department": point.department.name,
        "where": _where(point),
        "doctor": point.doctor.user.name if point.doctor_id else "",
        "pharmacy": pharmacy,
        "people_ahead": ahead,
        "ahead_text": ahead_text,
        "wait": wait,
        "wait_text": wait_text,
        "called": ticket.status == TicketStatus.CALLED,
        "called_at": _iso(ticket.called_at),
        "recall_count": ticket.recall_count,
        "message": message,
        "can_rejoin": ticket.status == TicketStatus.SKIPPED and ticket.date == hospital_today(),
        "transferred_to": transferred_to,
        "seq": seq,
    }


def _board_entry(ticket: QueueTicket) -> dict:
    return {"number": ticket.number, "name": ticket.patient.name_masked}


@_with_live_state
def board_snapshot(*, department: Department, day: date | None = None) -> dict:
    """The waiting-room display of a department: per room, who is called in now and who is next (masked names);
    and the latest calls, which the board may announce aloud. A fixed number of queries per room."""
    day = day or hospital_today()
    seq = live.seq_current(live.board_group(department.pk))  # before the rooms are read: see SEQ_FIRST
    points = list(ServicePoint.objects.filter(department=department, is_active=True, tickets__date=day).distinct()
                  .select_related("room", "doctor__user").order_by("kind", "name", "pk"))
    rooms = []
    calls = []
    for point in points:
        current = list(QueueTicket.objects.filter(service_point=point, date=day,
                                                  status__in=(TicketStatus.CALLED, TicketStatus.SERVING))
                       .select_related("patient").order_by("-called_at"))
        line = waiting_ids(service_point=point, day=day)
        waiting = queue_waiting(service_point=point, limit=BOARD_NEXT_SHOWN, ids=line)
        rooms.append({
            "id": str(point.public_id),
            "where": _where(point),
            "doctor": point.doctor.user.name if point.doctor_id else "",
            "now": [{**_board_entry(t), "status": t.status} for t in current],
            "next": [_board_entry(t) for t in waiting],
            "waiting": len(line),
        })
        calls += [{**_board_entry(t), "where": _where(point), "called_at": _iso(t.called_at),
                   "recall_count": t.recall_count, "key": f"{t.public_id}:{t.recall_count}",
                   # Spoken aloud in the hall: the number and the room, never a name.
                   "say": _("Number %(number)s, please go to %(where)s.") % {"number": t.number, "where": _where(point)}}
                  for t in current if t.status == TicketStatus.CALLED]
    calls.sort(key=lambda c: c["called_at"] or "", reverse=True)
    return {
        "department": department.name,
        "location": department.location,
        "date": day.isoformat(),
        "rooms": rooms,
        "calls": calls[:6],
        "seq": seq,
    }


@_with_live_state
def console_snapshot(*, service_point: ServicePoint, day: date | None = None, now: datetime | None = None) -> dict:
    """The doctor's desk: who is with them (or called), who is next, the waiting list with priority and
    lateness, the patients who missed their call, today's counts, and the rooms a patient can be sent to."""
    day = day or hospital_today()
    now = now or timezone.now()
    seq = live.seq_current(live.queue_group(service_point.pk))  # before the queue is read: see SEQ_FIRST
    today = QueueTicket.objects.filter(service_point=service_point, date=day).select_related("patient", "appointment")
    current = today.filter(status__in=(TicketStatus.CALLED, TicketStatus.SERVING)).order_by("-called_at").first()
    line = waiting_ids(service_point=service_point, day=day)
    waiting = queue_waiting(service_point=service_point, limit=CONSOLE_WAITING_SHOWN, ids=line)
    skipped = list(today.filter(status=TicketStatus.SKIPPED).order_by("skipped_at"))
    counts = {}
    for status in today.values_list("status", flat=True):
        counts[status] = counts.get(status, 0) + 1

    def row(t: QueueTicket) -> dict:
        return {
            "id": str(t.public_id), "number": t.number, "name": t.patient.name, "status": t.status,
            "status_label": str(t.get_status_display()), "priority": t.priority,
            "priority_label": str(t.get_priority_display()) if t.priority != TicketPriority.NORMAL else "",
            "late": t.late, "walk_in": t.appointment_id is None,
            "slot_time": _local_hm(t.slot_starts_at), "checked_in": _local_hm(t.checked_in_at),
            "recall_count": t.recall_count, "called_at": _iso(t.called_at),
        }

    targets = list(ServicePoint.objects.filter(department=service_point.department, is_active=True,
                                               kind=ServicePointKind.CONSULTING_ROOM)
                   .filter(Q(tickets__date=day) | Q(doctor__slots__date=day)).exclude(pk=service_point.pk).distinct()
                   .select_related("room", "doctor__user").order_by("pk"))
    low, high = consultation_minutes(doctor_id=service_point.doctor_id, now=now)
    return {
        "id": str(service_point.public_id),
        "where": _where(service_point),
        "doctor": service_point.doctor.user.name if service_point.doctor_id else "",
        "department": service_point.department.name,
        "date": day.isoformat(),
        "current": row(current) if current else None,
        "next": row(waiting[0]) if waiting else None,
        "waiting": [row(t) for t in waiting],
        "skipped": [row(t) for t in skipped],
        "counts": {"waiting": len(line), "done": counts.get(TicketStatus.DONE, 0),
                   "no_show": counts.get(TicketStatus.NO_SHOW, 0), "skipped": len(skipped)},
        "recall_limit": settings.QUEUE_RECALL_LIMIT,
        "consultation_minutes": [round(low, 1), round(high, 1)],
        "transfer_to": [{"id": str(p.public_id), "label": f"{_where(p)} · {p.doctor.user.name}"} for p in targets],
        "seq": seq,
    }


def ticket_list_for_account(*, user: User, day: date | None = None) -> list[QueueTicket]:
    """Today's tickets of everyone on the user's family list (the latest first), for their queue page."""
    day = day or hospital_today()
    return list(QueueTicket.objects.filter(date=day).filter(
        Q(patient__family_links__account=user) | Q(patient__account=user)).distinct()
        .select_related("patient", "service_point__room", "service_point__department", "service_point__doctor__user")
        .order_by("-checked_in_at"))
