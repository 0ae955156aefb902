"""What /healthz checks: the database always; Redis, a Celery worker and beat where they are configured."""

import time
from datetime import timedelta

from django.conf import settings
from django.db import connection
from django.utils import timezone

from core.models import ServiceHeartbeat


def _timed(check) -> dict:
    started = time.monotonic()
    try:
        detail = check() or {}
        result = {"status": "ok", **detail}
    except Exception as exc:  # a health check reports failures, it does not raise them
        result = {"status": "down", "error": f"{type(exc).__name__}: {exc}"[:300]}
    result["ms"] = round((time.monotonic() - started) * 1000, 1)
    return result


def _database() -> dict:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"engine": connection.vendor}


def _redis() -> dict:
    import redis

    client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1)
    client.ping()
    return {}


def _worker() -> dict:
    from config.celery import app

    replies = app.control.ping(timeout=1.0)
    if not replies:
        raise RuntimeError("no Celery worker answered within 1 s")
    return {"workers": sorted(name for reply in replies for name in reply)}


def _beat() -> dict:
    beat = ServiceHeartbeat.objects.filter(name="beat").first()
    if beat is None:
        raise RuntimeError("beat has not fired its heartbeat yet")
    age = timezone.now() - beat.seen_at
    if age > timedelta(seconds=settings.BEAT_HEARTBEAT_SECONDS * 3):
        raise RuntimeError(f"last heartbeat {int(age.total_seconds())} s ago")
    return {"last_seen": beat.seen_at.isoformat()}


def health_report() -> dict:
    checks = {"database": _timed(_database)}
    if settings.REDIS_URL:
        checks["redis"] = _timed(_redis)
        checks["worker"] = _timed(_worker)
        checks["beat"] = _timed(_beat)
    else:
        checks["background"] = {"status": "ok", "mode": "embedded (in-process tasks and scheduler)"}
    healthy = all(c["status"] == "ok" for c in checks.values())
    return {"status": "ok" if healthy else "degraded", "checks": checks}
