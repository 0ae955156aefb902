"""Money: the fee schedule, invoices and their lines, payments as append-only events, refunds, insurance,
reconciliation (docs/payments.md).

Amounts are ``Decimal`` with two places in CNY. No balance is stored: what was paid, refunded and is still owed
is summed from ``PaymentEvent`` rows by payments.selectors. ``Payment.status`` and ``Invoice.status`` are states
the services move under row locks in the same transaction as the event that causes them; tests check them
against the events.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

CURRENCY = "CNY"


def _money(verbose_name, **kwargs) -> models.DecimalField:
    return models.DecimalField(verbose_name, max_digits=12, decimal_places=2, **kwargs)


# --- Fee schedule (收费标准) ------------------------------------------------------------------------

class FeeKind(models.TextChoices):
    REGISTRATION = "registration", _("Registration fee (by doctor title)")
    DRUG = "drug", _("Medicine (by formulary code)")
    TEST = "test", _("Test or examination (by order code)")
    MONITORING = "monitoring", _("Home monitoring plan (by plan kind)")


class LineCategory(models.TextChoices):
    """What a line is, for insurance: each plan has a reimbursement ratio per category."""

    REGISTRATION = "registration", _("Registration")
    DRUG = "drug", _("Medicine")
    LAB = "lab", _("Laboratory test")
    EXAM = "exam", _("Examination")
    MONITORING = "monitoring", _("Home monitoring")
    OTHER = "other", _("Other")


class FeeItem(models.Model):
    """One price of the fee schedule, effective from a date until the next price of the same item.

    ``code`` names the item within its kind: a doctor title (``chief``), a formulary code, an order's code
    (LOINC or the hospital's exam code) or a monitoring plan kind (``blood_pressure``).
    """

    kind = models.CharField(_("kind"), max_length=20, choices=FeeKind.choices)
    code = models.CharField(_("code"), max_length=40)
    name = models.CharField(pgettext_lazy("fee item", "name"), max_length=200)
    category = models.CharField(_("insurance category"), max_length=20, choices=LineCategory.choices)
    amount = _money(_("price"))
    currency = models.CharField(max_length=3, default=CURRENCY, editable=False)
    effective_from = models.DateField(_("effective from"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("fee")
        verbose_name_plural = _("fee schedule")
        ordering = ["kind", "code", "-effective_from"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "code", "effective_from"], name="fee_one_price_per_item_date"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="fee_amount_not_negative"),
            models.CheckConstraint(condition=Q(kind__in=FeeKind.values), name="fee_kind_valid"),
            models.CheckConstraint(condition=Q(category__in=LineCategory.values), name="fee_category_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ¥{self.amount} ({self.effective_from})"


# --- Insurance (医保) -------------------------------------------------------------------------------

class InsurancePlan(models.Model):
    """A plan's terms: a ratio per line category (InsuranceRatio), a yearly deductible and cap, exclusions.

    ``insurer`` names the adapter that settles its claims (payments.insurers; ``sandbox`` by default).
    """

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(pgettext_lazy("insurance plan", "name"), max_length=200)
    insurer = models.CharField(_("insurer adapter"), max_length=40, default="sandbox")
    deductible = _money(_("deductible per year"), default=0)
    annual_cap = _money(_("annual cap"), null=True, blank=True, help_text=_("Empty: no cap."))
    excluded_codes = models.TextField(
        _("excluded items"), blank=True,
        help_text=_("Item codes the plan never pays, one per line, as kind:code (e.g. drug:vitamin-c)."))
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("insurance plan")
        verbose_name_plural = _("insurance plans")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(condition=Q(deductible__gte=0), name="plan_deductible_not_negative"),
            models.CheckConstraint(condition=Q(annual_cap__isnull=True) | Q(annual_cap__gte=0),
                                   name="plan_cap_not_negative"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def excluded_code_set(self) -> frozenset[str]:
        return frozenset(line.strip() for line in self.excluded_codes.splitlines() if line.strip())


class InsuranceRatio(models.Model):
    """The share of a line category the plan pays (0.7 = 70 %). A category without a row is not paid."""

    plan = models.ForeignKey(InsurancePlan, on_delete=models.CASCADE, related_name="ratios")
    category = models.CharField(_("category"), max_length=20, choices=LineCategory.choices)
    ratio = models.DecimalField(_("ratio paid"), max_digits=5, decimal_places=4)

    class Meta:
        verbose_name = _("reimbursement ratio")
        verbose_name_plural = _("reimbursement ratios")
        constraints = [
            models.UniqueConstraint(fields=["plan", "category"], name="ratio_one_per_plan_category"),
            models.CheckConstraint(condition=Q(ratio__gte=0, ratio__lte=1), name="ratio_between_0_and_1"),
        ]

    def __str__(self) -> str:
        return f"{self.plan} {self.category} {self.ratio}"


class Coverage(models.Model):
    """A patient's membership of a plan (参保), valid between two dates."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient = models.ForeignKey("records.Patient", on_delete=models.PROTECT, related_name="coverages")
    plan = models.ForeignKey(InsurancePlan, on_delete=models.PROTECT, related_name="coverages")
    member_number = models.CharField(_("member number"), max_length=40)
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid until"), null=True, blank=True)

    class Meta:
        verbose_name = _("insurance coverage")
        verbose_name_plural = _("insurance coverages")
        ordering = ["patient", "-valid_from"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "member_number"], name="coverage_member_number_once_per_plan"),
            models.CheckConstraint(condition=Q(valid_to__isnull=True) | Q(valid_to__gte=F("valid_from")),
                                   name="coverage_valid_range"),
        ]

    def __str__(self) -> str:
        return f"{self.patient} — {self.plan} {self.member_number}"


# --- Invoices ----------------------------------------------------------------------------------------

class InvoiceStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ISSUED = "issued", _("To pay")
    PAID = "paid", _("Paid")
    PARTIALLY_REFUNDED = "partially_refunded", _("Partly refunded")
    REFUNDED = "refunded", _("Refunded")
    VOID = "void", _("Cancelled")


class InvoiceSource(models.TextChoices):
    APPOINTMENT = "appointment", _("Registration")
    ENCOUNTER = "encounter", _("Consultation (medicines and tests)")
    MONITORING_PLAN = "monitoring_plan", _("Home monitoring plan")
    MANUAL = "manual", _("Front desk")


class Invoice(models.Model):
    """A bill to one patient (缴费单): its lines say what, its payments' events say what was paid.

    ``source_ref`` is the public id of what it charges for (appointment, encounter record, monitoring plan):
    one invoice that is not void per source item, a database constraint, so a signal delivered twice bills once.
    The amounts owed come from the lines (payments.selectors), what was paid from the events.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    number = models.CharField(_("number"), max_length=20, unique=True, null=True, blank=True, editable=False,
                              help_text=_("Given when the invoice is issued."))
    patient = models.ForeignKey("records.Patient", on_delete=models.PROTECT, related_name="invoices")
    status = models.CharField(_("status"), max_length=20, choices=InvoiceStatus.choices, default=InvoiceStatus.DRAFT)
    source = models.CharField(_("for"), max_length=20, choices=InvoiceSource.choices)
    source_ref = models.UUIDField(_("source id"), null=True, blank=True)
    description = models.CharField(_("description"), max_length=200, blank=True)
    currency = models.CharField(max_length=3, default=CURRENCY, editable=False)
    coverage = models.ForeignKey(Coverage, null=True, blank=True, on_delete=models.PROTECT, related_name="invoices",
                                 help_text=_("The coverage the insurance split used; empty when the patient pays all."))
    pay_by = models.DateTimeField(_("pay by"), null=True, blank=True,
                                  help_text=_("A registration fee must be paid before the hold runs out."))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    issued_at = models.DateTimeField(null=True, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    voided_at = models.DateTimeField(null=True, blank=True)
    void_reason = models.CharField(_("reason cancelled"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=InvoiceStatus.values), name="invoice_status_valid"),
            models.CheckConstraint(condition=Q(source__in=InvoiceSource.values), name="invoice_source_valid"),
            models.CheckConstraint(condition=Q(status="draft") | Q(status="void") | Q(number__isnull=False),
                                   name="invoice_issued_has_number"),
            models.UniqueConstraint(fields=["source", "source_ref"],
                                    condition=Q(source_ref__isnull=False) & ~Q(status="void"),
                                    name="invoice_one_live_per_source"),
        ]
        indexes = [models.Index(fields=["patient", "status"], name="invoice_patient_status_idx")]

    def __str__(self) -> str:
        return self.number or f"draft {self.public_id}"


class InvoiceLine(models.Model):
    """What is charged: quantity × unit price, and the insurer's and patient's shares of it (exact to the fen)."""

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField()
    category = models.CharField(_("category"), max_length=20, choices=LineCategory.choices)
    code = models.CharField(_("item code"), max_length=60, blank=True, help_text=_("kind:code in the fee schedule."))
    description = models.CharField(_("item"), max_length=200)
    quantity = models.PositiveIntegerField(_("quantity"), default=1)
    unit_price = _money(_("unit price"))
    amount = _money(_("amount"))
    insurer_share = _money(_("insurance pays"), default=0)
    patient_share = _money(_("patient pays"))
    deductible_applied = _money(_("deductible applied"), default=0)
    source_ref = models.UUIDField(null=True, blank=True, help_text=_("The prescription or order charged."))

    class Meta:
        verbose_name = _("invoice line")
        verbose_name_plural = _("invoice lines")
        ordering = ["invoice", "position"]
        constraints = [
            models.UniqueConstraint(fields=["invoice", "position"], name="invoice_line_position_once"),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="invoice_line_quantity_positive"),
            models.CheckConstraint(condition=Q(unit_price__gte=0, insurer_share__gte=0, patient_share__gte=0,
                                               deductible_applied__gte=0),
                                   name="invoice_line_amounts_not_negative"),
            models.CheckConstraint(condition=Q(amount=F("quantity") * F("unit_price")),
                                   name="invoice_line_amount_is_qty_x_price"),
            # The split of a line always adds up to the line, exactly (DESIGN.md, data rules).
            models.CheckConstraint(condition=Q(amount=F("insurer_share") + F("patient_share")),
                                   name="invoice_line_shares_add_up"),
            models.CheckConstraint(condition=Q(category__in=LineCategory.values), name="invoice_line_category_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.description} × {self.quantity}"


# --- Payments ----------------------------------------------------------------------------------------

class PaymentStatus(models.TextChoices):
    CREATED = "created", _("Starting")
    OPEN = "open", _("Waiting for the payer")
    PENDING = "pending", _("Pending: being checked with the provider")
    AUTHORISED = "authorised", _("Authorised (to be captured after the visit)")
    CAPTURED = "captured", _("Paid")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")
    EXPIRED = "expired", _("Not completed in time")


# A payment in these states may still turn into money: one at a time per invoice (two tabs, one charge).
LIVE_PAYMENT_STATUSES = (PaymentStatus.CREATED, PaymentStatus.OPEN, PaymentStatus.PENDING, PaymentStatus.AUTHORISED)

DESK_PROVIDER = "desk"


class PaymentMethod(models.TextChoices):
    ONLINE = "online", _("Online")
    CASH = "cash", _("Cash at the front desk")
    CARD = "card", _("Card at the front desk")


class Payment(models.Model):
    """One attempt at paying an invoice's patient share, through a provider or at the front desk.

    ``reference`` is our id the provider echoes; ``idempotency_key`` makes two clicks one attempt (unique in the
    database); (provider, provider_reference) is unique, so a provider's trade is never booked on two attempts.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    reference = models.CharField(_("reference"), max_length=40, unique=True, editable=False)
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="payments")
    provider = models.CharField(_("provider"), max_length=20)
    method = models.CharField(_("method"), max_length=10, choices=PaymentMethod.choices, default=PaymentMethod.ONLINE)
    provider_reference = models.CharField(_("provider's reference"), max_length=100, blank=True)
    idempotency_key = models.CharField(max_length=100, unique=True)
    amount = _money(_("amount"))
    currency = models.CharField(max_length=3, default=CURRENCY, editable=False)
    capture = models.BooleanField(_("capture at once"), default=True,
                                  help_text=_("Off: pre-authorised (预授权), captured after the visit."))
    status = models.CharField(_("status"), max_length=12, choices=PaymentStatus.choices, default=PaymentStatus.CREATED)
    redirect_url = models.CharField(max_length=500, blank=True, help_text=_("Where the payer is sent to pay."))
    expires_at = models.DateTimeField(_("checkout expires"), null=True, blank=True)
    detail = models.CharField(_("detail"), max_length=300, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["provider", "provider_reference"], condition=~Q(provider_reference=""),
                                    name="payment_provider_reference_once"),
            models.UniqueConstraint(fields=["invoice"], condition=Q(status__in=LIVE_PAYMENT_STATUSES),
                                    name="payment_one_live_per_invoice"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
            models.CheckConstraint(condition=Q(status__in=PaymentStatus.values), name="payment_status_valid"),
            models.CheckConstraint(condition=Q(method__in=PaymentMethod.values), name="payment_method_valid"),
        ]
        indexes = [models.Index(fields=["status", "created_at"], name="payment_status_created_idx")]

    def __str__(self) -> str:
        return f"{self.reference} ¥{self.amount} {self.status}"


class EventKind(models.TextChoices):
    AUTHORISE = "authorise", _("Authorised")
    CAPTURE = "capture", _("Captured")
    FAIL = "fail", _("Failed")
    CANCEL = "cancel", _("Cancelled")
    REFUND = "refund", _("Refunded")


class PaymentEvent(models.Model):
    """Something that happened to a payment at its provider (or at the desk). Append-only: a database trigger
    refuses UPDATE and DELETE (migration 0002). (provider, event_id) is unique: a notification sent ten times
    is one row."""

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="events")
    provider = models.CharField(max_length=20)
    event_id = models.CharField(max_length=100)
    kind = models.CharField(max_length=10, choices=EventKind.choices)
    amount = _money(_("amount"))
    currency = models.CharField(max_length=3, default=CURRENCY)
    occurred_at = models.DateTimeField(_("happened at"))
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    refund = models.ForeignKey("Refund", null=True, blank=True, on_delete=models.PROTECT, related_name="events")
    detail = models.CharField(max_length=300, blank=True)
    raw = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("payment event")
        verbose_name_plural = _("payment events")
        ordering = ["occurred_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["provider", "event_id"], name="payment_event_once_per_provider"),
            models.CheckConstraint(condition=Q(kind__in=EventKind.values), name="payment_event_kind_valid"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="payment_event_amount_not_negative"),
        ]
        indexes = [models.Index(fields=["provider", "occurred_at"], name="payment_event_provider_day_idx")]

    def __str__(self) -> str:
        return f"{self.provider}:{self.event_id} {self.kind} ¥{self.amount}"


class HeldEvent(models.Model):
    """A provider event that cannot be applied yet (a refund whose capture we have not heard of): kept here and
    applied, once, when the event it waits for arrives. ``applied_at`` is set then."""

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="held_events")
    provider = models.CharField(max_length=20)
    event_id = models.CharField(max_length=100)
    kind = models.CharField(max_length=10, choices=EventKind.choices)
    data = models.JSONField(help_text=_("The event as received."))
    waiting_for = models.CharField(max_length=10, choices=EventKind.choices)
    received_at = models.DateTimeField(auto_now_add=True)
    applied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("held payment event")
        verbose_name_plural = _("held payment events")
        ordering = ["received_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["provider", "event_id"], name="held_event_once_per_provider"),
        ]

    def __str__(self) -> str:
        return f"{self.provider}:{self.event_id} waiting for {self.waiting_for}"


class NotificationOutcome(models.TextChoices):
    APPLIED = "applied", _("Applied")
    DUPLICATE = "duplicate", _("Already applied")
    HELD = "held", _("Held until its capture is known")
    REJECTED = "rejected", _("Rejected")


class PaymentNotificationLog(models.Model):
    """Every notification received at the webhook, applied or not; a rejected one changes nothing else."""

    provider = models.CharField(max_length=20)
    received_at = models.DateTimeField(auto_now_add=True)
    outcome = models.CharField(max_length=10, choices=NotificationOutcome.choices)
    reason = models.CharField(max_length=100, blank=True)
    event_id = models.CharField(max_length=100, blank=True)
    reference = models.CharField(max_length=40, blank=True)
    remote_addr = models.GenericIPAddressField(null=True, blank=True)
    body = models.TextField(blank=True, help_text=_("The first 4,000 characters received."))

    class Meta:
        verbose_name = _("payment notification")
        verbose_name_plural = _("payment notifications")
        ordering = ["-received_at", "-id"]

    def __str__(self) -> str:
        return f"{self.provider} {self.outcome} {self.event_id}"


# --- Refunds -----------------------------------------------------------------------------------------

class RefundStatus(models.TextChoices):
    PENDING = "pending", _("Being refunded")
    SUCCEEDED = "succeeded", _("Refunded")
    FAILED = "failed", _("Refund failed")


class Refund(models.Model):
    """Money given back from one payment: asked for by staff, or automatically (cancelled appointment, a payment
    that arrived twice). ``request_key`` is unique: one request never refunds twice. ``reference`` is our id the
    provider echoes as refund_reference."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    reference = models.CharField(_("reference"), max_length=40, unique=True, editable=False)
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="refunds")
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    amount = _money(_("amount"))
    reason = models.CharField(_("reason"), max_length=300)
    request_key = models.CharField(max_length=100, unique=True)
    automatic = models.BooleanField(_("automatic"), default=False)
    status = models.CharField(_("status"), max_length=10, choices=RefundStatus.choices, default=RefundStatus.PENDING)
    detail = models.CharField(_("detail"), max_length=300, blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(_("sent to the provider"), null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="refund_amount_positive"),
            models.CheckConstraint(condition=Q(status__in=RefundStatus.values), name="refund_status_valid"),
            models.CheckConstraint(condition=~Q(reason=""), name="refund_has_reason"),
        ]

    def __str__(self) -> str:
        return f"{self.reference} ¥{self.amount} {self.status}"


# --- Insurance claims ----------------------------------------------------------------------------------

class ClaimStatus(models.TextChoices):
    PENDING = "pending", _("Submitted to the insurer")
    SETTLED = "settled", _("Settled by the insurer")
    REJECTED = "rejected", _("Rejected by the insurer")


class InsuranceClaim(models.Model):
    """The insurer's share of one invoice, claimed when the patient has paid theirs. A rejected claim's share
    becomes the patient's to pay (payments.selectors.invoice_balance)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    invoice = models.OneToOneField(Invoice, on_delete=models.PROTECT, related_name="claim")
    coverage = models.ForeignKey(Coverage, on_delete=models.PROTECT, related_name="claims")
    year = models.PositiveSmallIntegerField(_("year"))
    insurer_share = _money(_("insurer's share"))
    deductible_applied = _money(_("deductible applied"), default=0)
    status = models.CharField(_("status"), max_length=10, choices=ClaimStatus.choices, default=ClaimStatus.PENDING)
    message = models.CharField(_("insurer's message"), max_length=300, blank=True)
    submitted_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("insurance claim")
        verbose_name_plural = _("insurance claims")
        ordering = ["-submitted_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(insurer_share__gte=0, deductible_applied__gte=0),
                                   name="claim_amounts_not_negative"),
            models.CheckConstraint(condition=Q(status__in=ClaimStatus.values), name="claim_status_valid"),
        ]
        indexes = [models.Index(fields=["coverage", "year", "status"], name="claim_coverage_year_idx")]

    def __str__(self) -> str:
        return f"{self.invoice} ¥{self.insurer_share} {self.status}"


# --- Reconciliation (对账) ------------------------------------------------------------------------------

class ReconciliationRun(models.Model):
    """One comparison of a provider's statement for a day with the ledger."""

    provider = models.CharField(_("provider"), max_length=20)
    day = models.DateField(_("day"))
    started_at = models.DateTimeField(auto_now_add=True)
    provider_rows = models.PositiveIntegerField(_("rows at the provider"), default=0)
    ledger_rows = models.PositiveIntegerField(_("rows in the ledger"), default=0)
    mismatches = models.PositiveIntegerField(_("mismatches"), default=0)

    class Meta:
        verbose_name = _("reconciliation")
        verbose_name_plural = _("reconciliations")
        ordering = ["-day", "-started_at"]

    def __str__(self) -> str:
        return f"{self.provider} {self.day}"


class MismatchKind(models.TextChoices):
    MISSING_LOCALLY = "missing_locally", _("At the provider, not in the ledger")
    MISSING_AT_PROVIDER = "missing_at_provider", _("In the ledger, not at the provider")
    AMOUNT_DIFFERS = "amount_differs", _("Amount differs")
    STATUS_DIFFERS = "status_differs", _("Kind or status differs")


class ReconciliationMismatch(models.Model):
    run = models.ForeignKey(ReconciliationRun, on_delete=models.CASCADE, related_name="mismatch_rows")
    kind = models.CharField(_("kind"), max_length=20, choices=MismatchKind.choices)
    event_id = models.CharField(_("event id"), max_length=100)
    reference = models.CharField(_("reference"), max_length=40, blank=True)
    provider_kind = models.CharField(max_length=10, blank=True)
    ledger_kind = models.CharField(max_length=10, blank=True)
    provider_amount = _money(_("amount at the provider"), null=True, blank=True)
    ledger_amount = _money(_("amount in the ledger"), null=True, blank=True)
    what_to_do = models.CharField(_("what to do"), max_length=300)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("reconciliation mismatch")
        verbose_name_plural = _("reconciliation mismatches")
        ordering = ["run", "kind", "event_id"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=MismatchKind.values), name="mismatch_kind_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.event_id}"
