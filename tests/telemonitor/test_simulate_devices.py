"""simulate_devices: realistic readings through the real ingest path, the deteriorating patients alerting."""

import io
from datetime import timedelta

import pytest
from django.core.management import call_command

from records.models import Patient
from telemonitor.models import Alert, Reading
from telemonitor.simulation import SimulatedPatient

pytestmark = pytest.mark.django_db


def test_simulator_drives_the_deteriorating_patient_into_a_high_alert_only(nurse, run_on_commit):
    with run_on_commit():
        call_command("simulate_devices", patients=3, minutes=30, deteriorating=1, stdout=io.StringIO())

    simulated = list(Patient.objects.filter(name__startswith="SIM-").order_by("id"))
    assert len(simulated) == 3
    assert Reading.objects.filter(scored_at=None).count() == 0
    alerts = {(a.patient_id, a.kind): a.severity for a in Alert.objects.all()}
    assert alerts[(simulated[0].pk, "news2")] == "high"
    assert not any(patient_id != simulated[0].pk and kind == "news2" for patient_id, kind in alerts)


def test_simulator_can_drive_an_existing_accounts_patient(patient, patient_user, nurse, run_on_commit):
    with run_on_commit():
        call_command("simulate_devices", patient_email=[patient_user.email], minutes=20, stdout=io.StringIO())

    assert Alert.objects.get(patient=patient, kind="news2").severity == "high"


def test_simulated_readings_are_all_accepted_by_the_checks():
    from django.utils import timezone

    from telemonitor.services.ingest import readings_check

    rows = SimulatedPatient(key="k", deteriorating=True, seed=3).readings(start=timezone.now(), minutes=120)
    good, _, _ = readings_check(rows, received_at=timezone.now() + timedelta(hours=3))

    assert len(good) == len(rows)
    assert {r["kind"] for r in rows} == {"heart_rate", "spo2", "resp_rate", "temperature", "blood_pressure", "glucose",
                                         "consciousness"}


def test_simulator_pairs_with_the_patients_code_as_a_devices_app_would(patient, patient_user, run_on_commit):
    from telemonitor.models import Device
    from telemonitor.services.devices import pairing_code_create

    code, pairing = pairing_code_create(patient=patient, created_by=patient_user)
    out = io.StringIO()
    with run_on_commit():
        call_command("simulate_devices", pairing_code=code.lower(), serial="HW-7788", minutes=20, stdout=out)

    device = Device.objects.get(serial="HW-7788", revoked_at=None)
    assert (device.patient, device.paired_by) == (patient, patient_user)
    pairing.refresh_from_db()
    assert pairing.device == device and pairing.used_at is not None
    stored = Reading.objects.filter(device=device).count()
    assert f"{stored} readings accepted of {stored} sent for 1 patients (1 deteriorating)" in out.getvalue()
    assert Alert.objects.get(patient=patient, kind="news2").severity == "high"


def test_simulator_refuses_a_used_pairing_code(patient, patient_user, run_on_commit):
    from django.core.management.base import CommandError

    from telemonitor.services.devices import pairing_code_create

    code, _ = pairing_code_create(patient=patient, created_by=patient_user)
    with run_on_commit():
        call_command("simulate_devices", pairing_code=code, serial="HW-1", minutes=2, stdout=io.StringIO())
    with pytest.raises(CommandError, match="already used or expired"):
        call_command("simulate_devices", pairing_code=code, serial="HW-2", minutes=2, stdout=io.StringIO())
    assert Reading.objects.filter(device__serial="HW-2").count() == 0
