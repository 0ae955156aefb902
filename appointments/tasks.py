"""Celery tasks for registration: thin, idempotent wrappers over appointments.services.

Beat runs ``holds_expire`` every minute and ``slots_materialise_horizon`` every hour
(config.settings.base.CELERY_BEAT_SCHEDULE); the admin's "generate slots" action runs
``slots_generate`` and reads its progress from the cache.
"""

from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.core.cache import cache

from appointments import services
from appointments.localtime import hospital_today
from appointments.models import DoctorProfile

SLOTGEN_PROGRESS_SECONDS = 6 * 60 * 60


def slotgen_key(job_id: str) -> str:
    return f"slotgen:{job_id}"


def slotgen_progress_set(job_id: str, *, state: str, done: int = 0, total: int = 0, created: int | None = None) -> None:
    """Write a generation job's progress where the admin's progress page reads it (the shared cache)."""
    cache.set(slotgen_key(job_id), {"state": state, "done": done, "total": total, "created": created},
              SLOTGEN_PROGRESS_SECONDS)


def slotgen_progress_get(job_id: str) -> dict | None:
    return cache.get(slotgen_key(job_id))


@shared_task(acks_late=True)
def holds_expire() -> int:
    """Release holds not paid in time. Two runs at once release each hold once (see the service)."""
    return services.holds_expire()


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def slots_materialise_horizon() -> int:
    """Keep BOOKING_HORIZON_DAYS of slots made ahead of today (local). Idempotent: hourly runs add only what is missing,
    so a new day, a new template or a restart is caught up within the hour."""
    today = hospital_today()
    return services.slots_materialise(date_from=today, date_to=today + timedelta(days=settings.BOOKING_HORIZON_DAYS))


@shared_task(acks_late=True)
def slots_generate(job_id: str, doctor_ids: list[int], days: int) -> int:
    """The admin's "generate slots for the next N days" for some doctors, reporting progress under slotgen:<job_id>."""
    today = hospital_today()

    def progress(done: int, total: int) -> None:
        slotgen_progress_set(job_id, state="running", done=done, total=total)

    try:
        created = services.slots_materialise(date_from=today, date_to=today + timedelta(days=days),
                                             doctors=DoctorProfile.objects.filter(pk__in=doctor_ids), progress=progress)
    except Exception:
        slotgen_progress_set(job_id, state="failed")
        raise
    total = DoctorProfile.objects.filter(pk__in=doctor_ids, is_active=True).count()
    slotgen_progress_set(job_id, state="done", done=total, total=total, created=created)
    return created
