"""Invoices: create, issue (number and insurance split), void; the bills made from bookings, signed encounters
and monitoring plans.

Locks, in the order every payments service takes them (no two services wait on each other in a cycle):

    Invoice  →  Coverage  →  Payment (by primary key)  →  Refund

The Coverage row is locked while an invoice is split, so two splits of one patient's bills read the year's
deductible and cap one after the other.
"""

import logging
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from django.db import IntegrityError, transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from core.errors import ValidationFailed
from core.outbox import enqueue
from core.sequences import sequence_next
from payments.errors import InvoiceStateError
from payments.insurance import FEN, LineIn, PlanTerms, YearToDate, split_compute
from payments.models import (
    LIVE_PAYMENT_STATUSES,
    ClaimStatus,
    Coverage,
    EventKind,
    FeeKind,
    InsuranceClaim,
    Invoice,
    InvoiceLine,
    InvoiceSource,
    InvoiceStatus,
    LineCategory,
    Payment,
    PaymentEvent,
    PaymentStatus,
)
from payments.services.fees import fee_get
from records.models import Patient

logger = logging.getLogger(__name__)

MAX_LINES = 200


@dataclass(frozen=True)
class LineSpec:
    """A line to charge: `unit_price` in CNY (whole fen, not negative) × `quantity`."""

    category: str
    description: str
    unit_price: Decimal
    quantity: int = 1
    code: str = ""
    source_ref: UUID | None = None


def _check_lines(lines: list[LineSpec]) -> None:
    errors = []
    if not lines:
        errors.append(_("A bill needs at least one line."))
    if len(lines) > MAX_LINES:
        errors.append(_("A bill has at most %(n)d lines.") % {"n": MAX_LINES})
    for number, line in enumerate(lines, start=1):
        price = Decimal(line.unit_price)
        if price < 0 or price != price.quantize(FEN):
            errors.append(_("Line %(n)d: the price must be an amount in yuan with at most two decimals, not negative.")
                          % {"n": number})
        if not isinstance(line.quantity, int) or line.quantity < 1:
            errors.append(_("Line %(n)d: the quantity must be a whole number from 1.") % {"n": number})
        if line.category not in LineCategory.values:
            errors.append(_("Line %(n)d: unknown category.") % {"n": number})
        if not (line.description or "").strip():
            errors.append(_("Line %(n)d: say what is charged.") % {"n": number})
    if errors:
        raise ValidationFailed(errors={"lines": errors})


def invoice_create(*, patient: Patient, source: str, lines: list[LineSpec], created_by: User | None = None,
                   source_ref: UUID | None = None, description: str = "", pay_by: datetime | None = None,
                   issue: bool = True) -> Invoice:
    """Create a bill for `patient` with `lines` (and issue it unless `issue` is False).

    One bill that is not void per (source, source_ref), kept by the invoice_one_live_per_source constraint: a
    second call for the same source item (a signal delivered twice) returns the first bill unchanged.
    """
    _check_lines(lines)
    if source not in InvoiceSource.values:
        raise ValidationFailed(errors={"source": [_("Unknown kind of bill.")]})
    try:
        with transaction.atomic():
            invoice = Invoice.objects.create(patient=patient, source=source, source_ref=source_ref,
                                             description=(description or "")[:200], pay_by=pay_by, created_by=created_by)
            InvoiceLine.objects.bulk_create([
                InvoiceLine(invoice=invoice, position=position, category=line.category, code=line.code[:60],
                            description=line.description[:200], quantity=line.quantity,
                            unit_price=Decimal(line.unit_price), amount=Decimal(line.unit_price) * line.quantity,
                            patient_share=Decimal(line.unit_price) * line.quantity, source_ref=line.source_ref)
                for position, line in enumerate(lines, start=1)])
            if issue:
                _issue_locked(invoice)
    except IntegrityError:
        if source_ref is None:
            raise
        existing = Invoice.objects.filter(source=source, source_ref=source_ref).exclude(status=InvoiceStatus.VOID).first()
        if existing is None:
            raise
        return existing
    return invoice


def invoice_issue(*, invoice: Invoice) -> Invoice:
    """DRAFT → ISSUED: give the bill its number and split it with the patient's insurance. Locks the Invoice.
    Issuing an issued bill again returns it unchanged; a void one is refused."""
    with transaction.atomic():
        invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
        if invoice.status == InvoiceStatus.DRAFT:
            _issue_locked(invoice)
        elif invoice.status == InvoiceStatus.VOID:
            raise InvoiceStateError(_("This bill was cancelled and cannot be issued."))
    return invoice


def _issue_locked(invoice: Invoice) -> None:
    invoice.number = f"F{sequence_next(name='invoice'):08d}"
    invoice.status = InvoiceStatus.ISSUED
    invoice.issued_at = timezone.now()
    invoice.save(update_fields=["number", "status", "issued_at"])
    invoice_split_apply(invoice=invoice)
    from payments.services.ledger import invoice_status_refresh

    invoice_status_refresh(invoice=invoice)  # a bill the insurer pays whole, or a free one, is paid at once


# --- Insurance -----------------------------------------------------------------------------------------

def coverage_for(*, patient_id: int, day: date) -> Coverage | None:
    """The patient's coverage valid on `day` with an active plan (the most recent if several)."""
    return (Coverage.objects.select_related("plan").filter(patient_id=patient_id, plan__is_active=True,
                                                            valid_from__lte=day)
            .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=day)).order_by("-valid_from", "-pk").first())


def plan_terms(coverage: Coverage) -> PlanTerms:
    plan = coverage.plan
    codes = plan.excluded_code_set
    return PlanTerms(
        ratios={r.category: r.ratio for r in plan.ratios.all()}, deductible=plan.deductible,
        annual_cap=plan.annual_cap,
        excluded_codes=frozenset(c for c in codes if ":" in c),
        excluded_categories=frozenset(c for c in codes if ":" not in c))


def year_to_date(*, coverage: Coverage, year: int, exclude_invoice_id: int | None = None) -> YearToDate:
    """What `coverage` used in `year`: the deductible and insurer shares of its claims that are not rejected."""
    claims = InsuranceClaim.objects.filter(coverage=coverage, year=year).exclude(status=ClaimStatus.REJECTED)
    if exclude_invoice_id:
        claims = claims.exclude(invoice_id=exclude_invoice_id)
    sums = claims.aggregate(deductible=Sum("deductible_applied"), paid=Sum("insurer_share"))
    return YearToDate(deductible_used=sums["deductible"] or Decimal("0.00"), insurer_paid=sums["paid"] or Decimal("0.00"))


def invoice_split_apply(*, invoice: Invoice) -> Invoice:
    """Split each line of `invoice` between the insurer and the patient (payments.insurance.split_compute) with the
    coverage valid today. The caller holds the Invoice lock; this locks the Coverage row (see the module's order).
    Refused once money was taken for the bill: the split the patient paid against stays."""
    if PaymentEvent.objects.filter(payment__invoice=invoice, kind__in=(EventKind.CAPTURE, EventKind.AUTHORISE)).exists():
        raise InvoiceStateError(_("This bill has payments; its insurance share can no longer change."))
    today = timezone.localdate()
    coverage = coverage_for(patient_id=invoice.patient_id, day=today)
    lines = list(invoice.lines.order_by("position"))
    if coverage is not None:
        Coverage.objects.select_for_update().filter(pk=coverage.pk).first()
        split = split_compute(lines=[LineIn(category=line.category, code=line.code, amount=line.amount) for line in lines],
                              terms=plan_terms(coverage),
                              year=year_to_date(coverage=coverage, year=today.year, exclude_invoice_id=invoice.pk))
    else:
        split = split_compute(lines=[LineIn(line.category, line.code, line.amount) for line in lines], terms=None)
    for line, share in zip(lines, split.lines, strict=True):
        line.insurer_share, line.patient_share, line.deductible_applied = share.insurer, share.patient, share.deductible
    InvoiceLine.objects.bulk_update(lines, ["insurer_share", "patient_share", "deductible_applied"])
    if invoice.coverage_id != (coverage.pk if coverage else None):
        invoice.coverage = coverage
        invoice.save(update_fields=["coverage"])
    return invoice


# --- Void ----------------------------------------------------------------------------------------------

def invoice_void(*, invoice: Invoice, reason: str, by: User | None = None) -> Invoice:
    """Cancel a bill nobody has paid for (anything paid must be refunded first). Locks Invoice → Payment.

    A checkout still open is closed here (marked cancelled); if its payer pays anyway, the capture arrives on a
    void bill and is refunded automatically (payments.services.ledger). A pre-authorisation is released at the
    provider after commit. Voiding a void bill returns it unchanged.
    """
    from payments import tasks  # tasks import the services; a local import breaks the cycle
    from payments.selectors import invoice_balance

    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(errors={"reason": [_("Say why the bill is cancelled.")]})
    with transaction.atomic():
        invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
        if invoice.status == InvoiceStatus.VOID:
            return invoice
        balance = invoice_balance(invoice=invoice)
        if balance.net_paid > 0 or balance.refund_pending > 0:
            raise InvoiceStateError(_("Money was paid on this bill. Refund it before cancelling the bill."))
        for payment in Payment.objects.select_for_update().filter(invoice=invoice, status__in=LIVE_PAYMENT_STATUSES
                                                                  ).order_by("pk"):
            if payment.status == PaymentStatus.AUTHORISED:
                # The payer's money is held at the provider: only the provider can let it go. Its cancel event
                # moves the payment to cancelled (payments.tasks.payment_cancel_authorisation; the minute job
                # asks again if that task is lost).
                enqueue(tasks.payment_cancel_authorisation, payment.pk)
                continue
            payment.status = PaymentStatus.CANCELLED
            payment.detail = _("The bill was cancelled.")[:300]
            payment.save(update_fields=["status", "detail", "updated_at"])
        invoice.status = InvoiceStatus.VOID
        invoice.voided_at = timezone.now()
        invoice.void_reason = reason[:200]
        invoice.save(update_fields=["status", "voided_at", "void_reason"])
    return invoice


# --- Bills made from other apps' events --------------------------------------------------------------

def invoice_for_appointment(*, appointment) -> Invoice | None:
    """The registration fee of a held appointment as an issued bill, to be paid before the hold runs out.
    None for a free appointment. Once per appointment (invoice_create)."""
    if appointment.fee <= 0:
        return None
    doctor = appointment.doctor
    title = doctor.get_title_display()
    description = _("Registration fee — %(doctor)s, %(date)s") % {"doctor": doctor.user.name, "date": appointment.date}
    return invoice_create(
        patient=appointment.patient, source=InvoiceSource.APPOINTMENT, source_ref=appointment.public_id,
        description=description, pay_by=appointment.hold_expires_at, created_by=appointment.booked_by,
        lines=[LineSpec(category=LineCategory.REGISTRATION, code=f"{FeeKind.REGISTRATION}:{doctor.title}",
                        description=_("Registration fee (%(title)s)") % {"title": title}, unit_price=appointment.fee)])


def invoice_for_encounter(*, encounter) -> Invoice | None:
    """The medicines and tests of a signed encounter as an issued bill (once per encounter version).

    Medicines are priced from the fee schedule (drug:<formulary code>) on the day of signing, else the
    formulary's own price; tests and examinations from the schedule (test:<order code>). An order the schedule
    has no price for is left off the bill and logged, so that finance can add the price. None when nothing is
    charged."""
    day = timezone.localtime(encounter.signed_at or timezone.now()).date()
    lines = []
    for prescription in encounter.prescriptions.select_related("drug").order_by("pk"):
        drug = prescription.drug
        fee = fee_get(kind=FeeKind.DRUG, code=drug.code, day=day)
        lines.append(LineSpec(category=LineCategory.DRUG, code=f"{FeeKind.DRUG}:{drug.code}",
                              description=f"{drug.name} {drug.strength}"[:200],
                              unit_price=fee.amount if fee else drug.unit_price, quantity=prescription.quantity,
                              source_ref=prescription.public_id))
    for order in encounter.orders.exclude(status="cancelled").order_by("pk"):
        fee = fee_get(kind=FeeKind.TEST, code=order.code, day=day) if order.code else None
        if fee is None:
            logger.warning("No price in the fee schedule for order %s (%s); not charged", order.public_id, order.code)
            continue
        lines.append(LineSpec(category=LineCategory.LAB if order.kind == "lab" else LineCategory.EXAM,
                              code=f"{FeeKind.TEST}:{order.code}", description=order.name[:200], unit_price=fee.amount,
                              source_ref=order.public_id))
    if not lines:
        return None
    return invoice_create(
        patient=encounter.patient, source=InvoiceSource.ENCOUNTER, source_ref=encounter.public_id,
        description=_("Medicines and tests — %(department)s, %(date)s") % {"department": encounter.department_name,
                                                                           "date": day},
        lines=lines, created_by=encounter.signed_by)


def invoice_for_monitoring_plan(*, plan) -> Invoice | None:
    """The fee of a home monitoring plan (monitoring:<plan kind>) on its start day; None if the plan is free."""
    fee = fee_get(kind=FeeKind.MONITORING, code=plan.kind, day=plan.starts_on)
    if fee is None or fee.amount <= 0:
        return None
    return invoice_create(
        patient=plan.patient, source=InvoiceSource.MONITORING_PLAN, source_ref=plan.public_id,
        description=_("Home monitoring: %(plan)s") % {"plan": plan.get_kind_display()}, created_by=plan.created_by,
        lines=[LineSpec(category=fee.category, code=f"{FeeKind.MONITORING}:{plan.kind}", description=fee.name,
                        unit_price=fee.amount)])
