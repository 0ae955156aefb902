"""The vitals section of the records chart: home monitoring's panel through records.chart_panels, shown only to a
clinician records.access lets read the chart, in a fixed number of queries."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.roles import Role
from records import services as record_services
from records.chart_panels import chart_panels
from telemonitor.services import assessment, plans
from tests.telemonitor.conftest import reading
from tests.telemonitor.test_assessment import HIGH, ingest, vitals

pytestmark = pytest.mark.django_db


@pytest.fixture
def doctor(make_user):
    return make_user(Role.DOCTOR, name="王医生")


@pytest.fixture
def caring_doctor(doctor, patient):
    record_services.encounter_create(patient=patient, author=doctor, chief_complaint="胸闷", history="", examination="",
                                     assessment="", plan="")
    return doctor


def _chart(client, patient):
    return client.get(reverse("records:patient_record", args=[patient.public_id]))


def test_chart_shows_latest_home_readings_news2_and_open_alerts(client, caring_doctor, patient, device):
    ingest(device, vitals("s1", minutes_ago=30) + vitals("s2", minutes_ago=5, **HIGH))
    assessment.readings_score(patient_ids=[patient.pk])
    client.force_login(caring_doctor)

    page = _chart(client, patient)

    body = page.content.decode()
    assert page.status_code == 200
    assert 'data-testid="vitals-panel"' in body
    assert "NEWS2 14" in body and "rising" in body and "news2-spark" in body
    assert "135 /min" in body and "26 /min" in body  # the latest pulse and respiration, not the earlier ones
    assert "NEWS2 14 (High)" in body  # the open alert's reason
    assert "<script" not in body.split('data-testid="vitals-panel"')[1].split("</section>")[0]


def test_clinician_without_a_care_relationship_gets_no_panel(client, make_user, patient, device):
    ingest(device, vitals("s1", **HIGH))
    assessment.readings_score(patient_ids=[patient.pk])
    stranger = make_user(Role.DOCTOR)
    client.force_login(stranger)

    page = _chart(client, patient)

    assert page.status_code == 403
    assert "vitals-panel" not in page.content.decode()
    assert "NEWS2" not in page.content.decode()


def test_plan_care_team_opens_the_chart_through_the_monitoring_care_source(client, make_user, patient, device,
                                                                         caring_doctor):
    nurse = make_user(Role.NURSE)
    plans.plan_enrol(patient=patient, kind="cardiac", lead_doctor=caring_doctor, enrolled_by=caring_doctor,
                     care_team=[nurse])
    client.force_login(nurse)

    page = _chart(client, patient)

    assert page.status_code == 200 and 'data-testid="vitals-panel"' in page.content.decode()


def test_patient_reading_their_own_record_gets_no_clinician_panel(patient_user, patient):
    assert chart_panels(patient=patient, viewer=patient_user) == []


def test_chart_with_the_panel_takes_the_same_queries_however_long_the_history(client, caring_doctor, patient, device):
    client.force_login(caring_doctor)
    ingest(device, vitals("s1", minutes_ago=50))
    assessment.readings_score(patient_ids=[patient.pk])
    _chart(client, patient)  # warm: sessions, content types

    with CaptureQueriesContext(connection) as few:
        assert _chart(client, patient).status_code == 200
    ingest(device, [r for i in range(8) for r in vitals(f"m{i}", minutes_ago=45 - 5 * i, **(HIGH if i % 2 else {}))]
           + [reading("g", kind="glucose", value=2.5, unit="mmol/L"),
              reading("bp", kind="blood_pressure", value=None, unit="mm[Hg]", systolic=190, diastolic=100)])
    assessment.readings_score(patient_ids=[patient.pk])
    with CaptureQueriesContext(connection) as many:
        body = _chart(client, patient).content.decode()

    assert body.count("<li><span class=\"tag sev-") >= 3  # news2, glucose and blood-pressure alerts
    assert len(many.captured_queries) == len(few.captured_queries)
