"""Thin Celery wrappers over payments.sandbox.delivery. Idempotent: a delivered notification is not sent again."""

from celery import shared_task

from payments.sandbox import delivery


@shared_task(acks_late=True)
def delivery_send(delivery_id: int) -> bool:
    """One attempt now; a failure is retried with back-off by `deliveries_retry` (beat), in every way of running."""
    return delivery.delivery_attempt(delivery_id=delivery_id)


@shared_task(acks_late=True)
def deliveries_retry() -> int:
    """Periodic: send again every pending notification whose back-off is over. Returns how many were delivered."""
    return sum(delivery.delivery_attempt(delivery_id=pk) for pk in delivery.deliveries_due())
