"""Periodic jobs for the embedded way of running (no Redis, no separate beat process).

Celery runs tasks in the calling process there (``task_always_eager``); this thread reads the same
``CELERY_BEAT_SCHEDULE`` that ``celery beat`` uses in the services mode and runs each entry when it
is due, so reminders, hold expiry and the rest still happen on a laptop with nothing installed.
"""

import logging
import threading
import time
from datetime import datetime

from celery.schedules import schedule as celery_schedule
from django.conf import settings
from django.db import close_old_connections
from django.utils import timezone

logger = logging.getLogger(__name__)
_started = threading.Event()


class EmbeddedScheduler:
    """Runs due entries of a beat schedule in this process. ``tick()`` returns seconds until the next one."""

    def __init__(self, *, app, beat_schedule: dict, now=timezone.now) -> None:
        self.app = app
        self.now = now
        started = now()
        self.entries = {
            name: {"entry": entry, "schedule": self._as_schedule(entry["schedule"]), "last_run_at": started}
            for name, entry in beat_schedule.items()
        }

    def _as_schedule(self, value):
        if hasattr(value, "is_due"):
            return value
        return celery_schedule(run_every=value, app=self.app)

    def tick(self) -> float:
        next_in = 60.0
        for name, state in self.entries.items():
            is_due, next_check = state["schedule"].is_due(state["last_run_at"])
            if is_due:
                state["last_run_at"] = self.now()
                self._run(name, state["entry"])
                _, next_check = state["schedule"].is_due(state["last_run_at"])
            next_in = min(next_in, next_check)
        return max(next_in, 0.5)

    def _run(self, name: str, entry: dict) -> None:
        close_old_connections()
        try:
            task = self.app.tasks[entry["task"]]
            task.apply(args=entry.get("args", ()), kwargs=entry.get("kwargs", {}), throw=True)
        except Exception:  # a failing job must not stop the others; it is logged and retried next time
            logger.exception("Periodic job %s failed", name)
        finally:
            close_old_connections()


def scheduler_for(app) -> EmbeddedScheduler:
    """The scheduler of the configured beat schedule, with every app's tasks module imported.

    A worker imports every app's tasks module when it starts; a web process only imports those its views use, so
    without this a job whose module nothing had imported yet was unknown in the embedded mode.
    """
    app.loader.import_default_modules()
    return EmbeddedScheduler(app=app, beat_schedule=settings.CELERY_BEAT_SCHEDULE)


def _loop() -> None:
    from config.celery import app

    scheduler = scheduler_for(app)
    logger.info("Embedded scheduler running %d periodic jobs at %s", len(scheduler.entries), datetime.now())
    while True:
        time.sleep(scheduler.tick())


def start_if_enabled() -> None:
    """Start the scheduler thread once per process, only in the embedded mode."""
    if not settings.EMBEDDED_SCHEDULER or _started.is_set():
        return
    _started.set()
    threading.Thread(target=_loop, name="embedded-beat", daemon=True).start()
