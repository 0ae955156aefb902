"""Reads: every balance is summed from the ledger's events, never read from a stored total.

- owed by the patient (``patient_due``) = Σ lines' patient shares + the share of a rejected insurance claim
- ``captured`` = Σ capture events, ``refunded`` = Σ refund events (of the invoice's payments)
- ``outstanding`` = patient_due − captured, never below 0 (nothing is owed on a draft or void bill)
- ``refundable`` = captured − refunded − refunds still pending at the provider
"""

from dataclasses import dataclass
from decimal import Decimal
from uuid import UUID

from django.db.models import DecimalField, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import User
from payments.models import (
    ClaimStatus,
    Coverage,
    EventKind,
    InsuranceClaim,
    InsurancePlan,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    Payment,
    PaymentEvent,
    Refund,
    RefundStatus,
)
from records.models import FamilyMember, Patient

ZERO = Decimal("0.00")
FEN = Decimal("0.01")
MONEY = DecimalField(max_digits=14, decimal_places=2)


def _sum(queryset: QuerySet, field: str, *, group: str) -> Coalesce:
    """A correlated SUM of `field` over `queryset` (filtered on OuterRef, grouped by that same `group` column),
    0 when there are no rows."""
    subquery = queryset.order_by().values(group).annotate(total=Sum(field)).values("total")[:1]
    return Coalesce(Subquery(subquery, output_field=MONEY), Value(ZERO), output_field=MONEY)


def invoices_with_balances(queryset: QuerySet[Invoice]) -> QuerySet[Invoice]:
    """`queryset` with the sums the balance needs as attributes, in the same single query."""
    events = PaymentEvent.objects.filter(payment__invoice=OuterRef("pk"))
    lines = InvoiceLine.objects.filter(invoice=OuterRef("pk"))
    return queryset.annotate(
        lines_total=_sum(lines, "amount", group="invoice"),
        insurer_total=_sum(lines, "insurer_share", group="invoice"),
        patient_total=_sum(lines, "patient_share", group="invoice"),
        rejected_share=_sum(InsuranceClaim.objects.filter(invoice=OuterRef("pk"), status=ClaimStatus.REJECTED),
                            "insurer_share", group="invoice"),
        captured_total=_sum(events.filter(kind=EventKind.CAPTURE), "amount", group="payment__invoice"),
        refunded_total=_sum(events.filter(kind=EventKind.REFUND), "amount", group="payment__invoice"),
        refund_pending_total=_sum(Refund.objects.filter(invoice=OuterRef("pk"), status=RefundStatus.PENDING), "amount",
                                  group="invoice"),
    )


@dataclass(frozen=True)
class InvoiceBalance:
    total: Decimal
    insurer_share: Decimal
    patient_share: Decimal
    rejected_insurer_share: Decimal
    captured: Decimal
    refunded: Decimal
    refund_pending: Decimal

    @property
    def patient_due(self) -> Decimal:
        """What the patient must pay: their shares, plus what a rejected claim moved to them."""
        return self.patient_share + self.rejected_insurer_share

    @property
    def insurer_due(self) -> Decimal:
        return self.insurer_share - self.rejected_insurer_share

    @property
    def net_paid(self) -> Decimal:
        return self.captured - self.refunded

    @property
    def refundable(self) -> Decimal:
        return max(self.captured - self.refunded - self.refund_pending, ZERO)

    def outstanding_for(self, status: str) -> Decimal:
        if status in (InvoiceStatus.DRAFT, InvoiceStatus.VOID):
            return ZERO
        return max(self.patient_due - self.captured, ZERO)


def _fen(value) -> Decimal:
    """Two places whatever the database's SUM gave back (SQLite answers Decimal('80'))."""
    return Decimal(value or 0).quantize(FEN)


def balance_of(invoice: Invoice) -> InvoiceBalance:
    """The balance of an invoice annotated by invoices_with_balances."""
    return InvoiceBalance(
        total=_fen(invoice.lines_total), insurer_share=_fen(invoice.insurer_total),
        patient_share=_fen(invoice.patient_total), rejected_insurer_share=_fen(invoice.rejected_share),
        captured=_fen(invoice.captured_total), refunded=_fen(invoice.refunded_total),
        refund_pending=_fen(invoice.refund_pending_total))


def invoice_balance(*, invoice: Invoice) -> InvoiceBalance:
    """The balance of `invoice`, summed from its lines, claim and events now (one query)."""
    return balance_of(invoices_with_balances(Invoice.objects.filter(pk=invoice.pk)).get())


@dataclass(frozen=True)
class PaymentBalance:
    authorised: Decimal
    captured: Decimal
    refunded: Decimal
    refund_pending: Decimal

    @property
    def refundable(self) -> Decimal:
        return max(self.captured - self.refunded - self.refund_pending, ZERO)


def payment_balance(*, payment: Payment) -> PaymentBalance:
    sums = dict(PaymentEvent.objects.filter(payment=payment).order_by().values_list("kind").annotate(Sum("amount")))
    pending = Refund.objects.filter(payment=payment, status=RefundStatus.PENDING).aggregate(t=Sum("amount"))["t"]
    return PaymentBalance(authorised=_fen(sums.get(EventKind.AUTHORISE)), captured=_fen(sums.get(EventKind.CAPTURE)),
                          refunded=_fen(sums.get(EventKind.REFUND)), refund_pending=_fen(pending))


# --- Who sees which bills ------------------------------------------------------------------------------

def patients_of_account(user: User) -> QuerySet[Patient]:
    """The patients on `user`'s family list (就诊人), themselves included."""
    return Patient.objects.filter(Q(account=user) | Q(pk__in=FamilyMember.objects.filter(account=user).values("patient_id")))


def sees_all_invoices(user: User) -> bool:
    from accounts.roles import Role

    return user.has_role(Role.FRONT_DESK) or user.has_perm("payments.view_invoice")


def invoice_list(*, user: User, patient_public_id: UUID | None = None, status: str | None = None) -> QuerySet[Invoice]:
    """Issued-or-later bills of the patients on `user`'s family list (all bills for front desk and finance staff),
    newest first, with their balances and patient, in one query."""
    invoices = Invoice.objects.exclude(status=InvoiceStatus.DRAFT)
    if not sees_all_invoices(user):
        invoices = invoices.filter(patient__in=patients_of_account(user))
    if patient_public_id:
        invoices = invoices.filter(patient__public_id=patient_public_id)
    if status:
        invoices = invoices.filter(status=status)
    return invoices_with_balances(invoices.select_related("patient")).order_by("-created_at", "-id")


def invoice_get(*, user: User, public_id: UUID) -> Invoice | None:
    """One bill `user` may see, with balance, lines, payments and claim loaded; None if not theirs or not found."""
    return (invoice_list(user=user).filter(public_id=public_id)
            .select_related("patient", "claim", "coverage__plan")
            .prefetch_related("lines", "payments").first())


def invoice_for_source(*, source: str, source_ref: UUID) -> Invoice | None:
    """The live (not void) invoice of a source item, if any."""
    return Invoice.objects.filter(source=source, source_ref=source_ref).exclude(status=InvoiceStatus.VOID).first()


# --- Medical insurance linked by patients --------------------------------------------------------------------------

def plans_offered() -> QuerySet[InsurancePlan]:
    """The plans a patient may link (active ones)."""
    return InsurancePlan.objects.filter(is_active=True).order_by("name", "code")


def coverages_by_person(*, user: User) -> list[tuple[Patient, list[Coverage]]]:
    """Each person on `user`'s family list (themselves first, then by name) with their coverages not ended before
    today, newest first. Two queries."""
    people = list(patients_of_account(user).order_by("name", "pk"))
    people.sort(key=lambda p: p.account_id != user.pk)
    today = timezone.localdate()
    by_patient: dict[int, list[Coverage]] = {p.pk: [] for p in people}
    for coverage in (Coverage.objects.filter(patient_id__in=by_patient)
                     .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=today))
                     .select_related("plan").order_by("-valid_from", "-pk")):
        by_patient[coverage.patient_id].append(coverage)
    return [(p, by_patient[p.pk]) for p in people]


def coverage_get(*, user: User, public_id: UUID) -> Coverage | None:
    """A coverage of someone on `user`'s family list; None if not theirs or not found."""
    return (Coverage.objects.filter(public_id=public_id, patient__in=patients_of_account(user))
            .select_related("plan", "patient").first())


def person_get(*, user: User, public_id: UUID) -> Patient | None:
    """A person on `user`'s family list; None otherwise."""
    return patients_of_account(user).filter(public_id=public_id).first()
