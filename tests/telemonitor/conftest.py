"""Fixtures for the home-monitoring tests: a monitored patient, a paired device and its token, reading builders."""

from datetime import UTC, datetime, timedelta

import pytest

from accounts.roles import Role
from records.models import Patient
from tests.core.support import api_client, run_on_commit, unit_isolation  # noqa: F401


@pytest.fixture
def nurse(make_user):
    return make_user(Role.NURSE)


@pytest.fixture
def patient(patient_user) -> Patient:
    return Patient.objects.get(account=patient_user)


@pytest.fixture
def paired(patient, nurse):
    """(device, token) of a heart-rate wearable paired to `patient` by a nurse."""
    from telemonitor.services.devices import device_register

    return device_register(patient=patient, kind="heart_wearable", serial="HW-0001", registered_by=nurse)


@pytest.fixture
def device(paired):
    return paired[0]


@pytest.fixture
def token(paired):
    return paired[1]


def at(minutes_ago: float = 5, *, offset_hours: int = 8) -> str:
    """An ISO 8601 time `minutes_ago` before now, written with a UTC offset as a device would send it."""
    from datetime import timezone as tz

    moment = datetime.now(UTC) - timedelta(minutes=minutes_ago)
    return moment.astimezone(tz(timedelta(hours=offset_hours))).isoformat(timespec="seconds")


def reading(reading_id, kind="heart_rate", value=72, unit="/min", minutes_ago=5, **extra) -> dict:
    row = {"id": reading_id, "kind": kind, "unit": unit, "measured_at": at(minutes_ago)}
    if value is not None:
        row["value"] = value
    row.update(extra)
    return row


def post_readings(client, token, readings):
    return client.post(
        "/api/v1/telemonitor/readings", {"readings": readings}, format="json", HTTP_AUTHORIZATION=f"Device {token}"
    )
