"""Background work: the embedded scheduler and the outbox that keeps jobs while the broker is down."""

import os
import subprocess
import sys
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from kombu import pools as kombu_pools

from config.celery import app
from config.embedded import EmbeddedScheduler
from core import tasks
from core.models import OutboxMessage, ServiceHeartbeat
from core.outbox import enqueue, outbox_flush
from tests.services import require_redis

ROOT = Path(__file__).resolve().parents[2]
CLOSED_BROKER = "redis://127.0.0.1:1/0"  # nothing listens on port 1: connection refused at once
RUNS: list[str] = []


@app.task(name="tests.core.scheduler_probe")
def scheduler_probe(label: str) -> None:
    RUNS.append(label)


@app.task(name="tests.core.scheduler_failing")
def scheduler_failing() -> None:
    raise RuntimeError("this job always fails")


@pytest.fixture(autouse=True)
def no_runs_yet():
    RUNS.clear()


class Clock:
    def __init__(self, start):
        self.at = start

    def __call__(self):
        return self.at


def scheduler(entries: dict, *, started_ago: timedelta) -> tuple[EmbeddedScheduler, Clock]:
    clock = Clock(timezone.now() - started_ago)
    embedded = EmbeddedScheduler(app=app, beat_schedule=entries, now=clock)
    clock.at = timezone.now()
    return embedded, clock


# --- embedded scheduler --------------------------------------------------------------------------
# transactional_db: the scheduler closes stale connections around each job, as the thread must.

def test_a_due_entry_runs_once(transactional_db):
    embedded, _ = scheduler({"probe": {"task": "tests.core.scheduler_probe", "schedule": timedelta(seconds=60),
                                       "args": ("due",)}}, started_ago=timedelta(minutes=5))

    embedded.tick()
    embedded.tick()

    assert RUNS == ["due"]


def test_an_entry_not_yet_due_does_not_run(transactional_db):
    embedded, _ = scheduler({"probe": {"task": "tests.core.scheduler_probe", "schedule": timedelta(hours=1),
                                       "args": ("early",)}}, started_ago=timedelta(minutes=5))

    wait = embedded.tick()

    assert RUNS == []
    assert wait > 0


def test_an_entry_runs_again_when_its_interval_has_passed(transactional_db):
    embedded, _ = scheduler({"probe": {"task": "tests.core.scheduler_probe", "schedule": timedelta(seconds=60),
                                           "args": ("again",)}}, started_ago=timedelta(minutes=5))
    embedded.tick()
    embedded.entries["probe"]["last_run_at"] = timezone.now() - timedelta(minutes=2)

    embedded.tick()

    assert RUNS == ["again", "again"]


def test_the_heartbeat_entry_writes_the_beat_heartbeat(transactional_db):
    embedded, _ = scheduler({"heartbeat": {"task": "core.tasks.beat_heartbeat", "schedule": timedelta(seconds=30)}},
                            started_ago=timedelta(minutes=1))

    embedded.tick()

    assert ServiceHeartbeat.objects.filter(name="beat", seen_at__gte=timezone.now() - timedelta(minutes=1)).exists()


def test_the_heartbeat_entry_not_due_writes_nothing(transactional_db):
    embedded, _ = scheduler({"heartbeat": {"task": "core.tasks.beat_heartbeat", "schedule": timedelta(seconds=30)}},
                            started_ago=timedelta(seconds=0))

    embedded.tick()

    assert not ServiceHeartbeat.objects.filter(name="beat").exists()


def test_a_failing_job_does_not_stop_the_others(transactional_db):
    embedded, _ = scheduler({
        "failing": {"task": "tests.core.scheduler_failing", "schedule": timedelta(seconds=60)},
        "probe": {"task": "tests.core.scheduler_probe", "schedule": timedelta(seconds=60), "args": ("still runs",)},
    }, started_ago=timedelta(minutes=5))

    embedded.tick()

    assert RUNS == ["still runs"]


def test_an_unknown_task_does_not_stop_the_others(transactional_db):
    embedded, _ = scheduler({
        "unknown": {"task": "tests.core.no_such_task", "schedule": timedelta(seconds=60)},
        "probe": {"task": "tests.core.scheduler_probe", "schedule": timedelta(seconds=60), "args": ("still runs",)},
    }, started_ago=timedelta(minutes=5))

    embedded.tick()

    assert RUNS == ["still runs"]


def test_a_fresh_web_process_scheduler_knows_every_scheduled_task():
    """In a new process (as runserver starts), nothing but the scheduler imports the apps' tasks modules."""
    code = ("import django; django.setup(); from config.celery import app; from config.embedded import scheduler_for; "
            "s = scheduler_for(app); print([e['entry']['task'] for e in s.entries.values() "
            "if e['entry']['task'] not in app.tasks])")
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env["DJANGO_SETTINGS_MODULE"] = "config.settings.local"
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)

    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_the_configured_beat_schedule_names_registered_tasks():
    app.loader.import_default_modules()  # what a worker does when it starts: import every app's tasks module
    missing = [entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values() if entry["task"] not in app.tasks]

    assert missing == []


# --- outbox --------------------------------------------------------------------------------------

@contextmanager
def broker(url: str | None, *, eager: bool = False):
    """Point the Celery app at `url` (None: keep the configured broker) with fresh connection pools."""
    saved = (app.conf.broker_url, app.conf.task_always_eager)
    if url is not None:
        app.conf.broker_url = url
    app.conf.task_always_eager = eager
    app._pool = None
    app.amqp._producer_pool = None
    try:
        yield
    finally:
        # kombu keeps pools in a process-wide registry keyed by broker URL: closing ours and leaving it
        # there hands the closed pool to the next user of that URL (a later test's worker ping failed
        # with "Acquire on closed pool"). Close and forget them all; the app makes fresh ones on demand.
        kombu_pools.reset()
        app.conf.broker_url, app.conf.task_always_eager = saved
        app._pool = None
        app.amqp._producer_pool = None


def test_with_the_broker_down_an_enqueued_job_is_kept_in_the_outbox(db, run_on_commit):
    with broker(CLOSED_BROKER), run_on_commit(), transaction.atomic():
        enqueue(tasks.beat_heartbeat)

    kept = OutboxMessage.objects.get()
    assert (kept.task_name, kept.args, kept.sent_at, kept.attempts) == ("core.tasks.beat_heartbeat", [], None, 1)
    assert kept.last_error


def test_a_job_enqueued_in_a_transaction_that_rolls_back_is_neither_sent_nor_kept(db, run_on_commit):
    with broker(CLOSED_BROKER), run_on_commit(), pytest.raises(RuntimeError), transaction.atomic():
        enqueue(tasks.beat_heartbeat)
        raise RuntimeError("the request failed")

    assert not OutboxMessage.objects.exists()


def test_with_the_broker_down_sign_up_still_succeeds_and_keeps_its_jobs(transactional_db, client):
    with broker(CLOSED_BROKER):
        response = client.post("/api/v1/accounts/signup", {
            "name": "马丽", "phone": "13600000001", "email": "ma.li@example.test", "password": "Quiet-River-2024",
            "sex": "female", "date_of_birth": "1990-01-01"}, content_type="application/json")

    assert response.status_code == 201
    assert set(OutboxMessage.objects.values_list("task_name", flat=True)) == {
        "notifications.tasks.notification_push", "notifications.tasks.notification_email"}


def test_flush_with_the_broker_still_down_keeps_the_job_and_counts_the_attempt(db, run_on_commit):
    with broker(CLOSED_BROKER), run_on_commit():
        enqueue(tasks.beat_heartbeat)

    with broker(CLOSED_BROKER):
        sent = outbox_flush()

    kept = OutboxMessage.objects.get()
    assert sent == 0
    assert (kept.sent_at, kept.attempts) == (None, 2)


def test_flush_with_the_broker_back_sends_the_kept_job(db, run_on_commit):
    require_redis()
    with broker(CLOSED_BROKER), run_on_commit():
        enqueue(tasks.beat_heartbeat)

    with broker(None):  # the configured Redis broker
        sent = outbox_flush()

    kept = OutboxMessage.objects.get()
    assert sent == 1
    assert kept.sent_at is not None


def test_in_the_embedded_mode_an_enqueued_job_runs_at_once(db, run_on_commit):
    with broker(None, eager=True), run_on_commit():
        enqueue(tasks.beat_heartbeat)

    assert ServiceHeartbeat.objects.filter(name="beat").exists()
    assert not OutboxMessage.objects.exists()
