"""Acceptance 5 and the query job: reconciliation finds each seeded mismatch and nothing else; payments nobody
heard back about are resolved by asking the provider, never guessed."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import override_settings
from django.utils import timezone

from payments import services
from payments.models import (
    ClaimStatus,
    InsuranceClaim,
    InvoiceStatus,
    LineCategory,
    MismatchKind,
    Payment,
    PaymentStatus,
    ReconciliationMismatch,
    Refund,
    RefundStatus,
)
from payments.providers.base import EventKind, ProviderEvent
from payments.sandbox import services as sandbox
from payments.sandbox.models import SandboxTransaction
from payments.selectors import invoice_balance
from tests.appointments import factories as booking
from tests.payments import factories as f

pytestmark = pytest.mark.django_db


def _sandbox_event(payment: Payment, kind: str) -> ProviderEvent:
    tx = SandboxTransaction.objects.select_related("checkout").filter(checkout__reference=payment.reference,
                                                                      kind=kind).latest("pk")
    return sandbox.event_from_transaction(tx)


def _forged(event: ProviderEvent, **changes) -> ProviderEvent:
    return ProviderEvent(**{**event.__dict__, **changes})


def test_reconciliation_finds_each_seeded_mismatch_and_nothing_else():
    # Matched: paid and notified (a capture), and a partial refund of it (a refund).
    matched = f.checkout(f.invoice(prices=("30.00",)))
    services.payment_notification_apply(event=f.sandbox_pay(matched))
    staff = booking.user()
    staff.is_superuser = True
    staff.save(update_fields=["is_superuser"])
    services.refund_request(invoice=matched.invoice, amount=Decimal("5.00"), reason="test", by=staff,
                            request_key="matched-refund")
    # Missing locally: paid at the sandbox, its notification lost.
    lost = f.checkout(f.invoice(prices=("41.00",)))
    sandbox.checkout_act(provider_reference=lost.provider_reference, action="pay", simulate="lost")
    lost_event = _sandbox_event(lost, "capture")
    # Missing at the provider: a capture in our ledger the sandbox never made.
    phantom = f.checkout(f.invoice(prices=("12.00",)))
    services.payment_notification_apply(event=f.event(phantom, "capture", event_id="phantom-capture"))
    # Amount differs: the sandbox's capture recorded for another amount.
    differs = f.checkout(f.invoice(prices=("88.00",)))
    real = f.sandbox_pay(differs)
    services.payment_notification_apply(event=_forged(real, amount=Decimal("80.00")))
    # Kind differs: the sandbox's refund recorded here as a capture.
    kind = f.checkout(f.invoice(prices=("64.00",)))
    services.payment_notification_apply(event=f.sandbox_pay(kind))
    sandbox.checkout_refund(provider_reference=kind.provider_reference, amount=Decimal("4.00"),
                            refund_reference="R-kind", reason="test")
    refund_at_provider = _sandbox_event(kind, "refund")
    services.payment_notification_apply(event=_forged(refund_at_provider, kind=EventKind.CAPTURE, refund_reference=""))

    run = services.reconciliation_run(provider_name="sandbox", day=timezone.localdate())

    found = set(ReconciliationMismatch.objects.filter(run=run).values_list("kind", "event_id"))
    assert found == {
        (MismatchKind.MISSING_LOCALLY, lost_event.event_id),
        (MismatchKind.MISSING_AT_PROVIDER, "phantom-capture"),
        (MismatchKind.AMOUNT_DIFFERS, real.event_id),
        (MismatchKind.STATUS_DIFFERS, refund_at_provider.event_id),
    }
    assert run.mismatches == 4
    differs_row = ReconciliationMismatch.objects.get(run=run, kind=MismatchKind.AMOUNT_DIFFERS)
    assert (differs_row.provider_amount, differs_row.ledger_amount) == (Decimal("88.00"), Decimal("80.00"))
    assert all(row.what_to_do for row in ReconciliationMismatch.objects.filter(run=run))


def test_reconciliation_of_a_day_without_differences_records_none():
    payment = f.checkout(f.invoice(prices=("30.00",)))
    services.payment_notification_apply(event=f.sandbox_pay(payment))

    run = services.reconciliation_run(provider_name="sandbox", day=timezone.localdate())

    assert (run.provider_rows, run.ledger_rows, run.mismatches) == (1, 1, 0)


@override_settings(PAYMENT_QUERY_AFTER_SECONDS=0)
def test_a_lost_notification_is_found_by_the_query_job():
    invoice = f.invoice(prices=("41.00",))
    payment = f.checkout(invoice)
    sandbox.checkout_act(provider_reference=payment.provider_reference, action="pay", simulate="lost")

    report = services.payments_pending_resolve()

    invoice.refresh_from_db()
    assert report.events_applied == 1
    assert invoice.status == InvoiceStatus.PAID
    assert Payment.objects.get(pk=payment.pk).status == PaymentStatus.CAPTURED


@override_settings(PAYMENT_QUERY_AFTER_SECONDS=0)
def test_a_provider_that_does_not_answer_leaves_the_payment_pending_until_it_does():
    invoice = f.invoice(prices=("41.00",))
    payment = f.checkout(invoice)
    sandbox.checkout_act(provider_reference=payment.provider_reference, action="pay", simulate="timeout")

    first = services.payments_pending_resolve()  # the query times out: nothing is guessed
    assert (first.unavailable, Payment.objects.get(pk=payment.pk).status) == (1, PaymentStatus.OPEN)
    second = services.payments_pending_resolve()

    assert second.events_applied == 1
    assert Payment.objects.get(pk=payment.pk).status == PaymentStatus.CAPTURED


@override_settings(PAYMENT_QUERY_AFTER_SECONDS=0)
def test_a_refund_whose_answer_was_lost_is_pending_then_resolved_by_the_query_job():
    invoice = f.invoice(prices=("50.00",))
    payment = f.checkout(invoice)
    sandbox.checkout_act(provider_reference=payment.provider_reference, action="pay", simulate="timeout")
    services.payment_notification_apply(event=_sandbox_event(payment, "capture"))
    staff = booking.user()
    staff.is_superuser = True
    staff.save(update_fields=["is_superuser"])

    refund = services.refund_request(invoice=invoice, amount=Decimal("50.00"), reason="test", by=staff,
                                     request_key="refund-timeout")
    assert refund.status == RefundStatus.PENDING  # the sandbox did it, but its answer never came
    services.payments_pending_resolve()

    refund.refresh_from_db()
    invoice.refresh_from_db()
    assert refund.status == RefundStatus.SUCCEEDED
    assert invoice.status == InvoiceStatus.REFUNDED and invoice_balance(invoice=invoice).refunded == Decimal("50.00")


@override_settings(PAYMENT_QUERY_AFTER_SECONDS=0)
def test_an_expired_checkout_the_provider_knows_nothing_of_is_marked_expired_and_can_be_paid_again():
    invoice = f.invoice(prices=("9.90",))
    payment = f.checkout(invoice)
    later = timezone.now() + timedelta(minutes=30)

    report = services.payments_pending_resolve(now=later)

    assert report.expired == 1 and Payment.objects.get(pk=payment.pk).status == PaymentStatus.EXPIRED
    assert f.checkout(invoice).pk != payment.pk


@override_settings(PAYMENT_QUERY_AFTER_SECONDS=0)
def test_an_open_checkout_still_in_time_is_left_alone():
    payment = f.checkout(f.invoice(prices=("9.90",)))
    report = services.payments_pending_resolve()
    assert (report.asked, report.expired) == (1, 0)
    assert Payment.objects.get(pk=payment.pk).status == PaymentStatus.OPEN


def test_pre_authorised_payment_is_captured_after_the_visit():
    invoice = f.invoice(prices=("20.00",))
    payment = f.checkout(invoice, capture=False)
    sandbox.checkout_act(provider_reference=payment.provider_reference, action="pay")
    services.payment_notification_apply(event=_sandbox_event(payment, "authorise"))
    invoice.refresh_from_db()
    assert (Payment.objects.get(pk=payment.pk).status, invoice.status) == (PaymentStatus.AUTHORISED, InvoiceStatus.ISSUED)

    services.payment_capture(payment=payment)

    invoice.refresh_from_db()
    assert (Payment.objects.get(pk=payment.pk).status, invoice.status) == (PaymentStatus.CAPTURED, InvoiceStatus.PAID)
    assert Refund.objects.count() == 0


def test_capturing_a_payment_that_was_never_authorised_is_refused():
    payment = f.checkout(f.invoice(prices=("20.00",)))
    from payments.errors import PaymentStateError

    with pytest.raises(PaymentStateError):
        services.payment_capture(payment=payment)


# --- Work whose task was lost (a worker killed between taking a message and recording it) -------------------------

@override_settings(PAYMENT_QUERY_AFTER_SECONDS=0)
def test_a_refund_whose_send_task_was_lost_is_sent_by_the_query_job_once():
    invoice = f.invoice(prices=("50.00",))
    payment = f.checkout(invoice)
    services.payment_notification_apply(event=f.sandbox_pay(payment))
    staff = booking.user()
    staff.is_superuser = True
    staff.save(update_fields=["is_superuser"])
    refund = services.refund_request(invoice=invoice, amount=Decimal("20.00"), reason="test", by=staff,
                                     request_key="refund-lost", send=False)  # created; its task never ran
    assert (refund.status, refund.sent_at) == (RefundStatus.PENDING, None)

    report = services.payments_pending_resolve()

    refund.refresh_from_db()
    assert report.refunds_sent == 1
    assert refund.status == RefundStatus.SUCCEEDED and refund.sent_at is not None
    assert invoice_balance(invoice=invoice).refunded == Decimal("20.00")
    assert services.payments_pending_resolve().refunds_sent == 0  # sent once, never twice
    assert invoice_balance(invoice=invoice).refunded == Decimal("20.00")


@override_settings(PAYMENT_QUERY_AFTER_SECONDS=0)
def test_a_claim_whose_settle_task_was_lost_is_put_to_the_insurer_by_the_query_job():
    patient = f.patient()
    f.cover(patient, f.plan(ratios={LineCategory.DRUG: "0.70"}))
    invoice = f.invoice(who=patient, prices=("100.00",))
    services.payment_notification_apply(event=f.sandbox_pay(f.checkout(invoice)))  # on-commit hooks do not run here
    claim = InsuranceClaim.objects.get(invoice=invoice)
    assert claim.status == ClaimStatus.PENDING  # submitted; its settle task never ran

    report = services.payments_pending_resolve()

    claim.refresh_from_db()
    assert report.claims_settled == 1 and claim.status == ClaimStatus.SETTLED
    assert services.payments_pending_resolve().claims_settled == 0


def test_the_query_job_leaves_a_refund_and_a_claim_younger_than_the_query_delay_to_their_tasks():
    patient = f.patient()
    f.cover(patient, f.plan(ratios={LineCategory.DRUG: "0.70"}))
    invoice = f.invoice(who=patient, prices=("100.00",))
    services.payment_notification_apply(event=f.sandbox_pay(f.checkout(invoice)))
    staff = booking.user()
    staff.is_superuser = True
    staff.save(update_fields=["is_superuser"])
    refund = services.refund_request(invoice=invoice, amount=Decimal("10.00"), reason="test", by=staff,
                                     request_key="refund-young", send=False)

    report = services.payments_pending_resolve()

    assert (report.refunds_sent, report.claims_settled) == (0, 0)
    assert Refund.objects.get(pk=refund.pk).sent_at is None
    assert InsuranceClaim.objects.get(invoice=invoice).status == ClaimStatus.PENDING
