"""The ledger at the event level: each event once, a refund before its capture held, balances summed from events."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from payments import services
from payments.models import (
    HeldEvent,
    InvoiceStatus,
    NotificationOutcome,
    PaymentEvent,
    PaymentStatus,
    Refund,
    RefundStatus,
)
from payments.providers.errors import NotificationRejected
from payments.selectors import invoice_balance
from tests.payments import factories as f
from tests.services import require_postgres

pytestmark = pytest.mark.django_db


def test_capture_marks_the_bill_paid_and_a_replay_changes_nothing():
    invoice = f.invoice(prices=("30.00",))
    payment = f.checkout(invoice)
    capture = f.event(payment, "capture")

    first = services.payment_notification_apply(event=capture)
    again = [services.payment_notification_apply(event=capture).outcome for _ in range(9)]

    invoice.refresh_from_db()
    payment.refresh_from_db()
    assert first.outcome == NotificationOutcome.APPLIED
    assert again == [NotificationOutcome.DUPLICATE] * 9
    assert PaymentEvent.objects.filter(payment=payment).count() == 1
    assert (invoice.status, payment.status) == (InvoiceStatus.PAID, PaymentStatus.CAPTURED)
    assert invoice_balance(invoice=invoice).captured == Decimal("30.00")


def test_refund_before_its_capture_is_held_then_applied_once_after_it():
    invoice = f.invoice(prices=("40.00",))
    payment = f.checkout(invoice)
    refund = f.event(payment, "refund", "15.00", refund_reference="R-at-provider")
    capture = f.event(payment, "capture")

    held = services.payment_notification_apply(event=refund)
    held_again = services.payment_notification_apply(event=refund)
    assert (held.outcome, held_again.outcome) == (NotificationOutcome.HELD, NotificationOutcome.DUPLICATE)
    assert invoice_balance(invoice=invoice).refunded == Decimal("0.00")

    services.payment_notification_apply(event=capture)
    after = services.payment_notification_apply(event=refund)

    balance = invoice_balance(invoice=invoice)
    invoice.refresh_from_db()
    assert after.outcome == NotificationOutcome.DUPLICATE
    assert (balance.captured, balance.refunded) == (Decimal("40.00"), Decimal("15.00"))
    assert invoice.status == InvoiceStatus.PARTIALLY_REFUNDED
    assert HeldEvent.objects.get().applied_at is not None
    assert Refund.objects.get().status == RefundStatus.SUCCEEDED  # a refund made at the provider gets its row


def test_unknown_reference_is_rejected_and_changes_nothing():
    invoice = f.invoice()
    payment = f.checkout(invoice)
    forged = f.event(payment, "capture")
    forged = forged.__class__(**{**forged.__dict__, "reference": "P-nobody"})

    with pytest.raises(NotificationRejected) as refused:
        services.payment_notification_apply(event=forged)

    assert refused.value.reason == NotificationRejected.UNKNOWN_REFERENCE
    assert PaymentEvent.objects.count() == 0


def test_event_for_another_provider_reference_is_rejected():
    invoice = f.invoice()
    payment = f.checkout(invoice)
    other = f.event(payment, "capture")
    other = other.__class__(**{**other.__dict__, "provider_reference": "SOMEONE-ELSES"})

    with pytest.raises(NotificationRejected):
        services.payment_notification_apply(event=other)
    assert PaymentEvent.objects.count() == 0


def test_a_second_capture_of_a_paid_bill_is_refunded_automatically():
    invoice = f.invoice(prices=("20.00",))
    first = f.checkout(invoice)
    services.payment_notification_apply(event=f.event(first, "capture"))
    # A late second payment of the same bill (an attempt given up here that the payer completed anyway).
    late = first.__class__.objects.create(reference="P-late", invoice=invoice, provider="sandbox",
                                          provider_reference="T-late", idempotency_key="late-key-1",
                                          amount=Decimal("20.00"), status=PaymentStatus.FAILED)
    services.payment_notification_apply(event=f.event(late, "capture"))

    refund = Refund.objects.get(payment=late)
    invoice.refresh_from_db()
    assert refund.automatic and refund.amount == Decimal("20.00")
    assert invoice.status == InvoiceStatus.PAID


def test_balances_are_sums_of_events():
    invoice = f.invoice(prices=("50.00", "12.30"))
    payment = f.checkout(invoice)
    services.payment_notification_apply(event=f.event(payment, "capture"))
    services.payment_notification_apply(event=f.event(payment, "refund", "10.00", refund_reference="r1"))
    services.payment_notification_apply(event=f.event(payment, "refund", "2.30", refund_reference="r2"))

    balance = invoice_balance(invoice=invoice)
    captured = sum(e.amount for e in PaymentEvent.objects.filter(kind="capture"))
    refunded = sum(e.amount for e in PaymentEvent.objects.filter(kind="refund"))
    assert (balance.captured, balance.refunded) == (captured, refunded) == (Decimal("62.30"), Decimal("12.30"))
    assert balance.net_paid == Decimal("50.00")


def test_payment_events_cannot_be_updated_or_deleted():
    require_postgres()
    invoice = f.invoice()
    payment = f.checkout(invoice)
    services.payment_notification_apply(event=f.event(payment, "capture"))
    row = PaymentEvent.objects.get()

    with pytest.raises(IntegrityError), transaction.atomic():
        PaymentEvent.objects.filter(pk=row.pk).update(amount=Decimal("0.01"))
    with pytest.raises(IntegrityError), transaction.atomic():
        PaymentEvent.objects.filter(pk=row.pk).delete()
    assert PaymentEvent.objects.get().amount == row.amount


def test_automatic_refunds_asked_by_two_rules_never_give_back_more_than_was_paid(django_capture_on_commit_callbacks):
    from payments.services.ledger import refund_automatic

    invoice = f.invoice(prices=("25.00",))
    payment = f.checkout(invoice)
    services.payment_notification_apply(event=f.sandbox_pay(payment))

    with transaction.atomic():
        first = refund_automatic(invoice=invoice, payment=payment, amount=Decimal("25.00"), reason="cancelled in time",
                                 request_key="appointment-cancelled:x")
        second = refund_automatic(invoice=invoice, payment=payment, amount=Decimal("25.00"), reason="released",
                                  request_key="released:x")

    assert first.amount == Decimal("25.00") and second is None
    assert Refund.objects.count() == 1
