"""Celery tasks for payments: thin, idempotent wrappers over payments.services.

Beat runs ``payments_pending_resolve`` every minute and ``reconciliation_daily`` once a day
(config.settings.base.CELERY_BEAT_SCHEDULE); the services enqueue the others after commit.
"""

from celery import shared_task

from payments import services
from payments.models import InsuranceClaim, Payment, Refund


@shared_task(acks_late=True)
def claim_settle(claim_id: int) -> str:
    """Ask the plan's insurer adapter to decide a pending claim (a decided one is left alone)."""
    claim = InsuranceClaim.objects.select_related("coverage__plan").filter(pk=claim_id).first()
    if claim is None:
        return "missing"
    return services.claim_settle(claim=claim).status


@shared_task(acks_late=True)
def refund_send(refund_id: int) -> str:
    refund = Refund.objects.filter(pk=refund_id).first()
    return "missing" if refund is None else services.refund_send(refund=refund).status


@shared_task(acks_late=True)
def payment_capture(payment_id: int) -> str:
    payment = Payment.objects.filter(pk=payment_id).first()
    return "missing" if payment is None else services.payment_capture(payment=payment).status


@shared_task(acks_late=True)
def payment_cancel_authorisation(payment_id: int) -> str:
    payment = Payment.objects.filter(pk=payment_id).first()
    return "missing" if payment is None else services.payment_authorisation_cancel(payment=payment).status


@shared_task(acks_late=True)
def payments_pending_resolve() -> dict:
    report = services.payments_pending_resolve()
    return {"asked": report.asked, "applied": report.events_applied, "expired": report.expired,
            "refunds_sent": report.refunds_sent, "claims_settled": report.claims_settled}


@shared_task(acks_late=True)
def reconciliation_daily() -> list[int]:
    return [run.mismatches for run in services.reconciliation_run_yesterday()]
