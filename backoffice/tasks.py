"""Celery tasks of the back office, thin over backoffice.figures and backoffice.services.

``dashboard_days_read`` reads a heavy range's days into the per-day cache, reporting its progress where the
dashboard's progress page polls it (the same pattern as the admin's slot generation); the dashboard then
draws the range from the cache. ``daily_report_send`` is beat's morning job (CELERY_BEAT_SCHEDULE
"backoffice-daily-report"): yesterday's figures to the administrators, once per date however often it runs.
"""

from datetime import date

from celery import shared_task
from django.core.cache import cache

from appointments.localtime import hospital_today
from backoffice import figures, services

JOB_SECONDS = 6 * 60 * 60


def job_key(job_id: str) -> str:
    return f"backoffice:job:{job_id}"


def job_progress_set(job_id: str, *, state: str, done: int = 0, total: int = 0, query: str = "") -> None:
    cache.set(job_key(job_id), {"state": state, "done": done, "total": total, "query": query}, JOB_SECONDS)


def job_progress_get(job_id: str) -> dict | None:
    return cache.get(job_key(job_id))


@shared_task(acks_late=True)
def dashboard_days_read(job_id: str, date_from: str, date_to: str, query: str = "") -> int:
    """Read every finished day of the range into the cache (days already there are skipped). Idempotent."""
    days = figures.date_range(date.fromisoformat(date_from), date.fromisoformat(date_to))
    today = hospital_today()
    job_progress_set(job_id, state="running", done=0, total=len(days), query=query)
    try:
        for done, day in enumerate(days, start=1):
            figures.day_data(day, today=today)
            job_progress_set(job_id, state="running", done=done, total=len(days), query=query)
    except Exception:
        job_progress_set(job_id, state="failed", total=len(days), query=query)
        raise
    job_progress_set(job_id, state="done", done=len(days), total=len(days), query=query)
    return len(days)


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def daily_report_send() -> str:
    """Yesterday's figures to the hospital's administrators; sent once per date (see the service)."""
    report = services.daily_report_send(day=services.yesterday(hospital_today()))
    return f"{report.date} sent {report.sent_at} to {report.recipients}"
