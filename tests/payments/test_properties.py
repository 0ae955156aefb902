"""Acceptance 2 (ledger): whatever refunds are asked for and whatever notifications are replayed, refunds never
exceed what was paid, and every balance equals the sum of the ledger's events."""

from decimal import Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.errors import ApplicationError
from payments import services
from payments.models import EventKind, PaymentEvent, Refund, RefundStatus
from payments.selectors import invoice_balance, payment_balance
from tests.appointments import factories as booking
from tests.payments import factories as f

pytestmark = pytest.mark.django_db

small_money = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("300.00"), places=2, allow_nan=False,
                          allow_infinity=False)


class _Rollback(Exception):
    pass


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(prices=st.lists(small_money, min_size=1, max_size=4),
       steps=st.lists(st.tuples(st.sampled_from(["refund", "replay", "refund_again"]), small_money), max_size=8))
def test_refunds_never_exceed_payments_and_balances_are_event_sums(prices, steps):
    try:
        with transaction.atomic():
            staff = booking.user()
            staff.is_superuser = True
            staff.save(update_fields=["is_superuser"])
            invoice = f.invoice(prices=[str(p) for p in prices])
            payment = f.checkout(invoice)
            capture = f.sandbox_pay(payment)
            services.payment_notification_apply(event=capture)
            seen = [capture]
            for number, (step, amount) in enumerate(steps):
                before = invoice_balance(invoice=invoice).refundable
                key = "same-request" if step == "refund_again" else f"request-{number}"
                if step == "replay":
                    services.payment_notification_apply(event=seen[number % len(seen)])
                    continue
                try:
                    refund = services.refund_request(invoice=invoice, amount=amount, reason="test", by=staff,
                                                     request_key=key)
                except ApplicationError:
                    refused = True
                else:
                    refused = False
                    assert refund.status == RefundStatus.SUCCEEDED
                    seen.append(f.event(payment, "refund", amount, event_id=refund.events.get().event_id,
                                        refund_reference=refund.reference))
                if amount > before:
                    assert refused
                if not refused:
                    assert invoice_balance(invoice=invoice).refundable == before - amount

                balance = invoice_balance(invoice=invoice)
                events = PaymentEvent.objects.filter(payment__invoice=invoice)
                assert balance.captured == sum((e.amount for e in events if e.kind == EventKind.CAPTURE), Decimal(0))
                assert balance.refunded == sum((e.amount for e in events if e.kind == EventKind.REFUND), Decimal(0))
                assert balance.refunded <= balance.captured
                assert payment_balance(payment=payment).refunded == balance.refunded
                assert balance.refunded == sum((r.amount for r in Refund.objects.filter(
                    invoice=invoice, status=RefundStatus.SUCCEEDED)), Decimal(0))
            raise _Rollback
    except _Rollback:
        pass
