"""The payments admin as a hospital administrator: the refund action asks for a reason on a confirmation page and
refuses what the service refuses; the ledger is read-only; daily totals are sums of the ledger's events."""

from decimal import Decimal

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.models import LogEntry
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.roles import Role
from payments import services
from payments.models import InvoiceStatus, PaymentEvent, Refund
from tests.appointments import factories as booking
from tests.payments import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(booking.user(Role.HOSPITAL_ADMIN, is_staff=True))
    return client


def _paid(amount="80.00"):
    invoice = f.invoice(prices=(amount,))
    services.payment_notification_apply(event=f.sandbox_pay(f.checkout(invoice)))
    return invoice


def _refund_action(client, invoice, **form):
    data = {"action": "refund", ACTION_CHECKBOX_NAME: [invoice.pk], **form}
    return client.post(reverse("admin:payments_invoice_changelist"), data)


def test_the_refund_action_first_asks_for_the_amount_and_a_reason(admin_client):
    invoice = _paid()

    page = _refund_action(admin_client, invoice)

    assert page.status_code == 200
    assert "Can still be refunded" in page.content.decode() and "80.00" in page.content.decode()
    assert Refund.objects.count() == 0


def test_a_refund_without_a_reason_is_not_made(admin_client):
    invoice = _paid()
    page = _refund_action(admin_client, invoice, amount="10.00", reason="", request_key="k1")
    assert page.status_code == 200 and page.context["form"].errors["reason"]
    assert Refund.objects.count() == 0


def test_a_refund_above_what_was_paid_is_refused_with_the_most_that_can_be(admin_client):
    invoice = _paid()
    page = _refund_action(admin_client, invoice, amount="80.01", reason="Overcharged", request_key="k2")
    assert page.status_code == 200
    assert "80.00" in " ".join(page.context["form"].non_field_errors())
    assert Refund.objects.count() == 0


def test_a_confirmed_refund_is_made_and_logged(admin_client):
    invoice = _paid()

    response = _refund_action(admin_client, invoice, amount="30.00", reason="One test was not done", request_key="k3")

    invoice.refresh_from_db()
    assert response.status_code == 302
    assert Refund.objects.get().reason == "One test was not done"
    assert invoice.status == InvoiceStatus.PARTIALLY_REFUNDED
    assert "One test was not done" in LogEntry.objects.get(object_id=str(invoice.pk)).change_message


def test_ledger_events_are_read_only(admin_client):
    _paid()
    event = PaymentEvent.objects.get()
    change = reverse("admin:payments_paymentevent_change", args=[event.pk])

    assert admin_client.get(change).status_code == 200
    assert admin_client.post(reverse("admin:payments_paymentevent_delete", args=[event.pk]), {"post": "yes"}
                             ).status_code == 403
    assert admin_client.get(reverse("admin:payments_paymentevent_add")).status_code == 403
    assert PaymentEvent.objects.filter(pk=event.pk).exists()


def test_daily_totals_sum_the_days_events(admin_client):
    _paid("80.00")
    _paid("20.50")
    page = admin_client.get(reverse("admin:payments_paymentevent_daily_totals"))
    row = page.context["rows"][0]
    assert (row["captured"], row["refunded"], row["net"]) == (Decimal("100.50"), Decimal("0"), Decimal("100.50"))


def test_the_invoice_list_costs_the_same_for_one_bill_or_ten(admin_client):
    _paid()
    admin_client.get(reverse("admin:payments_invoice_changelist"))
    with CaptureQueriesContext(connection) as one:
        admin_client.get(reverse("admin:payments_invoice_changelist"))
    for _ in range(9):
        f.invoice(prices=("5.00", "6.00"))
    with CaptureQueriesContext(connection) as ten:
        page = admin_client.get(reverse("admin:payments_invoice_changelist"))
    assert page.status_code == 200 and len(ten) == len(one)


def test_every_payments_admin_page_opens(admin_client):
    _paid()
    for model in ("feeitem", "insuranceplan", "coverage", "invoice", "payment", "paymentevent", "refund",
                  "insuranceclaim", "paymentnotificationlog", "heldevent", "reconciliationrun",
                  "reconciliationmismatch"):
        assert admin_client.get(reverse(f"admin:payments_{model}_changelist")).status_code == 200, model
