"""Who cares for whom: the hooks through which other apps tell records about care relationships.

records decides who may read a chart (records.access), but the facts that make a care relationship live
partly in apps *above* it (appointments and the queue, telemonitoring) which records must not import.
Those apps register a *source* here from their ``AppConfig.ready``; records.access asks every source.

A source is ``fn(*, user, today, window_days) -> QuerySet | None``: the ids of the patients ``user`` has a
care relationship with (a ``values("patient_id")``-style queryset, used as a subquery so that a check is
one query whatever the number of sources), or None when the source has nothing to say for this user (for
example a nurse asking a doctors-only source). ``today`` is the hospital's local date and ``window_days``
is settings.RECORDS_CARE_WINDOW_DAYS.

A *department resolver* ``fn(user) -> StaffDepartment | None`` names the department a member of staff works
in: encounters keep it, and the audit trail shows it ("who has viewed my record" shows role and department,
not the staff member's name).
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import User
from accounts.roles import Role


@dataclass(frozen=True)
class StaffDepartment:
    code: str
    name: str


NO_DEPARTMENT = StaffDepartment(code="", name="")
CareSource = Callable[..., QuerySet | None]
DepartmentResolver = Callable[[User], StaffDepartment | None]

DEFAULT_CARE_WINDOW_DAYS = 30


@dataclass(frozen=True)
class _Registered:
    name: str
    fn: CareSource


_sources: dict[str, _Registered] = {}
_department_resolvers: dict[str, DepartmentResolver] = {}


def register_care_relationship_source(fn: CareSource, *, name: str | None = None) -> CareSource:
    """Add a source of care relationships. Registering the same name again replaces it (ready() may run twice)."""
    key = name or f"{fn.__module__}.{fn.__qualname__}"
    _sources[key] = _Registered(name=key, fn=fn)
    return fn


def unregister_care_relationship_source(name: str) -> None:
    _sources.pop(name, None)


def register_department_resolver(fn: DepartmentResolver, *, name: str | None = None) -> DepartmentResolver:
    _department_resolvers[name or f"{fn.__module__}.{fn.__qualname__}"] = fn
    return fn


def care_window_days() -> int:
    return int(getattr(settings, "RECORDS_CARE_WINDOW_DAYS", DEFAULT_CARE_WINDOW_DAYS))


def care_patient_querysets(user: User) -> list[QuerySet]:
    """Every source's answer for `user`: querysets of patient ids, not yet evaluated."""
    today = timezone.localdate()
    window = care_window_days()
    answers = []
    for source in list(_sources.values()):
        answer = source.fn(user=user, today=today, window_days=window)
        if answer is not None:
            answers.append(answer)
    return answers


def staff_department(user: User) -> StaffDepartment:
    """The department `user` works in, as the first resolver that knows says; NO_DEPARTMENT if none does."""
    for resolver in list(_department_resolvers.values()):
        department = resolver(user)
        if department is not None:
            return department
    return NO_DEPARTMENT


def encounters_written(*, user: User, today, window_days: int) -> QuerySet | None:
    """A doctor cares for every patient they have written an encounter for (no time limit: it is their note)."""
    from records.models import Encounter

    if not user.has_role(Role.DOCTOR):
        return None
    return Encounter.objects.filter(author=user).values("patient_id")


register_care_relationship_source(encounters_written, name="records.encounters_written")


# --- Consultations: the appointment a note is written for ---------------------------------------------------
# A note started from the queue console is linked to the booking the patient came with. records cannot read
# appointments (an app above it), so appointments registers two answers here: which patient and booking a
# queue ticket stands for ("open chart" from the console), and whether a booking is this patient's with this
# doctor (so a note is never linked to somebody else's visit).


@dataclass(frozen=True)
class Consultation:
    patient_public_id: str
    appointment_public_id: str  # "" for a walk-in


TicketResolver = Callable[..., Consultation | None]
AppointmentCheck = Callable[..., bool | None]

_ticket_resolvers: dict[str, TicketResolver] = {}
_appointment_checks: dict[str, AppointmentCheck] = {}


def register_ticket_resolver(fn: TicketResolver, *, name: str | None = None) -> TicketResolver:
    """``fn(*, user, ticket_public_id) -> Consultation | None``: the patient and booking of a queue ticket."""
    _ticket_resolvers[name or f"{fn.__module__}.{fn.__qualname__}"] = fn
    return fn


def register_appointment_check(fn: AppointmentCheck, *, name: str | None = None) -> AppointmentCheck:
    """``fn(*, appointment_public_id, patient, doctor) -> bool | None``: True if the booking is `patient`'s
    with `doctor`, False if it is not, None if this source does not know the booking."""
    _appointment_checks[name or f"{fn.__module__}.{fn.__qualname__}"] = fn
    return fn


def consultation_for_ticket(*, user: User, ticket_public_id) -> Consultation | None:
    for resolver in list(_ticket_resolvers.values()):
        found = resolver(user=user, ticket_public_id=ticket_public_id)
        if found is not None:
            return found
    return None


def appointment_is_with(*, appointment_public_id, patient, doctor: User) -> bool:
    """Whether the booking is `patient`'s with `doctor`. A booking no source knows is not."""
    for check in list(_appointment_checks.values()):
        answer = check(appointment_public_id=appointment_public_id, patient=patient, doctor=doctor)
        if answer is not None:
            return answer
    return False
