"""Home monitoring pages: the patient's devices, readings and advice; the care team's dashboard and alert queue."""

import re
from datetime import date

import pytest
from django.urls import reverse

from accounts.roles import Role
from records.models import Patient
from telemonitor.models import Alert, Device
from telemonitor.services import assessment, plans
from telemonitor.services.devices import device_register
from tests.telemonitor.test_assessment import HIGH, MEDIUM, ingest, vitals

pytestmark = pytest.mark.django_db


@pytest.fixture
def lead_doctor(make_user):
    return make_user(Role.DOCTOR, name="李医生")


@pytest.fixture
def plan(patient, lead_doctor, nurse):
    return plans.plan_enrol(patient=patient, kind="cardiac", lead_doctor=lead_doctor, enrolled_by=lead_doctor,
                            care_team=[nurse])


def _scored(patient, device, **values):
    ingest(device, vitals("s1", **values))
    assessment.readings_score(patient_ids=[patient.pk])


# --- patient ---------------------------------------------------------------------------------------------------


def test_patient_sees_devices_trends_and_advice(client, patient_user, patient, device):
    _scored(patient, device, **HIGH)
    client.force_login(patient_user)

    page = client.get(reverse("telemonitor:mine"))

    body = page.content.decode()
    assert page.status_code == 200
    assert device.serial in body
    assert 'data-testid="trend-heart_rate"' in body
    assert "<svg" in body
    assert "tel:120" in body  # high severity: call emergency services


def test_home_page_leads_patients_and_the_care_team_to_home_monitoring(client, patient_user, nurse, make_user):
    client.force_login(patient_user)
    page = client.get(reverse("core:home")).content.decode()
    assert f'href="{reverse("telemonitor:mine")}" data-testid="card-monitoring"' in page
    assert reverse("telemonitor:dashboard") not in page

    for clinician in (nurse, make_user(Role.DOCTOR)):
        client.force_login(clinician)
        page = client.get(reverse("core:home")).content.decode()
        assert f'href="{reverse("telemonitor:dashboard")}" data-testid="card-monitoring-clinic"' in page

    client.force_login(make_user(Role.FRONT_DESK))
    assert reverse("telemonitor:dashboard") not in client.get(reverse("core:home")).content.decode()


def test_patient_cannot_open_someone_elses_monitoring(client, patient_user, make_user):
    other = Patient.objects.create(mrn="OTHER9", name="别人", sex="male", date_of_birth="1960-01-01")
    client.force_login(patient_user)

    assert client.get(reverse("telemonitor:mine"), {"patient": other.public_id}).status_code == 404


def test_guardian_opens_a_family_members_monitoring(client, patient_user):
    from records.services import family_member_add, patient_details_check

    member = family_member_add(account=patient_user, relationship="parent", is_guardian=True,
                               details=patient_details_check(name="王大明", sex="male", date_of_birth=date(1950, 1, 1)))
    client.force_login(patient_user)

    assert client.get(reverse("telemonitor:mine"), {"patient": member.patient.public_id}).status_code == 200


def test_family_member_not_looked_after_is_not_shown(client, patient_user):
    from records.services import family_member_add, patient_details_check

    member = family_member_add(account=patient_user, relationship="spouse", is_guardian=False,
                               details=patient_details_check(name="李丽", sex="female", date_of_birth=date(1986, 1, 1)))
    client.force_login(patient_user)

    assert client.get(reverse("telemonitor:mine"), {"patient": member.patient.public_id}).status_code == 404


def test_pairing_code_page_shows_a_code_the_device_app_can_use_once(client, api_client, patient_user, patient):
    client.force_login(patient_user)

    page = client.post(reverse("telemonitor:pairing_code"), {"patient": patient.public_id})
    code = re.search(r'data-testid="pairing-code-value">([A-Z0-9]+)<', page.content.decode()).group(1)
    first = api_client.post("/api/v1/telemonitor/pairing", {"code": code, "kind": "bp_monitor", "serial": "BP-77"},
                            format="json")
    again = api_client.post("/api/v1/telemonitor/pairing", {"code": code, "kind": "bp_monitor", "serial": "BP-78"},
                            format="json")

    assert first.status_code == 201
    assert Device.objects.get(serial="BP-77").patient == patient
    assert again.status_code == 400
    assert again.json()["code"] == "pairing_code_invalid"


def test_patient_unpairs_their_device(client, patient_user, device):
    client.force_login(patient_user)

    client.post(reverse("telemonitor:device_revoke", args=[device.public_id]))

    device.refresh_from_db()
    assert device.revoked_at is not None


def test_patient_cannot_unpair_someone_elses_device(client, make_user, device):
    from records.services import patient_sign_up

    stranger = patient_sign_up(name="张三", phone="13911112222", email="zhang@example.test", password="Xx-123456789",
                               sex="male", date_of_birth=date(1980, 1, 1))
    client.force_login(stranger)

    assert client.post(reverse("telemonitor:device_revoke", args=[device.public_id])).status_code == 404
    device.refresh_from_db()
    assert device.revoked_at is None


# --- care team -------------------------------------------------------------------------------------------------


def test_dashboard_lists_the_teams_patients_most_at_risk_first(client, lead_doctor, nurse, patient, device, plan):
    calm = Patient.objects.create(mrn="CALM1", name="平安", sex="female", date_of_birth="1950-01-01")
    calm_device, _ = device_register(patient=calm, kind="heart_wearable", serial="CALM", registered_by=nurse)
    plans.plan_enrol(patient=calm, kind="blood_pressure", lead_doctor=lead_doctor, enrolled_by=lead_doctor,
                     care_team=[nurse])
    _scored(calm, calm_device)
    _scored(patient, device, **HIGH)
    client.force_login(nurse)

    body = client.get(reverse("telemonitor:dashboard")).content.decode()

    assert body.index(patient.mrn) < body.index("CALM1")
    assert 'data-testid="alert"' in body


@pytest.mark.parametrize(("language", "plan_label", "risk_label"), [("en", "Cardiac", "High"), ("zh-hans", "心脏", "高")])
def test_dashboard_names_plan_and_risk_in_the_readers_language(client, nurse, patient, device, plan, language, plan_label,
                                                               risk_label):
    _scored(patient, device, **HIGH)
    nurse.preferred_language = language
    nurse.save(update_fields=["preferred_language"])
    client.force_login(nurse)
    client.cookies["django_language"] = language

    body = client.get(reverse("telemonitor:dashboard")).content.decode()
    row = re.search(r'data-testid="monitored-patient">(.*?)</tr>', body, re.S).group(1)

    assert (f"<td>{plan_label}</td>" in row, f'risk-high">{risk_label}</span>' in row) == (True, True)


def test_dashboard_is_for_clinicians_only(client, patient_user):
    client.force_login(patient_user)

    assert client.get(reverse("telemonitor:dashboard")).status_code == 403


def test_doctor_off_the_team_sees_none_of_its_patients(client, make_user, patient, device, plan):
    _scored(patient, device, **HIGH)
    client.force_login(make_user(Role.DOCTOR))

    body = client.get(reverse("telemonitor:dashboard")).content.decode()

    assert patient.mrn not in body
    assert client.get(reverse("telemonitor:clinic_patient", args=[patient.public_id])).status_code == 404


def test_dashboard_queries_do_not_grow_with_patients(client, lead_doctor, nurse, django_assert_max_num_queries):
    for i in range(8):
        someone = Patient.objects.create(mrn=f"Q{i}", name=f"病人{i}", sex="male", date_of_birth="1950-01-01")
        gadget, _ = device_register(patient=someone, kind="heart_wearable", serial=f"Q{i}", registered_by=nurse)
        plans.plan_enrol(patient=someone, kind="cardiac", lead_doctor=lead_doctor, enrolled_by=lead_doctor)
        _scored(someone, gadget, **MEDIUM)
    client.force_login(lead_doctor)

    with django_assert_max_num_queries(14):
        assert client.get(reverse("telemonitor:dashboard")).status_code == 200


def test_acknowledging_from_the_queue_stops_escalation(client, nurse, patient, device, plan):
    _scored(patient, device, **HIGH)
    alert = Alert.objects.get()
    client.force_login(nurse)

    client.post(reverse("telemonitor:alert_acknowledge", args=[alert.public_id]), {"note": "Called the patient"})

    alert.refresh_from_db()
    assert (alert.status, alert.acknowledged_by, alert.ack_note) == ("acknowledged", nurse, "Called the patient")
    from telemonitor.services.alerts import alerts_escalate

    assert alerts_escalate(now=alert.ack_due_at.replace(year=alert.ack_due_at.year + 1)) == 0


def test_alert_of_another_team_cannot_be_acknowledged(client, make_user, patient, device, plan):
    _scored(patient, device, **HIGH)
    alert = Alert.objects.get()
    client.force_login(make_user(Role.NURSE))

    assert client.post(reverse("telemonitor:alert_acknowledge", args=[alert.public_id])).status_code == 404
    alert.refresh_from_db()
    assert alert.status == "open"


def test_alert_queue_fragment_is_what_the_live_page_rereads(client, nurse, patient, device, plan):
    _scored(patient, device, **HIGH)
    client.force_login(nurse)

    fragment = client.get(reverse("telemonitor:alert_queue")).content.decode()

    assert fragment.lstrip().startswith('<ul class="alert-queue"')
    assert patient.name in fragment


def test_clinic_patient_page_shows_trends_scores_and_alerts(client, lead_doctor, patient, device, plan):
    _scored(patient, device, **HIGH)
    client.force_login(lead_doctor)

    body = client.get(reverse("telemonitor:clinic_patient", args=[patient.public_id])).content.decode()

    assert "<svg" in body
    assert "NEWS2 14 (High)" in body


def test_patients_table_fragment_is_reread_with_the_queue(client, nurse, patient, device, plan, make_user):
    _scored(patient, device, **HIGH)
    client.force_login(nurse)

    dashboard = client.get(reverse("telemonitor:dashboard")).content.decode()
    fragment = client.get(reverse("telemonitor:monitored_patients")).content.decode()

    assert f'data-patients-url="{reverse("telemonitor:monitored_patients")}"' in dashboard
    assert fragment.lstrip().startswith('<table class="readings" data-testid="monitored-patients">')
    row = re.search(r'data-testid="monitored-patient">(.*?)</tr>', fragment, re.S).group(1)
    assert patient.name in row and "sev-high" in row
    assert fragment.strip() in dashboard  # the same table the page was drawn with
    client.force_login(make_user(Role.PATIENT))
    assert client.get(reverse("telemonitor:monitored_patients")).status_code == 403
