"""Writes for the waiting queue (候诊/叫号): check-in, walk-ins, and the doctor's console.

Locks, always in this order (appointments.services takes Patient → Slot → Appointment; nothing here
takes a Slot, so the two orders agree):

    Patient row → ServicePoint rows (by primary key) → QueueTicket rows → Appointment row
    → core Sequence rows (ticket numbers, then live-update numbers: queues by id, then boards by id)

- Every console action locks its service point first, so two clicks, two browsers, or a doctor and the
  no-show job never act on one queue at the same moment; the ticket's status is re-read under the lock.
- Check-in locks the appointment, and the partial unique constraint ticket_one_live_per_appointment
  stands behind it: checking in twice at once makes one ticket.
- Ticket numbers come from core.sequences (``ticket:<service point>:<date>``): an UPDATE … RETURNING
  inside the check-in's transaction, so concurrent check-ins queue on that row, and a check-in that
  fails gives its number back: numbers are unique and gap-free.

The appointment moves with its ticket: booked → checked_in (check-in) → in_consultation (the patient is
with the doctor) → completed, or → no_show. Each change goes through appointments.services' change
record (an AppointmentEvent and the appointment_status_changed signal after commit). Live nudges and
the "your turn is near" scan are scheduled after commit.
"""

from datetime import date, datetime, timedelta

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.roles import Role
from appointments.localtime import hospital_today
from appointments.models import (
    Appointment,
    AppointmentStatus,
    CheckInChannel,
    Department,
    QueueTicket,
    ServicePoint,
    ServicePointKind,
    Slot,
    TicketPriority,
    TicketStatus,
)
from appointments.queue import live
from appointments.queue.errors import (
    CheckInLinkInvalid,
    CheckInRefused,
    NotYourQueue,
    QueueActionRefused,
    QueueEmpty,
)
from appointments.services import _record_change  # the app's one way to record an appointment's status change
from core.errors import PermissionRefused
from core.outbox import enqueue
from core.sequences import sequence_next
from records.models import FamilyMember, Patient

CHECK_IN_LINK_SALT = "appointments.queue.check-in-link"
# Priorities staff may give; "aged" is also given automatically from the date of birth.
STAFF_PRIORITIES = tuple(TicketPriority.values)


# --- Who may do what ---------------------------------------------------------------------------------

def is_front_desk(user: User) -> bool:
    return user.is_authenticated and (user.has_role(Role.FRONT_DESK) or user.is_superuser)


def is_account_holder(user: User, patient_id: int) -> bool:
    """The user books for this patient: they are on the user's family list (就诊人), or it is the user."""
    return FamilyMember.objects.filter(account=user, patient_id=patient_id).exists() or Patient.objects.filter(
        pk=patient_id, account=user).exists()


def check_runs_queue(*, user: User, service_point: ServicePoint) -> None:
    """Raise NotYourQueue unless `user` runs `service_point`: the doctor of a consulting room; for a pharmacy
    window, staff holding appointments.change_queueticket."""
    if service_point.kind == ServicePointKind.CONSULTING_ROOM:
        if service_point.doctor is not None and service_point.doctor.user_id == user.pk:
            return
    elif user.has_perm("appointments.change_queueticket"):
        return
    raise NotYourQueue()


def runs_queue(*, user: User, service_point: ServicePoint) -> bool:
    try:
        check_runs_queue(user=user, service_point=service_point)
    except NotYourQueue:
        return False
    return True


# --- Service points -----------------------------------------------------------------------------------

def service_point_for_slot(*, slot: Slot) -> ServicePoint:
    """The queue a booked patient joins: the slot's doctor in the slot's room, made on first use.

    The unique constraints (doctor, room) make two check-ins at once find one point; get_or_create
    re-reads after losing that race.
    """
    room_id = slot.room_id
    try:
        with transaction.atomic():
            point, _created = ServicePoint.objects.get_or_create(
                kind=ServicePointKind.CONSULTING_ROOM, doctor_id=slot.doctor_id, room_id=room_id,
                defaults={"department_id": slot.department_id})
    except IntegrityError:
        point = ServicePoint.objects.get(kind=ServicePointKind.CONSULTING_ROOM, doctor_id=slot.doctor_id, room_id=room_id)
    return point


def _lock_service_points(ids) -> dict[int, ServicePoint]:
    points = (ServicePoint.objects.select_for_update(of=("self",)).select_related("doctor", "room", "department")
              .filter(pk__in=sorted(set(ids))).order_by("pk"))
    return {p.pk: p for p in points}


# --- The desk's QR link -----------------------------------------------------------------------------------

def check_in_link_make(*, department: Department) -> str:
    """A signed token naming `department`, for the QR code shown at its desk. It expires after
    QUEUE_CHECK_IN_LINK_MINUTES (the desk page renews it), so a photo of the code is no use at home."""
    return signing.TimestampSigner(salt=CHECK_IN_LINK_SALT).sign(str(department.pk))


def check_in_link_read(*, token: str) -> Department:
    """The department of a QR token; CheckInLinkInvalid when forged (or for a department gone) or expired."""
    signer = signing.TimestampSigner(salt=CHECK_IN_LINK_SALT)
    try:
        department_id = signer.unsign(token or "", max_age=timedelta(minutes=settings.QUEUE_CHECK_IN_LINK_MINUTES))
    except signing.SignatureExpired:
        raise CheckInLinkInvalid.expired() from None
    except signing.BadSignature:
        raise CheckInLinkInvalid.forged() from None
    department = Department.objects.filter(pk=int(department_id)).first()
    if department is None:
        raise CheckInLinkInvalid.forged()
    return department


# --- Check-in -------------------------------------------------------------------------------------

def check_in_window(slot: Slot) -> tuple[datetime, datetime]:
    """(opens, closes) of check-in for a booking in `slot`."""
    return (slot.starts_at - timedelta(minutes=settings.QUEUE_CHECK_IN_OPENS_MINUTES),
            slot.starts_at + timedelta(minutes=settings.QUEUE_CHECK_IN_CLOSES_MINUTES))


def _age_on(born: date, day: date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def _priority_for(patient: Patient, asked: str | None, day: date) -> str:
    if asked and asked != TicketPriority.NORMAL:
        return asked
    if patient.date_of_birth and _age_on(patient.date_of_birth, day) >= settings.QUEUE_PRIORITY_AGE:
        return TicketPriority.AGED
    return TicketPriority.NORMAL


def _issue_ticket(*, service_point: ServicePoint, day: date, patient: Patient, appointment: Appointment | None,
                  channel: str, by: User | None, priority: str, late: bool, queued_at: datetime,
                  now: datetime, issue_key: str | None = None) -> QueueTicket:
    """Insert a ticket with the queue's next number; the caller holds a transaction (so a failure gives it back)."""
    sequence = sequence_next(name=f"ticket:{service_point.pk}:{day.isoformat()}")
    return QueueTicket.objects.create(
        service_point=service_point, date=day, sequence=sequence,
        number=f"{service_point.department.queue_prefix}{sequence:03d}", appointment=appointment, patient=patient,
        priority=priority, channel=channel, slot_starts_at=appointment.slot.starts_at if appointment else None,
        late=late, checked_in_at=now, checked_in_by=by, queued_at=queued_at, issue_key=issue_key)


def _check_priority_allowed(by: User, priority: str | None) -> None:
    if priority and priority != TicketPriority.NORMAL:
        if priority not in STAFF_PRIORITIES:
            raise QueueActionRefused(_("Unknown priority."))
        if not (is_front_desk(by) or by.has_role(Role.DOCTOR) or by.has_role(Role.NURSE)):
            raise PermissionRefused(_("Only hospital staff can give a priority. Please ask at the front desk."))


def ticket_check_in(*, appointment: Appointment, by: User, channel: str = CheckInChannel.PHONE,
                    department: Department | None = None, priority: str | None = None,
                    now: datetime | None = None) -> QueueTicket:
    """Check `appointment` in and give its patient a numbered place in the doctor's queue.

    Who: an account holder of the patient (phone, or the desk's QR link), or the front desk (any patient,
    and may give a priority class). When: today, from QUEUE_CHECK_IN_OPENS_MINUTES before the slot until
    QUEUE_CHECK_IN_CLOSES_MINUTES after it; after QUEUE_LATE_GRACE_MINUTES past the start the ticket is
    marked late (behind those on time). Refused, changing nothing: too early, too late, cancelled, not
    paid, already finished, checked in twice, and (with `department`, from a QR link) another department's.

    Locks the appointment row, re-reading its status; the unique ticket_one_live_per_appointment catches
    the last race. Appointment: booked → checked_in.
    """
    if not (is_front_desk(by) or is_account_holder(by, appointment.patient_id)):
        raise PermissionRefused(_("This appointment is not for anyone on your list."))
    _check_priority_allowed(by, priority)
    now = now or timezone.now()
    with transaction.atomic():
        appointment = (Appointment.objects.select_for_update(of=("self",)).select_related("slot", "patient")
                       .get(pk=appointment.pk))
        existing = (QueueTicket.objects.filter(appointment=appointment).exclude(status=TicketStatus.TRANSFERRED)
                    .values_list("number", flat=True).first())
        if existing:
            raise CheckInRefused.twice(number=existing)
        if appointment.status == AppointmentStatus.CANCELLED:
            raise CheckInRefused.cancelled()
        if appointment.status == AppointmentStatus.HELD:
            raise CheckInRefused.not_paid()
        if appointment.status != AppointmentStatus.BOOKED:
            raise CheckInRefused.finished(status=appointment.get_status_display().lower())
        if department is not None and appointment.slot.department_id != department.pk:
            raise CheckInRefused.wrong_department()
        opens, closes = check_in_window(appointment.slot)
        if now < opens:
            raise CheckInRefused.too_early(opens_at=opens)
        if now > closes:
            raise CheckInRefused.too_late(closed_at=closes)

        point = service_point_for_slot(slot=appointment.slot)
        point = ServicePoint.objects.select_related("department").get(pk=point.pk)
        late = now > appointment.slot.starts_at + timedelta(minutes=settings.QUEUE_LATE_GRACE_MINUTES)
        ticket = _issue_ticket(service_point=point, day=appointment.date, patient=appointment.patient,
                               appointment=appointment, channel=channel, by=by,
                               priority=_priority_for(appointment.patient, priority, appointment.date),
                               late=late, queued_at=now, now=now)
        appointment.status = AppointmentStatus.CHECKED_IN
        appointment.checked_in_at = now
        appointment.save(update_fields=["status", "checked_in_at"])
        _record_change(appointment, from_status=AppointmentStatus.BOOKED, by=by,
                       note=_("Checked in: %(number)s") % {"number": ticket.number})
        live.queue_changed(service_point_ids=[point.pk], department_ids=[point.department_id], ticket_ids=[ticket.pk])
    return ticket


def ticket_check_in_by_link(*, token: str, appointment: Appointment, by: User, now: datetime | None = None) -> QueueTicket:
    """Check in from the QR code at a department's desk: the link must be genuine, not expired, and of the
    appointment's department; then the rules of ticket_check_in apply."""
    department = check_in_link_read(token=token)
    return ticket_check_in(appointment=appointment, by=by, channel=CheckInChannel.QR, department=department, now=now)


def ticket_walk_in(*, patient: Patient, service_point: ServicePoint, by: User, priority: str | None = None,
                   now: datetime | None = None) -> QueueTicket:
    """The front desk puts a patient without a booking (walk-in, 现场) into `service_point`'s queue today.

    Walk-ins wait behind the booked patients who came on time, by the time they joined. One open ticket
    per patient per queue and day. Locks the Patient row, so the same walk-in registered twice at once
    gets one ticket.
    """
    if not is_front_desk(by):
        raise PermissionRefused(_("Only the front desk can register walk-in patients."))
    _check_priority_allowed(by, priority)
    if not service_point.is_active:
        raise QueueActionRefused(_("This room is not in use. Choose another doctor or window."))
    now = now or timezone.now()
    today = hospital_today()
    with transaction.atomic():
        list(Patient.objects.select_for_update().filter(pk=patient.pk).values_list("pk", flat=True))
        existing = (QueueTicket.objects.filter(patient=patient, service_point=service_point, date=today,
                                               status__in=(TicketStatus.WAITING, TicketStatus.CALLED,
                                                           TicketStatus.SERVING, TicketStatus.SKIPPED))
                    .values_list("number", flat=True).first())
        if existing:
            raise CheckInRefused.already_waiting(number=existing)
        point = ServicePoint.objects.select_related("department").get(pk=service_point.pk)
        ticket = _issue_ticket(service_point=point, day=today, patient=patient, appointment=None,
                               channel=CheckInChannel.WALK_IN, by=by, priority=_priority_for(patient, priority, today),
                               late=False, queued_at=now, now=now)
        live.queue_changed(service_point_ids=[point.pk], department_ids=[point.department_id], ticket_ids=[ticket.pk])
    return ticket


def ticket_rejoin(*, ticket: QueueTicket, by: User, now: datetime | None = None) -> QueueTicket:
    """A patient who missed their call (skipped) is back: they join the line again as a late arrival, from now.
    The patient's account holder, the front desk or the doctor of the queue may do it."""
    if not (is_front_desk(by) or is_account_holder(by, ticket.patient_id)
            or runs_queue(user=by, service_point=ticket.service_point)):
        raise PermissionRefused(_("This ticket is not for anyone on your list."))
    now = now or timezone.now()
    with transaction.atomic():
        point = _lock_service_points([ticket.service_point_id])[ticket.service_point_id]
        ticket = QueueTicket.objects.select_for_update().get(pk=ticket.pk)
        if ticket.status == TicketStatus.WAITING:
            return ticket
        if ticket.status != TicketStatus.SKIPPED or ticket.date != hospital_today():
            raise QueueActionRefused(_("Only a patient who missed their call today can rejoin the queue."))
        ticket.status = TicketStatus.WAITING
        ticket.late = True
        ticket.queued_at = now
        ticket.save(update_fields=["status", "late", "queued_at"])
        live.queue_changed(service_point_ids=[point.pk], department_ids=[point.department_id], ticket_ids=[ticket.pk])
    return ticket


# --- The doctor's console -----------------------------------------------------------------------------

def _move_appointment(ticket: QueueTicket, to_status: str, *, by: User | None, now: datetime, note: str = "") -> None:
    """Move the ticket's appointment along with it (checked_in → in_consultation → completed, or → no_show).
    A walk-in has no appointment; a move that does not apply (already there) is left alone."""
    if ticket.appointment_id is None:
        return
    appointment = Appointment.objects.select_for_update(of=("self",)).select_related("slot").get(pk=ticket.appointment_id)
    allowed = {
        AppointmentStatus.IN_CONSULTATION: (AppointmentStatus.CHECKED_IN,),
        AppointmentStatus.COMPLETED: (AppointmentStatus.CHECKED_IN, AppointmentStatus.IN_CONSULTATION),
        AppointmentStatus.NO_SHOW: (AppointmentStatus.BOOKED, AppointmentStatus.CHECKED_IN),
    }[to_status]
    if appointment.status not in allowed:
        return
    from_status = appointment.status
    fields = ["status"]
    if to_status == AppointmentStatus.COMPLETED and appointment.consultation_started_at is None:
        appointment.consultation_started_at = ticket.serving_started_at or ticket.called_at or now
        fields.append("consultation_started_at")
    stamp = {AppointmentStatus.IN_CONSULTATION: "consultation_started_at", AppointmentStatus.COMPLETED: "completed_at",
             AppointmentStatus.NO_SHOW: "no_show_at"}[to_status]
    setattr(appointment, stamp, now)
    appointment.status = to_status
    appointment.save(update_fields=[*fields, stamp])
    _record_change(appointment, from_status=from_status, by=by, note=note)


def _locked_ticket(ticket: QueueTicket, *, by: User) -> tuple[ServicePoint, QueueTicket]:
    """Lock the ticket's service point then the ticket, checking `by` runs that queue."""
    point = _lock_service_points([ticket.service_point_id])[ticket.service_point_id]
    check_runs_queue(user=by, service_point=point)
    return point, QueueTicket.objects.select_for_update(of=("self",)).select_related("patient").get(pk=ticket.pk)


def _after_change(point: ServicePoint, *ticket_ids: int, extra_points=()) -> None:
    live.queue_changed(service_point_ids=[point.pk, *[p.pk for p in extra_points]],
                       department_ids=[point.department_id, *[p.department_id for p in extra_points]],
                       ticket_ids=list(ticket_ids))
    from appointments.queue import tasks  # tasks import this module

    enqueue(tasks.turn_near_notify, point.pk)


def queue_call_next(*, service_point: ServicePoint, by: User, now: datetime | None = None) -> QueueTicket:
    """Call the first waiting patient (appointments.queue.ordering) to the room: waiting → called.

    Only the doctor of this queue. Refused while a patient is called or with the doctor (finish, skip or
    mark them first: a room sees one patient at a time) and when nobody is waiting. Locks the service point.
    """
    from appointments.queue.selectors import waiting_ids  # selectors import services' helpers

    now = now or timezone.now()
    with transaction.atomic():
        point = _lock_service_points([service_point.pk]).get(service_point.pk)
        if point is None:
            raise QueueActionRefused()
        check_runs_queue(user=by, service_point=point)
        today = hospital_today()
        current = (QueueTicket.objects.filter(service_point=point, date=today,
                                              status__in=(TicketStatus.CALLED, TicketStatus.SERVING))
                   .values_list("number", "status").first())
        if current:
            number, status = current
            if status == TicketStatus.SERVING:
                raise QueueActionRefused(_("%(number)s is still with you. Complete or transfer them before calling "
                                           "the next patient.") % {"number": number})
            raise QueueActionRefused(_("%(number)s has been called and has not come in yet. Recall them, move them "
                                       "back or mark them as not come before calling the next patient.")
                                     % {"number": number})
        waiting = waiting_ids(service_point=point, day=today)
        if not waiting:
            raise QueueEmpty()
        ticket = QueueTicket.objects.select_for_update(of=("self",)).select_related("patient").get(pk=waiting[0])
        ticket.status = TicketStatus.CALLED
        ticket.called_at = now
        ticket.recall_count = 0
        ticket.save(update_fields=["status", "called_at", "recall_count"])
        _after_change(point, ticket.pk)
    return ticket


def ticket_recall(*, ticket: QueueTicket, by: User, now: datetime | None = None) -> QueueTicket:
    """Call a called patient who has not come in again (the board and their phone announce it again), up to
    QUEUE_RECALL_LIMIT times; after that they are moved back (skip) or marked as not come (no-show)."""
    now = now or timezone.now()
    with transaction.atomic():
        point, ticket = _locked_ticket(ticket, by=by)
        if ticket.status != TicketStatus.CALLED:
            raise QueueActionRefused(_("Only a patient who has been called and has not come in can be recalled."))
        if ticket.recall_count >= settings.QUEUE_RECALL_LIMIT:
            raise QueueActionRefused(_("%(number)s has been recalled %(n)d times, the most allowed. Move them back or "
                                       "mark them as not come.") % {"number": ticket.number, "n": ticket.recall_count})
        ticket.recall_count += 1
        ticket.called_at = now
        ticket.save(update_fields=["recall_count", "called_at"])
        _after_change(point, ticket.pk)
    return ticket


def ticket_skip(*, ticket: QueueTicket, by: User, now: datetime | None = None) -> QueueTicket:
    """Move a called patient who has not come back (过号): called → skipped. They leave the line; when they
    return (ticket_rejoin) they join again behind those on time."""
    now = now or timezone.now()
    with transaction.atomic():
        point, ticket = _locked_ticket(ticket, by=by)
        if ticket.status != TicketStatus.CALLED:
            raise QueueActionRefused(_("Only a patient who has been called and has not come in can be moved back."))
        ticket.status = TicketStatus.SKIPPED
        ticket.skipped_at = now
        ticket.save(update_fields=["status", "skipped_at"])
        _after_change(point, ticket.pk)
    return ticket


def ticket_no_show(*, ticket: QueueTicket, by: User | None, now: datetime | None = None,
                   system: bool = False) -> QueueTicket:
    """Mark a called patient who never came as not come: called (after every recall) or skipped → no_show;
    the appointment becomes no_show. `system` is the session-end job (no doctor, no recall needed)."""
    now = now or timezone.now()
    with transaction.atomic():
        if system:
            point = _lock_service_points([ticket.service_point_id])[ticket.service_point_id]
            ticket = QueueTicket.objects.select_for_update(of=("self",)).get(pk=ticket.pk)
        else:
            point, ticket = _locked_ticket(ticket, by=by)
        if ticket.status == TicketStatus.NO_SHOW:
            return ticket
        if ticket.status not in (TicketStatus.CALLED, TicketStatus.SKIPPED, *((TicketStatus.WAITING,) if system else ())):
            raise QueueActionRefused(_("Only a patient who was called and did not come can be marked as not come."))
        if (not system and ticket.status == TicketStatus.CALLED
                and ticket.recall_count < settings.QUEUE_RECALL_LIMIT):
            raise QueueActionRefused(_("Recall %(number)s first: they have been recalled %(n)d of %(limit)d times.")
                                     % {"number": ticket.number, "n": ticket.recall_count,
                                        "limit": settings.QUEUE_RECALL_LIMIT})
        ticket.status = TicketStatus.NO_SHOW
        ticket.no_show_at = now
        ticket.save(update_fields=["status", "no_show_at"])
        _move_appointment(ticket, AppointmentStatus.NO_SHOW, by=by, now=now,
                          note=_("Did not come when called") if not system else _("Session ended"))
        _after_change(point, ticket.pk)
    return ticket


def ticket_start(*, ticket: QueueTicket, by: User, now: datetime | None = None) -> QueueTicket:
    """The called patient has come in: called → serving; the appointment is in consultation."""
    now = now or timezone.now()
    with transaction.atomic():
        point, ticket = _locked_ticket(ticket, by=by)
        if ticket.status == TicketStatus.SERVING:
            return ticket
        if ticket.status != TicketStatus.CALLED:
            raise QueueActionRefused(_("Call the patient first."))
        ticket.status = TicketStatus.SERVING
        ticket.serving_started_at = now
        ticket.save(update_fields=["status", "serving_started_at"])
        _move_appointment(ticket, AppointmentStatus.IN_CONSULTATION, by=by, now=now)
        _after_change(point, ticket.pk)
    return ticket


def ticket_complete(*, ticket: QueueTicket, by: User, now: datetime | None = None) -> QueueTicket:
    """The consultation is over: called or serving → done; the appointment is completed. A patient completed
    straight from "called" is taken to have come in when called."""
    now = now or timezone.now()
    with transaction.atomic():
        point, ticket = _locked_ticket(ticket, by=by)
        if ticket.status == TicketStatus.DONE:
            return ticket
        if ticket.status not in (TicketStatus.CALLED, TicketStatus.SERVING):
            raise QueueActionRefused(_("Only the patient with you can be completed."))
        if ticket.serving_started_at is None:
            ticket.serving_started_at = ticket.called_at
        ticket.status = TicketStatus.DONE
        ticket.done_at = now
        ticket.save(update_fields=["status", "serving_started_at", "done_at"])
        _move_appointment(ticket, AppointmentStatus.COMPLETED, by=by, now=now)
        _after_change(point, ticket.pk)
    return ticket


def ticket_transfer(*, ticket: QueueTicket, to: ServicePoint, by: User, now: datetime | None = None) -> QueueTicket:
    """Send a patient to another doctor's queue today (转诊): the ticket becomes transferred and a new one, with
    the other queue's next number, keeps the patient's priority and the time they first joined (they wait
    with the late arrivals, by that time, not from the end). Only the doctor of the first queue; the other
    must be an active consulting room. Locks both service points by primary key, then the ticket.
    Returns the new ticket."""
    now = now or timezone.now()
    if to.pk == ticket.service_point_id:
        raise QueueActionRefused(_("The patient is already in this queue. Choose another doctor."))
    with transaction.atomic():
        points = _lock_service_points([ticket.service_point_id, to.pk])
        source, target = points[ticket.service_point_id], points.get(to.pk)
        check_runs_queue(user=by, service_point=source)
        if target is None or not target.is_active or target.kind != ServicePointKind.CONSULTING_ROOM:
            raise QueueActionRefused(_("That room is not open. Choose another doctor."))
        ticket = QueueTicket.objects.select_for_update(of=("self",)).select_related("patient", "appointment__slot").get(
            pk=ticket.pk)
        if ticket.status not in (TicketStatus.WAITING, TicketStatus.CALLED, TicketStatus.SERVING, TicketStatus.SKIPPED):
            raise QueueActionRefused(_("This patient is no longer in your queue."))
        # The new ticket takes the appointment only once the old one is marked transferred (one live ticket
        # per appointment), and the old one can only be marked with its target: so create, mark, then link.
        sequence = sequence_next(name=f"ticket:{target.pk}:{ticket.date.isoformat()}")
        new = QueueTicket.objects.create(
            service_point=target, date=ticket.date, sequence=sequence,
            number=f"{target.department.queue_prefix}{sequence:03d}", appointment=None,
            patient=ticket.patient, priority=ticket.priority, channel=CheckInChannel.TRANSFER, slot_starts_at=None,
            late=True, checked_in_at=ticket.checked_in_at, checked_in_by=by, queued_at=ticket.checked_in_at)
        ticket.status = TicketStatus.TRANSFERRED
        ticket.transferred_at = now
        ticket.transferred_to = new
        ticket.save(update_fields=["status", "transferred_at", "transferred_to"])
        if ticket.appointment_id:
            new.appointment_id = ticket.appointment_id
            new.save(update_fields=["appointment"])
        _after_change(source, ticket.pk, new.pk, extra_points=[target])
    return new


# --- Session end ------------------------------------------------------------------------------------

def no_shows_mark(*, now: datetime | None = None, limit: int = 500) -> int:
    """Mark as not come, QUEUE_NO_SHOW_AFTER_MINUTES after their session ended: booked appointments never
    checked in, and tickets that were called or moved back and never served; and tickets of a past day
    still waiting. Returns how many appointments and tickets were marked.

    The periodic job (every few minutes). Each row in its own short transaction with the row re-read under
    its lock, so two runs at once mark each once; nothing is marked before its session is over.
    """
    now = now or timezone.now()
    cutoff = now - timedelta(minutes=settings.QUEUE_NO_SHOW_AFTER_MINUTES)
    marked = 0
    # A session ends with its last slot; a booking's session is over when every slot of it has ended.
    due = list(Appointment.objects.filter(status=AppointmentStatus.BOOKED, slot__ends_at__lte=cutoff)
               .order_by("slot__starts_at", "pk").values_list("pk", "doctor_id", "date", "session")[:limit])
    for appointment_id, doctor_id, day, session in due:
        if Slot.objects.filter(doctor_id=doctor_id, date=day, session=session, ends_at__gt=cutoff).exists():
            continue  # the session is still going on
        with transaction.atomic():
            appointment = (Appointment.objects.select_for_update(skip_locked=True, of=("self",))
                           .filter(pk=appointment_id, status=AppointmentStatus.BOOKED).first())
            if appointment is None:
                continue
            appointment.status = AppointmentStatus.NO_SHOW
            appointment.no_show_at = now
            appointment.save(update_fields=["status", "no_show_at"])
            _record_change(appointment, from_status=AppointmentStatus.BOOKED, by=None, note=_("Session ended"))
            marked += 1

    today = hospital_today()
    stale = list(QueueTicket.objects.filter(Q(date__lt=today, status=TicketStatus.WAITING)
                                            | Q(date__lte=today, status__in=(TicketStatus.CALLED, TicketStatus.SKIPPED)))
                 .select_related("appointment").order_by("pk")[:limit])
    for ticket in stale:
        if ticket.date < today:
            over = True
        elif ticket.status == TicketStatus.WAITING:
            over = False  # a patient still waiting today is seen, however late the session runs
        elif ticket.appointment_id:
            over = not Slot.objects.filter(doctor_id=ticket.appointment.doctor_id, date=ticket.date,
                                           session=ticket.appointment.session, ends_at__gt=cutoff).exists()
        else:
            over = False  # a walk-in who missed the call keeps their ticket until the day ends
        if over:
            try:
                result = ticket_no_show(ticket=ticket, by=None, now=now, system=True)
            except QueueActionRefused:
                continue  # served or moved since it was read
            marked += result.no_show_at == now
    return marked
