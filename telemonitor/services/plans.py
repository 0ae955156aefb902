"""Monitoring plans (enrolment with a lead doctor and care team) and the doctor's per-patient targets.

Who may call these is decided by the caller through telemonitor.selectors.access_plan_patient (a doctor or nurse
with a care relationship to the patient); the services themselves check only that the author is a clinician and
that the values make sense, so the admin and the demo seeder can use them too.
"""

import logging
import math
from datetime import date

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.roles import Role
from core.errors import Conflict, PermissionRefused, ValidationFailed
from records.models import Patient
from telemonitor.models import MonitoringPlan, PatientTarget, PlanKind, TargetParameter
from telemonitor.signals import plan_enrolled

logger = logging.getLogger(__name__)

# The widest band a doctor may set per parameter, in the canonical unit: what a person can show (the ingest's
# plausible ranges). A target outside it is a typing slip (mg/dL typed as mmol/L, °F as °C).
TARGET_LIMITS: dict[str, tuple[float, float]] = {
    TargetParameter.SYSTOLIC: (40, 300),
    TargetParameter.DIASTOLIC: (20, 200),
    TargetParameter.GLUCOSE: (0.5, 50),
    TargetParameter.HEART_RATE: (20, 300),
    TargetParameter.SPO2: (50, 100),
    TargetParameter.TEMPERATURE: (25, 45),
    TargetParameter.RESP_RATE: (2, 80),
}


def _check_clinician(user: User) -> None:
    if not user.is_clinician:
        raise PermissionRefused(_("Only a doctor or nurse can change a monitoring plan."))


def plan_enrolled_announce(*, plan: MonitoringPlan, by: User | None) -> None:
    """Send telemonitor.signals.plan_enrolled after the current transaction commits (at once outside one)."""

    def send() -> None:
        for receiver, result in plan_enrolled.send_robust(sender=MonitoringPlan, enrolment=plan, by=by):
            if isinstance(result, Exception):
                logger.error("plan_enrolled receiver %r failed for plan %s", receiver, plan.public_id,
                             exc_info=(type(result), result, result.__traceback__))

    transaction.on_commit(send)


def plan_enrol(*, patient: Patient, kind: str, lead_doctor: User, enrolled_by: User, care_team: list[User] = (),
               department_code: str = "", starts_on: date | None = None) -> MonitoringPlan:
    """Enrol `patient` in a plan of `kind`; one open plan per patient and kind (a database constraint, which also
    settles two enrolments at once: the second gets Conflict). The lead must be a doctor. After commit,
    telemonitor.signals.plan_enrolled (payments charges the plan's fee from it)."""
    _check_clinician(enrolled_by)
    if kind not in PlanKind.values:
        raise ValidationFailed(errors={"kind": [_("Choose blood pressure, glucose or cardiac monitoring.")]})
    if not lead_doctor.is_active or not lead_doctor.has_role(Role.DOCTOR):
        raise ValidationFailed(errors={"lead_doctor": [_("The lead must be a doctor with an active account.")]})
    try:
        with transaction.atomic():
            plan = MonitoringPlan.objects.create(
                patient=patient, kind=kind, lead_doctor=lead_doctor, department_code=department_code.strip(),
                starts_on=starts_on or timezone.localdate(), created_by=enrolled_by,
            )
            plan.care_team.set(care_team)
            plan_enrolled_announce(plan=plan, by=enrolled_by)
    except IntegrityError:
        raise Conflict(_("This patient is already enrolled in this kind of monitoring. End that plan first."),
                       errors={"kind": [_("Already enrolled in this kind of monitoring.")]}) from None
    return plan


def plan_end(*, plan: MonitoringPlan, ended_by: User, ends_on: date | None = None) -> MonitoringPlan:
    _check_clinician(ended_by)
    plan.ends_on = max(ends_on or timezone.localdate(), plan.starts_on)
    plan.save(update_fields=["ends_on"])
    return plan


def plan_spo2_scale_set(*, plan: MonitoringPlan, scale: int, set_by: User) -> MonitoringPlan:
    """SpO2 Scale 2 (target 88–92 %, hypercapnic respiratory failure; RCP NEWS2 2017) is a clinical decision: only a
    clinician sets it, and who set it and when is recorded (also when it is set back to Scale 1). Locks the plan row
    so two changes at once are applied one after the other."""
    _check_clinician(set_by)
    if scale not in (1, 2):
        raise ValidationFailed(errors={"spo2_scale": [_("Choose scale 1 or scale 2.")]})
    with transaction.atomic():
        plan = MonitoringPlan.objects.select_for_update().get(pk=plan.pk)
        plan.spo2_scale, plan.spo2_scale_set_by, plan.spo2_scale_set_at = scale, set_by, timezone.now()
        plan.save(update_fields=["spo2_scale", "spo2_scale_set_by", "spo2_scale_set_at"])
    return plan


def _bound(name: str, value, limits: tuple[float, float], errors: dict) -> float | None:
    if value is None or value == "":
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        errors[name] = [_("Enter a number.")]
        return None
    low, high = limits
    if not math.isfinite(number) or not low <= number <= high:
        errors[name] = [_("Enter a value from %(low)g to %(high)g.") % {"low": low, "high": high}]
        return None
    return number


def target_set(*, patient: Patient, parameter: str, low: float | None, high: float | None, set_by: User) -> PatientTarget:
    """Set (or replace) the patient's target band for one parameter, in the canonical unit. The unique constraint
    (patient, parameter) keeps one target per parameter; update_or_create locks the row it updates."""
    _check_clinician(set_by)
    if parameter not in TargetParameter.values:
        raise ValidationFailed(errors={"parameter": [_("Unknown parameter.")]})
    errors: dict = {}
    low = _bound("low", low, TARGET_LIMITS[parameter], errors)
    high = _bound("high", high, TARGET_LIMITS[parameter], errors)
    if errors:
        raise ValidationFailed(errors=errors)
    if low is None and high is None:
        raise ValidationFailed(errors={"low": [_("Give a lowest or a highest value, or both.")]})
    if low is not None and high is not None and low >= high:
        raise ValidationFailed(errors={"high": [_("The highest value must be above the lowest.")]})
    with transaction.atomic():
        target, _created = PatientTarget.objects.update_or_create(
            patient=patient, parameter=parameter, defaults={"low": low, "high": high, "set_by": set_by})
    return target


def target_remove(*, patient: Patient, parameter: str, removed_by: User) -> bool:
    """Remove the patient's target for `parameter` (the default alerting rules apply again). True if one existed."""
    _check_clinician(removed_by)
    deleted, _rows = PatientTarget.objects.filter(patient=patient, parameter=parameter).delete()
    return bool(deleted)
