"""Delivery of notifications. Each task is idempotent: it locks the row and does nothing if the
channel was already delivered, so a retry or a duplicate message never sends twice."""

from celery import shared_task
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from notifications import live
from notifications.models import Notification
from notifications.sms import sms_backend

RETRY = {"autoretry_for": (Exception,), "retry_backoff": True, "retry_backoff_max": 600, "max_retries": 8,
         "acks_late": True}


@shared_task(**RETRY)
def notification_email(notification_id: int) -> bool:
    with transaction.atomic():
        n = Notification.objects.select_for_update().select_related("user").filter(pk=notification_id).first()
        if n is None or n.email_sent_at or not n.send_email:
            return False
        send_mail(subject=n.title, message=f"{n.body}\n", from_email=None, recipient_list=[n.user.email])
        n.email_sent_at = timezone.now()
        n.save(update_fields=["email_sent_at"])
    return True


@shared_task(**RETRY)
def notification_sms(notification_id: int) -> bool:
    with transaction.atomic():
        n = Notification.objects.select_for_update().select_related("user").filter(pk=notification_id).first()
        if n is None or n.sms_sent_at or not n.send_sms:
            return False
        sms_backend().send(phone=n.user.phone, text=f"{n.title}: {n.body}"[:300])
        n.sms_sent_at = timezone.now()
        n.save(update_fields=["sms_sent_at"])
    return True


@shared_task(acks_late=True)
def notification_push(notification_id: int) -> bool:
    n = Notification.objects.filter(pk=notification_id).values("user_id", "seq", "public_id").first()
    if n is None:
        return False
    return live.feed_push(user_id=n["user_id"], seq=n["seq"], public_id=str(n["public_id"]))
