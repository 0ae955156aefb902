"""Thin Celery wrappers over the telemonitor services. Every task is idempotent and acks_late: a task redelivered
after a worker died (or sent twice by the outbox) does its work once (see services.assessment)."""

from celery import shared_task
from django.db.models import Q
from django.utils import timezone

from telemonitor import live
from telemonitor.models import Alert, MonitoringPlan
from telemonitor.services import alerts, assessment

RETRY = {"autoretry_for": (Exception,), "retry_backoff": True, "retry_backoff_max": 300, "max_retries": 10,
         "acks_late": True}


@shared_task(**RETRY)
def readings_score(patient_ids: list[int]) -> int:
    """Score the new readings of these patients (one task per ingested batch)."""
    return assessment.readings_score(patient_ids=patient_ids)


@shared_task(**RETRY)
def readings_score_backlog() -> int:
    """Periodic: score readings whose task was lost."""
    return assessment.readings_score_backlog()


@shared_task(**RETRY)
def alerts_escalate() -> int:
    """Periodic: escalate alerts nobody acknowledged in time."""
    return alerts.alerts_escalate()


@shared_task(acks_late=True)
def alert_push(alert_id: int) -> int:
    """Nudge the care teams watching the alert's patient. Returns how many teams were told."""
    alert = Alert.objects.filter(pk=alert_id).values("patient_id", "public_id").first()
    if alert is None:
        return 0
    today = timezone.localdate()
    leads = (MonitoringPlan.objects.filter(Q(ends_on__isnull=True) | Q(ends_on__gte=today), patient_id=alert["patient_id"],
                                           starts_on__lte=today)
             .values_list("lead_doctor_id", flat=True).distinct())
    told = 0
    for lead_id in sorted(set(leads)):
        if live.team_push(lead_doctor_id=lead_id, alert_public_id=str(alert["public_id"])) is not None:
            told += 1
    return told
