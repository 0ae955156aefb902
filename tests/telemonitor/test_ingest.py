"""Reading ingest over the API: per-reading answers, idempotency, units, device authentication (issue 7, acceptance 2)."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection

from telemonitor.models import Reading
from telemonitor.services.devices import device_credential_rotate, device_revoke
from tests.services import require_postgres
from tests.telemonitor.conftest import post_readings, reading

pytestmark = pytest.mark.django_db


def test_batch_answers_each_reading_accepted_duplicate_or_rejected(api_client, token):
    batch = [
        reading("r1", value=72),
        reading("r2", kind="spo2", value=97, unit="%", on_oxygen=False),
        reading("r1", value=73),  # same id again in the batch
        reading("r3", unit="bpm"),
        reading("r4", value=2047),
        reading("r5", value=400),
        reading("r6", minutes_ago=-60),
        reading("r7", measured_at="2026-01-01T10:00:00"),
        reading("r8", kind="weight", unit="kg"),
        reading("r9", kind="spo2", value=97, unit="%", on_oxygen="yes"),
        reading("r 10"),
        reading("r11", error="E-3"),
    ]

    response = post_readings(api_client, token, batch)

    assert response.status_code == 200
    answers = [(r["id"], r["status"], r.get("reason")) for r in response.json()["results"]]
    assert answers == [
        ("r1", "accepted", None),
        ("r2", "accepted", None),
        ("r1", "duplicate", None),
        ("r3", "rejected", "unknown_unit"),
        ("r4", "rejected", "device_error"),
        ("r5", "rejected", "implausible"),
        ("r6", "rejected", "future_time"),
        ("r7", "rejected", "time_without_offset"),
        ("r8", "rejected", "unknown_kind"),
        ("r9", "rejected", "invalid_on_oxygen"),
        ("r 10", "rejected", "invalid_id"),
        ("r11", "rejected", "device_error"),
    ]
    assert response.json()["accepted"] == 2
    assert sorted(Reading.objects.values_list("device_reading_id", flat=True)) == ["r1", "r2"]


def test_rejected_reading_says_why_in_words(api_client, token):
    response = post_readings(api_client, token, [reading("r1", unit="bpm")])

    assert "Unknown unit" in response.json()["results"][0]["detail"]


def test_resent_batch_stores_nothing_twice(api_client, token):
    batch = [reading(f"r{i}", value=60 + i) for i in range(20)]
    first = post_readings(api_client, token, batch)

    again = post_readings(api_client, token, batch)

    assert first.json()["accepted"] == 20
    assert again.json()["duplicate"] == 20
    assert again.json()["accepted"] == 0
    assert Reading.objects.count() == 20


def test_resent_reading_with_other_values_keeps_the_first(api_client, token):
    post_readings(api_client, token, [reading("r1", value=70)])

    answer = post_readings(api_client, token, [reading("r1", value=90)])

    assert answer.json()["results"][0]["status"] == "duplicate"
    assert Reading.objects.get().value == 70


def test_same_reading_id_from_two_devices_is_two_readings(api_client, patient, nurse, token):
    from telemonitor.services.devices import device_register

    _, other_token = device_register(patient=patient, kind="pulse_oximeter", serial="OX-1", registered_by=nurse)

    post_readings(api_client, token, [reading("r1")])
    answer = post_readings(api_client, other_token, [reading("r1")])

    assert answer.json()["accepted"] == 1
    assert Reading.objects.count() == 2


def test_batches_ingested_in_one_outer_transaction_stay_apart(patient, nurse, device):
    from django.db import transaction

    from telemonitor.services.devices import device_register
    from telemonitor.services.ingest import readings_ingest

    other, _ = device_register(patient=patient, kind="thermometer", serial="TH-7", registered_by=nurse)
    with transaction.atomic():
        readings_ingest(device=device, readings=[reading("a1"), reading("a2")])
        readings_ingest(device=other, readings=[reading("b1", kind="temperature", value=37.1, unit="Cel")])

    assert sorted(Reading.objects.values_list("device_id", "device_reading_id")) == [
        (device.pk, "a1"), (device.pk, "a2"), (other.pk, "b1")]


def test_units_are_stored_raw_and_canonical(api_client, token):
    batch = [
        reading("t1", kind="temperature", value=98.6, unit="[degF]"),
        reading("g1", kind="glucose", value=180, unit="mg/dL"),
        reading("g2", kind="glucose", value=5.5, unit="mmol/L"),
        reading("b1", kind="blood_pressure", value=None, unit="mm[Hg]", systolic=142, diastolic=91),
        reading("c1", kind="consciousness", value="v", unit="{ACVPU}"),
    ]

    response = post_readings(api_client, token, batch)

    assert response.json()["accepted"] == 5
    stored = {r.device_reading_id: r for r in Reading.objects.all()}
    assert (stored["t1"].value, stored["t1"].raw_value, stored["t1"].raw_unit) == (37.0, 98.6, "[degF]")
    assert stored["g1"].value == pytest.approx(180 / 18.0156, abs=1e-4)
    assert stored["g1"].raw_unit == "mg/dL"
    assert stored["g2"].value == 5.5
    assert (stored["b1"].value, stored["b1"].value2) == (142, 91)
    assert (stored["c1"].acvpu, stored["c1"].value) == ("V", None)


def test_device_time_is_stored_in_utc_with_its_offset(api_client, token):
    post_readings(api_client, token, [reading("r1", measured_at="2026-11-20T08:30:00+08:00")])

    stored = Reading.objects.get()

    assert stored.measured_at == datetime(2026, 11, 20, 0, 30, tzinfo=UTC)
    assert stored.device_offset_minutes == 480
    assert stored.received_at > stored.measured_at


def test_time_slightly_ahead_is_accepted_but_far_ahead_refused(api_client, token):
    answer = post_readings(api_client, token, [reading("near", minutes_ago=-2), reading("far", minutes_ago=-30)])

    assert [r["status"] for r in answer.json()["results"]] == ["accepted", "rejected"]


def test_pressure_pair_must_be_systolic_above_diastolic(api_client, token):
    answer = post_readings(
        api_client,
        token,
        [
            reading("ok", kind="blood_pressure", value=None, unit="mm[Hg]", systolic=120, diastolic=80),
            reading("swapped", kind="blood_pressure", value=None, unit="mm[Hg]", systolic=80, diastolic=120),
            reading("half", kind="blood_pressure", value=None, unit="mm[Hg]", systolic=120),
        ],
    )

    assert [(r["status"], r.get("reason")) for r in answer.json()["results"]] == [
        ("accepted", None),
        ("rejected", "implausible"),
        ("rejected", "missing_value"),
    ]


def test_ingest_query_count_does_not_grow_with_the_batch(api_client, token, django_assert_max_num_queries):
    batch = [reading(f"r{i}", value=60 + i % 40) for i in range(1000)]

    with django_assert_max_num_queries(12):
        response = post_readings(api_client, token, batch)

    assert response.json()["accepted"] == 1000


def test_batch_over_the_limit_is_refused_whole(api_client, token):
    batch = [reading(f"r{i}") for i in range(5001)]

    response = post_readings(api_client, token, batch)

    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert "readings" in response.json()["errors"]
    assert Reading.objects.count() == 0


def test_batch_of_the_limit_is_taken(api_client, token):
    batch = [reading(f"r{i}", value=60 + i % 40) for i in range(5000)]

    assert post_readings(api_client, token, batch).json()["accepted"] == 5000


def test_readings_that_are_not_a_list_are_refused(api_client, token):
    response = api_client.post(
        "/api/v1/telemonitor/readings", {"readings": {"id": "r1"}}, format="json", HTTP_AUTHORIZATION=f"Device {token}"
    )

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"


# --- device authentication ---------------------------------------------------------------------------------------


def test_unknown_token_is_refused_401_problem_json(api_client, token):
    prefix = token.split(".")[0]

    response = post_readings(api_client, f"{prefix}.not-the-secret", [reading("r1")])

    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "device_unauthorized"
    assert response["WWW-Authenticate"] == "Device"
    assert Reading.objects.count() == 0


def test_missing_authorization_is_refused_401(api_client, token):
    response = api_client.post("/api/v1/telemonitor/readings", {"readings": [reading("r1")]}, format="json")

    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"


def test_a_signed_in_person_is_not_a_device(api_client, patient_user, token):
    api_client.force_login(patient_user)

    response = api_client.post("/api/v1/telemonitor/readings", {"readings": [reading("r1")]}, format="json")

    assert response.status_code == 401


def test_revoked_device_is_refused_401(api_client, device, token):
    device_revoke(device=device)

    response = post_readings(api_client, token, [reading("r1")])

    assert response.status_code == 401
    assert response.json()["code"] == "device_unauthorized"


def test_rotated_token_works_in_the_grace_window_then_stops(api_client, device, token, settings):
    new_token = device_credential_rotate(device=device)

    assert post_readings(api_client, token, [reading("old")]).status_code == 200
    assert post_readings(api_client, new_token, [reading("new")]).status_code == 200

    settings.TELEMONITOR_TOKEN_GRACE_MINUTES = 0.001
    newer_token = device_credential_rotate(device=device)
    threading.Event().wait(0.1)
    assert post_readings(api_client, new_token, [reading("late")]).status_code == 401
    assert post_readings(api_client, newer_token, [reading("newest")]).status_code == 200


# --- concurrency (PostgreSQL) ------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_concurrent_resends_of_one_batch_store_it_once(paired):
    require_postgres()
    from rest_framework.test import APIClient

    _, token = paired
    batch = [reading(f"r{i}", value=60 + i % 40) for i in range(500)]
    answers: list[dict] = []
    start = threading.Barrier(4)

    def send():
        try:
            start.wait()
            answers.append(post_readings(APIClient(), token, batch).json())
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert len(answers) == 4
    assert sum(a["accepted"] for a in answers) == 500
    assert sum(a["duplicate"] for a in answers) == 3 * 500
    assert Reading.objects.count() == 500


@pytest.mark.django_db(transaction=True)
def test_overlapping_batches_sent_at_once_store_each_reading_once(paired):
    require_postgres()
    from rest_framework.test import APIClient

    _, token = paired
    forward = [reading(f"r{i}", value=70) for i in range(300)]
    backward = list(reversed([reading(f"r{i}", value=70) for i in range(150, 450)]))
    answers: list[dict] = []
    start = threading.Barrier(2)

    def send(batch):
        try:
            start.wait()
            answers.append(post_readings(APIClient(), token, batch).json())
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(b,)) for b in (forward, backward)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sum(a["accepted"] for a in answers) == 450
    assert Reading.objects.count() == 450


def test_reading_time_too_long_ago_is_refused(api_client, token):
    long_ago = (datetime.now(UTC) - timedelta(days=400)).isoformat()

    answer = post_readings(api_client, token, [reading("old", measured_at=long_ago)])

    assert answer.json()["results"][0]["reason"] == "too_old"


@pytest.mark.django_db(transaction=True)
def test_a_reading_stored_behind_the_device_lock_sends_the_batch_the_conflict_proof_way(device, monkeypatch):
    """The fast path COPYs straight into the table; should one of its ids be stored meanwhile by a writer that did
    not take the device's lock, the COPY is refused by the unique constraint and the batch goes through
    INSERT ... ON CONFLICT instead: nothing stored twice, and that reading answered as a duplicate."""
    require_postgres()
    import psycopg
    from django.db import connection as db

    from telemonitor.services import ingest

    original = ingest._copy_rows
    settings_dict = db.settings_dict

    def sneaky(cursor, rows, *, tail):
        # Another connection stores "b" and commits between the fast path's read and its COPY.
        with psycopg.connect(host=settings_dict["HOST"] or "127.0.0.1", port=settings_dict["PORT"] or 5432,
                             user=settings_dict["USER"] or "postgres", dbname=settings_dict["NAME"],
                             autocommit=True) as other:
            other.execute(
                f"INSERT INTO {ingest._TABLE} (device_id, patient_id, received_at, category, device_reading_id, kind, "
                "value, acvpu, raw_value, raw_unit, measured_at, device_offset_minutes) "
                "VALUES (%s, %s, now(), '', 'b', 'heart_rate', 70, '', 70, '/min', now(), 0)",
                [device.pk, device.patient_id])
        original(cursor, rows, tail=tail)

    monkeypatch.setattr(ingest, "_copy_rows", sneaky)
    outcome = ingest.readings_ingest(device=device, readings=[reading("a"), reading("b"), reading("c")])

    assert [r["status"] for r in outcome.results] == ["accepted", "duplicate", "accepted"]
    assert sorted(Reading.objects.values_list("device_reading_id", flat=True)) == ["a", "b", "c"]


def test_ingest_check_paths_agree():
    """_check_usual is a shortcut: on any reading it either declines (None) or gives exactly _check_one's tuple."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from telemonitor.services.ingest import _check_one, _check_usual

    received = datetime.now(UTC)
    earliest, latest = received - timedelta(days=90), received + timedelta(minutes=5)
    times = st.one_of(
        st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1),
                     timezones=st.sampled_from([UTC, __import__("datetime").timezone(timedelta(hours=8))]))
        .map(lambda moment: moment.isoformat()),
        st.just((received - timedelta(minutes=3)).isoformat()), st.just("2026-01-01T08:00:00"), st.just("soon"),
        st.none(), st.integers())
    values = st.one_of(st.integers(-5000, 9_000_000), st.floats(allow_nan=True), st.booleans(), st.none(),
                       st.sampled_from([2047, 8388607, 72, 97.5, 36.6, 98.6, 120]), st.text(max_size=3))
    rows = st.fixed_dictionaries(
        {"kind": st.sampled_from(["heart_rate", "resp_rate", "spo2", "temperature", "glucose", "blood_pressure",
                                  "consciousness", "weight", None]),
         "unit": st.sampled_from(["/min", "%", "Cel", "[degF]", "mmol/L", "mg/dL", "mm[Hg]", "kg", None]),
         "value": values, "measured_at": times},
        optional={"on_oxygen": st.one_of(st.booleans(), st.none(), st.just("yes")),
                  "error": st.one_of(st.none(), st.just(False), st.just(0), st.just(""), st.just("E1"), st.just(3))})

    @settings(max_examples=2000, deadline=None)
    @given(rows)
    def agree(row):
        usual = _check_usual(row, "r1", earliest, latest)
        if usual is not None:
            assert usual == _check_one(row, "r1", earliest=earliest, latest=latest)

    agree()
