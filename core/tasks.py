from celery import shared_task
from django.utils import timezone

from core import outbox
from core.models import ServiceHeartbeat


@shared_task(acks_late=True)
def beat_heartbeat() -> None:
    """Fired by beat, run by a worker: /healthz reads its time to know both are alive."""
    ServiceHeartbeat.objects.update_or_create(name="beat", defaults={"seen_at": timezone.now()})


@shared_task(acks_late=True)
def outbox_flush() -> int:
    return outbox.outbox_flush()


@shared_task(autoretry_for=(Exception,), retry_backoff=True, max_retries=8, acks_late=True)
def email_send(subject: str, body: str, to: list[str], html: str | None = None) -> None:
    """Send one email. Used for mail that is not a stored notification (password reset links)."""
    from django.core.mail import EmailMultiAlternatives

    message = EmailMultiAlternatives(subject=subject, body=body, to=to)
    if html:
        message.attach_alternative(html, "text/html")
    message.send()
