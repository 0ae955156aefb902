"""Delivery of notifications (thin wrappers over notifications.services). Each task is idempotent: the service
locks the row and does nothing if the channel was already delivered, so a retry or a duplicate message never sends
twice."""

from datetime import timedelta

from celery import shared_task

from notifications import live, services
from notifications.models import Notification

RETRY = {"autoretry_for": (Exception,), "retry_backoff": True, "retry_backoff_max": 600, "max_retries": 8,
         "acks_late": True}


@shared_task(**RETRY)
def notification_email(notification_id: int) -> bool:
    return services.notification_email_deliver(notification_id=notification_id)


@shared_task(**RETRY)
def notification_sms(notification_id: int) -> bool:
    return services.notification_sms_deliver(notification_id=notification_id)


@shared_task(acks_late=True)
def notifications_deliver_backlog(older_than_seconds: float | None = None) -> int:
    """Periodic: e-mails and SMS whose task was lost."""
    if older_than_seconds is None:
        return services.notifications_deliver_backlog()
    return services.notifications_deliver_backlog(older_than=timedelta(seconds=older_than_seconds))


@shared_task(acks_late=True)
def notification_push(notification_id: int) -> bool:
    n = Notification.objects.filter(pk=notification_id).values("user_id", "seq", "public_id").first()
    if n is None:
        return False
    return live.feed_push(user_id=n["user_id"], seq=n["seq"], public_id=str(n["public_id"]))
