"""Every write of the payments app (docs/payments.md). Lock order everywhere: Invoice → Coverage → Payment → Refund."""

from payments.services.checkout import (
    checkout_start,
    payment_authorisation_cancel,
    payment_capture,
    payment_desk_record,
)
from payments.services.claims import claim_settle
from payments.services.coverages import coverage_link, coverage_unlink, member_number_normalise
from payments.services.fees import fee_get, registration_fee_from_schedule
from payments.services.invoices import (
    LineSpec,
    invoice_create,
    invoice_for_appointment,
    invoice_for_encounter,
    invoice_for_monitoring_plan,
    invoice_issue,
    invoice_split_apply,
    invoice_void,
)
from payments.services.jobs import payments_pending_resolve, reconciliation_run, reconciliation_run_yesterday
from payments.services.ledger import ApplyResult, claim_decided, payment_notification_apply
from payments.services.refunds import refund_for_cancelled_appointment, refund_request, refund_send

__all__ = [
    "ApplyResult", "LineSpec", "checkout_start", "claim_decided", "claim_settle", "coverage_link", "coverage_unlink",
    "fee_get", "invoice_create", "invoice_for_appointment", "invoice_for_encounter", "invoice_for_monitoring_plan",
    "invoice_issue", "invoice_split_apply", "invoice_void", "member_number_normalise", "payment_authorisation_cancel",
    "payment_capture", "payment_desk_record", "payment_notification_apply", "payments_pending_resolve",
    "reconciliation_run", "reconciliation_run_yesterday", "refund_for_cancelled_appointment", "refund_request",
    "refund_send", "registration_fee_from_schedule",
]
