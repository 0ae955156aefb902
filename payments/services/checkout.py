"""Paying a bill: online checkout through a provider, pre-authorisation and its capture, the front desk.

Locks: Invoice → Coverage → Payment (payments.services.invoices). The provider's checkout is created while the
Invoice row is locked, so two clicks or two tabs queue there and the second finds the first's payment: one
payment attempt per bill at a time (also the payment_one_live_per_invoice constraint), one charge.
"""

import uuid
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.roles import Role
from core.errors import ApplicationError, Conflict, PermissionRefused, ValidationFailed
from payments.errors import InvoiceStateError, NothingToPayError, PaymentStateError
from payments.models import (
    DESK_PROVIDER,
    LIVE_PAYMENT_STATUSES,
    EventKind,
    Invoice,
    InvoiceStatus,
    Payment,
    PaymentMethod,
    PaymentStatus,
)
from payments.providers import provider_get
from payments.providers.base import CheckoutRequest, ProviderEvent
from payments.providers.base import EventKind as ProviderEventKind
from payments.providers.errors import ProviderDeclined, ProviderUnavailable
from payments.selectors import invoice_balance, payment_balance
from payments.services.invoices import invoice_split_apply
from payments.services.ledger import apply_locked

IDEMPOTENCY_KEY_MIN, IDEMPOTENCY_KEY_MAX = 8, 100


def default_provider_name() -> str:
    return getattr(settings, "PAYMENT_DEFAULT_PROVIDER", "sandbox")


def notify_url(provider_name: str, *, base_url: str | None = None) -> str:
    base = (base_url or settings.PAYMENTS_BASE_URL).rstrip("/")
    return base + reverse("api-payments-notification", kwargs={"provider": provider_name})


def _check_key(key: str) -> str:
    key = (key or "").strip()
    if not (IDEMPOTENCY_KEY_MIN <= len(key) <= IDEMPOTENCY_KEY_MAX):
        raise ValidationFailed(errors={"idempotency_key": [
            _("Send a unique key of %(min)d to %(max)d characters with each payment request.")
            % {"min": IDEMPOTENCY_KEY_MIN, "max": IDEMPOTENCY_KEY_MAX}]})
    return key


def _repeat(key: str, invoice: Invoice) -> Payment | None:
    payment = Payment.objects.filter(idempotency_key=key).first()
    if payment is not None and payment.invoice_id != invoice.pk:
        raise Conflict(_("This payment key was already used for another bill."))
    return payment


def checkout_start(*, invoice: Invoice, by: User | None, idempotency_key: str, return_url: str,
                   provider_name: str | None = None, capture: bool = True, base_url: str | None = None) -> Payment:
    """Start paying the patient's share of `invoice` online; returns the Payment with its ``redirect_url``.

    - The same idempotency key returns the same payment (two clicks), checked again under the lock.
    - A payment already under way for this bill (another tab) is returned instead of a second one, unless its
      checkout expired, in which case it is marked expired and a new one is made.
    - Before the first payment, the insurance split is made again with today's coverage (split at checkout).
    - The provider timing out leaves the payment PENDING (the query job asks the provider later, never guesses);
      a decline marks it FAILED and raises PaymentDeclined (402).
    Locks Invoice → Coverage → Payment.
    """
    key = _check_key(idempotency_key)
    provider_name = provider_name or default_provider_name()
    repeat = _repeat(key, invoice)
    if repeat is not None:
        return repeat
    provider = provider_get(provider_name)
    if not capture and not provider.supports_preauth:
        raise ValidationFailed(errors={"capture": [_("This payment method cannot pre-authorise.")]})
    declined: ApplicationError | None = None
    with transaction.atomic():
        invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
        repeat = _repeat(key, invoice)
        if repeat is not None:
            return repeat
        if invoice.status != InvoiceStatus.ISSUED:
            if invoice.status == InvoiceStatus.PAID:
                raise NothingToPayError()
            raise InvoiceStateError(_("This bill is %(status)s and cannot be paid.")
                                    % {"status": invoice.get_status_display().lower()})
        now = timezone.now()
        live = Payment.objects.select_for_update().filter(invoice=invoice, status__in=LIVE_PAYMENT_STATUSES).first()
        if live is not None:
            if not (live.status in (PaymentStatus.CREATED, PaymentStatus.OPEN) and live.expires_at
                    and live.expires_at <= now):
                return live
            live.status = PaymentStatus.EXPIRED  # its checkout can no longer be paid (CheckoutRequest.expires_at)
            live.save(update_fields=["status", "updated_at"])
        if not Payment.objects.filter(invoice=invoice).exclude(status__in=(PaymentStatus.FAILED, PaymentStatus.CANCELLED,
                                                                            PaymentStatus.EXPIRED)).exists():
            invoice_split_apply(invoice=invoice)
        balance = invoice_balance(invoice=invoice)
        due = balance.outstanding_for(invoice.status)
        if due <= 0:
            raise NothingToPayError()
        expires_at = now + timedelta(minutes=settings.PAYMENT_CHECKOUT_MINUTES)
        if invoice.pay_by:
            if invoice.pay_by <= now:
                raise InvoiceStateError(_("The time to pay this bill has run out."))
            expires_at = min(expires_at, invoice.pay_by)
        payment = Payment.objects.create(
            reference=f"P{uuid.uuid4().hex}", invoice=invoice, provider=provider_name, idempotency_key=key, amount=due,
            capture=capture, expires_at=expires_at, created_by=by)
        try:
            session = provider.checkout_create(CheckoutRequest(
                reference=payment.reference, amount=due, currency=invoice.currency,
                description=(invoice.description or str(invoice))[:200], return_url=return_url,
                notify_url=notify_url(provider_name, base_url=base_url), expires_at=expires_at, capture=capture))
        except ProviderUnavailable as exc:
            payment.status = PaymentStatus.PENDING
            payment.detail = str(exc.message)[:300]
        except ProviderDeclined as exc:
            payment.status = PaymentStatus.FAILED
            payment.detail = str(exc.message)[:300]
            declined = exc
        else:
            payment.provider_reference = session.provider_reference[:100]
            payment.redirect_url = session.redirect_url[:500]
            payment.status = PaymentStatus.OPEN
        payment.save(update_fields=["status", "detail", "provider_reference", "redirect_url", "updated_at"])
    if declined is not None:
        raise declined
    return payment


def _require_front_desk(user: User) -> None:
    if not (user.has_role(Role.FRONT_DESK) or user.has_perm("payments.add_payment")):
        raise PermissionRefused(_("Only the front desk can record a payment at the counter."))


def payment_desk_record(*, invoice: Invoice, method: str, by: User, idempotency_key: str,
                        amount: Decimal | None = None) -> Payment:
    """Record cash or card taken at the front desk for `invoice` (all that is owed unless `amount` says less).
    The same idempotency key records once. Locks Invoice → Payment."""
    _require_front_desk(by)
    key = _check_key(idempotency_key)
    if method not in (PaymentMethod.CASH, PaymentMethod.CARD):
        raise ValidationFailed(errors={"method": [_("Choose cash or card.")]})
    repeat = _repeat(key, invoice)
    if repeat is not None:
        return repeat
    with transaction.atomic():
        invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
        repeat = _repeat(key, invoice)
        if repeat is not None:
            return repeat
        if invoice.status != InvoiceStatus.ISSUED:
            raise NothingToPayError() if invoice.status == InvoiceStatus.PAID else InvoiceStateError()
        due = invoice_balance(invoice=invoice).outstanding_for(invoice.status)
        amount = due if amount is None else Decimal(amount)
        if due <= 0:
            raise NothingToPayError()
        if amount <= 0 or amount > due or amount != amount.quantize(Decimal("0.01")):
            raise ValidationFailed(errors={"amount": [_("Enter an amount above zero and at most ¥%(due)s.") % {"due": due}]})
        payment = Payment.objects.create(
            reference=f"P{uuid.uuid4().hex}", invoice=invoice, provider=DESK_PROVIDER, method=method,
            idempotency_key=key, amount=amount, status=PaymentStatus.CAPTURED, created_by=by)
        apply_locked(invoice=invoice, payment=payment, event=desk_event(payment, ProviderEventKind.CAPTURE, amount))
    return payment


def desk_event(payment: Payment, kind: ProviderEventKind, amount: Decimal, *, refund_reference: str = "") -> ProviderEvent:
    """What the front desk did, as a ledger event (the desk is its own 'provider')."""
    suffix = refund_reference or payment.reference
    return ProviderEvent(provider=DESK_PROVIDER, event_id=f"desk-{kind}-{suffix}", kind=kind, reference=payment.reference,
                         provider_reference=payment.reference, amount=amount, currency=payment.currency,
                         occurred_at=timezone.now(), refund_reference=refund_reference)


def payment_capture(*, payment: Payment, amount: Decimal | None = None) -> Payment:
    """Capture a pre-authorised payment (预授权) after the visit: the amount owed now (at most what was
    authorised). Locks Invoice → Payment; the provider's answer is applied like its notification (same
    event_id, so the notification that follows is a duplicate). Capturing a captured payment returns it."""
    with transaction.atomic():
        invoice = Invoice.objects.select_for_update().get(pk=payment.invoice_id)
        payment = Payment.objects.select_for_update().get(pk=payment.pk)
        if payment.status == PaymentStatus.CAPTURED:
            return payment
        if payment.status != PaymentStatus.AUTHORISED:
            raise PaymentStateError(_("Only an authorised payment can be captured."))
        authorised = payment_balance(payment=payment).authorised
        due = invoice_balance(invoice=invoice).outstanding_for(invoice.status) if invoice.status == InvoiceStatus.ISSUED \
            else authorised
        amount = min(authorised, due) if amount is None else Decimal(amount)
        if amount <= 0 or amount > authorised:
            raise ValidationFailed(errors={"amount": [_("Capture an amount above zero and at most the ¥%(authorised)s "
                                                        "authorised.") % {"authorised": authorised}]})
        event = provider_get(payment.provider).capture(provider_reference=payment.provider_reference, amount=amount)
        apply_locked(invoice=invoice, payment=payment, event=event)
    return payment


def payment_authorisation_cancel(*, payment: Payment) -> Payment:
    """Give up a pre-authorisation (the booking it was for is gone). Locks Invoice → Payment."""
    with transaction.atomic():
        invoice = Invoice.objects.select_for_update().get(pk=payment.invoice_id)
        payment = Payment.objects.select_for_update().get(pk=payment.pk)
        if payment.status != PaymentStatus.AUTHORISED or payment.events.filter(kind=EventKind.CAPTURE).exists():
            return payment
        event = provider_get(payment.provider).cancel(provider_reference=payment.provider_reference)
        apply_locked(invoice=invoice, payment=payment, event=event)
    return payment
