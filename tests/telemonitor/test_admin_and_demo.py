"""Demo data for home monitoring, and the admin pages (read-only readings and scores, acknowledge from the list)."""

import io

import pytest
from django.core.management import call_command

from accounts.roles import Role
from telemonitor.models import Alert, Device, MonitoringPlan, Reading
from tests.telemonitor.test_assessment import HIGH, ingest, vitals

pytestmark = pytest.mark.django_db


def test_demo_seeds_devices_plans_and_scored_readings_once(run_on_commit):
    with run_on_commit():
        call_command("seed_demo", quiet_logins=True, stdout=io.StringIO())
    counts = (Device.objects.count(), MonitoringPlan.objects.count(), Reading.objects.count())

    with run_on_commit():
        call_command("seed_demo", quiet_logins=True, stdout=io.StringIO())

    assert counts[0] >= 2
    assert counts[1] >= 1
    assert counts[2] > 0
    assert (Device.objects.count(), MonitoringPlan.objects.count(), Reading.objects.count()) == counts
    assert not Reading.objects.filter(scored_at=None).exists()
    assert Alert.objects.filter(patient__account__email="patient@demo.hospital", kind="blood_pressure").exists()


@pytest.fixture
def admin_client(client, make_user):
    client.force_login(make_user(Role.HOSPITAL_ADMIN, is_staff=True, is_superuser=True))
    return client


@pytest.fixture
def doctor_client(client, make_user, patient):
    """A doctor (superuser, for the admin's change permissions) leading the patient's monitoring plan."""
    from telemonitor.services import plans

    doctor = make_user(Role.DOCTOR, is_staff=True, is_superuser=True)
    plans.plan_enrol(patient=patient, kind="blood_pressure", lead_doctor=doctor, enrolled_by=doctor)
    client.force_login(doctor)
    return client


@pytest.mark.parametrize("model", ["device", "monitoringplan"])
def test_admin_lists_open(admin_client, device, model):
    ingest(device, vitals("s1", **HIGH))

    assert admin_client.get(f"/admin/telemonitor/{model}/").status_code == 200


@pytest.mark.parametrize("model", ["reading", "score", "alert", "patienttarget"])
def test_clinical_lists_open_for_a_doctor_of_the_care_team(doctor_client, device, model):
    # Refused to an administrator without a clinical role: tests/admin_site/test_clinical_access.py.
    ingest(device, vitals("s1", **HIGH))

    assert doctor_client.get(f"/admin/telemonitor/{model}/").status_code == 200


def test_admin_cannot_add_or_edit_readings(doctor_client, device):
    ingest(device, vitals("s1"))
    reading = Reading.objects.first()

    assert doctor_client.get("/admin/telemonitor/reading/add/").status_code == 403
    response = doctor_client.post(f"/admin/telemonitor/reading/{reading.pk}/change/", {"value": 1})
    assert response.status_code == 403


def test_admin_acknowledge_action_acknowledges_through_the_service(doctor_client, patient, device):
    from telemonitor.services import assessment

    ingest(device, vitals("s1", **HIGH))
    assessment.readings_score(patient_ids=[patient.pk])
    alert = Alert.objects.get()

    doctor_client.post("/admin/telemonitor/alert/", {"action": "acknowledge", "_selected_action": [alert.pk]})

    alert.refresh_from_db()
    assert alert.status == "acknowledged"
    assert alert.acknowledged_by is not None


def test_admin_revoke_action_ends_the_devices_token(admin_client, api_client, device, token):
    from tests.telemonitor.conftest import post_readings, reading

    response = admin_client.post("/admin/telemonitor/device/", {"action": "revoke", "_selected_action": [device.pk]},
                                 follow=True)

    assert post_readings(api_client, token, [reading("r1")]).status_code == 401
    assert "Revoked 1 device." in response.text
