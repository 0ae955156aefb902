"""Refunds: asked for by staff (an admin's partial refund with a reason) or automatically (an appointment
cancelled in time, a session the hospital cancelled, money taken twice or on a cancelled bill).

Rules: never more than what was paid and not yet refunded (pending refunds count), never on a void bill, never
twice for the same request (Refund.request_key is unique). Locks Invoice → Payment → Refund. The provider is
asked after the rows are committed (refund_send), so a slow provider never holds the bill's lock; a refund it
does not answer stays pending until the query job hears of it.
"""

import uuid
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from core.errors import PermissionRefused, ValidationFailed
from payments.errors import RefundDuplicateError, RefundRefusedError, RefundTooLargeError
from payments.models import (
    DESK_PROVIDER,
    EventKind,
    Invoice,
    InvoiceStatus,
    Payment,
    PaymentEvent,
    Refund,
    RefundStatus,
)
from payments.providers import provider_get
from payments.providers.base import EventKind as ProviderEventKind
from payments.providers.errors import ProviderDeclined, ProviderUnavailable
from payments.selectors import invoice_balance, payment_balance
from payments.services.checkout import desk_event
from payments.services.ledger import apply_locked, payment_notification_apply, refund_automatic

FEN = Decimal("0.01")


def check_may_refund(user: User) -> None:
    if not (user.is_superuser or user.has_perm("payments.add_refund")):
        raise PermissionRefused(_("Only finance staff can refund a payment."))


def refund_request(*, invoice: Invoice, amount: Decimal, reason: str, by: User, request_key: str,
                   send: bool = True) -> Refund:
    """Refund `amount` of what was paid on `invoice`, with a reason. Needs payments.add_refund.

    Refused with a message: a void bill (RefundRefusedError), more than can still be refunded
    (RefundTooLargeError, which names the most), the same request twice (RefundDuplicateError). The money
    comes back from the most recent captured payment that can still give all of it. Locks Invoice → Payment.
    With `send` the provider is asked at once (after commit); the answer is applied like its notification.
    """
    check_may_refund(by)
    reason = (reason or "").strip()
    errors = {}
    if not reason:
        errors["reason"] = [_("Say why the money is refunded.")]
    try:
        amount = Decimal(amount)
    except (TypeError, ArithmeticError):
        amount = Decimal(-1)
    if amount <= 0 or amount != amount.quantize(FEN):
        errors["amount"] = [_("Enter an amount in yuan above zero, with at most two decimals.")]
    request_key = (request_key or "").strip()
    if not request_key:
        errors["request_key"] = [_("Send a unique key with each refund request.")]
    if errors:
        raise ValidationFailed(errors=errors)
    with transaction.atomic():
        invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
        if Refund.objects.filter(request_key=request_key[:100]).exists():
            raise RefundDuplicateError()
        if invoice.status in (InvoiceStatus.VOID, InvoiceStatus.DRAFT):
            raise RefundRefusedError(_("This bill was cancelled or never issued: there is nothing to refund."))
        refundable = invoice_balance(invoice=invoice).refundable
        if amount > refundable:
            raise RefundTooLargeError(
                _("At most ¥%(refundable)s of this bill can still be refunded.") % {"refundable": refundable},
                errors={"amount": [_("At most ¥%(refundable)s.") % {"refundable": refundable}]})
        payment = _payment_to_refund(invoice, amount)
        if payment is None:
            raise RefundTooLargeError(_("No single payment of this bill can give back ¥%(amount)s. Refund each payment "
                                        "separately.") % {"amount": amount})
        refund = Refund.objects.create(reference=f"R{uuid.uuid4().hex[:20]}", invoice=invoice, payment=payment,
                                       amount=amount, reason=reason[:300], request_key=request_key[:100],
                                       requested_by=by)
    if send:
        refund = refund_send(refund=refund)
    return refund


def _captured_payments_locked(invoice: Invoice):
    """The invoice's payments that captured money, locked (FOR UPDATE cannot take DISTINCT, hence the subquery)."""
    captured = PaymentEvent.objects.filter(payment__invoice=invoice, kind=EventKind.CAPTURE).values("payment_id")
    return Payment.objects.select_for_update().filter(invoice=invoice, pk__in=captured)


def _payment_to_refund(invoice: Invoice, amount: Decimal) -> Payment | None:
    for payment in _captured_payments_locked(invoice).order_by("-pk"):
        if payment_balance(payment=payment).refundable >= amount:
            return payment
    return None


def refund_send(*, refund: Refund) -> Refund:
    """Ask the provider to give `refund` back (once: ``sent_at`` is set under the lock before asking).

    Front desk payments are given back at the counter and recorded at once. The provider's answer is applied to
    the ledger as its notification would be (the same event_id, so the notification is then a duplicate). A
    decline marks the refund failed; no answer leaves it pending for the query job. Locks Invoice → Payment →
    Refund.
    """
    with transaction.atomic():
        invoice = Invoice.objects.select_for_update().get(pk=refund.invoice_id)
        payment = Payment.objects.select_for_update().get(pk=refund.payment_id)
        refund = Refund.objects.select_for_update().get(pk=refund.pk)
        if refund.status != RefundStatus.PENDING or refund.sent_at is not None:
            return refund
        refund.sent_at = timezone.now()
        refund.save(update_fields=["sent_at"])
        if payment.provider == DESK_PROVIDER:
            apply_locked(invoice=invoice, payment=payment,
                         event=desk_event(payment, ProviderEventKind.REFUND, refund.amount, refund_reference=refund.reference))
            refund.refresh_from_db()
            return refund
    # Committed as sent: asked once, outside the locks.
    try:
        event = provider_get(payment.provider).refund(provider_reference=payment.provider_reference, amount=refund.amount,
                                                      refund_reference=refund.reference, reason=refund.reason)
    except ProviderUnavailable as exc:
        Refund.objects.filter(pk=refund.pk).update(detail=str(exc.message)[:300])
    except ProviderDeclined as exc:
        Refund.objects.filter(pk=refund.pk, status=RefundStatus.PENDING).update(
            status=RefundStatus.FAILED, detail=str(exc.message)[:300], completed_at=timezone.now())
    else:
        payment_notification_apply(event=event)
    refund.refresh_from_db()
    return refund


def refund_for_cancelled_appointment(*, appointment, reason: str) -> Refund | None:
    """Give back what was paid for `appointment`'s registration fee (an automatic refund, once per appointment).
    An unpaid bill is cancelled instead. Locks Invoice → Payment."""
    from payments.models import InvoiceSource
    from payments.services.invoices import invoice_void

    invoice = (Invoice.objects.filter(source=InvoiceSource.APPOINTMENT, source_ref=appointment.public_id)
               .exclude(status=InvoiceStatus.VOID).first())
    if invoice is None:
        return None
    with transaction.atomic():
        invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
        balance = invoice_balance(invoice=invoice)
        if balance.captured <= 0:
            if invoice.status == InvoiceStatus.ISSUED:
                invoice_void(invoice=invoice, reason=reason)
            return None
        refund = None
        for payment in _captured_payments_locked(invoice).order_by("pk"):
            left = payment_balance(payment=payment).refundable
            refund = refund_automatic(invoice=invoice, payment=payment, amount=left, reason=reason,
                                      request_key=f"appointment-cancelled:{appointment.public_id}:{payment.reference}") or refund
    return refund
