"""Writes for registration (挂号): making slots, booking, confirming, releasing, cancelling, moving.

Every service here that takes row locks takes them in one order, so no two of them can wait on
each other in a cycle (a deadlock PostgreSQL would break by failing one request):

    Patient row  →  Slot rows (by primary key)  →  Appointment rows (by primary key)

Capacity is kept by the database, not by reading first and writing later: a slot's ``booked`` only
changes by a conditional UPDATE (``booked < capacity AND status = 'open'``), with the
slot_never_overbooked check constraint behind it; the partial unique constraint
appointment_one_active_per_doctor_session keeps one active booking per patient, doctor and session.

Side effects (live pushes, email, SMS, ``appointment_status_changed`` receivers) happen after commit.
"""

import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import BooleanField, F, IntegerField, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from accounts.roles import Role
from appointments.errors import (
    AlreadyBookedError,
    CancellationClosedError,
    DailyLimitError,
    InvalidTransitionError,
    NotYourPatientError,
    SlotFullError,
    SlotNotBookableError,
)
from appointments.fees import registration_fee
from appointments.localtime import local_time_text, local_to_utc
from appointments.models import (
    ACTIVE_STATUSES,
    Appointment,
    AppointmentEvent,
    AppointmentStatus,
    DoctorProfile,
    ExceptionKind,
    ScheduleException,
    ScheduleTemplate,
    Slot,
    SlotStatus,
)
from appointments.signals import appointment_status_changed
from core.errors import PermissionRefused
from records.models import FamilyMember, Patient
from records.notify import account_holders_notify

logger = logging.getLogger(__name__)

# Statuses a patient (or the front desk) may still cancel or move. Once checked in, the visit has begun.
CANCELLABLE_STATUSES = (AppointmentStatus.HELD, AppointmentStatus.BOOKED)


# --- Who may do what ------------------------------------------------------------------------------

def _books_for_anyone(user: User) -> bool:
    """Front desk (walk-ins) and staff holding add_appointment book for any patient."""
    return user.has_role(Role.FRONT_DESK) or user.has_perm("appointments.add_appointment")


def _manages_any_appointment(user: User) -> bool:
    """Front desk and staff holding change_appointment cancel or move any appointment, at any time."""
    return user.has_role(Role.FRONT_DESK) or user.has_perm("appointments.change_appointment")


def _on_family_list(user: User, patient_id: int) -> bool:
    return FamilyMember.objects.filter(account=user, patient_id=patient_id).exists() or Patient.objects.filter(
        pk=patient_id, account=user).exists()


def check_may_book_for(*, user: User, patient: Patient) -> None:
    """Raise NotYourPatientError unless `user` may book for `patient`: they are on the user's family
    list (就诊人), or the user is front desk / a staff booker."""
    if not (_on_family_list(user, patient.pk) or _books_for_anyone(user)):  # the common case first: one query
        raise NotYourPatientError()


def _check_may_change(user: User, appointment: Appointment) -> bool:
    """Raise NotYourPatientError unless `user` may cancel or move `appointment`; True when as staff (no cut-off)."""
    if _manages_any_appointment(user):
        return True
    if _on_family_list(user, appointment.patient_id):
        return False
    raise NotYourPatientError(_("This appointment is not for anyone on your list."))


def appointment_check_may_change(*, user: User, appointment: Appointment) -> None:
    """Raise NotYourPatientError unless `user` may cancel or move `appointment`. The API asks this before it reads
    the request's body, so someone who may not change an appointment is told so, not that their input was invalid."""
    _check_may_change(user, appointment)


# --- Locks, in the module's order -------------------------------------------------------------------

def _lock_patient(patient_id: int) -> None:
    list(Patient.objects.select_for_update().filter(pk=patient_id).values_list("pk", flat=True))


def _lock_slots(slot_ids: Iterable[int], *, skip_locked: bool = False) -> list[int]:
    """Lock the slots by primary key; returns the ids locked (with skip_locked, those nobody else holds)."""
    return list(Slot.objects.select_for_update(skip_locked=skip_locked).filter(pk__in=list(slot_ids))
                .order_by("pk").values_list("pk", flat=True))


def _lock_appointment(appointment_id: int) -> Appointment:
    return (Appointment.objects.select_for_update(of=("self",)).select_related("slot", "patient")
            .get(pk=appointment_id))


# --- Slots --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Session:
    """One session to lay out as slots: from a template, or an extra-session exception."""

    session: str
    start: time
    end: time
    slot_minutes: int
    numbers: int
    room_id: int | None
    template_id: int | None


def _slot_times(day: date, session: _Session) -> Iterator[tuple[datetime, datetime]]:
    """(start, end) in UTC of each whole slot of `session` on `day`, stepping the local wall clock."""
    step = timedelta(minutes=session.slot_minutes)
    start = datetime.combine(day, session.start)
    last = datetime.combine(day, session.end)
    while start + step <= last:
        yield local_to_utc(day, start.time()), local_to_utc(day, (start + step).time())
        start += step


def _sessions_by_doctor_day(doctor_ids: list[int], date_from: date, date_to: date) -> dict[tuple[int, date], list[_Session]]:
    """Each doctor's sessions per day: templates valid that day, minus leave and holidays, plus extra sessions."""
    templates = defaultdict(list)
    for t in ScheduleTemplate.objects.filter(
            is_active=True, doctor_id__in=doctor_ids, valid_from__lte=date_to).filter(
            Q(valid_to__isnull=True) | Q(valid_to__gte=date_from)):
        templates[t.doctor_id].append(t)

    # (doctor id or None for everyone, date) -> sessions taken away ("" = the whole day)
    closed: dict[tuple[int | None, date], set[str]] = defaultdict(set)
    extras: dict[tuple[int, date], list[_Session]] = defaultdict(list)
    for e in ScheduleException.objects.filter(date__range=(date_from, date_to)).filter(
            Q(doctor__isnull=True) | Q(doctor_id__in=doctor_ids)):
        if e.kind == ExceptionKind.EXTRA:
            extras[(e.doctor_id, e.date)].append(_Session(e.session, e.start_time, e.end_time, e.slot_minutes,
                                                          e.numbers_per_slot, e.room_id, None))
        else:
            closed[(e.doctor_id, e.date)].add(e.session)

    def is_closed(doctor_id: int, day: date, session: str) -> bool:
        taken_away = closed.get((doctor_id, day), set()) | closed.get((None, day), set())
        return "" in taken_away or session in taken_away

    result: dict[tuple[int, date], list[_Session]] = {}
    for doctor_id in doctor_ids:
        day = date_from
        while day <= date_to:
            sessions = [
                _Session(t.session, t.start_time, t.end_time, t.slot_minutes, t.numbers_per_slot, t.room_id, t.pk)
                for t in templates[doctor_id]
                if t.weekday == day.weekday() and t.valid_from <= day and (t.valid_to is None or day <= t.valid_to)
                and not is_closed(doctor_id, day, t.session)
            ]
            # An extra session is added on purpose by an administrator, so a holiday does not remove it
            # (a holiday clinic is exactly that).
            sessions += extras.get((doctor_id, day), [])
            if sessions:
                result[(doctor_id, day)] = sessions
            day += timedelta(days=1)
    return result


def slot_release_at(day: date) -> datetime:
    """When numbers for `day` open: local SLOT_RELEASE_HOUR:00, SLOT_RELEASE_DAYS_BEFORE days before, in UTC."""
    return local_to_utc(day - timedelta(days=settings.SLOT_RELEASE_DAYS_BEFORE), time(settings.SLOT_RELEASE_HOUR))


def slots_materialise(*, date_from: date, date_to: date, doctors: QuerySet[DoctorProfile] | None = None,
                      progress: Callable[[int, int], None] | None = None) -> int:
    """Create the slots of the active doctors' sessions from `date_from` to `date_to` (local dates, inclusive).

    Sessions come from the active schedule templates valid on each date, minus leave and holiday
    exceptions (one doctor or everyone; one session or the whole day), plus extra sessions. Times
    are the hospital's wall clock, stored in UTC; ``release_at`` follows slot_release_at.

    Idempotent and safe to run concurrently: a slot is identified by (doctor, starts_at), existing
    ones are skipped and the insert ignores conflicts with the unique constraint, so nothing is ever
    duplicated, changed or deleted. Slots already made for a day that later gets a leave exception
    stay: taking them away (and telling the booked patients) is session_cancel's job.

    `progress(done, total)` is called per doctor. Returns the number of slots created.
    """
    if date_to < date_from:
        return 0
    doctors = DoctorProfile.objects.all() if doctors is None else doctors
    doctor_rows = list(doctors.filter(is_active=True).order_by("pk").values_list("pk", "department_id"))
    total = len(doctor_rows)
    if progress:
        progress(0, total)
    doctor_ids = [pk for pk, _department in doctor_rows]
    sessions = _sessions_by_doctor_day(doctor_ids, date_from, date_to)
    existing = set(Slot.objects.filter(doctor_id__in=doctor_ids, date__range=(date_from, date_to))
                   .values_list("doctor_id", "starts_at"))
    created = 0
    for done, (doctor_id, department_id) in enumerate(doctor_rows, start=1):
        new_slots = []
        day = date_from
        while day <= date_to:
            release_at = slot_release_at(day)
            for session in sessions.get((doctor_id, day), []):
                for starts_at, ends_at in _slot_times(day, session):
                    if (doctor_id, starts_at) in existing:
                        continue
                    existing.add((doctor_id, starts_at))  # two sessions of one doctor overlapping: the first wins
                    new_slots.append(Slot(
                        doctor_id=doctor_id, department_id=department_id, room_id=session.room_id,
                        template_id=session.template_id, date=day, session=session.session, starts_at=starts_at,
                        ends_at=ends_at, capacity=session.numbers, release_at=release_at))
            day += timedelta(days=1)
        if new_slots:
            Slot.objects.bulk_create(new_slots, batch_size=500, ignore_conflicts=True)
            created += len(new_slots)
        if progress:
            progress(done, total)
    return created


# --- Booking --------------------------------------------------------------------------------------

class _RequestKeyTaken(Exception):
    """The same (booked_by, request_key) committed by a concurrent request: theirs is the booking."""


def _record_change(appointment: Appointment, *, from_status: str, by: User | None, note: str = "") -> None:
    """Append the AppointmentEvent and, after commit, send appointment_status_changed."""
    to_status = appointment.status
    AppointmentEvent.objects.create(appointment=appointment, from_status=from_status, to_status=to_status, by=by,
                                    note=str(note)[:300])
    transaction.on_commit(lambda: appointment_status_changed.send(
        sender=Appointment, appointment=appointment, from_status=from_status, to_status=to_status, by=by))


def _check_bookable(slot: Slot, now: datetime) -> None:
    if slot.status == SlotStatus.CANCELLED:
        raise SlotNotBookableError.cancelled()
    if slot.starts_at <= now:
        raise SlotNotBookableError.past()
    if slot.release_at > now:
        raise SlotNotBookableError.not_released(opens_at=slot.release_at)


def _slot_for_booking(*, slot_id: int, patient_id: int, booked_by: User, request_key: str | None,
                      with_list_check: bool = False, related: bool = False) -> Slot:
    """The slot and what the booking rules need to know about it, in ONE query, as attributes of the slot:

    ``repeat_of``: the appointment this (booked_by, request_key) already made, if any;
    ``same_session``: the patient already holds an active appointment with this doctor in this session;
    ``that_day``: the patient's active appointments on the slot's date;
    ``on_family_list`` (with `with_list_check`): the patient is on booked_by's family list (就诊人), or is theirs.
    With `related`, the slot's doctor (user, department) and room come too. Read under the patient's lock
    (_book_locked), the patient's appointments cannot change before the booking commits.

    The rules are SQL fragments (RawSQL), not Exists/Subquery expressions: Django spent ~2.5 ms of CPU compiling
    those, some twenty times what the statement costs PostgreSQL, on every booking attempt of a rush.
    """
    slot_table, appointments = Slot._meta.db_table, Appointment._meta.db_table
    statuses = list(ACTIVE_STATUSES)
    active = (f"FROM {appointments} a WHERE a.patient_id = %s AND a.date = {slot_table}.date "
              f"AND a.status IN ({', '.join(['%s'] * len(statuses))})")
    # Fixed SQL over the models' own tables; every value is a query parameter.
    annotations = {
        "repeat_of": RawSQL(  # noqa: S611
            f"SELECT a.id FROM {appointments} a WHERE a.booked_by_id = %s AND a.request_key = %s",  # noqa: S608
            [booked_by.pk, request_key], output_field=IntegerField()),
        "same_session": RawSQL(  # noqa: S611
            f"EXISTS (SELECT 1 {active} AND a.doctor_id = {slot_table}.doctor_id AND a.session = {slot_table}.session)",
            [patient_id, *statuses], output_field=BooleanField()),
        "that_day": RawSQL(f"SELECT COUNT(*) {active}", [patient_id, *statuses], output_field=IntegerField()),  # noqa: S611
    }
    if with_list_check:
        annotations["on_family_list"] = RawSQL(  # noqa: S611
            f"EXISTS (SELECT 1 FROM {FamilyMember._meta.db_table} f WHERE f.account_id = %s AND f.patient_id = %s) "  # noqa: S608
            f"OR EXISTS (SELECT 1 FROM {Patient._meta.db_table} p WHERE p.id = %s AND p.account_id = %s)",
            [booked_by.pk, patient_id, patient_id, booked_by.pk], output_field=BooleanField())
    slots = Slot.objects.select_related("doctor__user", "doctor__department", "room") if related else Slot.objects.all()
    return slots.annotate(**annotations).get(pk=slot_id)


def _check_patient_rules(slot: Slot, patient: Patient) -> None:
    """One active appointment per doctor and session; at most MAX_ACTIVE_BOOKINGS_PER_DAY a day (see _slot_for_booking)."""
    if slot.same_session:
        raise AlreadyBookedError()
    if slot.that_day >= settings.MAX_ACTIVE_BOOKINGS_PER_DAY:
        raise DailyLimitError(_("%(name)s already has %(n)d appointments on %(date)s, the most allowed on one day. "
                                "Cancel one of them or choose another day.")
                              % {"name": patient.name, "n": settings.MAX_ACTIVE_BOOKINGS_PER_DAY, "date": slot.date})


def _take_number(slot: Slot) -> None:
    """Take one of `slot`'s numbers, or raise: one statement that only succeeds while one is left.

    Concurrent bookers queue on the row lock it takes, and each re-checks the condition against the committed
    count; the slot_never_overbooked check constraint stands behind it. RETURNING gives the count this booking
    made (for the answer), so nothing needs reading again.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {connection.ops.quote_name(Slot._meta.db_table)} SET booked = booked + 1 "  # noqa: S608
            "WHERE id = %s AND status = %s AND booked < capacity RETURNING booked",
            [slot.pk, SlotStatus.OPEN],
        )
        row = cursor.fetchone()
    if row is None:
        if Slot.objects.filter(pk=slot.pk, status=SlotStatus.CANCELLED).exists():
            raise SlotNotBookableError.cancelled()
        raise SlotFullError()
    slot.booked = row[0]


def _book_locked(*, patient: Patient, slot_id: int, booked_by: User, request_key: str | None,
                 rescheduled_from: Appointment | None = None, paid_fee: Decimal | None = None) -> Appointment:
    """The booking itself; the caller holds a transaction. Raises (and so rolls back) on every refusal."""
    _lock_patient(patient.pk)  # one person's bookings queue here, so the daily count below cannot be raced
    slot = _slot_for_booking(slot_id=slot_id, patient_id=patient.pk, booked_by=booked_by, request_key=request_key,
                             related=True)
    if slot.repeat_of is not None:
        raise _RequestKeyTaken()  # a repeat of a request that booked while this one queued on the lock
    now = timezone.now()
    _check_bookable(slot, now)
    _check_patient_rules(slot, patient)
    _take_number(slot)

    fee = registration_fee(doctor=slot.doctor)
    # A move from a confirmed booking stays confirmed unless the new number costs more (payments settles any difference).
    held = fee > 0 and (paid_fee is None or fee > paid_fee)
    appointment = Appointment(
        patient=patient, slot=slot, doctor=slot.doctor, date=slot.date, session=slot.session,
        status=AppointmentStatus.HELD if held else AppointmentStatus.BOOKED, fee=fee,
        hold_expires_at=now + timedelta(minutes=settings.APPOINTMENT_HOLD_MINUTES) if held else None,
        booked_at=None if held else now, booked_by=booked_by, request_key=request_key,
        rescheduled_from=rescheduled_from,
    )
    try:
        # No savepoint: every branch below raises, and leaving the caller's transaction with an exception rolls it
        # back whole (the slot's increment with the insert), so nothing runs on the aborted transaction.
        appointment.save()
    except IntegrityError as exc:
        if "request_key" in str(exc):
            raise _RequestKeyTaken() from exc
        if "appointment_one_active_per_doctor_session" in str(exc) or "patient_id" in str(exc):
            raise AlreadyBookedError() from exc
        raise
    _record_change(appointment, from_status="", by=booked_by,
                   note=_("Moved from %(when)s") % {"when": local_time_text(rescheduled_from.slot.starts_at)}
                   if rescheduled_from else "")
    return appointment


def appointment_book(*, patient: Patient, slot: Slot, booked_by: User, request_key: str | None = None) -> Appointment:
    """Book a number in `slot` for `patient` on behalf of `booked_by`.

    Rules: `patient` is on `booked_by`'s family list unless booked_by is front desk or a staff
    booker; the slot is open, released and not yet started; one active appointment per patient,
    doctor and session; at most MAX_ACTIVE_BOOKINGS_PER_DAY per patient per day; never past capacity.
    A refusal raises and changes nothing.

    First one read without locks (_slot_for_booking): a repeat, a refusal, or a full slot is answered from it at
    once, with no transaction, since what a committed row says is refused stays a correct answer. Only a booking
    that may succeed goes on to take locks: the Patient row (FOR UPDATE) for the daily cap, under which the rules
    are read again, then the slot row through the conditional UPDATE of ``booked``; the insert is guarded by the
    unique constraints.

    With a fee the appointment is HELD until appointment_confirm (payment), for
    APPOINTMENT_HOLD_MINUTES, after which holds_expire releases it; free numbers are BOOKED at once.
    The same (booked_by, request_key) books once: a repeat returns the first appointment.
    Returned with its patient, slot (and room) and doctor (user, department) loaded, ready to show.
    """
    seen = _slot_for_booking(slot_id=slot.pk, patient_id=patient.pk, booked_by=booked_by, request_key=request_key,
                             with_list_check=True)
    if seen.repeat_of is not None:
        return _appointment_for_answer(pk=seen.repeat_of)
    if not (seen.on_family_list or _books_for_anyone(booked_by)):  # check_may_book_for, its list read above
        raise NotYourPatientError()
    _check_bookable(seen, timezone.now())
    _check_patient_rules(seen, patient)
    if seen.booked >= seen.capacity:
        raise SlotFullError()  # taken by others: waiting for the slot's lock would not change the answer
    try:
        with transaction.atomic():
            return _book_locked(patient=patient, slot_id=slot.pk, booked_by=booked_by, request_key=request_key)
    except _RequestKeyTaken:
        return _appointment_for_answer(booked_by=booked_by, request_key=request_key)


def _appointment_for_answer(**lookup) -> Appointment:
    """An appointment loaded as appointment_book returns a new one (one query)."""
    return Appointment.objects.select_related("patient", "slot__room", "doctor__user", "doctor__department",
                                              "rescheduled_from").get(**lookup)


def appointment_confirm(*, appointment: Appointment, by: User | None = None) -> Appointment:
    """HELD → BOOKED, when the registration fee is paid (payments calls this). Locks the appointment row.

    Confirming a booked appointment again returns it unchanged (a payment notice may arrive twice).
    A payment that arrives after the hold was released (EXPIRED, CANCELLED) is refused with
    InvalidTransitionError: the number may have gone to someone else, and payments refunds.
    A hold past its expiry that holds_expire has not reached yet is still confirmed: its number is still kept.
    """
    with transaction.atomic():
        appointment = _lock_appointment(appointment.pk)
        if appointment.status == AppointmentStatus.BOOKED:
            return appointment
        if appointment.status != AppointmentStatus.HELD:
            raise InvalidTransitionError(_("This number was released before the payment arrived. The payment will be "
                                           "refunded; please book again."))
        appointment.status = AppointmentStatus.BOOKED
        appointment.booked_at = timezone.now()
        appointment.save(update_fields=["status", "booked_at"])
        _record_change(appointment, from_status=AppointmentStatus.HELD, by=by, note=_("Paid"))
    return appointment


def _slot_give_back(slot_id: int) -> None:
    """Give one number back to the slot (the caller holds the slot's lock)."""
    if not Slot.objects.filter(pk=slot_id, booked__gt=0).update(booked=F("booked") - 1):
        logger.error("Slot %s had no booked number to give back; its count was already wrong", slot_id)


def _release_locked(appointment: Appointment, *, reason: str, by: User | None) -> None:
    _slot_give_back(appointment.slot_id)
    appointment.status = AppointmentStatus.EXPIRED
    appointment.expired_at = timezone.now()
    appointment.cancel_reason = str(reason)[:200]
    appointment.save(update_fields=["status", "expired_at", "cancel_reason"])
    _record_change(appointment, from_status=AppointmentStatus.HELD, by=by, note=reason)
    _notify_holders(appointment, event="expired", title=gettext_lazy("Booking not completed"),
                    body=gettext_lazy("The number with %(doctor)s at %(when)s was released because it was not paid in time. "
                           "You can book again if numbers are left."))


def appointment_release(*, appointment: Appointment, reason: str, by: User | None = None) -> Appointment:
    """HELD → EXPIRED: give the held number back (payment failed or the hold ran out).

    Locks the slot, then the appointment, and re-reads its status under the lock, so a release and
    a confirming payment at the same moment never both win. Releasing an expired appointment again
    returns it unchanged; any other status raises InvalidTransitionError.
    """
    with transaction.atomic():
        _lock_slots([appointment.slot_id])
        appointment = _lock_appointment(appointment.pk)
        if appointment.status == AppointmentStatus.EXPIRED:
            return appointment
        if appointment.status != AppointmentStatus.HELD:
            raise InvalidTransitionError()
        _release_locked(appointment, reason=reason, by=by)
    return appointment


def holds_expire(*, now: datetime | None = None, limit: int = 1000) -> int:
    """Release every HELD appointment whose hold ran out by `now`; returns how many were released.

    The periodic job (every minute). Each hold is released in its own short transaction, locking
    the slot and the appointment with SKIP LOCKED: two runs at once never wait on each other and
    never release one hold twice (the status is re-read under the lock), and a hold whose slot is
    busy this instant is simply left for the next run.
    """
    now = now or timezone.now()
    due = list(Appointment.objects.filter(status=AppointmentStatus.HELD, hold_expires_at__lte=now)
               .order_by("hold_expires_at", "pk").values_list("pk", "slot_id")[:limit])
    released = 0
    for appointment_id, slot_id in due:
        with transaction.atomic():
            if not _lock_slots([slot_id], skip_locked=True):
                continue
            appointment = (Appointment.objects.select_for_update(skip_locked=True, of=("self",))
                           .select_related("slot", "patient")
                           .filter(pk=appointment_id, status=AppointmentStatus.HELD, hold_expires_at__lte=now).first())
            if appointment is None:
                continue
            _release_locked(appointment, reason=_("Not paid in time"), by=None)
            released += 1
    return released


# --- Cancelling and moving --------------------------------------------------------------------------

def cancel_cutoff(slot: Slot) -> datetime:
    """Until when a patient may cancel or move a booking in `slot` online."""
    return slot.starts_at - timedelta(hours=settings.CANCEL_CUTOFF_HOURS)


def _cancel_locked(appointment: Appointment, *, by: User, as_staff: bool, reason: str) -> None:
    """Cancel a locked appointment and give its number back; the caller holds slot and appointment locks."""
    if appointment.status not in CANCELLABLE_STATUSES:
        raise InvalidTransitionError(_("This appointment is %(status)s and can no longer be cancelled or changed.")
                                     % {"status": appointment.get_status_display().lower()})
    now = timezone.now()
    cutoff = cancel_cutoff(appointment.slot)
    if not as_staff and now >= cutoff:
        raise CancellationClosedError.after(cutoff=cutoff)
    _slot_give_back(appointment.slot_id)
    from_status = appointment.status
    appointment.status = AppointmentStatus.CANCELLED
    appointment.cancelled_at = now
    appointment.cancel_reason = str(reason)[:200]
    appointment.save(update_fields=["status", "cancelled_at", "cancel_reason"])
    _record_change(appointment, from_status=from_status, by=by, note=reason)


def appointment_cancel(*, appointment: Appointment, by: User, reason: str = "") -> Appointment:
    """Cancel `appointment` and give its number back to the slot.

    Account holders of the patient may cancel a held or booked appointment until CANCEL_CUTOFF_HOURS
    before the slot starts; after that CancellationClosedError names the cut-off. Front desk and
    staff with change_appointment may cancel at any time (the patient is then notified). Anyone
    else gets NotYourPatientError. Cancelling a cancelled appointment again returns it unchanged.

    Locks the slot, then the appointment, and re-reads the status under the lock, so two clicks
    give the number back once.
    """
    as_staff = _check_may_change(by, appointment)
    with transaction.atomic():
        _lock_slots([appointment.slot_id])
        appointment = _lock_appointment(appointment.pk)
        if appointment.status == AppointmentStatus.CANCELLED:
            return appointment
        _cancel_locked(appointment, by=by, as_staff=as_staff, reason=reason)
        if as_staff and not _on_family_list(by, appointment.patient_id):
            _notify_holders(appointment, event="cancelled", title=gettext_lazy("Appointment cancelled"),
                            body=gettext_lazy("Your appointment with %(doctor)s at %(when)s has been cancelled by the hospital. "
                                   "Please book another time."))
    return appointment


def appointment_reschedule(*, appointment: Appointment, new_slot: Slot, by: User) -> Appointment:
    """Move `appointment` to `new_slot`: cancel it and book the new one in ONE transaction.

    The rules of both apply (the cut-off and who may change it; the new slot open, released, not
    full, the daily cap, one per doctor and session). Any refusal rolls the whole move back, so the
    old booking is kept exactly as it was. The new appointment links to the old by rescheduled_from.

    Locks the Patient, then both slots by primary key, then the old appointment. Repeating a move
    that already happened (two clicks) returns the appointment it made.
    """
    if new_slot.pk == appointment.slot_id:
        raise InvalidTransitionError(_("The appointment is already at this time."))
    as_staff = _check_may_change(by, appointment)
    check_may_book_for(user=by, patient=appointment.patient)
    with transaction.atomic():
        _lock_patient(appointment.patient_id)
        _lock_slots([appointment.slot_id, new_slot.pk])
        old = _lock_appointment(appointment.pk)
        if old.status == AppointmentStatus.CANCELLED:
            moved = Appointment.objects.filter(rescheduled_from=old).first()
            if moved is not None and moved.slot_id == new_slot.pk:
                return moved
        paid_fee = old.fee if old.status == AppointmentStatus.BOOKED else None
        _cancel_locked(old, by=by, as_staff=as_staff, reason=_("Moved to another time"))
        return _book_locked(patient=old.patient, slot_id=new_slot.pk, booked_by=by, request_key=None,
                            rescheduled_from=old, paid_fee=paid_fee)


# --- The hospital cancelling a session -----------------------------------------------------------------

def session_cancel(*, doctor: DoctorProfile, date: date, session: str, by: User, reason: str) -> int:
    """The hospital cancels `doctor`'s `session` on `date` (leave, illness): every slot in it is closed and
    every active appointment cancelled, whatever the cut-off, and each patient's account holders get
    one notification by email and SMS. Needs appointments.change_slot.

    Locks the session's slots by primary key and closes them first, so no booking can slip in (the
    booking UPDATE needs status 'open'), then locks the appointments. Running it again finds nothing
    left and notifies nobody twice (notification key appointment:<id>:session-cancelled).
    Returns the number of appointments cancelled.
    """
    if not by.has_perm("appointments.change_slot"):
        raise PermissionRefused(_("Only hospital administrators can cancel a doctor's session."))
    reason = (reason or "").strip() or _("The doctor's session was cancelled.")
    with transaction.atomic():
        slot_ids = _lock_slots(Slot.objects.filter(doctor=doctor, date=date, session=session).values_list("pk", flat=True))
        now = timezone.now()
        Slot.objects.filter(pk__in=slot_ids, status=SlotStatus.OPEN).update(
            status=SlotStatus.CANCELLED, cancelled_at=now, cancel_reason=reason[:200])
        appointments = list(Appointment.objects.select_for_update(of=("self",)).select_related("slot", "doctor__user")
                            .filter(slot_id__in=slot_ids, status__in=ACTIVE_STATUSES).order_by("pk"))
        for appointment in appointments:
            from_status = appointment.status
            appointment.status = AppointmentStatus.CANCELLED
            appointment.cancelled_at = now
            appointment.cancel_reason = reason[:200]
            appointment.save(update_fields=["status", "cancelled_at", "cancel_reason"])
            _record_change(appointment, from_status=from_status, by=by, note=reason)
        # Every active appointment in these slots is now cancelled, so none holds a number.
        Slot.objects.filter(pk__in=slot_ids).update(booked=0)
        for appointment in appointments:
            _notify_holders(appointment, event="session-cancelled",
                            title=gettext_lazy("Appointment cancelled by the hospital"),
                            body=gettext_lazy("We are sorry: the session of %(doctor)s at %(when)s has been cancelled "
                                              "(%(reason)s). Your appointment is cancelled and any fee will be refunded. "
                                              "Please book another time."),
                            reason=reason, email=True, sms=True)
    return len(appointments)


def _notify_holders(appointment: Appointment, *, event: str, title, body, reason: str = "",
                    email: bool = False, sms: bool = False) -> None:
    """One notification per account holder of the appointment's patient for `event`, in their language.

    The key appointment:<id>:<event> makes it once per (appointment, event), however often this runs.
    `title` and `body` are lazy translations, rendered in each recipient's preferred language;
    `body` may use %(doctor)s, %(when)s (local time of the slot) and %(reason)s.
    """
    doctor = appointment.doctor.user.name if appointment.doctor_id else ""
    account_holders_notify(
        patient_id=appointment.patient_id, key=f"appointment:{appointment.pk}:{event}",
        kind=f"appointment_{event.replace('-', '_')}", title=title, body=body,
        params={"doctor": doctor, "when": local_time_text(appointment.slot.starts_at), "reason": reason},
        email=email, sms=sms)
