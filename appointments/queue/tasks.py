"""Celery tasks for the queue: thin and idempotent over appointments.queue (reminders, services).

Beat runs ``reminders_send`` every minute and ``no_shows_mark`` every five (CELERY_BEAT_SCHEDULE); see
appointments.queue.reminders for why reminders are a scan of due rows and why two runs at once send each once.
"""

from celery import shared_task

from appointments.queue import services
from appointments.queue.reminders import reminders_due, turn_near_scan


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def reminders_send() -> int:
    """The periodic reminder scan. Safe to run twice at once (one notification per user and key)."""
    return reminders_due()


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def turn_near_notify(service_point_id: int) -> int:
    """After a call: tell the next patients of that queue at once, rather than at the next minute's scan."""
    return turn_near_scan(service_point_id=service_point_id)


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def no_shows_mark() -> int:
    """Mark the no-shows of sessions that have ended. Safe to run twice at once (rows re-read under lock)."""
    return services.no_shows_mark()
