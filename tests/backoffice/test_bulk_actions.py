"""Bulk admin actions are all or nothing: a row that fails leaves every row as it was, and is named."""

from datetime import timedelta

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role
from core.admin_actions import BulkRowFailed, act_on_all
from core.errors import ApplicationError
from telemonitor.models import Alert, AlertKind, AlertStatus, Severity
from tests.appointments import factories

pytestmark = pytest.mark.django_db


def alert(patient, kind, status, minutes_ago):
    at = timezone.now() - timedelta(minutes=minutes_ago)
    extra = {"closed_at": at} if status == AlertStatus.CLOSED else {}
    return Alert.objects.create(patient=patient, kind=kind, severity=Severity.MEDIUM, status=status, reason_code="legacy",
                                opened_at=at, last_seen_at=at, ack_due_at=at + timedelta(minutes=30), **extra)


@pytest.fixture
def clinician_client(client):
    client.doctor = factories.user(Role.DOCTOR, is_staff=True)
    client.force_login(client.doctor)
    return client


def patient_of(clinician_client):
    """A patient on a monitoring plan the doctor leads: the admin lists a clinician's own patients' alerts only."""
    from telemonitor.services import plans

    patient = factories.patient()
    plans.plan_enrol(patient=patient, kind="blood_pressure", lead_doctor=clinician_client.doctor,
                     enrolled_by=clinician_client.doctor)
    return patient


def acknowledge(client, alerts):
    return client.post(reverse("admin:telemonitor_alert_changelist"),
                       {"action": "acknowledge", ACTION_CHECKBOX_NAME: [a.pk for a in alerts]}, follow=True)


def test_acknowledging_alerts_in_bulk_acknowledges_them_all(clinician_client):
    patient = patient_of(clinician_client)
    alerts = [alert(patient, AlertKind.HEART_RATE, AlertStatus.OPEN, 3), alert(patient, AlertKind.SPO2, AlertStatus.OPEN, 2)]

    response = acknowledge(clinician_client, alerts)

    assert "Acknowledged 2 alerts." in response.content.decode()
    assert set(Alert.objects.values_list("status", flat=True)) == {AlertStatus.ACKNOWLEDGED}


def test_one_closed_alert_in_the_selection_leaves_every_alert_as_it_was(clinician_client):
    patient = patient_of(clinician_client)
    first = alert(patient, AlertKind.HEART_RATE, AlertStatus.OPEN, 3)      # newest first in the list: row 1
    closed = alert(patient, AlertKind.SPO2, AlertStatus.CLOSED, 5)         # row 2
    last = alert(patient, AlertKind.TEMPERATURE, AlertStatus.OPEN, 9)      # row 3

    response = acknowledge(clinician_client, [first, closed, last])

    html = response.content.decode()
    assert "Nothing was changed: row 2" in html
    assert list(Alert.objects.order_by("pk").values_list("status", flat=True)) == [
        AlertStatus.OPEN, AlertStatus.CLOSED, AlertStatus.OPEN]


def test_act_on_all_rolls_back_the_rows_before_the_failing_one():
    rows = [factories.department(), factories.department(), factories.department()]

    def rename(department):
        if department == rows[2]:
            raise ApplicationError("refused")
        department.name_en = "changed"
        department.save(update_fields=["name_en"])

    with pytest.raises(BulkRowFailed) as failed:
        act_on_all(rows, rename)

    assert failed.value.position == 3 and failed.value.row == rows[2]
    assert not type(rows[0]).objects.filter(name_en="changed").exists()
