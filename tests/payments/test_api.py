"""The payments API: who sees which bills, checkout (two clicks / two tabs → one payment), refunds for staff,
problem+json refusals, and the query counts of the lists."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.roles import Role
from payments import services
from payments.models import InvoiceStatus, Payment
from tests.appointments import factories as booking
from tests.payments import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def family(api_client):
    account, own = booking.account_with_patient()
    mother = booking.patient()
    booking.add_to_list(account, mother)
    api_client.force_authenticate(account)
    return account, own, mother, api_client


def test_a_patient_lists_the_bills_of_their_family_list_only(family):
    _account, own, mother, client = family
    mine, hers = f.invoice(who=own), f.invoice(who=mother)
    f.invoice()  # someone else's

    response = client.get("/api/v1/payments/invoices")

    assert response.status_code == 200
    ids = {row["public_id"] for row in response.json()["results"]}
    assert ids == {str(mine.public_id), str(hers.public_id)}
    row = next(r for r in response.json()["results"] if r["public_id"] == str(mine.public_id))
    assert (row["total"], row["patient_due"], row["outstanding"], row["status"]) == ("25.00", "25.00", "25.00", "issued")


def test_the_list_costs_the_same_queries_for_one_bill_or_twenty(family):
    _account, own, _mother, client = family
    f.invoice(who=own)
    client.get("/api/v1/payments/invoices")  # the user's roles are read once and kept on the request's user
    with CaptureQueriesContext(connection) as one:
        client.get("/api/v1/payments/invoices")
    for _ in range(19):
        f.invoice(who=own, prices=("1.00", "2.00"))
    with CaptureQueriesContext(connection) as twenty:
        response = client.get("/api/v1/payments/invoices")
    assert response.json()["count"] == 20
    assert len(twenty) == len(one) == 2  # the count and one query for the page with its sums and patients


def test_someone_elses_bill_is_not_found(family):
    _account, _own, _mother, client = family
    stranger = f.invoice()

    response = client.get(f"/api/v1/payments/invoices/{stranger.public_id}")
    pay = client.post(f"/api/v1/payments/invoices/{stranger.public_id}/checkout", {"idempotency_key": "abcdefgh1"},
                      format="json")

    assert response.status_code == pay.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert Payment.objects.count() == 0


def test_detail_shows_lines_with_their_insurance_split(family):
    _account, own, _mother, client = family
    f.cover(own, f.plan(ratios={"drug": "0.70"}))
    invoice = f.invoice(who=own, prices=("10.05",))

    body = client.get(f"/api/v1/payments/invoices/{invoice.public_id}").json()

    assert body["lines"][0]["insurer_share"] == "7.03" and body["lines"][0]["patient_share"] == "3.02"
    assert (body["insurer_share"], body["patient_due"]) == ("7.03", "3.02")


def test_two_clicks_and_two_tabs_make_one_payment(family):
    _account, own, _mother, client = family
    invoice = f.invoice(who=own)
    url = f"/api/v1/payments/invoices/{invoice.public_id}/checkout"

    first = client.post(url, {"idempotency_key": "tab-one-click"}, format="json")
    again = client.post(url, {"idempotency_key": "tab-one-click"}, format="json")
    other_tab = client.post(url, {"idempotency_key": "tab-two-click"}, format="json")

    assert first.status_code == again.status_code == other_tab.status_code == 201
    ids = {r.json()["payment"]["public_id"] for r in (first, again, other_tab)}
    assert len(ids) == 1 and Payment.objects.count() == 1
    assert first.json()["redirect_url"].startswith("/sandbox-pay/")


def test_checkout_refusals_are_problem_json_with_a_message(family):
    _account, own, _mother, client = family
    paid = f.invoice(who=own)
    services.payment_notification_apply(event=f.sandbox_pay(f.checkout(paid)))

    short_key = client.post(f"/api/v1/payments/invoices/{paid.public_id}/checkout", {"idempotency_key": "x"},
                            format="json")
    nothing = client.post(f"/api/v1/payments/invoices/{paid.public_id}/checkout", {"idempotency_key": "another-key"},
                          format="json")

    assert short_key.status_code == 400 and "idempotency_key" in short_key.json()["errors"]
    assert nothing.status_code == 409 and nothing.json()["code"] == "nothing_to_pay"


def test_a_patient_may_not_refund(family):
    _account, own, _mother, client = family
    invoice = f.invoice(who=own)
    response = client.post(f"/api/v1/payments/invoices/{invoice.public_id}/refunds",
                           {"amount": "1.00", "reason": "x", "request_key": "refund-key-1"}, format="json")
    assert response.status_code == 403


@pytest.fixture
def finance(api_client):
    staff = booking.user(Role.HOSPITAL_ADMIN)
    api_client.force_authenticate(staff)
    return api_client


def _paid_bill(amount="60.00"):
    invoice = f.invoice(prices=(amount,))
    services.payment_notification_apply(event=f.sandbox_pay(f.checkout(invoice)))
    return invoice


def test_staff_refund_part_of_a_paid_bill(finance):
    invoice = _paid_bill()
    response = finance.post(f"/api/v1/payments/invoices/{invoice.public_id}/refunds",
                            {"amount": "20.00", "reason": "One test was not done", "request_key": "refund-key-1"},
                            format="json")
    invoice.refresh_from_db()
    assert response.status_code == 201 and response.json()["status"] == "succeeded"
    assert invoice.status == InvoiceStatus.PARTIALLY_REFUNDED


@pytest.mark.parametrize(("amount", "key_twice", "void", "code"), [
    ("60.01", False, False, "refund_too_large"),
    ("10.00", True, False, "refund_duplicate"),
    ("10.00", False, True, "refund_refused"),
])
def test_refusals_of_refunds(finance, amount, key_twice, void, code):
    invoice = f.invoice(prices=("60.00",)) if void else _paid_bill()
    if void:
        services.invoice_void(invoice=invoice, reason="Entered twice")
    url = f"/api/v1/payments/invoices/{invoice.public_id}/refunds"
    data = {"amount": amount, "reason": "Asked by the patient", "request_key": "the-same-request"}
    if key_twice:
        assert finance.post(url, data, format="json").status_code == 201

    response = finance.post(url, data, format="json")

    assert response.status_code == 409
    assert response.json()["code"] == code and response.json()["detail"]


def test_front_desk_records_cash_once_per_key(api_client):
    desk = booking.user(Role.FRONT_DESK)
    api_client.force_authenticate(desk)
    invoice = f.invoice(prices=("35.50",))
    url = f"/api/v1/payments/invoices/{invoice.public_id}/desk-payments"

    first = api_client.post(url, {"method": "cash", "idempotency_key": "desk-cash-001"}, format="json")
    again = api_client.post(url, {"method": "cash", "idempotency_key": "desk-cash-001"}, format="json")

    invoice.refresh_from_db()
    assert first.status_code == again.status_code == 201
    assert Payment.objects.filter(invoice=invoice).count() == 1
    assert invoice.status == InvoiceStatus.PAID


def test_a_patient_cannot_record_a_desk_payment(family):
    _account, own, _mother, client = family
    invoice = f.invoice(who=own)
    response = client.post(f"/api/v1/payments/invoices/{invoice.public_id}/desk-payments",
                           {"method": "cash", "idempotency_key": "desk-cash-002"}, format="json")
    assert response.status_code == 403
    assert Decimal(client.get(f"/api/v1/payments/invoices/{invoice.public_id}").json()["paid"]) == 0
