"""The whole round trip over real HTTP: the ledger opens a sandbox checkout, the payer pays on the hosted page, the
sandbox's delivery task POSTs the signed notification to the ledger's webhook on a live server, a replay changes
nothing, and a refund goes to the sandbox and comes back as a notification the ledger already applied."""

import uuid
from decimal import Decimal

import httpx
import pytest
from django.utils import timezone

from accounts.roles import Role
from payments import services
from payments.models import InvoiceStatus, PaymentEvent, PaymentStatus
from payments.providers import provider_get
from payments.sandbox import signing, tasks
from payments.sandbox.models import DeliveryStatus, SandboxDelivery
from payments.selectors import invoice_balance
from tests.appointments import factories as booking
from tests.payments import factories

pytestmark = pytest.mark.django_db(transaction=True)


def test_pay_in_the_sandbox_reaches_the_ledger_through_the_webhook_and_a_refund_comes_back(live_server, client):
    invoice = factories.invoice(prices=("25.00",))
    payment = services.checkout_start(invoice=invoice, by=None, idempotency_key=f"key-{uuid.uuid4().hex}",
                                      return_url=f"{live_server.url}/", base_url=live_server.url)

    back = client.post(payment.redirect_url, {"action": "pay"})
    delivered = tasks.deliveries_retry()  # the sandbox's task: signed POST to the live webhook

    payment.refresh_from_db()
    invoice.refresh_from_db()
    capture = SandboxDelivery.objects.get(transaction__checkout__reference=payment.reference)
    assert back["Location"].startswith(f"{live_server.url}/?provider=sandbox&")
    assert delivered == 1 and capture.status == DeliveryStatus.DELIVERED
    assert [a.status_code for a in capture.attempt_rows.all()] == [200]
    assert (payment.status, invoice.status) == (PaymentStatus.CAPTURED, InvoiceStatus.PAID)
    assert invoice_balance(invoice=invoice).captured == Decimal("25.00")

    # The same notification again, freshly signed, as a provider's retry would be: accepted, applied once.
    body = capture.body.encode()
    replay = httpx.post(capture.url, content=body, headers=signing.notification_sign(body))
    assert replay.status_code == 200
    assert PaymentEvent.objects.filter(payment=payment).count() == 1

    refund = services.refund_request(invoice=invoice, amount=Decimal("10.00"), reason="Cancelled before the cut-off",
                                     by=booking.user(Role.HOSPITAL_ADMIN), request_key=f"r-{uuid.uuid4().hex}")
    assert tasks.deliveries_retry() == 1  # the sandbox notifies the refund too, with the event id already applied

    invoice.refresh_from_db()
    assert invoice_balance(invoice=invoice).refunded == Decimal("10.00")
    assert invoice.status == InvoiceStatus.PARTIALLY_REFUNDED
    ledger = sorted(PaymentEvent.objects.filter(payment=payment).values_list("event_id", "kind", "amount"))
    statement = sorted((e.event_id, str(e.kind), e.amount)
                       for e in provider_get("sandbox").statement(day=timezone.localdate()))
    assert ledger == statement  # the sandbox's settlement list and the ledger agree, event by event
    assert refund.reference in {e.refund_reference for e in provider_get("sandbox").statement(day=timezone.localdate())}


def test_a_forged_notification_sent_over_http_is_refused_and_changes_nothing(live_server):
    invoice = factories.invoice(prices=("25.00",))
    payment = services.checkout_start(invoice=invoice, by=None, idempotency_key=f"key-{uuid.uuid4().hex}",
                                      return_url=f"{live_server.url}/", base_url=live_server.url)
    event = factories.event(payment, "capture")
    body = signing.notification_body(event)

    forged = httpx.post(f"{live_server.url}/api/v1/payments/notifications/sandbox", content=body,
                        headers=signing.notification_sign(body, secret="not-the-sandbox-key"))

    payment.refresh_from_db()
    assert forged.status_code == 400 and forged.json()["code"] == "notification_rejected"
    assert payment.status == PaymentStatus.OPEN and not PaymentEvent.objects.filter(payment=payment).exists()
