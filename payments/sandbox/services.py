"""What happens at the sandbox "bank": checkouts, the payer's choices, server-side calls, and notifications.

Every change takes the checkout's row lock first (SandboxCheckout, select_for_update), so two clicks on "Pay", a
click racing a server-side cancel, or two refunds at once are applied one after the other against fresh amounts.
Each change appends one SandboxTransaction (its event_id is the notification's event_id) and, after commit, hands
its delivery to Celery (core.outbox.enqueue).
"""

import csv
import io
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import ValidationFailed
from core.outbox import enqueue
from payments.providers.base import CheckoutRequest, EventKind, ProviderEvent
from payments.providers.errors import ProviderDeclined, ProviderUnavailable
from payments.sandbox import signing, tasks
from payments.sandbox.models import (
    CheckoutStatus,
    DeliveryStatus,
    SandboxCheckout,
    SandboxDelivery,
    SandboxTransaction,
    Simulate,
    TransactionKind,
)

PROVIDER = "sandbox"
CENT = Decimal("0.01")
# What a payer's click does to an open checkout, and whether the payer's own clicks can still change it.
FINAL = (CheckoutStatus.CAPTURED, CheckoutStatus.DECLINED, CheckoutStatus.CANCELLED)


def event_from_transaction(tx: SandboxTransaction) -> ProviderEvent:
    checkout = tx.checkout
    return ProviderEvent(
        provider=PROVIDER, event_id=tx.event_id, kind=EventKind(tx.kind), reference=checkout.reference,
        provider_reference=checkout.provider_reference, amount=tx.amount, currency=tx.currency,
        occurred_at=tx.occurred_at, refund_reference=tx.refund_reference, detail=tx.detail,
    )


def _absolute(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def checkout_create(*, request: CheckoutRequest) -> SandboxCheckout:
    """Open a checkout for `request`. The same reference asked again (a retry after a timeout) gets the same
    checkout back, unless its amount or mode differ, which is refused. Unique on reference (database)."""
    errors = {}
    amount = Decimal(request.amount)
    if not amount.is_finite() or amount <= 0 or amount != amount.quantize(CENT):
        errors["amount"] = [_("The amount must be more than zero, in yuan with at most two decimals.")]
    if request.currency != "CNY":
        errors["currency"] = [_("The sandbox takes payments in CNY only.")]
    if not request.reference or len(request.reference) > 64:
        errors["reference"] = [_("The reference must be 1 to 64 characters.")]
    for name in ("return_url", "notify_url"):
        if not _absolute(getattr(request, name)):
            errors[name] = [_("This must be an absolute http(s) URL.")]
    if timezone.is_naive(request.expires_at) or request.expires_at <= timezone.now():
        errors["expires_at"] = [_("The checkout must expire in the future (an aware time).")]
    if errors:
        raise ValidationFailed(errors=errors)
    fields = {"amount": amount, "currency": request.currency, "description": request.description[:300],
                  "return_url": request.return_url, "notify_url": request.notify_url, "expires_at": request.expires_at,
                  "capture": request.capture}
    existing = SandboxCheckout.objects.filter(reference=request.reference).first()
    if existing is None:
        try:
            with transaction.atomic():
                return SandboxCheckout.objects.create(reference=request.reference, **fields)
        except IntegrityError:  # created by a concurrent retry of the same request
            existing = SandboxCheckout.objects.get(reference=request.reference)
    if existing.amount != amount or existing.capture != request.capture:
        raise ProviderDeclined(_("A different checkout already exists for this reference."))
    return existing


def _transaction_add(checkout: SandboxCheckout, kind: str, amount: Decimal, *, detail: str = "",
                     refund_reference: str = "", notify: bool = True) -> SandboxTransaction:
    tx = SandboxTransaction.objects.create(checkout=checkout, kind=kind, amount=amount, currency=checkout.currency,
                                           detail=detail[:300], refund_reference=refund_reference,
                                           occurred_at=timezone.now())
    tx.checkout = checkout
    body = signing.notification_body(event_from_transaction(tx)).decode()
    delivery = SandboxDelivery.objects.create(
        transaction=tx, url=checkout.notify_url, body=body,
        status=DeliveryStatus.PENDING if notify else DeliveryStatus.SUPPRESSED,
        next_attempt_at=timezone.now() if notify else None,
    )
    if notify:
        enqueue(tasks.delivery_send, delivery.pk)
    return tx


def _locked(provider_reference: str) -> SandboxCheckout:
    checkout = SandboxCheckout.objects.select_for_update().filter(provider_reference=provider_reference).first()
    if checkout is None:
        raise ProviderDeclined(_("The payment service does not know this payment."))
    return checkout


# --- The payer's choices on the hosted page -------------------------------------------------------------------


class PayerAction:
    PAY = "pay"
    DECLINE = "decline"
    CANCEL = "cancel"
    ALL = (PAY, DECLINE, CANCEL)


def checkout_expired(checkout: SandboxCheckout) -> bool:
    return checkout.status == CheckoutStatus.OPEN and checkout.expires_at <= timezone.now()


def checkout_act(*, provider_reference: str, action: str, simulate: str = "") -> SandboxCheckout:
    """The payer pays, declines or cancels on the hosted page. Locks the checkout row: a second click (double
    submit, a second tab) finds it no longer open and changes nothing. An expired checkout cannot be paid.

    `simulate` (test switch): "lost" pays but never sends the notification (the query job must find the payment);
    "timeout" makes the next server-side call for this checkout raise ProviderUnavailable once.
    """
    if action not in PayerAction.ALL:
        raise ValidationFailed(errors={"action": [_("Choose pay, decline or cancel.")]})
    if simulate not in Simulate.values:
        raise ValidationFailed(errors={"simulate": [_("Unknown test switch.")]})
    with transaction.atomic():
        checkout = _locked(provider_reference)
        if checkout.status != CheckoutStatus.OPEN:
            return checkout  # already decided, by this payer's other click or tab
        if checkout_expired(checkout):
            raise ProviderDeclined(_("This checkout has expired. Go back to the hospital's page to pay again."))
        notify = simulate != Simulate.LOST
        checkout.simulate = simulate
        checkout.timeout_pending = simulate == Simulate.TIMEOUT
        if action == PayerAction.PAY and checkout.capture:
            checkout.status, checkout.captured_amount = CheckoutStatus.CAPTURED, checkout.amount
            _transaction_add(checkout, TransactionKind.CAPTURE, checkout.amount, notify=notify)
        elif action == PayerAction.PAY:
            checkout.status, checkout.authorised_amount = CheckoutStatus.AUTHORISED, checkout.amount
            _transaction_add(checkout, TransactionKind.AUTHORISE, checkout.amount, notify=notify)
        elif action == PayerAction.DECLINE:
            checkout.status = CheckoutStatus.DECLINED
            _transaction_add(checkout, TransactionKind.FAIL, checkout.amount, detail="Declined by the payer (sandbox test)",
                             notify=notify)
        else:
            checkout.status = CheckoutStatus.CANCELLED
            _transaction_add(checkout, TransactionKind.CANCEL, Decimal("0.00"), detail="Cancelled by the payer",
                             notify=notify)
        checkout.completed_at = timezone.now()
        checkout.save()
    return checkout


def return_url_for(checkout: SandboxCheckout) -> str:
    """Where the payer's browser goes back to, with the outcome added as real providers do."""
    result = {CheckoutStatus.CAPTURED: "paid", CheckoutStatus.AUTHORISED: "authorised",
              CheckoutStatus.DECLINED: "declined", CheckoutStatus.CANCELLED: "cancelled"}.get(checkout.status, "open")
    separator = "&" if urlsplit(checkout.return_url).query else "?"
    query = urlencode({"provider": PROVIDER, "provider_reference": checkout.provider_reference, "result": result})
    return f"{checkout.return_url}{separator}{query}"


# --- Server-side calls (the provider interface) --------------------------------------------------------------


def _timeout_once(checkout: SandboxCheckout) -> bool:
    """True (and the switch used up) when this call must look like a timeout to the caller."""
    if not checkout.timeout_pending:
        return False
    checkout.timeout_pending = False
    checkout.save(update_fields=["timeout_pending"])
    return True


def _call(provider_reference: str, work) -> ProviderEvent:
    """Run one server-side call under the checkout's lock. With the timeout switch on, the call is carried out but
    its answer is "lost": the caller gets ProviderUnavailable, as when a real provider did the work but the
    response never arrived, and must find out what happened by query or notification."""
    with transaction.atomic():
        checkout = _locked(provider_reference)
        timed_out = _timeout_once(checkout)
        event = work(checkout)
    if timed_out:
        raise ProviderUnavailable()
    return event


def _existing(checkout: SandboxCheckout, kind: str, **filters) -> SandboxTransaction | None:
    tx = checkout.transactions.filter(kind=kind, **filters).first()
    if tx is not None:
        tx.checkout = checkout
    return tx


def checkout_capture(*, provider_reference: str, amount: Decimal) -> ProviderEvent:
    """Capture an authorisation, for at most the authorised amount (the rest is released). Asking again with the
    same amount returns the same capture (same event_id); a captured checkout is never captured twice (database)."""

    def work(checkout: SandboxCheckout) -> ProviderEvent:
        done = _existing(checkout, TransactionKind.CAPTURE)
        if done is not None:
            if done.amount != amount:
                raise ProviderDeclined(_("This payment was already captured for a different amount."))
            return event_from_transaction(done)
        if checkout.status != CheckoutStatus.AUTHORISED:
            raise ProviderDeclined(_("Only an authorised payment can be captured."))
        if amount <= 0 or amount > checkout.authorised_amount or amount != amount.quantize(CENT):
            raise ProviderDeclined(_("The capture must be more than zero and at most the authorised %(amount)s.")
                                   % {"amount": checkout.authorised_amount})
        checkout.status, checkout.captured_amount = CheckoutStatus.CAPTURED, amount
        checkout.save(update_fields=["status", "captured_amount"])
        return event_from_transaction(_transaction_add(checkout, TransactionKind.CAPTURE, amount))

    return _call(provider_reference, work)


def checkout_cancel(*, provider_reference: str) -> ProviderEvent:
    """Cancel a checkout nobody paid yet (the payer can no longer pay it) or release an authorisation. A captured
    payment is refunded instead, never cancelled. Cancelling twice returns the same cancellation."""

    def work(checkout: SandboxCheckout) -> ProviderEvent:
        done = _existing(checkout, TransactionKind.CANCEL)
        if done is not None:
            return event_from_transaction(done)
        if checkout.status not in (CheckoutStatus.OPEN, CheckoutStatus.AUTHORISED):
            raise ProviderDeclined(_("This payment can no longer be cancelled (it is %(status)s).")
                                   % {"status": checkout.get_status_display()})
        released = checkout.authorised_amount
        checkout.status, checkout.completed_at = CheckoutStatus.CANCELLED, timezone.now()
        checkout.save(update_fields=["status", "completed_at"])
        return event_from_transaction(_transaction_add(checkout, TransactionKind.CANCEL, released,
                                                       detail="Cancelled by the merchant"))

    return _call(provider_reference, work)


def checkout_refund(*, provider_reference: str, amount: Decimal, refund_reference: str, reason: str) -> ProviderEvent:
    """Refund part or all of what was captured. Never more than captured minus refunded (checked under the
    checkout's lock and by a database constraint); the same refund_reference twice is one refund."""

    def work(checkout: SandboxCheckout) -> ProviderEvent:
        if not refund_reference:
            raise ProviderDeclined(_("A refund needs the merchant's refund reference."))
        done = _existing(checkout, TransactionKind.REFUND, refund_reference=refund_reference)
        if done is not None:
            if done.amount != amount:
                raise ProviderDeclined(_("This refund reference was already used for a different amount."))
            return event_from_transaction(done)
        left = checkout.captured_amount - checkout.refunded_amount
        if amount <= 0 or amount != amount.quantize(CENT):
            raise ProviderDeclined(_("A refund must be more than zero, in yuan with at most two decimals."))
        if amount > left:
            raise ProviderDeclined(_("The refund of %(amount)s is more than the %(left)s left to refund on this payment.")
                                   % {"amount": amount, "left": left})
        checkout.refunded_amount += amount
        checkout.save(update_fields=["refunded_amount"])
        return event_from_transaction(_transaction_add(checkout, TransactionKind.REFUND, amount,
                                                       refund_reference=refund_reference, detail=reason))

    return _call(provider_reference, work)


def checkout_events(*, provider_reference: str) -> list[ProviderEvent]:
    """Everything that happened to one checkout, in order (the query call). Counts as a server-side call for the
    timeout switch."""
    with transaction.atomic():
        checkout = SandboxCheckout.objects.select_for_update().filter(provider_reference=provider_reference).first()
        if checkout is None:
            return []
        timed_out = _timeout_once(checkout)
    if timed_out:
        raise ProviderUnavailable()
    return [event_from_transaction(tx) for tx in checkout.transactions.select_related("checkout")]


def statement_events(*, day: date) -> list[ProviderEvent]:
    """The sandbox's settlement list for a local day (TIME_ZONE): the money that moved, captures and refunds."""
    zone = timezone.get_default_timezone()
    start = datetime.combine(day, time.min, tzinfo=zone)
    transactions = (SandboxTransaction.objects.select_related("checkout")
                    .filter(kind__in=[TransactionKind.CAPTURE, TransactionKind.REFUND],
                            occurred_at__gte=start, occurred_at__lt=start + timedelta(days=1)))
    return [event_from_transaction(tx) for tx in transactions]


STATEMENT_COLUMNS = ("event_id", "kind", "reference", "provider_reference", "amount", "currency", "occurred_at",
                     "refund_reference")


def statement_csv(*, day: date) -> str:
    """The day's settlement file as the sandbox "bank" would publish it: one row per capture or refund, amounts
    positive with two places, times in ISO 8601 with their offset (for reconciliation, e.g. pandas.read_csv)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(STATEMENT_COLUMNS)
    for event in statement_events(day=day):
        writer.writerow([event.event_id, str(event.kind), event.reference, event.provider_reference, f"{event.amount:.2f}",
                         event.currency, event.occurred_at.isoformat(), event.refund_reference])
    return buffer.getvalue()


def statement_file_write(*, day: date, directory: Path | None = None) -> Path:
    """Write the day's settlement file to `directory` (default VAR_DIR/sandbox-statements), replacing an older copy
    whole (written aside, then renamed), and return its path: sandbox-YYYY-MM-DD.csv."""
    directory = Path(directory or Path(settings.VAR_DIR) / "sandbox-statements")
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"sandbox-{day.isoformat()}.csv"
    partial = path.with_suffix(".csv.partial")
    partial.write_text(statement_csv(day=day), encoding="utf-8")
    partial.replace(path)
    return path
