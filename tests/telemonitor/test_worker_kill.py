"""A Celery worker killed with SIGKILL while scoring: after a new worker starts, every reading is scored exactly once
and no alert is duplicated (issue 7, acceptance 3). Real worker, Redis and PostgreSQL.

Why it holds: the scoring task is acks_late, so the message of the task that died is still unacknowledged in Redis
and goes back to the queue after the visibility timeout (3 s here, CELERY_VISIBILITY_TIMEOUT); a message the worker had
taken but not yet recorded (kombu's Redis transport pops it first) is scored by the backlog sweep; the task's work for a
patient is one transaction, so the killed half left nothing behind; and scoring is idempotent, so whatever ran twice
counts once.
"""

import contextlib
import datetime
import os
import signal
from pathlib import Path

import pytest

from config.celery import app as celery_app
from records.models import Patient
from telemonitor.models import Alert, Reading, Score
from telemonitor.services.assessment import readings_score_backlog
from telemonitor.services.devices import device_register
from telemonitor.services.ingest import readings_ingest
from tests import servers
from tests.services import require_postgres, require_redis
from tests.telemonitor.conftest import reading

pytestmark = pytest.mark.django_db(transaction=True)

PATIENTS = 30
TIMEPOINTS = 40  # sets per patient, each scoring NEWS2 14 (high)


def _high_set(prefix: str, minutes_ago: float) -> list[dict]:
    ago = {"minutes_ago": minutes_ago}
    return [
        reading(f"{prefix}-rr", kind="resp_rate", value=26, unit="/min", **ago),
        reading(f"{prefix}-ox", kind="spo2", value=90, unit="%", on_oxygen=False, **ago),
        reading(f"{prefix}-bp", kind="blood_pressure", value=None, unit="mm[Hg]", systolic=88, diastolic=60, **ago),
        reading(f"{prefix}-hr", kind="heart_rate", value=135, unit="/min", **ago),
        reading(f"{prefix}-c", kind="consciousness", value="A", unit="{ACVPU}", **ago),
        reading(f"{prefix}-t", kind="temperature", value=39.5, unit="Cel", **ago),
    ]


def _children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except FileNotFoundError:
        return []


def _kill_hard(process) -> None:
    """SIGKILL the pool's children and the main worker process back to back, like a machine losing power."""
    for pid in [*_children(process.pid), process.pid]:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    process.wait(timeout=10)


def test_worker_killed_mid_scoring_scores_every_reading_once_after_restart(request, tmp_path, nurse):
    require_postgres()
    require_redis()
    celery_app.conf.task_always_eager = False  # to the broker, as in production (unit_isolation restores it)
    celery_app.control.purge()

    # Readings first, no worker yet: one scoring task per ingested batch waits in Redis.
    for i in range(PATIENTS):
        patient = Patient.objects.create(mrn=f"TK{i:04d}", name=f"测试{i}", sex="female",
                                         date_of_birth=datetime.date(1950, 1, 1))
        device, _ = device_register(patient=patient, kind="heart_wearable", serial=f"KILL-{i}", registered_by=nurse)
        rows = [r for t in range(TIMEPOINTS) for r in _high_set(f"p{i}t{t}", minutes_ago=5 + t * 1.5)]
        readings_ingest(device=device, readings=rows)
    total = Reading.objects.count()
    assert total == PATIENTS * TIMEPOINTS * 6

    # Died tasks go back to the queue after 3 s, and workers look for them every second.
    worker_env = {"CELERY_VISIBILITY_TIMEOUT": "3", "CELERY_UNACKED_RESTORE_INTERVAL": "1",
                  "CELERY_UNACKED_RESTORE_THROTTLE": "1"}
    first_log = servers.register_log(request.node, tmp_path / "worker-1.log")
    first = servers.celery_worker(first_log, **worker_env)
    try:
        servers.wait_for_worker(first)
        scored_at_kill = servers.wait_until(
            lambda: Reading.objects.exclude(scored_at=None).count() or None, timeout=60, interval=0.02,
            message="the first worker scoring some readings")
        _kill_hard(first)
    finally:
        servers.stop(first)
    scored_after_kill = Reading.objects.exclude(scored_at=None).count()
    assert 0 < scored_at_kill <= scored_after_kill < total, "the worker was killed part-way through the work"

    second_log = servers.register_log(request.node, tmp_path / "worker-2.log")
    second = servers.celery_worker(second_log, **worker_env)
    try:
        servers.wait_for_worker(second)
        unscored = Reading.objects.filter(scored_at=None)
        servers.wait_for_broker_drained()
        # A batch whose message the first worker had popped but not yet recorded as unacknowledged (kombu's Redis
        # transport has that instant) is lost to the broker: the backlog sweep beat runs every two minutes scores it.
        swept = unscored.values("patient_id").distinct().count()
        assert swept <= 1, f"{swept} patients' batches were neither redelivered nor in flight"
        readings_score_backlog(older_than=datetime.timedelta(0))
        servers.wait_until(lambda: not unscored.exists(), timeout=60, interval=0.2,
                           message="every reading scored after the restart")
    finally:
        servers.stop(second, timeout=20)

    assert Score.objects.count() == PATIENTS * TIMEPOINTS  # one per reading set, none twice
    alerts = list(Alert.objects.values_list("patient_id", "kind", "occurrences"))
    assert len(alerts) == PATIENTS  # one NEWS2 alert per patient, not one per delivery
    assert {occurrences for _, _, occurrences in alerts} == {TIMEPOINTS}  # each set counted once
