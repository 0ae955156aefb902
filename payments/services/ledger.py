"""The ledger: applying what a provider says happened (notifications, API answers, query results) exactly once,
in the right order, and what follows from it (the bill paid, the booking confirmed or released, the insurer's
claim, refunds of money that should not have been taken).

Rules kept here:
- (provider, event_id) is applied once: the PaymentEvent unique constraint, checked under the Invoice lock.
- A refund is applied only after the capture it gives back: a refund notice that arrives first is held
  (HeldEvent) and applied, once, when the capture arrives.
- Money a provider says it took is always recorded. A capture on a bill that is void or already paid is
  refunded automatically (an automatic Refund, sent after commit).

Locks: Invoice → Payment (by primary key) → Refund, the order of payments.services.invoices. Appointment rows are
locked after them, by appointments' own services; appointments never locks a bill, so there is no cycle.
"""

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.outbox import enqueue
from payments.models import (
    ClaimStatus,
    EventKind,
    HeldEvent,
    InsuranceClaim,
    Invoice,
    InvoiceSource,
    InvoiceStatus,
    NotificationOutcome,
    Payment,
    PaymentEvent,
    PaymentStatus,
    Refund,
    RefundStatus,
)
from payments.notify import invoice_notify
from payments.providers.base import EventKind as ProviderEventKind
from payments.providers.base import ProviderEvent
from payments.providers.errors import NotificationRejected
from payments.selectors import invoice_balance, payment_balance
from payments.signals import invoice_paid

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ApplyResult:
    outcome: str  # NotificationOutcome: applied, duplicate or held
    payment: Payment


def event_to_data(event: ProviderEvent) -> dict:
    return {"provider": event.provider, "event_id": event.event_id, "kind": str(event.kind), "reference": event.reference,
            "provider_reference": event.provider_reference, "amount": str(event.amount), "currency": event.currency,
            "occurred_at": event.occurred_at.isoformat(), "refund_reference": event.refund_reference,
            "detail": event.detail}


def event_from_data(data: dict) -> ProviderEvent:
    return ProviderEvent(provider=data["provider"], event_id=data["event_id"], kind=ProviderEventKind(data["kind"]),
                         reference=data["reference"], provider_reference=data["provider_reference"],
                         amount=Decimal(data["amount"]), currency=data["currency"],
                         occurred_at=parse_datetime(data["occurred_at"]), refund_reference=data.get("refund_reference", ""),
                         detail=data.get("detail", ""))


def _json_safe(raw) -> dict:
    try:
        return {str(k): (v if isinstance(v, (str, int, float, bool, type(None))) else str(v)) for k, v in dict(raw).items()}
    except (TypeError, ValueError):
        return {}


def payment_notification_apply(*, event: ProviderEvent) -> ApplyResult:
    """Apply one provider event to the ledger: idempotent on (provider, event_id), order-correct.

    The payment is found by our reference (and must belong to the event's provider, with the same provider
    reference once we know it); otherwise NotificationRejected(unknown_reference) and nothing changes.
    Locks the Invoice, then the Payment: concurrent deliveries of one event queue on the invoice and the second
    finds the first's row (the unique constraint stands behind it).
    """
    found = Payment.objects.filter(reference=event.reference).values("pk", "invoice_id", "provider",
                                                                      "provider_reference").first()
    if (found is None or found["provider"] != event.provider
            or (found["provider_reference"] and event.provider_reference
                and found["provider_reference"] != event.provider_reference)):
        raise NotificationRejected(NotificationRejected.UNKNOWN_REFERENCE, _("No payment with this reference."))
    if event.currency != "CNY" or event.amount < 0:
        raise NotificationRejected(NotificationRejected.MALFORMED, _("The notification's amount is not valid."))
    with transaction.atomic():
        invoice = Invoice.objects.select_for_update().get(pk=found["invoice_id"])
        payment = Payment.objects.select_for_update().get(pk=found["pk"])
        return apply_locked(invoice=invoice, payment=payment, event=event)


def apply_locked(*, invoice: Invoice, payment: Payment, event: ProviderEvent, from_held: bool = False) -> ApplyResult:
    """payment_notification_apply's work; the caller holds the Invoice and Payment locks in a transaction."""
    if PaymentEvent.objects.filter(provider=event.provider, event_id=event.event_id).exists():
        return ApplyResult(NotificationOutcome.DUPLICATE, payment)
    if not from_held and HeldEvent.objects.filter(provider=event.provider, event_id=event.event_id).exists():
        return ApplyResult(NotificationOutcome.DUPLICATE, payment)
    kind = EventKind(str(event.kind))
    if kind == EventKind.REFUND and not payment.events.filter(kind=EventKind.CAPTURE).exists():
        # A refund notice before its capture: keep it until the capture is known (applied then, once).
        HeldEvent.objects.create(payment=payment, provider=event.provider, event_id=event.event_id, kind=kind,
                                 data=event_to_data(event), waiting_for=EventKind.CAPTURE)
        return ApplyResult(NotificationOutcome.HELD, payment)

    if not payment.provider_reference and event.provider_reference:
        payment.provider_reference = event.provider_reference[:100]
    refund = _refund_of(payment, event) if kind == EventKind.REFUND else None
    try:
        with transaction.atomic():
            PaymentEvent.objects.create(
                payment=payment, provider=event.provider, event_id=event.event_id[:100], kind=kind, amount=event.amount,
                currency=event.currency, occurred_at=event.occurred_at, refund=refund, detail=(event.detail or "")[:300],
                raw=_json_safe(event.raw))
    except IntegrityError:  # the unique (provider, event_id) caught a concurrent writer the lock did not serialise
        return ApplyResult(NotificationOutcome.DUPLICATE, payment)

    _payment_state_follow(payment, kind, event)
    if refund is not None and refund.status != RefundStatus.SUCCEEDED:
        refund.status = RefundStatus.SUCCEEDED
        refund.completed_at = timezone.now()
        refund.save(update_fields=["status", "completed_at"])
        # The people who paid are told the money is on its way back (once per refund; a bill may have several).
        invoice_notify(invoice=invoice, event="refunded", once_per=refund.reference, title=gettext_lazy("Refund made"),
                       body=gettext_lazy("We refunded ¥%(amount)s of bill %(number)s for %(patient)s to the account it "
                                         "was paid from. %(reason)s"),
                       params={"amount": refund.amount, "reason": refund.reason})
    invoice_status_refresh(invoice=invoice)

    if kind in (EventKind.CAPTURE, EventKind.AUTHORISE):
        _booking_follow_payment(invoice, payment)
    if kind == EventKind.CAPTURE:
        _refund_overpayment(invoice, payment, event)
        for held in HeldEvent.objects.filter(payment=payment, applied_at=None).order_by("received_at", "pk"):
            apply_locked(invoice=invoice, payment=payment, event=event_from_data(held.data), from_held=True)
            held.applied_at = timezone.now()
            held.save(update_fields=["applied_at"])
    if kind == EventKind.FAIL:
        _booking_follow_failure(invoice, payment)
    return ApplyResult(NotificationOutcome.APPLIED, payment)


def _refund_of(payment: Payment, event: ProviderEvent) -> Refund:
    """The Refund a refund event completes: ours by refund_reference, or a new row for a refund made at the
    provider directly (so that every refund in the ledger has a reason and a row in the admin)."""
    if event.refund_reference:
        refund = Refund.objects.select_for_update().filter(reference=event.refund_reference, payment=payment).first()
        if refund is not None:
            return refund
    return Refund.objects.create(
        reference=f"R{uuid.uuid4().hex[:20]}", invoice_id=payment.invoice_id, payment=payment, amount=event.amount,
        reason=_("Refunded at the provider (%(provider)s)") % {"provider": event.provider},
        request_key=f"provider:{event.provider}:{event.event_id}"[:100], automatic=True, status=RefundStatus.PENDING,
        sent_at=timezone.now())


def _payment_state_follow(payment: Payment, kind: str, event: ProviderEvent) -> None:
    """Move the payment's status as the event says. A capture is final: a late authorise, fail or cancel for the
    same payment is recorded in the ledger but does not move it back."""
    status = payment.status
    if kind == EventKind.CAPTURE:
        status = PaymentStatus.CAPTURED
    elif status != PaymentStatus.CAPTURED:
        if kind == EventKind.AUTHORISE:
            status = PaymentStatus.AUTHORISED
        elif kind == EventKind.FAIL:
            status = PaymentStatus.FAILED
        elif kind == EventKind.CANCEL:
            status = PaymentStatus.CANCELLED
    if kind in (EventKind.FAIL, EventKind.CANCEL) and event.detail:
        payment.detail = event.detail[:300]
    payment.status = status
    payment.save(update_fields=["status", "provider_reference", "detail", "updated_at"])


def invoice_status_refresh(*, invoice: Invoice) -> Invoice:
    """Set the bill's status from its balance (the caller holds its lock):
    what was captured minus refunded covers the patient's share → paid (the claim is submitted and invoice_paid
    sent after commit); else, after refunds, refunded / partly refunded; else issued (to pay).
    Draft and void bills keep their status."""
    if invoice.status in (InvoiceStatus.DRAFT, InvoiceStatus.VOID):
        return invoice
    balance = invoice_balance(invoice=invoice)
    if balance.net_paid >= balance.patient_due:  # paid (a second payment given back keeps it paid)
        status = InvoiceStatus.PAID
    elif balance.refunded > 0:
        status = InvoiceStatus.REFUNDED if balance.net_paid <= 0 else InvoiceStatus.PARTIALLY_REFUNDED
    else:
        status = InvoiceStatus.ISSUED
    if status == invoice.status:
        return invoice
    previous, invoice.status = invoice.status, status
    fields = ["status"]
    if status == InvoiceStatus.PAID and previous == InvoiceStatus.ISSUED:
        invoice.paid_at = timezone.now()
        fields.append("paid_at")
        _claim_submit(invoice, balance.insurer_due)
        paid = invoice
        transaction.on_commit(lambda: invoice_paid.send(sender=Invoice, invoice=paid))
        if balance.captured > 0:
            invoice_notify(invoice=invoice, event="paid", title=gettext_lazy("Payment received"),
                           body=gettext_lazy("We received the payment of bill %(number)s for %(patient)s. Thank you."))
    invoice.save(update_fields=fields)
    return invoice


def _claim_submit(invoice: Invoice, insurer_due: Decimal) -> None:
    """Claim the insurer's share once the patient has paid theirs; the insurer adapter settles it in the
    background (payments.tasks.claim_settle)."""
    if invoice.coverage_id is None or insurer_due <= 0 or InsuranceClaim.objects.filter(invoice=invoice).exists():
        return
    deductible = sum((line.deductible_applied for line in invoice.lines.all()), Decimal("0.00"))
    claim = InsuranceClaim.objects.create(invoice=invoice, coverage_id=invoice.coverage_id,
                                          year=timezone.localtime(invoice.issued_at or timezone.now()).year,
                                          insurer_share=insurer_due, deductible_applied=deductible)
    from payments import tasks

    enqueue(tasks.claim_settle, claim.pk)


# --- What follows for the booking ------------------------------------------------------------------------

def _appointment_of(invoice: Invoice):
    if invoice.source != InvoiceSource.APPOINTMENT or invoice.source_ref is None:
        return None
    from appointments.models import Appointment

    return Appointment.objects.filter(public_id=invoice.source_ref).first()


def _booking_follow_payment(invoice: Invoice, payment: Payment) -> None:
    """A registration fee paid (or pre-authorised in full) confirms the held appointment. If the hold was
    already released, the number may be someone else's: the money is refunded automatically."""
    from appointments.models import AppointmentStatus

    appointment = _appointment_of(invoice)
    # Only a hold is confirmed; one already confirmed, seen or completed is left alone (a capture after the visit).
    if appointment is None or appointment.status not in (AppointmentStatus.HELD, AppointmentStatus.EXPIRED):
        return
    balance = payment_balance(payment=payment)
    covered = invoice.status == InvoiceStatus.PAID or (
        payment.status == PaymentStatus.AUTHORISED and balance.authorised >= invoice_balance(invoice=invoice).patient_due)
    if not covered:
        return
    from appointments.errors import InvalidTransitionError
    from appointments.services import appointment_confirm

    try:
        with transaction.atomic():
            appointment_confirm(appointment=appointment)
    except InvalidTransitionError:
        if payment.status == PaymentStatus.CAPTURED:
            refund_automatic(invoice=invoice, payment=payment, amount=balance.refundable,
                             reason=_("The number was released before the payment arrived."),
                             request_key=f"released:{payment.reference}")
        elif payment.status == PaymentStatus.AUTHORISED:
            from payments import tasks

            enqueue(tasks.payment_cancel_authorisation, payment.pk)


def _booking_follow_failure(invoice: Invoice, payment: Payment) -> None:
    """A failed registration payment releases the held number (its expiry would, later)."""
    appointment = _appointment_of(invoice)
    if appointment is None or invoice.status != InvoiceStatus.ISSUED:
        return
    from appointments.errors import InvalidTransitionError
    from appointments.models import AppointmentStatus
    from appointments.services import appointment_release

    if appointment.status != AppointmentStatus.HELD:
        return
    try:
        with transaction.atomic():
            appointment_release(appointment=appointment, reason=_("Payment failed"))
    except InvalidTransitionError:
        pass  # confirmed or cancelled meanwhile: nothing to release


# --- Money that should not have been taken ------------------------------------------------------------

def _refund_overpayment(invoice: Invoice, payment: Payment, event: ProviderEvent) -> None:
    """A capture on a void bill, or beyond what the patient owes (two payments of one bill), is given back."""
    balance = invoice_balance(invoice=invoice)
    if invoice.status == InvoiceStatus.VOID:
        excess = balance.refundable
        reason = _("The bill was cancelled before the payment arrived.")
    else:
        excess = min(balance.captured - balance.refunded - balance.refund_pending - balance.patient_due,
                     payment_balance(payment=payment).refundable)
        reason = _("Paid twice: the second payment is refunded.")
    if excess > 0:
        refund_automatic(invoice=invoice, payment=payment, amount=excess, reason=reason,
                         request_key=f"overpaid:{event.provider}:{event.event_id}")


def refund_automatic(*, invoice: Invoice, payment: Payment, amount: Decimal, reason: str, request_key: str) -> Refund | None:
    """Create an automatic refund (the caller holds Invoice → Payment) and send it after commit. Once per
    request_key: a second call returns the first refund. At most what can still be refunded."""
    existing = Refund.objects.filter(request_key=request_key[:100]).first()
    if existing is not None:
        return existing
    # Never more than can still be given back, whichever automatic rules asked first.
    amount = min(amount, invoice_balance(invoice=invoice).refundable, payment_balance(payment=payment).refundable)
    if amount <= 0:
        return None
    refund = Refund.objects.create(reference=f"R{uuid.uuid4().hex[:20]}", invoice=invoice, payment=payment,
                                   amount=amount, reason=reason[:300], request_key=request_key[:100], automatic=True)
    from payments import tasks

    enqueue(tasks.refund_send, refund.pk)
    return refund


def claim_decided(*, claim: InsuranceClaim, settled: bool, message: str = "", at: datetime | None = None) -> InsuranceClaim:
    """Record the insurer's answer. Locks Invoice → (claim). A rejected claim's share becomes the patient's to
    pay: the bill goes back to 'to pay' and the account holders are told. Deciding a decided claim again
    changes nothing."""
    with transaction.atomic():
        invoice = Invoice.objects.select_for_update().get(pk=claim.invoice_id)
        claim = InsuranceClaim.objects.select_for_update().get(pk=claim.pk)
        if claim.status != ClaimStatus.PENDING:
            return claim
        claim.status = ClaimStatus.SETTLED if settled else ClaimStatus.REJECTED
        claim.message = (message or "")[:300]
        claim.decided_at = at or timezone.now()
        claim.save(update_fields=["status", "message", "decided_at"])
        if not settled:
            invoice_status_refresh(invoice=invoice)
            invoice_notify(invoice=invoice, event="claim-rejected", sms=True,
                           title=gettext_lazy("Insurance did not pay"),
                           body=gettext_lazy("The insurer did not pay its share of bill %(number)s for %(patient)s "
                                             "(%(message)s). ¥%(amount)s is now yours to pay."),
                           params={"message": claim.message, "amount": claim.insurer_share})
    return claim
