"""The sandbox's own "bank": what payers were asked to pay, what happened to the money, and its notifications.

Nothing here is the hospital's ledger (payments.models); the ledger learns about these rows only through
notifications and the provider interface, as it would from a real provider.
"""

import secrets
import uuid

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


def provider_reference_new() -> str:
    return "sbx_" + secrets.token_hex(12)


def event_id_new() -> str:
    return "sbx_evt_" + uuid.uuid4().hex


class CheckoutStatus(models.TextChoices):
    OPEN = "open", _("Waiting for the payer")
    AUTHORISED = "authorised", _("Authorised")
    CAPTURED = "captured", _("Paid")
    DECLINED = "declined", _("Declined")
    CANCELLED = "cancelled", _("Cancelled")


class Simulate(models.TextChoices):
    NONE = "", _("Normal")
    LOST = "lost", _("Paid, notification lost")
    TIMEOUT = "timeout", _("Next API call times out")


class SandboxCheckout(models.Model):
    provider_reference = models.CharField(max_length=40, unique=True, default=provider_reference_new)
    reference = models.CharField(max_length=64, unique=True, help_text=_("The merchant's reference for this payment."))
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3, default="CNY")
    description = models.CharField(max_length=300)
    return_url = models.URLField(max_length=1000)
    notify_url = models.URLField(max_length=1000)
    expires_at = models.DateTimeField()
    capture = models.BooleanField(default=True, help_text=_("False: pre-authorise only, captured later."))
    status = models.CharField(max_length=12, choices=CheckoutStatus.choices, default=CheckoutStatus.OPEN)
    authorised_amount = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    captured_amount = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    refunded_amount = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    simulate = models.CharField(max_length=10, choices=Simulate.choices, blank=True, default=Simulate.NONE)
    # Set by ?simulate=timeout: the next server-side call for this checkout raises ProviderUnavailable, once.
    timeout_pending = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("sandbox checkout")
        verbose_name_plural = _("sandbox checkouts")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="sandbox_checkout_amount_positive"),
            # The sandbox never pays out more than it took, nor captures more than it was asked for.
            models.CheckConstraint(condition=Q(captured_amount__lte=models.F("amount")),
                                   name="sandbox_checkout_captured_within_amount"),
            models.CheckConstraint(condition=Q(refunded_amount__gte=0) & Q(refunded_amount__lte=models.F("captured_amount")),
                                   name="sandbox_checkout_refunds_within_captured"),
        ]

    def __str__(self) -> str:
        return f"{self.provider_reference} {self.amount} {self.currency} ({self.status})"


class TransactionKind(models.TextChoices):
    AUTHORISE = "authorise", _("Authorise")
    CAPTURE = "capture", _("Capture")
    FAIL = "fail", _("Fail")
    CANCEL = "cancel", _("Cancel")
    REFUND = "refund", _("Refund")


class SandboxTransaction(models.Model):
    """One thing that happened at the sandbox (append-only). Its captures and refunds are the sandbox's statement."""

    event_id = models.CharField(max_length=64, unique=True, default=event_id_new)
    checkout = models.ForeignKey(SandboxCheckout, on_delete=models.PROTECT, related_name="transactions")
    kind = models.CharField(max_length=10, choices=TransactionKind.choices)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3, default="CNY")
    refund_reference = models.CharField(max_length=64, blank=True, default="")
    detail = models.CharField(max_length=300, blank=True, default="")
    occurred_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = _("sandbox transaction")
        verbose_name_plural = _("sandbox transactions")
        ordering = ["occurred_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="sandbox_transaction_amount_not_negative"),
            # A refund asked for twice with the same merchant refund id is one refund.
            models.UniqueConstraint(fields=["checkout", "refund_reference"], condition=Q(kind="refund"),
                                    name="sandbox_refund_reference_once"),
            # A checkout is captured, cancelled or failed at most once.
            models.UniqueConstraint(fields=["checkout", "kind"], condition=Q(kind__in=["authorise", "capture", "fail", "cancel"]),
                                    name="sandbox_transaction_once_per_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.event_id} {self.kind} {self.amount}"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to be delivered")
    DELIVERED = "delivered", _("Delivered")
    SUPPRESSED = "suppressed", _("Not sent (simulated lost notification)")
    GAVE_UP = "gave_up", _("Given up")


class SandboxDelivery(models.Model):
    """The notification of one transaction to the merchant's notify_url, sent until it answers 2xx."""

    transaction = models.OneToOneField(SandboxTransaction, on_delete=models.PROTECT, related_name="delivery")
    url = models.URLField(max_length=1000)
    body = models.TextField()
    status = models.CharField(max_length=12, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True, db_index=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("sandbox notification delivery")
        verbose_name_plural = _("sandbox notification deliveries")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.transaction.event_id} → {self.url} ({self.status})"


class SandboxDeliveryAttempt(models.Model):
    delivery = models.ForeignKey(SandboxDelivery, on_delete=models.CASCADE, related_name="attempt_rows")
    attempted_at = models.DateTimeField()
    status_code = models.PositiveIntegerField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True, default="")

    class Meta:
        verbose_name = _("sandbox delivery attempt")
        verbose_name_plural = _("sandbox delivery attempts")
        ordering = ["attempted_at", "pk"]

    def __str__(self) -> str:
        return f"{self.attempted_at:%Y-%m-%d %H:%M:%S} {self.status_code or self.error[:40]}"
