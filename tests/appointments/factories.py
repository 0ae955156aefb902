"""Builders for registration tests: departments, doctors, slots, patients on a family list.

Plain functions, not fixtures, so any test module (services, pages, API, races) can build exactly
the world it needs. Times are given relative to now, so no clock needs to be frozen.
"""

import itertools
from datetime import date, datetime, time, timedelta

from django.contrib.auth.models import Group
from django.utils import timezone

from accounts.models import User
from accounts.roles import Role
from appointments.localtime import hospital_zone
from appointments.models import Department, DoctorProfile, DoctorTitle, SessionOfDay, Slot, SlotStatus
from records import services as records_services
from records.models import FamilyMember, Patient, Relationship

_counter = itertools.count(1)


def department(**fields) -> Department:
    n = next(_counter)
    defaults = {"code": f"dept{n}", "name_zh": f"科室{n}", "name_en": f"Department {n}",
                "queue_prefix": f"{chr(ord('A') + n % 26)}{n % 10}"}
    defaults.update(fields)
    return Department.objects.create(**defaults)


def user(*roles: str, **fields) -> User:
    n = next(_counter)
    fields.setdefault("email", f"person{n}@example.test")
    fields.setdefault("name", f"用户{n}")
    fields.setdefault("phone", f"135{n:08d}")
    account = User.objects.create_user(password="Quiet-River-2024", **fields)
    for role in roles:
        account.groups.add(Group.objects.get_or_create(name=role)[0])
    return account


def doctor(*, dept: Department | None = None, title: str = DoctorTitle.ATTENDING, name: str | None = None) -> DoctorProfile:
    account = user(Role.DOCTOR, **({"name": name} if name else {}))
    return DoctorProfile.objects.create(user=account, department=dept or department(), title=title)


def session_of(local_start: datetime) -> str:
    if local_start.hour < 12:
        return SessionOfDay.MORNING
    return SessionOfDay.AFTERNOON if local_start.hour < 18 else SessionOfDay.EVENING


def slot(*, doc: DoctorProfile | None = None, starts_at: datetime | None = None, day: date | None = None,
         at: time = time(9, 0), minutes: int = 15, capacity: int = 1, booked: int = 0, released: bool = True,
         status: str = SlotStatus.OPEN) -> Slot:
    """A slot of `doc`: at local `at` on `day` (default: the day after tomorrow), or at `starts_at`."""
    doc = doc or doctor()
    zone = hospital_zone()
    if starts_at is None:
        day = day or (timezone.now().astimezone(zone).date() + timedelta(days=2))
        starts_at = datetime.combine(day, at, tzinfo=zone)
    local = starts_at.astimezone(zone)
    now = timezone.now()
    return Slot.objects.create(
        doctor=doc, department_id=doc.department_id, date=local.date(), session=session_of(local),
        starts_at=starts_at, ends_at=starts_at + timedelta(minutes=minutes), capacity=capacity, booked=booked,
        release_at=now - timedelta(days=1) if released else now + timedelta(days=1), status=status)


def patient(*, name: str | None = None, dob: date = date(1980, 1, 1), phone: str = "") -> Patient:
    details = records_services.patient_details_check(name=name or f"病人{next(_counter)}", sex="female",
                                                     date_of_birth=dob, phone=phone)
    return records_services.patient_create(details=details)


def account_with_patient(*, name: str | None = None) -> tuple[User, Patient]:
    """A patient's account and its own Patient row on its family list as 'myself'."""
    account = user(Role.PATIENT)
    own = patient(name=name)
    own.account = account
    own.save(update_fields=["account"])
    FamilyMember.objects.create(account=account, patient=own, relationship=Relationship.SELF, is_guardian=True)
    return account, own


def add_to_list(account: User, person: Patient, relationship: str = Relationship.PARENT) -> FamilyMember:
    return FamilyMember.objects.create(account=account, patient=person, relationship=relationship, is_guardian=True)
