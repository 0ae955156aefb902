"""The care team's plan pages: enrol a patient, set targets, set SpO2 Scale 2 — allowed for a doctor or nurse with a
care relationship (records decides), refused for anyone else, bad values answered with field errors."""

import pytest
from django.urls import reverse

from accounts.roles import Role
from records import services as record_services
from telemonitor.models import MonitoringPlan, PatientTarget
from telemonitor.services import plans

pytestmark = pytest.mark.django_db


@pytest.fixture
def doctor(make_user):
    return make_user(Role.DOCTOR, name="王医生")


@pytest.fixture
def caring_doctor(doctor, patient):
    """A doctor who wrote a note for the patient: a care relationship (records.care)."""
    record_services.encounter_create(patient=patient, author=doctor, chief_complaint="头晕", history="", examination="",
                                     assessment="高血压", plan="家庭血压监测")
    return doctor


@pytest.fixture
def stranger(make_user):
    return make_user(Role.DOCTOR, name="陌生医生")


@pytest.fixture
def plan(patient, caring_doctor):
    return plans.plan_enrol(patient=patient, kind="blood_pressure", lead_doctor=caring_doctor,
                            enrolled_by=caring_doctor)


def _enrol(client, patient, lead, **fields):
    data = {"kind": "blood_pressure", "lead_doctor": lead.pk, **fields}
    return client.post(f"{reverse('telemonitor:plan_enrol')}?patient={patient.public_id}", data)


# --- enrolment ---------------------------------------------------------------------------------------------------


def test_doctor_with_a_care_relationship_enrols_the_patient(client, caring_doctor, patient, nurse):
    client.force_login(caring_doctor)

    answer = _enrol(client, patient, caring_doctor, care_team=[nurse.pk], department_code="CARD")

    plan = MonitoringPlan.objects.get(patient=patient)
    assert answer.status_code == 302
    assert answer["Location"] == reverse("telemonitor:plan_settings", args=[patient.public_id])
    assert (plan.kind, plan.lead_doctor, plan.created_by, plan.department_code) == (
        "blood_pressure", caring_doctor, caring_doctor, "CARD")
    assert list(plan.care_team.all()) == [nurse]


def test_enrolment_by_mrn_from_the_dashboard(client, caring_doctor, patient):
    client.force_login(caring_doctor)

    answer = client.post(reverse("telemonitor:plan_enrol"), {"mrn": patient.mrn.lower(), "kind": "glucose",
                                                             "lead_doctor": caring_doctor.pk})

    assert answer.status_code == 302
    assert MonitoringPlan.objects.filter(patient=patient, kind="glucose").exists()


def test_doctor_without_a_care_relationship_cannot_enrol(client, stranger, patient):
    client.force_login(stranger)

    page = client.get(reverse("telemonitor:plan_enrol"), {"patient": patient.public_id})
    by_mrn = client.post(reverse("telemonitor:plan_enrol"), {"mrn": patient.mrn, "kind": "glucose",
                                                             "lead_doctor": stranger.pk})

    assert (page.status_code, by_mrn.status_code) == (403, 403)
    assert "no care relationship" in by_mrn.content.decode()
    assert not MonitoringPlan.objects.exists()


def test_nurse_without_a_care_relationship_cannot_enrol(client, nurse, patient, doctor):
    client.force_login(nurse)

    assert _enrol(client, patient, doctor).status_code == 403
    assert not MonitoringPlan.objects.exists()


def test_patient_cannot_open_the_enrolment_page(client, patient_user):
    client.force_login(patient_user)

    assert client.get(reverse("telemonitor:plan_enrol")).status_code == 403


def test_enrolment_errors_are_shown_on_their_fields(client, caring_doctor, patient, nurse, plan):
    client.force_login(caring_doctor)

    twice = _enrol(client, patient, caring_doctor)
    nurse_as_lead = _enrol(client, patient, nurse, kind="glucose")
    unknown_mrn = client.post(reverse("telemonitor:plan_enrol"), {"mrn": "NOPE", "kind": "glucose",
                                                                  "lead_doctor": caring_doctor.pk})

    assert twice.status_code == 400
    assert twice.context["form"].errors["kind"] == ["Already enrolled in this kind of monitoring."]
    assert nurse_as_lead.status_code == 400 and "lead_doctor" in nurse_as_lead.context["form"].errors
    assert unknown_mrn.status_code == 400 and "mrn" in unknown_mrn.context["form"].errors
    assert MonitoringPlan.objects.count() == 1


def test_unknown_patient_is_404(client, caring_doctor):
    client.force_login(caring_doctor)

    assert client.get(reverse("telemonitor:plan_enrol"), {"patient": "0" * 32}).status_code == 404


# --- targets -----------------------------------------------------------------------------------------------------


def test_doctor_sets_and_removes_a_target(client, caring_doctor, patient):
    client.force_login(caring_doctor)
    url = reverse("telemonitor:target_save", args=[patient.public_id])

    saved = client.post(url, {"parameter": "systolic", "low": "", "high": "135"})
    target = PatientTarget.objects.get(patient=patient)
    page = client.get(reverse("telemonitor:plan_settings", args=[patient.public_id])).content.decode()
    removed = client.post(reverse("telemonitor:target_remove", args=[patient.public_id, "systolic"]))

    assert saved.status_code == 302
    assert (target.parameter, target.low, target.high, target.set_by) == ("systolic", None, 135.0, caring_doctor)
    assert 'data-testid="target"' in page and "135" in page
    assert removed.status_code == 302 and not PatientTarget.objects.exists()


def test_care_team_nurse_sets_a_target(client, patient, caring_doctor, nurse):
    plans.plan_enrol(patient=patient, kind="glucose", lead_doctor=caring_doctor, enrolled_by=caring_doctor,
                     care_team=[nurse])
    client.force_login(nurse)

    answer = client.post(reverse("telemonitor:target_save", args=[patient.public_id]),
                         {"parameter": "glucose", "low": "4", "high": "10"})

    assert answer.status_code == 302
    assert PatientTarget.objects.get().set_by == nurse


@pytest.mark.parametrize(("data", "field"), [
    ({"parameter": "systolic", "low": "", "high": ""}, "low"),
    ({"parameter": "systolic", "low": "140", "high": "120"}, "high"),
    ({"parameter": "glucose", "low": "70", "high": "180"}, "low"),  # mg/dL typed where mmol/L is asked
    ({"parameter": "heart_rate", "low": "abc", "high": "100"}, "low"),
    ({"parameter": "pressure", "low": "1", "high": "2"}, "parameter"),
])
def test_bad_target_values_get_field_errors(client, caring_doctor, patient, data, field):
    client.force_login(caring_doctor)

    answer = client.post(reverse("telemonitor:target_save", args=[patient.public_id]), data)

    assert answer.status_code == 400
    assert field in answer.context["target_form"].errors
    assert 'class="field field-invalid"' in answer.content.decode()
    assert not PatientTarget.objects.exists()


def test_doctor_without_a_care_relationship_cannot_set_targets(client, stranger, patient, plan):
    client.force_login(stranger)

    page = client.get(reverse("telemonitor:plan_settings", args=[patient.public_id]))
    answer = client.post(reverse("telemonitor:target_save", args=[patient.public_id]),
                         {"parameter": "systolic", "low": "", "high": "135"})

    assert (page.status_code, answer.status_code) == (403, 403)
    assert not PatientTarget.objects.exists()


# --- SpO2 scale 2 ----------------------------------------------------------------------------------------------


def test_doctor_sets_spo2_scale_2_and_who_and_when_are_recorded(client, caring_doctor, patient, plan):
    client.force_login(caring_doctor)

    answer = client.post(reverse("telemonitor:spo2_scale_save", args=[patient.public_id]),
                         {"plan": plan.pk, "scale": "2", "confirm": "on"})

    plan.refresh_from_db()
    page = client.get(reverse("telemonitor:plan_settings", args=[patient.public_id])).content.decode()
    assert answer.status_code == 302
    assert (plan.spo2_scale, plan.spo2_scale_set_by) == (2, caring_doctor)
    assert plan.spo2_scale_set_at is not None
    assert "王医生" in page and plan.spo2_scale_set_at.astimezone().strftime("%Y-") in page


def test_scale_2_needs_the_diagnosis_confirmed(client, caring_doctor, patient, plan):
    client.force_login(caring_doctor)

    answer = client.post(reverse("telemonitor:spo2_scale_save", args=[patient.public_id]), {"plan": plan.pk, "scale": "2"})

    plan.refresh_from_db()
    assert answer.status_code == 400
    assert "confirm" in answer.context["scale_form"].errors
    assert plan.spo2_scale == 1


def test_doctor_without_a_care_relationship_cannot_set_the_scale(client, stranger, patient, plan):
    client.force_login(stranger)

    answer = client.post(reverse("telemonitor:spo2_scale_save", args=[patient.public_id]),
                         {"plan": plan.pk, "scale": "2", "confirm": "on"})

    plan.refresh_from_db()
    assert answer.status_code == 403
    assert (plan.spo2_scale, plan.spo2_scale_set_by) == (1, None)


def test_a_plan_of_another_patient_cannot_be_changed_through_this_patients_page(client, caring_doctor, patient,
                                                                                make_user):
    from records.models import Patient

    other = Patient.objects.create(mrn="OTHER1", name="别人", sex="male", date_of_birth="1960-01-01")
    others_plan = plans.plan_enrol(patient=other, kind="cardiac", lead_doctor=caring_doctor, enrolled_by=caring_doctor)
    client.force_login(caring_doctor)

    answer = client.post(reverse("telemonitor:spo2_scale_save", args=[patient.public_id]),
                         {"plan": others_plan.pk, "scale": "2", "confirm": "on"})

    others_plan.refresh_from_db()
    assert answer.status_code == 400 and "plan" in answer.context["scale_form"].errors
    assert others_plan.spo2_scale == 1


# --- links -------------------------------------------------------------------------------------------------------


def test_monitoring_pages_link_to_enrolment_and_plan_settings(client, caring_doctor, patient, plan):
    client.force_login(caring_doctor)

    dashboard = client.get(reverse("telemonitor:dashboard")).content.decode()
    clinic = client.get(reverse("telemonitor:clinic_patient", args=[patient.public_id])).content.decode()

    assert reverse("telemonitor:plan_enrol") in dashboard
    assert reverse("telemonitor:plan_settings", args=[patient.public_id]) in clinic


def test_plan_pages_have_no_inline_script_or_handlers(client, caring_doctor, patient, plan):
    import re

    client.force_login(caring_doctor)
    for url in (reverse("telemonitor:plan_enrol") + f"?patient={patient.public_id}",
                reverse("telemonitor:plan_settings", args=[patient.public_id])):
        body = client.get(url).content.decode()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", body), url
        assert not re.search(r"\son[a-z]+=", body), url
