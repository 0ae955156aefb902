"""Reads for registration: what can be booked, a person's appointments, finding a walk-in patient.

Each list is one query (or a fixed few), whatever its length: related rows come by
select_related and per-row figures by annotation, never by a query per row.
"""

from dataclasses import dataclass
from datetime import date, datetime

from django.core.exceptions import ValidationError  # a malformed UUID in the URL or API
from django.db.models import Count, F, Max, Min, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce, Replace
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from appointments.models import ACTIVE_STATUSES, Appointment, Department, DoctorProfile, Slot, SlotStatus
from core.errors import NotFound
from records.models import FamilyMember, Patient


def department_list() -> QuerySet[Department]:
    """Departments open for booking, in the hospital's order."""
    return Department.objects.filter(is_active=True).order_by("sort_order", "code")


def slot_bookable_list(*, now: datetime | None = None) -> QuerySet[Slot]:
    """Slots that can be booked right now: open, released, not started, with a number left."""
    now = now or timezone.now()
    return Slot.objects.filter(status=SlotStatus.OPEN, release_at__lte=now, starts_at__gt=now,
                               booked__lt=F("capacity"), doctor__is_active=True)


def doctor_list(*, department: Department, now: datetime | None = None) -> QuerySet[DoctorProfile]:
    """The department's doctors seeing patients, each with ``next_available_date`` (the first local date
    with a number that can be booked now, or None) and ``next_opening_at`` (when the next not yet
    released numbers open, or None). One query."""
    now = now or timezone.now()
    next_date = slot_bookable_list(now=now).filter(doctor=OuterRef("pk")).order_by("starts_at").values("date")[:1]
    next_opening = (Slot.objects.filter(doctor=OuterRef("pk"), status=SlotStatus.OPEN, release_at__gt=now)
                    .order_by("release_at").values("release_at")[:1])
    return (DoctorProfile.objects.filter(department=department, is_active=True)
            .select_related("user", "department")
            .annotate(next_available_date=Subquery(next_date), next_opening_at=Subquery(next_opening))
            .order_by("user__name", "pk"))


def doctor_get(*, public_id) -> DoctorProfile:
    try:
        return DoctorProfile.objects.select_related("user", "department").get(public_id=public_id, is_active=True)
    except (DoctorProfile.DoesNotExist, ValueError, ValidationError):
        raise NotFound(_("We could not find this doctor.")) from None


def slot_list_for_day(*, doctor: DoctorProfile, date: date) -> QuerySet[Slot]:
    """All of the doctor's slots on a local date, cancelled ones included (shown as such), by time."""
    return Slot.objects.filter(doctor=doctor, date=date).select_related("room").order_by("starts_at")


def slot_get(*, public_id) -> Slot:
    try:
        return Slot.objects.select_related("doctor__user", "department", "room").get(public_id=public_id)
    except (Slot.DoesNotExist, ValueError, ValidationError):
        raise NotFound(_("We could not find this time. Please choose again.")) from None


@dataclass(frozen=True)
class SessionSummary:
    """One doctor's session on one day, as the booking pages list it."""

    doctor_id: int
    date: date
    session: str
    starts_at: datetime
    ends_at: datetime
    capacity: int
    remaining: int  # numbers left in open slots that have not started
    release_at: datetime
    cancelled: bool  # every slot of the session was cancelled by the hospital

    def state(self, now: datetime | None = None) -> str:
        """"cancelled", "past", "not_released", "full" or "open"."""
        now = now or timezone.now()
        if self.cancelled:
            return "cancelled"
        if self.ends_at <= now:
            return "past"
        if self.release_at > now:
            return "not_released"
        return "open" if self.remaining > 0 else "full"


def session_list(*, date_from: date, date_to: date, doctor: DoctorProfile | None = None,
                 department: Department | None = None, now: datetime | None = None) -> list[SessionSummary]:
    """Sessions of one doctor (or of every doctor of a department) between two local dates, with the
    numbers left, by date, time and doctor. One query."""
    now = now or timezone.now()
    slots = Slot.objects.filter(date__range=(date_from, date_to))
    if doctor is not None:
        slots = slots.filter(doctor=doctor)
    if department is not None:
        slots = slots.filter(department=department, doctor__is_active=True)
    open_ = Q(status=SlotStatus.OPEN)
    # Aliases differ from the field names: an aggregate named like a field would shadow it in the
    # aggregates after it (Sum(F("capacity") - F("booked")) would then sum an aggregate).
    rows = (slots.values("doctor_id", "date", "session")
            .annotate(first_start=Min("starts_at"), last_end=Max("ends_at"), first_release=Min("release_at"),
                      numbers=Coalesce(Sum("capacity", filter=open_), 0),
                      numbers_left=Coalesce(Sum(F("capacity") - F("booked"), filter=open_ & Q(starts_at__gt=now)), 0),
                      open_slots=Count("pk", filter=open_))
            .order_by("date", "first_start", "doctor_id"))
    return [SessionSummary(doctor_id=r["doctor_id"], date=r["date"], session=r["session"], starts_at=r["first_start"],
                           ends_at=r["last_end"], capacity=r["numbers"], remaining=r["numbers_left"],
                           release_at=r["first_release"], cancelled=r["open_slots"] == 0)
            for r in rows]


def appointment_list_for_account(*, account: User, upcoming: bool, now: datetime | None = None) -> QuerySet[Appointment]:
    """Appointments of everyone on `account`'s family list.

    ``upcoming``: active ones whose slot has not ended, soonest first. Otherwise the rest (ended,
    cancelled, expired, completed), latest first.
    """
    now = now or timezone.now()
    patients = FamilyMember.objects.filter(account=account).values("patient_id")
    coming = Q(status__in=ACTIVE_STATUSES, slot__ends_at__gt=now)
    appointments = (Appointment.objects.filter(patient_id__in=patients)
                    .select_related("patient", "slot", "slot__room", "doctor__user", "doctor__department"))
    if upcoming:
        return appointments.filter(coming).order_by("slot__starts_at", "pk")
    return appointments.exclude(coming).order_by("-slot__starts_at", "-pk")


def access_appointment(*, user: User, public_id) -> Appointment:
    """The appointment `public_id` if `user` may see it: its patient is on the user's family list, or
    the user is staff allowed to view appointments. Otherwise NotFound, so other people's
    appointments cannot even be confirmed to exist."""
    appointments = Appointment.objects.select_related("patient", "slot", "slot__room", "doctor__user",
                                                      "doctor__department", "booked_by")
    if not user.has_perm("appointments.view_appointment"):
        appointments = appointments.filter(patient__family_links__account=user)
    try:
        return appointments.get(public_id=public_id)
    except (Appointment.DoesNotExist, ValueError, ValidationError):
        raise NotFound(_("We could not find this appointment.")) from None


def patient_search(*, query: str, limit: int = 20) -> QuerySet[Patient]:
    """Patients for the front desk to book for: by name (张三), pinyin initials (zs), full pinyin
    (zhangsan), mobile number (full, or its first digits), or MRN. Callers check the user may search."""
    query = " ".join((query or "").split())
    if not query:
        return Patient.objects.none()
    compact = query.replace(" ", "").lower()
    match = Q(name__icontains=query) | Q(mrn__iexact=compact)
    if compact.isdigit():
        match |= Q(phone__startswith=compact) if len(compact) >= 3 else Q(phone=compact)
    if compact.isascii() and compact.isalpha():
        match |= Q(name_initials__startswith=compact) | Q(pinyin_compact__startswith=compact)
    return (Patient.objects.annotate(pinyin_compact=Replace("name_pinyin", Value(" "), Value("")))
            .filter(match).order_by("name", "pk")[:limit])
