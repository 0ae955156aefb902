"""Periodic jobs over the ledger: resolving payments and refunds nobody heard back about (by asking the
provider, never guessing), and the daily reconciliation of each provider's statement with the ledger.
"""

import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import pandas as pd
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from payments.models import (
    DESK_PROVIDER,
    ClaimStatus,
    EventKind,
    InsuranceClaim,
    InvoiceSource,
    InvoiceStatus,
    MismatchKind,
    Payment,
    PaymentEvent,
    PaymentStatus,
    ReconciliationMismatch,
    ReconciliationRun,
    Refund,
    RefundStatus,
)
from payments.providers import provider_get
from payments.providers.errors import NotificationRejected, ProviderUnavailable
from payments.services.ledger import payment_notification_apply

logger = logging.getLogger(__name__)

UNRESOLVED = (PaymentStatus.CREATED, PaymentStatus.OPEN, PaymentStatus.PENDING)


@dataclass(frozen=True)
class ResolveReport:
    asked: int = 0
    events_applied: int = 0
    expired: int = 0
    unavailable: int = 0
    refunds_sent: int = 0
    claims_settled: int = 0


def payments_pending_resolve(*, now: datetime | None = None, limit: int = 200) -> ResolveReport:
    """Ask the provider about every online payment still unresolved after PAYMENT_QUERY_AFTER_SECONDS (a
    timeout at checkout, a notification lost) and every refund sent but not confirmed, and apply what it
    says happened (idempotently, in order). A checkout past its expiry that the provider says nothing about
    is marked expired: it can no longer be paid. A provider that does not answer is asked again next run.
    """
    now = now or timezone.now()
    due_before = now - timedelta(seconds=settings.PAYMENT_QUERY_AFTER_SECONDS)
    refunds_sent, claims_settled = _lost_tasks_redo(due_before=due_before, limit=limit)
    payment_ids = set(Payment.objects.filter(status__in=UNRESOLVED, created_at__lte=due_before)
                      .exclude(provider=DESK_PROVIDER).order_by("created_at").values_list("pk", flat=True)[:limit])
    payment_ids |= set(Refund.objects.filter(status=RefundStatus.PENDING, sent_at__lte=due_before)
                       .exclude(payment__provider=DESK_PROVIDER).values_list("payment_id", flat=True)[:limit])
    asked = applied = expired = unavailable = 0
    for payment in Payment.objects.filter(pk__in=payment_ids).order_by("pk"):
        try:
            status = provider_get(payment.provider).query(reference=payment.reference,
                                                          provider_reference=payment.provider_reference)
        except ProviderUnavailable:
            unavailable += 1
            continue
        asked += 1
        for event in sorted(status.events, key=lambda e: e.occurred_at):
            try:
                if payment_notification_apply(event=event).outcome == "applied":
                    applied += 1
            except NotificationRejected as exc:
                logger.error("Query of %s returned an event we cannot apply: %s", payment.reference, exc.message)
        if not status.events and payment.expires_at and payment.expires_at <= now:
            with transaction.atomic():
                expired += Payment.objects.filter(pk=payment.pk, status__in=UNRESOLVED).update(
                    status=PaymentStatus.EXPIRED, updated_at=now)
    return ResolveReport(asked=asked, events_applied=applied, expired=expired, unavailable=unavailable,
                         refunds_sent=refunds_sent, claims_settled=claims_settled)


def _lost_tasks_redo(*, due_before: datetime, limit: int) -> tuple[int, int]:
    """Do the work of refund_send and claim_settle tasks that never ran: a refund created but never sent to the
    provider, a claim never put to the insurer. A task can be lost although it is acks_late (Redis's transport pops
    a message before recording it as unacknowledged, so a worker killed in between loses it). Both services are
    idempotent under their locks, so a task that is merely late does no harm when it runs after this."""
    from payments.services.claims import claim_settle
    from payments.services.refunds import refund_send

    refunds = 0
    for refund in Refund.objects.filter(status=RefundStatus.PENDING, sent_at=None,
                                        created_at__lte=due_before).order_by("pk")[:limit]:
        try:
            refunds += refund_send(refund=refund).sent_at is not None
        except Exception:
            logger.warning("Sending refund %s failed; the next run tries again", refund.reference, exc_info=True)
    claims = 0
    _authorisations_follow(due_before=due_before, limit=limit)
    for claim in (InsuranceClaim.objects.select_related("coverage__plan")
                  .filter(status=ClaimStatus.PENDING, submitted_at__lte=due_before).order_by("pk")[:limit]):
        try:
            claims += claim_settle(claim=claim).status != ClaimStatus.PENDING
        except Exception:  # one insurer's failure must not stop the refunds and payments after it
            logger.warning("Settling claim %s failed; the next run asks again", claim.pk, exc_info=True)
    return refunds, claims


def _authorisations_follow(*, due_before: datetime, limit: int) -> None:
    """A pre-authorisation (预授权) whose capture or release task was lost: captured once its visit is completed,
    released once its bill is void or its appointment cancelled or expired."""
    from appointments.models import Appointment, AppointmentStatus
    from payments.services.checkout import payment_authorisation_cancel, payment_capture

    held = list(Payment.objects.select_related("invoice").filter(status=PaymentStatus.AUTHORISED,
                                                                 updated_at__lte=due_before).order_by("pk")[:limit])
    statuses = dict(Appointment.objects.filter(public_id__in=[p.invoice.source_ref for p in held
                                                              if p.invoice.source == InvoiceSource.APPOINTMENT])
                    .values_list("public_id", "status"))
    for payment in held:
        appointment_status = statuses.get(payment.invoice.source_ref)
        try:
            if payment.invoice.status == InvoiceStatus.VOID or appointment_status in (AppointmentStatus.CANCELLED,
                                                                                       AppointmentStatus.EXPIRED):
                payment_authorisation_cancel(payment=payment)
            elif appointment_status == AppointmentStatus.COMPLETED:
                payment_capture(payment=payment)
        except Exception:
            logger.warning("Following up authorisation %s failed; the next run tries again", payment.reference,
                           exc_info=True)


# --- Reconciliation (对账) ------------------------------------------------------------------------------

# Only money moves are settled: captures and refunds.
SETTLED_KINDS = (EventKind.CAPTURE, EventKind.REFUND)

WHAT_TO_DO = {
    MismatchKind.MISSING_LOCALLY: _("The provider took or gave back money we have no record of: run the payment query "
                                    "for this reference, then check the bill."),
    MismatchKind.MISSING_AT_PROVIDER: _("Our ledger has money the provider does not list: ask the provider about this "
                                        "event before the patient is told anything."),
    MismatchKind.AMOUNT_DIFFERS: _("The amounts differ: compare the provider's record with the bill and correct by a "
                                   "refund or a new charge, never by editing the ledger."),
    MismatchKind.STATUS_DIFFERS: _("The provider and the ledger disagree on what happened: ask the provider and apply "
                                   "its answer through the payment query."),
}


def _day_bounds(day: date) -> tuple[datetime, datetime]:
    start = timezone.make_aware(datetime.combine(day, time.min))
    return start, start + timedelta(days=1)


def _frame(rows: list[dict]) -> pd.DataFrame:
    columns = ["event_id", "reference", "kind", "amount"]
    frame = pd.DataFrame(rows, columns=columns)
    frame["amount"] = frame["amount"].map(lambda v: None if v is None else str(v))
    return frame.drop_duplicates("event_id").set_index("event_id")


def reconciliation_run(*, provider_name: str, day: date) -> ReconciliationRun:
    """Compare the provider's statement for local `day` with the ledger's captures and refunds that happened
    that day, by event id (pandas outer merge), and record each difference as a ReconciliationMismatch an
    admin sees with what to do: missing locally, missing at the provider, amount differs, kind differs.
    Matching rows record nothing. Each run is a new row; running a day again compares it again."""
    statement = provider_get(provider_name).statement(day=day)
    start, end = _day_bounds(day)
    provider_rows = [{"event_id": e.event_id, "reference": e.reference, "kind": str(e.kind), "amount": e.amount}
                     for e in statement if str(e.kind) in SETTLED_KINDS]
    ledger_rows = list(PaymentEvent.objects.filter(provider=provider_name, kind__in=SETTLED_KINDS,
                                                   occurred_at__gte=start, occurred_at__lt=end)
                       .values("event_id", "kind", "amount", reference=F("payment__reference")))
    provider_frame, ledger_frame = _frame(provider_rows), _frame(ledger_rows)
    merged = provider_frame.merge(ledger_frame, how="outer", left_index=True, right_index=True,
                                  suffixes=("_provider", "_ledger"))
    # An event id the other side lists on another day is still "missing" here for this day; the admin's note
    # says to query, which finds it.
    in_provider = merged["kind_provider"].notna()
    in_ledger = merged["kind_ledger"].notna()
    kinds = pd.Series(None, index=merged.index, dtype="object")
    kinds[in_provider & ~in_ledger] = MismatchKind.MISSING_LOCALLY
    kinds[~in_provider & in_ledger] = MismatchKind.MISSING_AT_PROVIDER
    both = in_provider & in_ledger
    kinds[both & (merged["kind_provider"] != merged["kind_ledger"])] = MismatchKind.STATUS_DIFFERS
    amount_differs = both & (merged["kind_provider"] == merged["kind_ledger"]) & (
        merged["amount_provider"].map(lambda v: v and float(v)) != merged["amount_ledger"].map(lambda v: v and float(v)))
    kinds[amount_differs] = MismatchKind.AMOUNT_DIFFERS
    merged["mismatch"] = kinds
    differences = merged[merged["mismatch"].notna()]

    with transaction.atomic():
        run = ReconciliationRun.objects.create(provider=provider_name, day=day, provider_rows=len(provider_frame),
                                               ledger_rows=len(ledger_frame), mismatches=len(differences))
        ReconciliationMismatch.objects.bulk_create([
            ReconciliationMismatch(
                run=run, kind=row.mismatch, event_id=str(event_id),
                reference=(row.reference_provider if isinstance(row.reference_provider, str) else row.reference_ledger) or "",
                provider_kind=row.kind_provider if isinstance(row.kind_provider, str) else "",
                ledger_kind=row.kind_ledger if isinstance(row.kind_ledger, str) else "",
                provider_amount=row.amount_provider if isinstance(row.amount_provider, str) else None,
                ledger_amount=row.amount_ledger if isinstance(row.amount_ledger, str) else None,
                what_to_do=str(WHAT_TO_DO[row.mismatch]))
            for event_id, row in differences.iterrows()])
    return run


def reconciliation_run_yesterday() -> list[ReconciliationRun]:
    """The daily job: reconcile yesterday (local) for every configured provider."""
    day = timezone.localdate() - timedelta(days=1)
    runs = []
    for name in getattr(settings, "PAYMENT_PROVIDERS", ["sandbox"]):
        try:
            runs.append(reconciliation_run(provider_name=name, day=day))
        except ProviderUnavailable:
            logger.warning("Provider %s unavailable for reconciliation of %s; retried by the next run", name, day)
    return runs
