"""Receipts (收据) as PDF: what was charged, what insurance paid and what the patient paid, line by line, with
the payments and refunds — drawn by WeasyPrint with the Noto CJK fonts, like records.pdf.

Two steps, so the drawing does not depend on how the ledger stores things: ``receipt_for_invoice`` reads one
invoice from the ledger into a plain ``Receipt`` (amounts summed from events by payments.selectors, times in
the hospital's zone); ``receipt_pdf`` draws a Receipt in the active language (the reader's: the page's
request language). The patient's name is printed whole (it is their receipt, and insurers ask for it); the
insurance member number is masked to its last four characters, and no phone or national ID is printed.
"""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _

from appointments.localtime import local_time_text
from core.branding import hospital_name
from payments.models import ClaimStatus, EventKind, InsuranceClaim, Invoice, PaymentEvent
from payments.selectors import invoice_balance
from records.pdf import PdfUnavailable, _weasyprint  # the one place WeasyPrint (and Pango) is loaded

__all__ = ["PdfUnavailable", "Receipt", "ReceiptLine", "ReceiptMoney", "mask_tail", "receipt_for_invoice",
           "receipt_pdf"]

ZERO = Decimal("0.00")


def mask_tail(value: str, *, keep: int = 4) -> str:
    """"****5678": all but the last `keep` characters hidden (a short value is hidden whole)."""
    value = value or ""
    if len(value) <= keep:
        return "*" * len(value)
    return "*" * (len(value) - keep) + value[-keep:]


@dataclass(frozen=True)
class ReceiptLine:
    description: str
    category: str
    quantity: int
    unit_price: Decimal
    amount: Decimal
    insurer_share: Decimal
    patient_share: Decimal


@dataclass(frozen=True)
class ReceiptMoney:
    """A payment taken or a refund given: when (aware), how, our reference, how much."""

    at: datetime
    method: str
    reference: str
    amount: Decimal
    note: str = ""

    @property
    def at_local(self) -> str:
        return local_time_text(self.at)


@dataclass(frozen=True)
class Receipt:
    number: str
    status: str
    issued_at: datetime | None
    description: str
    patient_name: str
    patient_mrn: str
    lines: tuple[ReceiptLine, ...]
    payments: tuple[ReceiptMoney, ...] = ()
    refunds: tuple[ReceiptMoney, ...] = ()
    plan_name: str = ""
    member_number: str = ""  # already masked
    insurance_note: str = ""  # e.g. the insurer rejected its share
    insurer_due: Decimal | None = None  # what insurance pays after a rejection; None: the lines' insurer shares
    outstanding: Decimal = ZERO
    currency: str = "CNY"
    extra: dict = field(default_factory=dict)

    @property
    def total(self) -> Decimal:
        return sum((line.amount for line in self.lines), ZERO)

    @property
    def insurer_total(self) -> Decimal:
        return sum((line.insurer_share for line in self.lines), ZERO)

    @property
    def patient_total(self) -> Decimal:
        return sum((line.patient_share for line in self.lines), ZERO)

    @property
    def insurance_pays(self) -> Decimal:
        return self.insurer_total if self.insurer_due is None else self.insurer_due

    @property
    def paid(self) -> Decimal:
        return sum((p.amount for p in self.payments), ZERO)

    @property
    def refunded(self) -> Decimal:
        return sum((r.amount for r in self.refunds), ZERO)

    @property
    def net_paid(self) -> Decimal:
        return self.paid - self.refunded

    @property
    def issued_local(self) -> str:
        return local_time_text(self.issued_at) if self.issued_at else ""


TITLE = _("Payment receipt")


def receipt_html(*, receipt: Receipt, now: datetime | None = None) -> str:
    return render_to_string("payments/receipt_pdf.html", {
        "receipt": receipt, "hospital": hospital_name(), "title": TITLE,
        "printed": local_time_text(now or timezone.now())})


def receipt_pdf(*, receipt: Receipt, now: datetime | None = None) -> bytes:
    """The receipt as PDF bytes, in the active language. Raises PdfUnavailable when WeasyPrint cannot run here."""
    weasyprint = _weasyprint()
    return weasyprint.HTML(string=receipt_html(receipt=receipt, now=now)).write_pdf()


def receipt_for_invoice(*, invoice: Invoice) -> Receipt:
    """Read `invoice` from the ledger into a Receipt: its lines and shares, the captures (payments) and refunds as
    the provider recorded them, the balance summed from the events. Five queries whatever the bill's size."""
    invoice = (Invoice.objects.select_related("patient", "coverage__plan").prefetch_related("lines")
               .get(pk=invoice.pk))
    balance = invoice_balance(invoice=invoice)
    events = list(PaymentEvent.objects.filter(payment__invoice=invoice, kind__in=(EventKind.CAPTURE, EventKind.REFUND))
                  .select_related("payment", "refund").order_by("occurred_at", "id"))
    payments = tuple(ReceiptMoney(at=e.occurred_at, method=str(e.payment.get_method_display()),
                                  reference=e.payment.reference, amount=e.amount)
                     for e in events if e.kind == EventKind.CAPTURE)
    refunds = tuple(ReceiptMoney(at=e.occurred_at, method=str(e.payment.get_method_display()),
                                 reference=e.refund.reference if e.refund_id else e.event_id, amount=e.amount,
                                 note=e.refund.reason if e.refund_id else "")
                    for e in events if e.kind == EventKind.REFUND)
    claim = InsuranceClaim.objects.filter(invoice=invoice).first()
    note = ""
    if claim is not None and claim.status == ClaimStatus.REJECTED:
        note = _g("The insurer did not pay its share of ¥%(amount)s (%(reason)s); it was added to what you pay.") % {
            "amount": claim.insurer_share, "reason": claim.message or _g("no reason given")}
    coverage = invoice.coverage
    return Receipt(
        number=invoice.number or "", status=str(invoice.get_status_display()), issued_at=invoice.issued_at,
        description=invoice.description, patient_name=invoice.patient.name, patient_mrn=invoice.patient.mrn,
        lines=tuple(ReceiptLine(description=line.description, category=str(line.get_category_display()),
                                quantity=line.quantity, unit_price=line.unit_price, amount=line.amount,
                                insurer_share=line.insurer_share, patient_share=line.patient_share)
                    for line in invoice.lines.all()),
        payments=payments, refunds=refunds,
        plan_name=coverage.plan.name if coverage else "", member_number=mask_tail(coverage.member_number) if coverage else "",
        insurance_note=note, insurer_due=balance.insurer_due, outstanding=balance.outstanding_for(invoice.status),
        currency=invoice.currency)
