"""Builders for queue tests: a doctor's session today with booked patients, checked in or not.

Times are relative to now (no frozen clock): a slot "in 20 minutes" is today's, and check-in services take
``now=`` so a test can say when the patient arrives.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db.models import F
from django.utils import timezone

from accounts.models import User
from accounts.roles import Role
from appointments.localtime import hospital_zone
from appointments.models import Appointment, AppointmentStatus, ConsultingRoom, Department, DoctorProfile, Slot
from appointments.queue import services
from records.models import Patient
from tests.appointments import factories


@dataclass
class Clinic:
    department: Department
    doctor: DoctorProfile
    room: ConsultingRoom
    desk: User
    accounts: dict = field(default_factory=dict)  # patient pk -> account holder


def clinic(*, prefix: str | None = None, room_name: str = "3诊室", dept: Department | None = None) -> Clinic:
    dept = dept or factories.department(**({"queue_prefix": prefix} if prefix else {}))
    doc = factories.doctor(dept=dept)
    room = ConsultingRoom.objects.create(department=dept, code=f"room-{doc.pk}", name=room_name)
    return Clinic(department=dept, doctor=doc, room=room, desk=factories.user(Role.FRONT_DESK))


def slot_at(c: Clinic, starts_at: datetime, *, minutes: int = 15, capacity: int = 10) -> Slot:
    s = factories.slot(doc=c.doctor, starts_at=starts_at, minutes=minutes, capacity=capacity)
    s.room = c.room
    s.save(update_fields=["room"])
    return s


def booked(c: Clinic, slot: Slot, *, name: str | None = None, dob: date = date(1980, 1, 1),
           status: str = AppointmentStatus.BOOKED) -> Appointment:
    """A booking of `slot` for a new patient with their own account (written directly: the slot may be past)."""
    account, person = factories.account_with_patient(name=name)
    if dob != date(1980, 1, 1):
        Patient.objects.filter(pk=person.pk).update(date_of_birth=dob)
        person.refresh_from_db()
    c.accounts[person.pk] = account
    local = slot.starts_at.astimezone(hospital_zone())
    Slot.objects.filter(pk=slot.pk).update(booked=F("booked") + 1)
    return Appointment.objects.create(
        patient=person, slot=slot, doctor=slot.doctor, date=local.date(), session=slot.session, status=status,
        booked_by=account, booked_at=timezone.now(),
        hold_expires_at=timezone.now() + timedelta(minutes=15) if status == AppointmentStatus.HELD else None)


def account_of(c: Clinic, appointment: Appointment) -> User:
    return c.accounts[appointment.patient_id]


def checked_in(c: Clinic, appointment: Appointment, *, at: datetime | None = None, **kwargs):
    return services.ticket_check_in(appointment=appointment, by=account_of(c, appointment), now=at, **kwargs)


def soon(minutes: int = 20) -> datetime:
    """A time `minutes` from now, on a whole minute (so slots line up)."""
    return (timezone.now() + timedelta(minutes=minutes)).replace(second=0, microsecond=0)


def daytime_zone() -> str:
    """A fixed-offset zone where it is 10:00-10:59 now, for tests that put slots a little ahead of the clock."""
    offset = (10 - timezone.now().hour + 12) % 24 - 12  # -12..+11 hours from UTC
    return f"Etc/GMT{-offset:+d}" if offset else "UTC"  # Etc/ zones have their sign reversed
