"""Alert reasons are stored as a code and parameters and put into words in the reader's language: on pages, in the
patient's advice and in each notification's recipient's preferred language."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import translation

from accounts.roles import Role
from notifications.models import Notification
from telemonitor import reasons
from telemonitor.models import Alert
from telemonitor.services import alerts, assessment, plans
from tests.telemonitor.conftest import reading
from tests.telemonitor.test_assessment import HIGH, ingest, vitals

pytestmark = pytest.mark.django_db


def _high_alert(patient, device) -> Alert:
    ingest(device, vitals("s1", **HIGH))
    assessment.readings_score(patient_ids=[patient.pk])
    return Alert.objects.get(kind="news2")


def test_alert_stores_a_code_and_numbers_not_text(patient, device):
    alert = _high_alert(patient, device)

    assert (alert.reason_code, alert.reason_params) == ("news2", {"total": 14, "risk": "high"})


def test_reason_is_put_into_words_in_the_active_language(patient, device):
    alert = _high_alert(patient, device)

    with translation.override("en"):
        english = alert.reason
    with translation.override("zh-hans"):
        chinese = alert.reason

    assert english == "NEWS2 14 (High)"
    assert "高" in chinese and "High" not in chinese


def test_blood_pressure_reason_names_the_category_in_words(patient, device):
    ingest(device, [reading("bp", kind="blood_pressure", value=None, unit="mm[Hg]", systolic=190, diastolic=100)])
    assessment.readings_score(patient_ids=[patient.pk])

    alert = Alert.objects.get(kind="blood_pressure")

    assert alert.reason_params == {"systolic": 190.0, "diastolic": 100.0, "category": "crisis"}
    with translation.override("en"):
        assert alert.reason == "blood pressure 190/100 mmHg (hypertensive crisis)"


def test_target_reason_keeps_the_band_as_numbers(patient, device, make_user):
    doctor = make_user(Role.DOCTOR)
    plans.target_set(patient=patient, parameter="heart_rate", low=None, high=100, set_by=doctor)
    ingest(device, [reading("hr", kind="heart_rate", value=104, unit="/min")])
    assessment.readings_score(patient_ids=[patient.pk])

    alert = Alert.objects.get(kind="heart_rate")

    assert alert.reason_params == {"parameter": "heart_rate", "value": 104.0, "low": None, "high": 100.0}
    with translation.override("en"):
        assert alert.reason == "heart rate 104 /min (target ≤ 100)"


def test_patient_advice_and_escalations_are_written_in_each_recipients_language(patient, patient_user, device,
                                                                               make_user):
    patient_user.preferred_language = "zh-hans"
    patient_user.save(update_fields=["preferred_language"])
    english_doctor = make_user(Role.DOCTOR, preferred_language="en")
    chinese_nurse = make_user(Role.NURSE, preferred_language="zh-hans")
    plans.plan_enrol(patient=patient, kind="cardiac", lead_doctor=english_doctor, enrolled_by=english_doctor,
                     care_team=[chinese_nurse])
    alert = _high_alert(patient, device)

    alerts.alerts_escalate(now=alert.ack_due_at + timedelta(seconds=1))

    advice = Notification.objects.get(user=patient_user, kind="telemonitor_alert")
    assert "NEWS2 14 (高)" in advice.body
    assert "NEWS2 14 (High)" in Notification.objects.get(user=english_doctor, kind="telemonitor_escalation").body
    assert "NEWS2 14 (高)" in Notification.objects.get(user=chinese_nurse, kind="telemonitor_escalation").body


def test_patient_page_shows_the_reason_in_the_pages_language(client, patient_user, patient, device):
    _high_alert(patient, device)
    client.force_login(patient_user)

    body = client.get(reverse("telemonitor:mine"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()

    assert "NEWS2 14 (高)" in body
    assert "(high)" not in body


def test_reading_categories_and_missing_parameters_show_as_labels_not_codes(client, patient_user, patient, device,
                                                                          make_user):
    ingest(device, [reading("bp", kind="blood_pressure", value=None, unit="mm[Hg]", systolic=150, diastolic=95),
                    reading("hr", kind="heart_rate", value=72, unit="/min")])
    assessment.readings_score(patient_ids=[patient.pk])
    doctor = make_user(Role.DOCTOR)
    plans.plan_enrol(patient=patient, kind="cardiac", lead_doctor=doctor, enrolled_by=doctor)

    client.force_login(patient_user)
    mine = client.get(reverse("telemonitor:mine")).content.decode()
    client.force_login(doctor)
    clinic = client.get(reverse("telemonitor:clinic_patient", args=[patient.public_id])).content.decode()

    assert "stage 2 hypertension" in mine and ">stage2<" not in mine
    assert "respiration rate" in clinic and "resp_rate" not in clinic


@pytest.mark.parametrize(("text", "code", "params"), [
    ("NEWS2 7 (high)", "news2", {"total": 7, "risk": "high"}),
    ("BP 185/95 mmHg (crisis)", "bp_category", {"systolic": 185.0, "diastolic": 95.0, "category": "crisis"}),
    ("Glucose 2.4 mmol/L (very_low)", "glucose_band", {"value": 2.4, "band": "very_low"}),
    ("heart_rate 104 /min (target ≤ 100)", "target",
     {"parameter": "heart_rate", "value": 104.0, "low": None, "high": 100.0}),
    ("glucose 12.5 mmol/L (target 3.5–12)", "target", {"parameter": "glucose", "value": 12.5, "low": 3.5, "high": 12.0}),
    ("spo2 90 % (target ≥ 92)", "target", {"parameter": "spo2", "value": 90.0, "low": 92.0, "high": None}),
    ("something else", "legacy", {"text": "something else"}),
])
def test_reasons_written_as_english_text_before_are_read_back_into_codes(text, code, params):
    assert reasons.reason_parse_legacy(text) == (code, params)
