"""Demo home monitoring for patient@demo.hospital (blood pressure, with a wearable) and patient2 (glucose).

Idempotent: devices are found by serial, readings have fixed ids (a second run is answered "duplicate"). Readings
go through the real ingest service, so they are scored (in-process in the embedded mode, by the worker otherwise).
"""

import random
from datetime import timedelta

from django.utils import timezone

from accounts.models import User
from core.demo import DemoLogin
from records.models import Patient
from telemonitor.models import Device, DeviceKind, MonitoringPlan
from telemonitor.services import devices, plans
from telemonitor.services.ingest import readings_ingest

LEAD_DOCTOR = "dr.zhang@demo.hospital"  # internal medicine (appointments demo); any doctor if it is not there
NURSE = "nurse@demo.hospital"


def _device(patient: Patient, kind: str, serial: str, label: str, nurse: User) -> Device:
    device = Device.objects.filter(kind=kind, serial=serial, revoked_at=None).first()
    if device is None:
        device, _token = devices.device_register(patient=patient, kind=kind, serial=serial, registered_by=nurse,
                                                 label=label)
    return device


def _plan(patient: Patient, kind: str, lead: User, nurse: User) -> None:
    if not MonitoringPlan.objects.filter(patient=patient, kind=kind, ends_on=None).exists():
        plans.plan_enrol(patient=patient, kind=kind, lead_doctor=lead, enrolled_by=lead, care_team=[nurse],
                         department_code="internal", starts_on=timezone.localdate() - timedelta(days=30))


def _blood_pressure_days(rng: random.Random, now) -> list[dict]:
    """Two weeks of morning and evening pressures around 136/86, the last evening high."""
    rows = []
    for day in range(14, 0, -1):
        for hour, key in ((7, "am"), (20, "pm")):
            at = (now - timedelta(days=day)).replace(hour=hour, minute=10, second=0, microsecond=0)
            systolic, diastolic = rng.randint(126, 146), rng.randint(78, 92)
            if day == 1 and key == "pm":
                systolic, diastolic = 168, 102
            rows.append({"id": f"demo-bp-{day}-{key}", "kind": "blood_pressure", "systolic": systolic,
                         "diastolic": diastolic, "unit": "mm[Hg]", "measured_at": at.isoformat()})
            rows.append({"id": f"demo-hr-{day}-{key}", "kind": "heart_rate", "value": rng.randint(64, 84),
                         "unit": "/min", "measured_at": at.isoformat()})
    return rows


def _glucose_days(rng: random.Random, now) -> list[dict]:
    rows = []
    for day in range(14, 0, -1):
        for hour, key in ((7, "fasting"), (10, "after-breakfast"), (19, "after-dinner")):
            at = (now - timedelta(days=day)).replace(hour=hour, minute=0, second=0, microsecond=0)
            value = rng.randint(95, 130) if key == "fasting" else rng.randint(120, 200)
            rows.append({"id": f"demo-glu-{day}-{key}", "kind": "glucose", "value": value, "unit": "mg/dL",
                         "measured_at": at.isoformat()})
    return rows


def seed() -> list[DemoLogin]:
    nurse = User.objects.filter(email=NURSE).first()
    lead = User.objects.filter(email=LEAD_DOCTOR).first() or User.objects.filter(groups__name="doctor").order_by("id").first()
    first = Patient.objects.filter(account__email="patient@demo.hospital").first()
    second = Patient.objects.filter(account__email="patient2@demo.hospital").first()
    if nurse is None or lead is None or first is None:
        return []
    rng = random.Random(2026)
    now = timezone.localtime()

    monitor = _device(first, DeviceKind.BP_MONITOR, "DEMO-BP-0001", "Upper-arm monitor", nurse)
    _device(first, DeviceKind.HEART_WEARABLE, "DEMO-HW-0001", "Wrist wearable", nurse)
    _plan(first, "blood_pressure", lead, nurse)
    plans.target_set(patient=first, parameter="systolic", low=None, high=140, set_by=lead)
    plans.target_set(patient=first, parameter="diastolic", low=None, high=90, set_by=lead)
    readings_ingest(device=monitor, readings=_blood_pressure_days(rng, now))

    if second is not None:
        meter = _device(second, DeviceKind.GLUCOMETER, "DEMO-GL-0001", "Glucometer", nurse)
        _plan(second, "glucose", lead, nurse)
        plans.target_set(patient=second, parameter="glucose", low=3.9, high=10.0, set_by=lead)
        readings_ingest(device=meter, readings=_glucose_days(rng, now))
    return []  # the lead doctor's login is listed by the appointments demo
