"""Who may read or change a patient's record: the one place that decides, and writes the audit row.

Pages, the API, the admin and exports all call ``access_patient_record`` (or the ``access_*`` helpers built
on it); none of them decide by themselves. Each call that is allowed to *read* writes exactly one AccessLog
row; each refusal writes one 'refused' row. An allowed *write* check writes nothing here: the service that
then writes records the 'write' row, so a write is logged once.

Rules (issue 5):
- a patient (any account) reads their own record and those of the people on their family list they are
  guardian of; they never write clinical data here;
- a doctor reads and writes the records of patients they have a care relationship with (records.care:
  a booking or queue ticket with them within RECORDS_CARE_WINDOW_DAYS, an encounter they wrote, a
  monitoring plan they lead), or for which they hold an unexpired break-the-glass grant;
- a nurse reads and writes the records of today's patients of their department (records.care);
- front desk and hospital administrators see demographics only, never clinical content.
Refusals are 404 for people who are not hospital staff (so a guessed id does not even confirm that a
record exists) and 403 for staff (who can see the patient index anyway).
"""

import functools
import operator
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from accounts.roles import STAFF_ROLES, Role
from records import care
from records.errors import RecordAccessDenied, RecordNotFound
from records.models import AccessAction, AccessLog, BreakGlassGrant, FamilyMember, Patient

USER_AGENT_MAX = 300

# Which roles may write which part of a record (for a patient they may write to at all). Doctors write notes,
# diagnoses, prescriptions, the problem list and orders; nurses also record allergies, results and reports.
WRITE_ROLES: dict[str, frozenset[str]] = {
    "encounter": frozenset({Role.DOCTOR}),
    "diagnosis": frozenset({Role.DOCTOR}),
    "prescription": frozenset({Role.DOCTOR}),
    "problem": frozenset({Role.DOCTOR}),
    "order": frozenset({Role.DOCTOR}),
    "allergy": frozenset({Role.DOCTOR, Role.NURSE}),
    "result": frozenset({Role.DOCTOR, Role.NURSE}),
    "report": frozenset({Role.DOCTOR, Role.NURSE}),
}


class Scope:
    """How much of the record a caller needs."""

    DEMOGRAPHICS = "demographics"  # name, sex, date of birth, contacts: the patient index
    CLINICAL = "clinical"  # everything else


class Purpose:
    """Why the record is read, as shown to the patient in "who has viewed my record"."""

    CARE = "care"
    SELF = "self"
    EMERGENCY = "emergency"
    REGISTRATION = "registration"
    REFERRAL = "referral"

    LABELS = {"care": gettext_lazy("care and treatment"), "self": gettext_lazy("you or your family"),
              "emergency": gettext_lazy("emergency access"), "registration": gettext_lazy("registration"),
              "referral": gettext_lazy("referral")}


@dataclass(frozen=True)
class AuditContext:
    """Where a request came from, for the audit trail. Services take it so they need no request."""

    ip: str | None = None
    user_agent: str = ""

    @classmethod
    def from_request(cls, request) -> "AuditContext":
        if request is None:
            return cls()
        return cls(ip=request.META.get("REMOTE_ADDR") or None,
                   user_agent=(request.META.get("HTTP_USER_AGENT") or "")[:USER_AGENT_MAX])


@dataclass(frozen=True)
class Decision:
    allowed: bool
    role: str
    grant: BreakGlassGrant | None = None
    hide_existence: bool = False
    offer_break_glass: bool = False
    own: bool = False  # their own record or a guarded family member's, whatever their job
    message: str = ""


def _staff_role(user: User) -> str:
    """The role access is decided by: clinical roles first, so a doctor who also works the desk reads as a doctor."""
    for role in (Role.DOCTOR, Role.NURSE, Role.FRONT_DESK, Role.HOSPITAL_ADMIN):
        if user.has_role(role):
            return role
    return ""


def acting_role(user: User) -> str:
    """The role written on an audit row for `user`'s writes."""
    return _staff_role(user) or (Role.PATIENT if user.has_role(Role.PATIENT) else "")


def is_own_or_guarded(*, user: User, patient: Patient) -> bool:
    if patient.account_id is not None and patient.account_id == user.pk:
        return True
    return FamilyMember.objects.filter(account=user, patient=patient, is_guardian=True).exists()


def care_patients(*, user: User):
    """Every patient `user` has a care relationship with, from all registered sources (one query when evaluated)."""
    querysets = care.care_patient_querysets(user)
    if not querysets:
        return Patient.objects.none()
    return Patient.objects.filter(functools.reduce(operator.or_, (Q(pk__in=qs) for qs in querysets)))


def has_care_relationship(*, user: User, patient: Patient) -> bool:
    return care_patients(user=user).filter(pk=patient.pk).exists()


def active_grant(*, user: User, patient: Patient) -> BreakGlassGrant | None:
    return (BreakGlassGrant.objects.filter(doctor=user, patient=patient, expires_at__gt=timezone.now())
            .order_by("-expires_at").first())


def record_access_decide(*, user: User, patient: Patient, scope: str = Scope.CLINICAL, write: bool = False,
                         object_type: str = "chart") -> Decision:
    """Decide without logging. Queries: the user's roles, then at most the family list, care sources and grants."""
    role = _staff_role(user)
    if not write and is_own_or_guarded(user=user, patient=patient):
        return Decision(allowed=True, role=role or Role.PATIENT, own=True)
    if not role or role not in STAFF_ROLES:
        return Decision(allowed=False, role=Role.PATIENT if user.has_role(Role.PATIENT) else "", hide_existence=True)
    if scope == Scope.DEMOGRAPHICS and not write:
        return Decision(allowed=True, role=role)
    if role in (Role.FRONT_DESK, Role.HOSPITAL_ADMIN):
        return Decision(allowed=False, role=role, message=_(
            "Your role gives access to registration details only, not to clinical records."))
    if write and role not in WRITE_ROLES.get(object_type, frozenset({Role.DOCTOR})):
        return Decision(allowed=False, role=role, message=_("Your role cannot write this part of the record."))
    if has_care_relationship(user=user, patient=patient):
        return Decision(allowed=True, role=role)
    if role == Role.DOCTOR:
        grant = active_grant(user=user, patient=patient)
        if grant is not None:
            return Decision(allowed=True, role=role, grant=grant)
        return Decision(allowed=False, role=role, offer_break_glass=True)
    return Decision(allowed=False, role=role, message=_(
        "This patient is not one of today's patients of your department, so you cannot open their record."))


def access_log_write(*, user: User | None, role: str, patient: Patient | None, action: str, object_type: str,
                     object_id: str = "", purpose: str = "", reason: str = "", grant: BreakGlassGrant | None = None,
                     audit: AuditContext | None = None) -> AccessLog:
    """Append one row to the audit trail."""
    audit = audit or AuditContext()
    return AccessLog.objects.create(
        actor=user, actor_role=role, actor_department=care.staff_department(user).name if user and role != Role.PATIENT else "",
        patient=patient, object_type=object_type, object_id=str(object_id or ""), action=action, purpose=purpose,
        reason=reason[:500], grant=grant, ip=audit.ip, user_agent=audit.user_agent[:USER_AGENT_MAX],
    )


def access_patient_record(*, user: User, patient: Patient, purpose: str, request=None, scope: str = Scope.CLINICAL,
                          write: bool = False, object_type: str = "chart", object_id: str = "",
                          audit: AuditContext | None = None) -> Patient:
    """Return `patient` if `user` may read (or, with ``write=True``, change) this part of their record.

    Writes one AccessLog row for an allowed read and one for any refusal, then raises RecordNotFound (404)
    or RecordAccessDenied (403). A patient's own access is logged with purpose 'self', access under a
    break-the-glass grant with purpose 'emergency' and the grant.
    """
    audit = audit or AuditContext.from_request(request)
    decision = record_access_decide(user=user, patient=patient, scope=scope, write=write, object_type=object_type)
    if not decision.allowed:
        access_log_write(user=user, role=decision.role, patient=patient, action=AccessAction.REFUSED,
                         object_type=object_type, object_id=object_id, purpose=purpose,
                         reason="write" if write else scope, audit=audit)
        if decision.hide_existence:
            raise RecordNotFound()
        raise RecordAccessDenied(decision.message or None, extra={"break_glass": decision.offer_break_glass})
    if write:
        return patient
    if decision.own:
        purpose = Purpose.SELF
    elif decision.grant is not None:
        purpose = Purpose.EMERGENCY
    access_log_write(user=user, role=decision.role, patient=patient, action=AccessAction.READ, object_type=object_type,
                     object_id=object_id, purpose=purpose, grant=decision.grant, audit=audit)
    return patient


def access_patient(*, user: User, public_id, purpose: str, request=None, scope: str = Scope.CLINICAL,
                   write: bool = False, object_type: str = "chart", audit: AuditContext | None = None) -> Patient:
    """The patient with this public id, through access_patient_record. An unknown id is a plain 404 (no row to log)."""
    try:
        patient = Patient.objects.get(public_id=public_id)
    except (Patient.DoesNotExist, ValueError, TypeError):
        raise RecordNotFound() from None
    return access_patient_record(user=user, patient=patient, purpose=purpose, request=request, scope=scope, write=write,
                                 object_type=object_type, object_id=str(patient.public_id), audit=audit)


def break_glass_minutes() -> int:
    return int(getattr(settings, "RECORDS_BREAK_GLASS_MINUTES", 120))
