"""Monitoring plans (enrolment with a lead doctor and care team) and the doctor's per-patient targets."""

from datetime import date

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from core.errors import Conflict, PermissionRefused, ValidationFailed
from records.models import Patient
from telemonitor.models import MonitoringPlan, PatientTarget, PlanKind, TargetParameter


def _check_clinician(user: User) -> None:
    if not user.is_clinician:
        raise PermissionRefused(_("Only a doctor or nurse can change a monitoring plan."))


def plan_enrol(*, patient: Patient, kind: str, lead_doctor: User, enrolled_by: User, care_team: list[User] = (),
               department_code: str = "", starts_on: date | None = None) -> MonitoringPlan:
    """Enrol `patient` in a plan of `kind`; one open plan per patient and kind (a database constraint)."""
    _check_clinician(enrolled_by)
    if kind not in PlanKind.values:
        raise ValidationFailed(errors={"kind": [_("Choose blood pressure, glucose or cardiac monitoring.")]})
    try:
        with transaction.atomic():
            plan = MonitoringPlan.objects.create(
                patient=patient, kind=kind, lead_doctor=lead_doctor, department_code=department_code.strip(),
                starts_on=starts_on or timezone.localdate(), created_by=enrolled_by,
            )
            plan.care_team.set(care_team)
    except IntegrityError:
        raise Conflict(_("This patient is already enrolled in this kind of monitoring. End that plan first.")) from None
    return plan


def plan_end(*, plan: MonitoringPlan, ended_by: User, ends_on: date | None = None) -> MonitoringPlan:
    _check_clinician(ended_by)
    plan.ends_on = max(ends_on or timezone.localdate(), plan.starts_on)
    plan.save(update_fields=["ends_on"])
    return plan


def plan_spo2_scale_set(*, plan: MonitoringPlan, scale: int, set_by: User) -> MonitoringPlan:
    """SpO2 Scale 2 (target 88–92 %, hypercapnic respiratory failure) is a clinical decision, recorded with its author."""
    _check_clinician(set_by)
    if scale not in (1, 2):
        raise ValidationFailed(errors={"spo2_scale": [_("Choose scale 1 or scale 2.")]})
    plan.spo2_scale, plan.spo2_scale_set_by = scale, set_by
    plan.save(update_fields=["spo2_scale", "spo2_scale_set_by"])
    return plan


def target_set(*, patient: Patient, parameter: str, low: float | None, high: float | None, set_by: User) -> PatientTarget:
    """Set (or replace) the patient's target band for one parameter, in the canonical unit."""
    _check_clinician(set_by)
    if parameter not in TargetParameter.values:
        raise ValidationFailed(errors={"parameter": [_("Unknown parameter.")]})
    if low is None and high is None:
        raise ValidationFailed(errors={"low": [_("Give a lowest or a highest value, or both.")]})
    if low is not None and high is not None and low >= high:
        raise ValidationFailed(errors={"high": [_("The highest value must be above the lowest.")]})
    target, _created = PatientTarget.objects.update_or_create(
        patient=patient, parameter=parameter, defaults={"low": low, "high": high, "set_by": set_by})
    return target
