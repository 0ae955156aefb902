"""Notifications leave the sandbox signed, and are sent again with back-off until the receiver answers 2xx."""

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from payments.providers import provider_get
from payments.sandbox import delivery, services, tasks
from payments.sandbox.models import DeliveryStatus, SandboxDelivery

pytestmark = pytest.mark.django_db


@pytest.fixture
def paid_delivery(sandbox, checkout_request, receiver):
    """The pending notification of a payment made on the page, addressed to the local receiver."""
    s = sandbox.checkout_create(checkout_request(notify_url=receiver.url))
    services.checkout_act(provider_reference=s.provider_reference, action="pay")
    return SandboxDelivery.objects.get(transaction__checkout__provider_reference=s.provider_reference)


def _later(seconds: int):
    return timezone.now() + timedelta(seconds=seconds)


def test_notification_arrives_signed_and_verifies_to_the_payment(paid_delivery, receiver):
    assert tasks.delivery_send(paid_delivery.pk) is True

    [got] = receiver.received
    event = provider_get("sandbox").notification_verify(headers=got["headers"], body=got["body"])
    assert (event.event_id, event.kind, event.amount) == (paid_delivery.transaction.event_id, "capture", Decimal("25.00"))
    assert got["path"] == "/api/v1/payments/notifications/sandbox"
    assert got["headers"]["Content-Type"] == "application/json"


def test_failed_delivery_is_retried_with_back_off_until_the_receiver_answers_2xx(paid_delivery, receiver):
    receiver.statuses = [500, 503, 204]

    first = tasks.delivery_send(paid_delivery.pk)
    paid_delivery.refresh_from_db()
    wait_after_first = paid_delivery.next_attempt_at
    not_yet_due = delivery.deliveries_due(now=timezone.now())
    delivery.delivery_attempt(delivery_id=paid_delivery.pk)  # second failure
    paid_delivery.refresh_from_db()
    due_after_backoff = delivery.deliveries_due(now=paid_delivery.next_attempt_at)
    third = delivery.delivery_attempt(delivery_id=paid_delivery.pk)

    paid_delivery.refresh_from_db()
    assert (first, third) == (False, True)
    assert not_yet_due == [] and due_after_backoff == [paid_delivery.pk]
    assert wait_after_first > timezone.now()
    assert (paid_delivery.status, paid_delivery.attempts) == (DeliveryStatus.DELIVERED, 3)
    assert [a.status_code for a in paid_delivery.attempt_rows.all()] == [500, 503, 204]
    assert len({r["body"] for r in receiver.received}) == 1  # the same notification each time, freshly signed


def test_delivered_notification_is_not_sent_again(paid_delivery, receiver):
    tasks.delivery_send(paid_delivery.pk)

    again = tasks.delivery_send(paid_delivery.pk)
    tasks.deliveries_retry()

    assert again is True and len(receiver.received) == 1


def test_periodic_retry_sends_due_deliveries_only(paid_delivery, receiver, sandbox, checkout_request):
    receiver.statuses = [500, 200]
    tasks.delivery_send(paid_delivery.pk)  # fails; back-off starts

    assert tasks.deliveries_retry() == 0 and len(receiver.received) == 1  # not due yet
    SandboxDelivery.objects.filter(pk=paid_delivery.pk).update(next_attempt_at=timezone.now())
    assert tasks.deliveries_retry() == 1
    assert SandboxDelivery.objects.get(pk=paid_delivery.pk).status == DeliveryStatus.DELIVERED


def test_unreachable_receiver_is_recorded_and_retried(sandbox, checkout_request):
    s = sandbox.checkout_create(checkout_request(notify_url="http://127.0.0.1:9/unreachable"))
    services.checkout_act(provider_reference=s.provider_reference, action="pay")
    pending = SandboxDelivery.objects.get(transaction__checkout__provider_reference=s.provider_reference)

    assert tasks.delivery_send(pending.pk) is False

    pending.refresh_from_db()
    [attempt] = pending.attempt_rows.all()
    assert attempt.status_code is None and "ConnectError" in attempt.error
    assert pending.status == DeliveryStatus.PENDING and pending.next_attempt_at is not None


def test_delivery_gives_up_after_the_configured_attempts(paid_delivery, receiver, settings):
    settings.SANDBOX_PAY_DELIVERY_MAX_ATTEMPTS = 2
    receiver.statuses = [500]

    delivery.delivery_attempt(delivery_id=paid_delivery.pk)
    delivery.delivery_attempt(delivery_id=paid_delivery.pk)
    delivery.delivery_attempt(delivery_id=paid_delivery.pk)

    paid_delivery.refresh_from_db()
    assert (paid_delivery.status, paid_delivery.attempts, len(receiver.received)) == (DeliveryStatus.GAVE_UP, 2, 2)


def test_back_off_doubles_and_is_capped():
    assert [delivery.backoff_seconds(n) for n in (1, 2, 3, 4)] == [5, 10, 20, 40]
    assert delivery.backoff_seconds(30) == 3600


def test_notifications_are_queued_after_commit(sandbox, checkout_request, django_capture_on_commit_callbacks, receiver):
    s = sandbox.checkout_create(checkout_request(notify_url=receiver.url))

    with django_capture_on_commit_callbacks() as callbacks:
        services.checkout_act(provider_reference=s.provider_reference, action="pay")

    assert len(callbacks) == 1 and receiver.received == []  # nothing is sent before the payment is committed


def test_every_server_side_change_is_delivered_with_its_event_id(sandbox, checkout_request, receiver):
    s = sandbox.checkout_create(checkout_request(notify_url=receiver.url, capture=False, amount="80.00"))
    services.checkout_act(provider_reference=s.provider_reference, action="pay")
    capture = sandbox.capture(provider_reference=s.provider_reference, amount=Decimal("70.00"))
    refund = sandbox.refund(provider_reference=s.provider_reference, amount=Decimal("20.00"), refund_reference="R1",
                            reason="x")

    tasks.deliveries_retry()

    kinds_ids = [(json.loads(r["body"])["kind"], json.loads(r["body"])["event_id"]) for r in receiver.received]
    assert [k for k, _ in kinds_ids] == ["authorise", "capture", "refund"]
    assert kinds_ids[1][1] == capture.event_id and kinds_ids[2][1] == refund.event_id


def test_embedded_mode_delivers_in_process_as_soon_as_the_payment_commits(
        client, sandbox, checkout_request, receiver, django_capture_on_commit_callbacks):
    from config.celery import app

    s = sandbox.checkout_create(checkout_request(notify_url=receiver.url))
    saved, app.conf.task_always_eager = app.conf.task_always_eager, True  # as with nothing configured
    try:
        with django_capture_on_commit_callbacks(execute=True):
            client.post(s.redirect_url, {"action": "pay"})
    finally:
        app.conf.task_always_eager = saved

    assert [json.loads(r["body"])["kind"] for r in receiver.received] == ["capture"]
    assert SandboxDelivery.objects.get(transaction__checkout__provider_reference=s.provider_reference).status == (
        DeliveryStatus.DELIVERED)
