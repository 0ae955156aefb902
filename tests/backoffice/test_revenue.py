"""Acceptance 1, money (issue 8): revenue by category with the insurer's and the patient's shares, and refunds,
equal to the hand-computed values on bills seeded in the payments ledger."""

import io
from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from appointments.localtime import hospital_zone
from appointments.models import Appointment
from backoffice import figures, revenue
from tests.backoffice import world

pytestmark = [pytest.mark.django_db,
              pytest.mark.skipif(not revenue.available(), reason="the payments ledger is not installed")]


@pytest.fixture
def billed():
    """Day D: the registration of an appointment in department A (50.00, all the patient's); a desk bill (no
    department) for medicine 120.00 (insurer 84.00, patient 36.00) and a lab test 80.00 (insurer 56.00, patient
    24.00), of which 20.00 was refunded the same day. A bill paid the day before D is outside the period."""
    from payments.models import Invoice, InvoiceLine, Payment, Refund

    seeded = world.seed()
    at = datetime.combine(seeded.day, time(10), tzinfo=hospital_zone())
    appointment = Appointment.objects.filter(doctor=seeded.doc_a).first()

    def bill(number, source, ref, lines, paid_at=at):
        invoice = Invoice.objects.create(number=number, patient=appointment.patient, status="paid", source=source,
                                         source_ref=ref, issued_at=paid_at, paid_at=paid_at)
        for position, (category, amount, insurer) in enumerate(lines, start=1):
            InvoiceLine.objects.create(invoice=invoice, position=position, category=category, description=category,
                                       quantity=1, unit_price=Decimal(amount), amount=Decimal(amount),
                                       insurer_share=Decimal(insurer), patient_share=Decimal(amount) - Decimal(insurer))
        return invoice

    bill("B1", "appointment", appointment.public_id, [("registration", "50.00", "0")])
    desk = bill("B2", "manual", None, [("drug", "120.00", "84.00"), ("lab", "80.00", "56.00")])
    bill("B0", "manual", None, [("drug", "999.00", "0")], paid_at=at - timedelta(days=1))
    payment = Payment.objects.create(invoice=desk, provider="sandbox", reference="P-B2", idempotency_key="pay-b2",
                                     amount=Decimal("200.00"), status="captured")
    Refund.objects.create(invoice=desk, payment=payment, amount=Decimal("20.00"), reason="one test not done",
                          request_key="refund-b2", status="succeeded", completed_at=at.replace(hour=15))
    return seeded


HAND_COMPUTED = {"revenue_total": 250.0, "revenue_insurer": 140.0, "revenue_patient": 110.0, "refunds_total": 20.0}


@pytest.mark.parametrize("figure", HAND_COMPUTED)
def test_money_figure_equals_the_hand_computed_value(billed, figure):
    result = figures.dashboard_compute(date_from=billed.day, date_to=billed.next_day)

    assert result.totals[figure] == HAND_COMPUTED[figure]


def test_the_insurance_split_adds_up_to_the_revenue(billed):
    totals = figures.dashboard_compute(date_from=billed.day, date_to=billed.day).totals

    assert totals["revenue_insurer"] + totals["revenue_patient"] == totals["revenue_total"]


def test_revenue_by_category_with_shares_and_refunds(billed):
    table = figures.dashboard_compute(date_from=billed.day, date_to=billed.next_day).revenue

    assert table.loc["Registration"].tolist() == [50.0, 0.0, 50.0, 0.0]
    assert table.loc["Medicine"].tolist() == [120.0, 84.0, 36.0, 20.0]  # the refund goes to the bill's largest line
    assert table.loc["Laboratory test"].tolist() == [80.0, 56.0, 24.0, 0.0]


def test_revenue_of_one_department_is_its_appointments_bills(billed):
    totals = figures.dashboard_compute(date_from=billed.day, date_to=billed.day, department_id=billed.dept_a.pk).totals

    assert (totals["revenue_total"], totals["revenue_insurer"], totals["refunds_total"]) == (50.0, 0.0, 0.0)


def test_the_page_and_the_excel_file_show_revenue_by_category(client, billed):
    client.force_login(world.admin_user())
    period = {"date_from": billed.day.isoformat(), "date_to": billed.next_day.isoformat()}

    html = client.get(reverse("admin:backoffice_dashboard"), period).content.decode()
    content = client.get(reverse("admin:backoffice_dashboard_export", args=["xlsx"]), period).content

    assert "<dt>Paid by insurance (CNY)</dt><dd>140.00</dd>" in html and "Revenue by category (CNY)" in html
    rows = list(load_workbook(io.BytesIO(content))["Revenue"].iter_rows(min_row=2, values_only=True))
    assert ("Medicine", 120, 84, 36, 20) in rows and len(rows) == 3
