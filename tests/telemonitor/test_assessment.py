"""The scoring task's work: NEWS2 sets scored once, categories, targets, alerts updated not repeated, advice,
escalation and acknowledgement."""

import threading
from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import connection

from accounts.roles import Role
from notifications.models import Notification
from telemonitor import live
from telemonitor.models import Alert, AlertStatus, Reading, Score
from telemonitor.services import alerts, assessment, plans
from telemonitor.services.ingest import readings_ingest
from tests.services import require_postgres
from tests.telemonitor.conftest import reading

pytestmark = pytest.mark.django_db


def vitals(prefix: str, *, minutes_ago: float = 5, rr=16, spo2=97, on_oxygen=False, systolic=125, pulse=72,
           acvpu="A", temp=36.8) -> list[dict]:
    """A full NEWS2 set measured at one moment (defaults score 0)."""
    ago = {"minutes_ago": minutes_ago}
    return [
        reading(f"{prefix}-rr", kind="resp_rate", value=rr, unit="/min", **ago),
        reading(f"{prefix}-ox", kind="spo2", value=spo2, unit="%", on_oxygen=on_oxygen, **ago),
        reading(f"{prefix}-bp", kind="blood_pressure", value=None, unit="mm[Hg]", systolic=systolic, diastolic=70, **ago),
        reading(f"{prefix}-hr", kind="heart_rate", value=pulse, unit="/min", **ago),
        reading(f"{prefix}-c", kind="consciousness", value=acvpu, unit="{ACVPU}", **ago),
        reading(f"{prefix}-t", kind="temperature", value=temp, unit="Cel", **ago),
    ]


HIGH = {"rr": 26, "spo2": 90, "systolic": 88, "pulse": 135, "temp": 39.5}  # NEWS2 14
MEDIUM = {"rr": 22, "spo2": 93, "pulse": 105}  # 2 + 2 + 1 = 5


def ingest(device, rows):
    return readings_ingest(device=device, readings=rows)


@pytest.fixture
def lead_doctor(make_user):
    return make_user(Role.DOCTOR, name="李医生")


@pytest.fixture
def plan(patient, lead_doctor, nurse):
    return plans.plan_enrol(patient=patient, kind="cardiac", lead_doctor=lead_doctor, enrolled_by=lead_doctor,
                            care_team=[nurse], department_code="CARD")


def test_scoring_run_twice_writes_one_score_and_one_alert(patient, device):
    ingest(device, vitals("s1", **HIGH))

    first = assessment.readings_score(patient_ids=[patient.pk])
    second = assessment.readings_score(patient_ids=[patient.pk])

    assert (first, second) == (6, 0)
    score = Score.objects.get()
    assert (score.total, score.risk, score.partial) == (14, "high", False)
    alert = Alert.objects.get()
    assert (alert.kind, alert.severity, alert.occurrences, alert.score_id) == ("news2", "high", 1, score.pk)
    assert not Reading.objects.filter(scored_at=None).exists()


def test_score_records_the_readings_it_used(patient, device):
    ingest(device, vitals("s1"))

    assessment.readings_score(patient_ids=[patient.pk])

    score = Score.objects.get()
    assert sorted(score.reading_ids) == sorted(Reading.objects.values_list("id", flat=True))
    assert score.details["points"]["temperature"] == 0
    assert (score.total, score.risk) == (0, "low")


def test_each_new_reading_time_gets_its_own_set(patient, device):
    ingest(device, vitals("s1", minutes_ago=30))
    ingest(device, [reading("hr2", kind="heart_rate", value=120, unit="/min", minutes_ago=10)])

    assessment.readings_score(patient_ids=[patient.pk])

    totals = list(Score.objects.order_by("at").values_list("total", flat=True))
    assert totals == [0, 2]  # the later set reuses the other parameters of the earlier one


def test_a_partial_set_scores_but_raises_no_alert(patient, device):
    ingest(device, [reading("hr", kind="heart_rate", value=72, unit="/min")])

    assessment.readings_score(patient_ids=[patient.pk])

    assert Score.objects.get().risk == "incomplete"
    assert not Alert.objects.exists()


def test_a_new_crossing_updates_the_active_alert_instead_of_adding_one(patient, device):
    ingest(device, vitals("s1", minutes_ago=20, **MEDIUM))
    assessment.readings_score(patient_ids=[patient.pk])
    ingest(device, vitals("s2", minutes_ago=10, **MEDIUM))
    assessment.readings_score(patient_ids=[patient.pk])

    alert = Alert.objects.get()
    assert (alert.severity, alert.occurrences) == ("medium", 2)
    assert Score.objects.count() == 2


def test_crossings_in_one_batch_make_one_alert_counting_each(patient, device):
    ingest(device, vitals("s1", minutes_ago=20, **MEDIUM) + vitals("s2", minutes_ago=10, **MEDIUM))

    assessment.readings_score(patient_ids=[patient.pk])

    assert Alert.objects.get().occurrences == 2


def test_a_worse_crossing_reopens_an_acknowledged_alert(patient, device, lead_doctor):
    ingest(device, vitals("s1", minutes_ago=20, **MEDIUM))
    assessment.readings_score(patient_ids=[patient.pk])
    alerts.alert_acknowledge(alert=Alert.objects.get(), by=lead_doctor, note="Phoned, resting")

    ingest(device, vitals("s2", minutes_ago=10, **HIGH))
    assessment.readings_score(patient_ids=[patient.pk])

    alert = Alert.objects.get()
    assert (alert.severity, alert.status) == ("high", AlertStatus.OPEN)


def test_a_milder_crossing_leaves_an_acknowledged_alert_acknowledged(patient, device, lead_doctor):
    ingest(device, vitals("s1", minutes_ago=20, **HIGH))
    assessment.readings_score(patient_ids=[patient.pk])
    alerts.alert_acknowledge(alert=Alert.objects.get(), by=lead_doctor)

    ingest(device, vitals("s2", minutes_ago=10, **MEDIUM))
    assessment.readings_score(patient_ids=[patient.pk])

    alert = Alert.objects.get()
    assert (alert.severity, alert.status, alert.occurrences) == ("high", AlertStatus.ACKNOWLEDGED, 2)


def test_a_closed_alert_lets_the_next_crossing_open_a_new_one(patient, device, lead_doctor):
    ingest(device, vitals("s1", minutes_ago=20, **HIGH))
    assessment.readings_score(patient_ids=[patient.pk])
    alerts.alert_close(alert=Alert.objects.get(), by=lead_doctor, note="Admitted")

    ingest(device, vitals("s2", minutes_ago=10, **HIGH))
    assessment.readings_score(patient_ids=[patient.pk])

    assert list(Alert.objects.order_by("id").values_list("status", flat=True)) == ["closed", "open"]


def test_patient_is_told_what_to_do_once_per_alert_and_severity(patient, patient_user, device):
    ingest(device, vitals("s1", minutes_ago=20, **HIGH))
    assessment.readings_score(patient_ids=[patient.pk])
    ingest(device, vitals("s2", minutes_ago=10, **HIGH))
    assessment.readings_score(patient_ids=[patient.pk])

    advice = Notification.objects.get(user=patient_user, kind="telemonitor_alert")
    assert "120" in advice.title
    assert advice.send_sms


def test_medium_advice_says_book_a_visit_today_with_a_link(patient, patient_user, device):
    ingest(device, vitals("s1", **MEDIUM))
    assessment.readings_score(patient_ids=[patient.pk])

    advice = Notification.objects.get(user=patient_user, kind="telemonitor_alert")
    assert "today" in advice.title
    assert advice.link


def test_spo2_scale_2_is_used_only_when_a_clinician_set_it(patient, device, plan, lead_doctor):
    ingest(device, vitals("s1", minutes_ago=20, spo2=90))
    assessment.readings_score(patient_ids=[patient.pk])
    plans.plan_spo2_scale_set(plan=plan, scale=2, set_by=lead_doctor)
    ingest(device, vitals("s2", minutes_ago=10, spo2=90))
    assessment.readings_score(patient_ids=[patient.pk])

    assert list(Score.objects.order_by("at").values_list("total", flat=True)) == [3, 0]


def test_blood_pressure_crisis_alerts_high_and_is_categorised(patient, device):
    ingest(device, [reading("bp", kind="blood_pressure", value=None, unit="mm[Hg]", systolic=185, diastolic=100)])

    assessment.readings_score(patient_ids=[patient.pk])

    assert Reading.objects.get().category == "crisis"
    assert Alert.objects.get(kind="blood_pressure").severity == "high"


def test_elevated_blood_pressure_is_categorised_without_alert(patient, device):
    ingest(device, [reading("bp", kind="blood_pressure", value=None, unit="mm[Hg]", systolic=125, diastolic=78)])

    assessment.readings_score(patient_ids=[patient.pk])

    assert Reading.objects.get().category == "elevated"
    assert not Alert.objects.filter(kind="blood_pressure").exists()


def test_very_low_glucose_alerts_high(patient, device):
    ingest(device, [reading("g", kind="glucose", value=45, unit="mg/dL")])

    assessment.readings_score(patient_ids=[patient.pk])

    assert Reading.objects.get().category == "very_low"
    assert Alert.objects.get(kind="glucose").severity == "high"


def test_doctors_target_replaces_the_default_band_alert(patient, device, lead_doctor):
    plans.target_set(patient=patient, parameter="glucose", low=3.5, high=12.0, set_by=lead_doctor)
    ingest(device, [reading("g1", kind="glucose", value=11.0, unit="mmol/L", minutes_ago=20)])
    assessment.readings_score(patient_ids=[patient.pk])
    assert not Alert.objects.exists()  # "high" band, but inside the doctor's target

    ingest(device, [reading("g2", kind="glucose", value=12.5, unit="mmol/L", minutes_ago=10)])
    assessment.readings_score(patient_ids=[patient.pk])

    alert = Alert.objects.get(kind="glucose")
    assert alert.severity == "low"
    assert "target" in alert.reason


def test_heart_rate_above_target_alerts(patient, device, lead_doctor):
    plans.target_set(patient=patient, parameter="heart_rate", low=None, high=100, set_by=lead_doctor)
    ingest(device, [reading("hr", kind="heart_rate", value=104, unit="/min")])

    assessment.readings_score(patient_ids=[patient.pk])

    assert Alert.objects.get(kind="heart_rate").severity == "low"


def test_only_a_clinician_sets_targets(patient, patient_user):
    from core.errors import PermissionRefused

    with pytest.raises(PermissionRefused):
        plans.target_set(patient=patient, parameter="heart_rate", low=None, high=100, set_by=patient_user)


# --- escalation and acknowledgement -----------------------------------------------------------------------------


def _raise_high_alert(patient, device) -> Alert:
    ingest(device, vitals("s1", **HIGH))
    assessment.readings_score(patient_ids=[patient.pk])
    return Alert.objects.get()


def test_unacknowledged_alert_escalates_to_the_care_team(patient, device, plan, lead_doctor, nurse):
    alert = _raise_high_alert(patient, device)

    escalated = alerts.alerts_escalate(now=alert.ack_due_at + timedelta(seconds=1))

    alert.refresh_from_db()
    assert (escalated, alert.status) == (1, AlertStatus.ESCALATED)
    told = set(Notification.objects.filter(kind="telemonitor_escalation").values_list("user_id", flat=True))
    assert told == {lead_doctor.pk, nurse.pk}


def test_alert_does_not_escalate_before_its_deadline(patient, device, plan):
    alert = _raise_high_alert(patient, device)

    assert alerts.alerts_escalate(now=alert.ack_due_at - timedelta(seconds=1)) == 0


def test_escalation_run_twice_notifies_once(patient, device, plan):
    alert = _raise_high_alert(patient, device)
    later = alert.ack_due_at + timedelta(seconds=1)

    alerts.alerts_escalate(now=later)
    again = alerts.alerts_escalate(now=later + timedelta(minutes=5))

    assert again == 0
    assert Notification.objects.filter(kind="telemonitor_escalation").count() == 2  # lead doctor and nurse, once each


def test_acknowledging_stops_escalation(patient, device, plan, lead_doctor):
    alert = _raise_high_alert(patient, device)
    alerts.alerts_escalate(now=alert.ack_due_at + timedelta(seconds=1))

    alerts.alert_acknowledge(alert=alert, by=lead_doctor, note="Ambulance sent")
    again = alerts.alerts_escalate(now=alert.ack_due_at + timedelta(hours=5))

    alert.refresh_from_db()
    assert again == 0
    assert (alert.status, alert.acknowledged_by, alert.ack_note) == (AlertStatus.ACKNOWLEDGED, lead_doctor,
                                                                    "Ambulance sent")


def test_acknowledged_in_time_never_escalates(patient, device, plan, lead_doctor):
    alert = _raise_high_alert(patient, device)
    alerts.alert_acknowledge(alert=alert, by=lead_doctor)

    assert alerts.alerts_escalate(now=alert.ack_due_at + timedelta(hours=1)) == 0
    assert not Notification.objects.filter(kind="telemonitor_escalation").exists()


def test_a_closed_alert_cannot_be_acknowledged(patient, device, lead_doctor):
    from telemonitor.errors import AlertNotActive

    alert = alerts.alert_close(alert=_raise_high_alert(patient, device), by=lead_doctor)

    with pytest.raises(AlertNotActive):
        alerts.alert_acknowledge(alert=alert, by=lead_doctor)


def test_high_alert_must_be_acknowledged_sooner_than_low(patient, device):
    alert = _raise_high_alert(patient, device)

    assert alert.ack_due_at - alert.opened_at == timedelta(minutes=alerts.ACK_MINUTES["high"])
    assert alerts.ACK_MINUTES["high"] < alerts.ACK_MINUTES["low"]


# --- live push ------------------------------------------------------------------------------------------------


def test_alert_change_nudges_the_lead_doctors_team_with_ids_only(patient, device, plan, lead_doctor, run_on_commit):
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(live.team_group(lead_doctor.pk), channel)

    with run_on_commit():
        ingest(device, vitals("s1", **HIGH))
        assessment.readings_score(patient_ids=[patient.pk])

    message = async_to_sync(layer.receive)(channel)
    alert = Alert.objects.get()
    assert message == {"type": "alert.changed", "team": lead_doctor.pk, "seq": live.team_latest_seq(lead_doctor.pk),
                       "id": str(alert.public_id)}
    async_to_sync(layer.group_discard)(live.team_group(lead_doctor.pk), channel)


# --- two scorers at once (PostgreSQL) --------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_scorers_at_once_score_once(paired):
    require_postgres()
    device, _ = paired
    readings_ingest(device=device, readings=vitals("s1", minutes_ago=30, **HIGH) + vitals("s2", minutes_ago=10, **HIGH))
    Reading.objects.update(scored_at=None)  # whatever the eager task did, score it again from scratch, twice at once
    Score.objects.all().delete()
    Alert.objects.all().delete()
    start = threading.Barrier(2)
    done = []

    def score():
        try:
            start.wait()
            done.append(assessment.readings_score(patient_ids=[device.patient_id]))
        finally:
            connection.close()

    threads = [threading.Thread(target=score) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(done) == [0, 12]
    assert Score.objects.count() == 2
    assert Alert.objects.get().occurrences == 2


def test_scoring_a_patient_with_no_new_readings_does_nothing(patient, django_assert_max_num_queries):
    with django_assert_max_num_queries(4):  # transaction, patient lock, the unscored list
        assert assessment.readings_score(patient_ids=[patient.pk]) == 0
