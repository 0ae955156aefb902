"""Sending the sandbox's notifications to the merchant: signed, POSTed with httpx, again and again until a 2xx.

No database transaction is held while the POST is in flight: the receiver may be this very process (the embedded
mode runs tasks in the request, and the webhook writes the ledger from another thread), and on SQLite an open write
transaction here would block it. Two senders racing on one delivery may both POST; the receiver applies each
event_id once, so that is harmless, and a delivered notification is never sent again.
"""

import logging
from datetime import timedelta

import httpx
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from payments.sandbox import signing
from payments.sandbox.models import DeliveryStatus, SandboxDelivery, SandboxDeliveryAttempt

logger = logging.getLogger(__name__)
BACKOFF_FIRST_SECONDS = 5
BACKOFF_MAX_SECONDS = 3600


def backoff_seconds(attempts: int) -> int:
    """Wait after the `attempts`-th failure: 5 s, 10 s, 20 s ... doubling, at most an hour."""
    return min(BACKOFF_FIRST_SECONDS * 2 ** max(attempts - 1, 0), BACKOFF_MAX_SECONDS)


def delivery_attempt(*, delivery_id: int) -> bool:
    """POST one pending notification once and record the attempt. True once it is delivered (now or before)."""
    delivery = SandboxDelivery.objects.filter(pk=delivery_id).first()
    if delivery is None or delivery.status != DeliveryStatus.PENDING:
        return delivery is not None and delivery.status == DeliveryStatus.DELIVERED
    body = delivery.body.encode()
    status_code, error = None, ""
    try:
        response = httpx.post(delivery.url, content=body, headers=signing.notification_sign(body),
                              timeout=settings.SANDBOX_PAY_DELIVERY_TIMEOUT_SECONDS)
        status_code = response.status_code
        if not 200 <= status_code < 300:
            error = response.text[:500]
    except httpx.HTTPError as exc:
        error = f"{type(exc).__name__}: {exc}"[:500]
    now = timezone.now()
    with transaction.atomic():
        delivery = SandboxDelivery.objects.select_for_update().get(pk=delivery_id)
        SandboxDeliveryAttempt.objects.create(delivery=delivery, attempted_at=now, status_code=status_code, error=error)
        delivery.attempts += 1
        if delivery.status != DeliveryStatus.PENDING:
            pass  # delivered by a concurrent sender meanwhile
        elif status_code is not None and 200 <= status_code < 300:
            delivery.status, delivery.delivered_at, delivery.next_attempt_at = DeliveryStatus.DELIVERED, now, None
        elif delivery.attempts >= settings.SANDBOX_PAY_DELIVERY_MAX_ATTEMPTS:
            delivery.status, delivery.next_attempt_at = DeliveryStatus.GAVE_UP, None
            logger.warning("Sandbox notification %s given up after %d attempts", delivery.pk, delivery.attempts)
        else:
            delivery.next_attempt_at = now + timedelta(seconds=backoff_seconds(delivery.attempts))
        delivery.save(update_fields=["attempts", "status", "delivered_at", "next_attempt_at"])
    return delivery.status == DeliveryStatus.DELIVERED


def deliveries_due(*, now=None, limit: int = 100) -> list[int]:
    """Pending deliveries whose back-off is over, oldest first."""
    now = now or timezone.now()
    return list(SandboxDelivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
                .order_by("next_attempt_at").values_list("pk", flat=True)[:limit])
