"""Acceptance 1: the webhook under replay ×10, reordering and forgery, with concurrent deliveries on PostgreSQL.
Exactly one capture; a refund notice before its capture waits for it and is applied once; forged notifications are
rejected, logged, and change nothing."""

import random
import threading
import time
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client

from payments.models import (
    HeldEvent,
    InvoiceStatus,
    NotificationOutcome,
    PaymentEvent,
    PaymentNotificationLog,
)
from payments.providers.base import EventKind
from payments.sandbox import services as sandbox
from payments.sandbox import signing
from payments.sandbox.models import SandboxDelivery
from payments.selectors import invoice_balance
from tests.payments import factories as f
from tests.services import require_postgres

DELIVERIES = 10


def _concurrently(bodies: list[bytes]) -> list[int]:
    """POST each body to the webhook from its own thread (its own database connection), all released at once."""
    barrier = threading.Barrier(len(bodies))
    statuses: list[int] = [0] * len(bodies)

    def deliver(i: int, body: bytes) -> None:
        try:
            barrier.wait()
            statuses[i] = f.post_notification(Client(), body).status_code
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver, args=(i, body)) for i, body in enumerate(bodies)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


def _paid_in_sandbox(prices=("36.80",)):
    invoice = f.invoice(prices=prices)
    payment = f.checkout(invoice)
    sandbox.checkout_act(provider_reference=payment.provider_reference, action="pay")
    capture = SandboxDelivery.objects.get(transaction__kind=EventKind.CAPTURE).body.encode()
    return invoice, payment, capture


@pytest.mark.django_db(transaction=True)
def test_the_same_capture_delivered_ten_times_at_once_is_applied_once():
    require_postgres()
    invoice, payment, capture = _paid_in_sandbox()

    statuses = _concurrently([capture] * DELIVERIES)

    invoice.refresh_from_db()
    assert statuses == [200] * DELIVERIES
    assert PaymentEvent.objects.filter(payment=payment, kind="capture").count() == 1
    assert invoice_balance(invoice=invoice).captured == Decimal("36.80")
    assert invoice.status == InvoiceStatus.PAID
    outcomes = sorted(PaymentNotificationLog.objects.values_list("outcome", flat=True))
    assert outcomes == sorted([NotificationOutcome.APPLIED] + [NotificationOutcome.DUPLICATE] * (DELIVERIES - 1))


@pytest.mark.django_db(transaction=True)
def test_a_refund_notice_before_its_capture_waits_and_is_applied_once():
    require_postgres()
    invoice, payment, capture = _paid_in_sandbox(prices=("50.00",))
    sandbox.checkout_refund(provider_reference=payment.provider_reference, amount=Decimal("20.00"),
                            refund_reference="R-console-1", reason="refunded at the provider's console")
    refund = SandboxDelivery.objects.get(transaction__kind=EventKind.REFUND).body.encode()

    assert f.post_notification(Client(), refund).status_code == 200  # before its capture: held
    assert HeldEvent.objects.filter(applied_at=None).count() == 1
    assert invoice_balance(invoice=invoice).refunded == Decimal("0.00")

    mixed = [capture] * DELIVERIES + [refund] * DELIVERIES
    random.Random(6).shuffle(mixed)
    statuses = _concurrently(mixed)

    balance = invoice_balance(invoice=invoice)
    invoice.refresh_from_db()
    assert statuses == [200] * len(mixed)
    assert PaymentEvent.objects.filter(kind="capture").count() == 1
    assert PaymentEvent.objects.filter(kind="refund").count() == 1
    assert (balance.captured, balance.refunded) == (Decimal("50.00"), Decimal("20.00"))
    assert invoice.status == InvoiceStatus.PARTIALLY_REFUNDED


@pytest.mark.django_db(transaction=True)
def test_forged_notifications_are_rejected_logged_and_change_nothing():
    require_postgres()
    invoice, payment, capture = _paid_in_sandbox()
    unknown = capture.replace(payment.reference.encode(), b"P" + b"0" * 32)

    forged = [
        f.post_notification(Client(), capture, secret="not-the-sandbox-secret"),  # bad signature
        f.post_notification(Client(), capture, timestamp=int(time.time()) - 3600),  # an old timestamp (replayed)
        f.post_notification(Client(), unknown),  # genuinely signed, but no such payment here
        Client().post("/api/v1/payments/notifications/sandbox", data=capture, content_type="application/json"),
    ]

    assert [r.status_code for r in forged] == [400, 400, 400, 400]
    assert all(r["Content-Type"] == "application/problem+json" for r in forged)
    assert PaymentEvent.objects.count() == 0
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.ISSUED
    reasons = sorted(PaymentNotificationLog.objects.filter(outcome=NotificationOutcome.REJECTED)
                     .values_list("reason", flat=True))
    assert reasons == sorted(["bad_signature", "stale_timestamp", "unknown_reference", "malformed"])


@pytest.mark.django_db
def test_a_tampered_body_with_a_genuine_signature_of_another_body_is_rejected(client):
    _invoice, _payment, capture = _paid_in_sandbox(prices=("10.00",))
    headers = signing.notification_sign(capture)
    tampered = capture.replace(b'"10.00"', b'"1.00"')

    response = client.post("/api/v1/payments/notifications/sandbox", data=tampered, content_type="application/json",
                           headers={k: v for k, v in headers.items() if k != "Content-Type"})

    assert response.status_code == 400
    assert PaymentEvent.objects.count() == 0


@pytest.mark.django_db
def test_an_unknown_provider_is_not_found(client):
    response = client.post("/api/v1/payments/notifications/nobody", data=b"{}", content_type="application/json")
    assert response.status_code == 404
