"""A small hospital's history, seeded row by row with known times, for the dashboard's hand-computed figures.

Day D (ten days ago), department A, Dr A:
  slots: 4 × 2 numbers open, 1 × 2 cancelled by the hospital      → capacity 8
  appointments: 3 completed, 1 missed, 1 cancelled                   → bookings 4, no-shows 1
  tickets: done after waits 5, 10, 15, 20 and consultations 4, 6, 8, 10 minutes; one called after 30 minutes (not
  seen yet); one still waiting (no wait counted)                     → visits 4
  alerts (patient in A's monitoring plan): one opened and escalated, one opened and still open
Day D+1, department B, Dr B:
  slots: 1 × 4 numbers                                               → capacity 4
  appointments: 1 completed, 1 missed                                → bookings 2, no-shows 1
  tickets: one done after a wait of 12 and a consultation of 9 minutes → visits 1
An alert opened a month ago (outside every range used) and closed.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from accounts.roles import Role
from appointments.localtime import hospital_today, hospital_zone
from appointments.models import (
    Appointment,
    AppointmentStatus,
    CheckInChannel,
    Department,
    DoctorProfile,
    QueueTicket,
    ServicePoint,
    ServicePointKind,
    SessionOfDay,
    Slot,
    SlotStatus,
    TicketStatus,
)
from telemonitor.models import Alert, AlertKind, AlertStatus, MonitoringPlan, PlanKind, Severity
from tests.appointments import factories


@dataclass
class World:
    day: date
    next_day: date
    dept_a: Department
    dept_b: Department
    doc_a: DoctorProfile
    doc_b: DoctorProfile


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=hospital_zone())


def _slot(doc: DoctorProfile, day: date, hour: int, minute: int, capacity: int, status=SlotStatus.OPEN) -> Slot:
    starts = _at(day, hour, minute)
    return Slot.objects.create(doctor=doc, department_id=doc.department_id, date=day, session=SessionOfDay.MORNING,
                               starts_at=starts, ends_at=starts + timedelta(minutes=15), capacity=capacity,
                               release_at=starts - timedelta(days=7), status=status)


def _appointment(slot: Slot, status: str) -> Appointment:
    account, patient = factories.account_with_patient()
    return Appointment.objects.create(patient=patient, slot=slot, doctor=slot.doctor, date=slot.date, session=slot.session,
                                      status=status, booked_by=account)


def _ticket(point: ServicePoint, day: date, n: int, *, status: str, wait: float | None = None,
            consult: float | None = None) -> QueueTicket:
    checked_in = _at(day, 8, 0) + timedelta(minutes=n)
    called = checked_in + timedelta(minutes=wait) if wait is not None else None
    started = called if consult is not None else None
    done = started + timedelta(minutes=consult) if consult is not None else None
    return QueueTicket.objects.create(
        service_point=point, date=day, sequence=n, number=f"A{n:03d}", patient=factories.patient(), status=status,
        channel=CheckInChannel.DESK, checked_in_at=checked_in, queued_at=checked_in, called_at=called,
        serving_started_at=started, done_at=done)


def seed() -> World:
    day = hospital_today() - timedelta(days=10)
    next_day = day + timedelta(days=1)
    dept_a, dept_b = factories.department(), factories.department()
    doc_a, doc_b = factories.doctor(dept=dept_a), factories.doctor(dept=dept_b)

    slots_a = [_slot(doc_a, day, 8, 15 * n, 2) for n in range(4)]
    _slot(doc_a, day, 9, 0, 2, status=SlotStatus.CANCELLED)
    for slot, status in zip(slots_a + slots_a[:1], [AppointmentStatus.COMPLETED] * 3 + [AppointmentStatus.NO_SHOW,
                                                                                         AppointmentStatus.CANCELLED],
                            strict=True):
        _appointment(slot, status)
    point_a = ServicePoint.objects.create(kind=ServicePointKind.CONSULTING_ROOM, department=dept_a, doctor=doc_a)
    for n, (wait, consult) in enumerate([(5, 4), (10, 6), (15, 8), (20, 10)], start=1):
        _ticket(point_a, day, n, status=TicketStatus.DONE, wait=wait, consult=consult)
    _ticket(point_a, day, 5, status=TicketStatus.CALLED, wait=30)
    _ticket(point_a, day, 6, status=TicketStatus.WAITING)

    slot_b = _slot(doc_b, next_day, 8, 0, 4)
    _appointment(slot_b, AppointmentStatus.COMPLETED)
    _appointment(slot_b, AppointmentStatus.NO_SHOW)
    point_b = ServicePoint.objects.create(kind=ServicePointKind.CONSULTING_ROOM, department=dept_b, doctor=doc_b)
    _ticket(point_b, next_day, 1, status=TicketStatus.DONE, wait=12, consult=9)

    watched = factories.patient()
    MonitoringPlan.objects.create(patient=watched, kind=PlanKind.BLOOD_PRESSURE, lead_doctor=doc_a.user,
                                  department_code=dept_a.code, starts_on=day - timedelta(days=60))
    opened = _at(day, 10)
    Alert.objects.create(patient=watched, kind=AlertKind.BLOOD_PRESSURE, severity=Severity.HIGH,
                         status=AlertStatus.ESCALATED, reason_code="legacy", reason_params={"text": "BP 190/120"},
                         opened_at=opened, last_seen_at=opened,
                         ack_due_at=opened + timedelta(minutes=15), escalated_at=opened + timedelta(minutes=15))
    Alert.objects.create(patient=watched, kind=AlertKind.HEART_RATE, severity=Severity.LOW, status=AlertStatus.OPEN,
                         reason_code="legacy", reason_params={"text": "HR 112"}, opened_at=opened, last_seen_at=opened,
                         ack_due_at=opened + timedelta(hours=4))
    long_ago = _at(day - timedelta(days=20), 10)
    Alert.objects.create(patient=watched, kind=AlertKind.SPO2, severity=Severity.LOW, status=AlertStatus.CLOSED,
                         reason_code="legacy", reason_params={"text": "SpO2 93"}, opened_at=long_ago,
                         last_seen_at=long_ago, ack_due_at=long_ago,
                         closed_at=long_ago + timedelta(hours=1))
    return World(day=day, next_day=next_day, dept_a=dept_a, dept_b=dept_b, doc_a=doc_a, doc_b=doc_b)


def admin_user(**fields):
    return factories.user(Role.HOSPITAL_ADMIN, is_staff=True, **fields)
