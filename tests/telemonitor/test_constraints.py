"""The rules the database itself keeps, whatever code path writes (telemonitor.models, migration 0002)."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models import ProtectedError
from django.utils import timezone

from telemonitor.models import Alert, Device, PairingCode, Reading, Score
from telemonitor.services.devices import device_register, pairing_code_create
from telemonitor.services.ingest import readings_ingest
from tests.services import require_postgres
from tests.telemonitor.conftest import reading

pytestmark = pytest.mark.django_db


def _alert(patient, **fields) -> Alert:
    now = timezone.now()
    values = {"patient": patient, "kind": "news2", "severity": "high", "reason_code": "news2",
              "reason_params": {"total": 9, "risk": "high"}, "opened_at": now,
              "last_seen_at": now, "ack_due_at": now + timedelta(minutes=15)}
    values.update(fields)
    return Alert.objects.create(**values)


def test_a_second_active_alert_of_one_kind_is_refused(patient):
    _alert(patient)

    with pytest.raises(IntegrityError), transaction.atomic():
        _alert(patient, status="escalated", escalated_at=timezone.now())


def test_a_closed_alert_does_not_block_a_new_one(patient):
    _alert(patient, status="closed", closed_at=timezone.now())

    assert _alert(patient).status == "open"


def test_an_acknowledged_alert_needs_who_and_when(patient):
    with pytest.raises(IntegrityError), transaction.atomic():
        _alert(patient, status="acknowledged")


def test_one_score_per_reading_set_and_algorithm_version(patient):
    fields = {"patient": patient, "set_key": "a" * 64, "at": timezone.now(), "total": 3, "risk": "low-medium",
              "partial": True}
    Score.objects.create(algorithm_version="v1", **fields)
    Score.objects.create(algorithm_version="v2", **fields)

    with pytest.raises(IntegrityError), transaction.atomic():
        Score.objects.create(algorithm_version="v1", **fields)


def test_a_partial_score_can_never_read_low(patient):
    with pytest.raises(IntegrityError), transaction.atomic():
        Score.objects.create(patient=patient, set_key="b" * 64, algorithm_version="v1", at=timezone.now(), total=0,
                             risk="low", partial=True)


def test_a_device_serial_is_paired_once_at_a_time(patient, nurse, device):
    from telemonitor.errors import DeviceAlreadyPaired

    with pytest.raises(DeviceAlreadyPaired):
        device_register(patient=patient, kind=device.kind, serial=device.serial, registered_by=nurse)


def test_a_revoked_devices_serial_can_be_paired_again(patient, nurse, device):
    from telemonitor.services.devices import device_revoke

    device_revoke(device=device)

    again, _ = device_register(patient=patient, kind=device.kind, serial=device.serial, registered_by=nurse)
    assert again.pk != device.pk


def test_a_pairing_code_cannot_be_marked_used_after_it_expired(patient, patient_user):
    _, pairing = pairing_code_create(patient=patient, created_by=patient_user)

    with pytest.raises(IntegrityError), transaction.atomic():
        PairingCode.objects.filter(pk=pairing.pk).update(used_at=pairing.expires_at + timedelta(seconds=1))


def test_a_device_with_readings_is_protected_from_deletion(device):
    readings_ingest(device=device, readings=[reading("r1")])

    with pytest.raises(ProtectedError):
        device.delete()


def test_database_refuses_deleting_a_device_with_readings(device):
    require_postgres()
    readings_ingest(device=device, readings=[reading("r1")])

    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM telemonitor_device WHERE id = %s", [device.pk])


def test_database_refuses_a_reading_for_another_patient_than_its_devices(device, make_user):
    require_postgres()
    from records.models import Patient

    other = Patient.objects.create(mrn="OTHER1", name="别人", sex="male", date_of_birth="1960-01-01")
    readings_ingest(device=device, readings=[reading("r1")])
    row = Reading.objects.values().get()

    with pytest.raises(IntegrityError), transaction.atomic():
        Reading.objects.create(**{**row, "id": None, "device_reading_id": "r2", "patient_id": other.pk})


def test_database_refuses_moving_a_reading_to_another_device(device, patient, nurse):
    require_postgres()
    readings_ingest(device=device, readings=[reading("r1")])
    other, _ = device_register(patient=patient, kind="thermometer", serial="TH-2", registered_by=nurse)

    with pytest.raises(IntegrityError), transaction.atomic():
        Reading.objects.update(device=other)


def test_database_refuses_moving_a_device_with_readings_to_another_patient(device):
    require_postgres()
    from records.models import Patient

    other = Patient.objects.create(mrn="OTHER2", name="别人", sex="male", date_of_birth="1960-01-01")
    readings_ingest(device=device, readings=[reading("r1")])

    with pytest.raises(IntegrityError), transaction.atomic():
        Device.objects.filter(pk=device.pk).update(patient=other)
