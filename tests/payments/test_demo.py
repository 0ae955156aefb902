"""seed_demo's payments part: the fee schedule, an insurance plan, the insured demo patient; run twice, no change;
a demo booking now costs the scheduled fee and the demo patient's medicines are split with insurance."""

from decimal import Decimal

import pytest
from django.core.management import call_command

from appointments.fees import registration_fee
from appointments.models import DoctorProfile
from payments.models import Coverage, FeeItem, InsurancePlan, InsuranceRatio, LineCategory
from payments.services import invoice_split_apply
from records.models import Patient
from tests.payments import factories as f

pytestmark = pytest.mark.django_db


def snapshot() -> dict:
    return {"fees": sorted(FeeItem.objects.values_list("kind", "code", "amount")),
            "plans": InsurancePlan.objects.count(), "ratios": InsuranceRatio.objects.count(),
            "coverages": sorted(Coverage.objects.values_list("member_number", "patient_id"))}


def test_seed_demo_gives_fees_a_plan_and_a_covered_patient_and_runs_twice_unchanged():
    call_command("seed_demo", "--quiet-logins")
    first = snapshot()
    call_command("seed_demo", "--quiet-logins")

    assert snapshot() == first
    chief = DoctorProfile.objects.get(user__email="dr.zhang@demo.hospital")
    assert registration_fee(doctor=chief) == Decimal("50.00")
    patient = Patient.objects.get(account__email="patient@demo.hospital")
    assert Coverage.objects.filter(patient=patient).exists()
    bill = f.invoice(who=patient, prices=("150.00",), category=LineCategory.DRUG)
    invoice_split_apply(invoice=bill)
    # 50.00 deductible first, then 70 % of 100.00.
    assert [(line.insurer_share, line.patient_share) for line in bill.lines.all()] == [
        (Decimal("70.00"), Decimal("80.00"))]


def test_the_demo_patient_has_one_bill_to_pay_with_medicines_however_often_the_seed_runs(client):
    from payments.models import Invoice, InvoiceStatus

    call_command("seed_demo", "--quiet-logins")
    call_command("seed_demo", "--quiet-logins")

    patient = Patient.objects.get(account__email="patient@demo.hospital")
    bills = Invoice.objects.filter(patient=patient, source="manual")
    assert [b.status for b in bills] == [InvoiceStatus.ISSUED]
    assert bills[0].lines.filter(category=LineCategory.DRUG).exists()
    client.force_login(patient.account)
    assert bills[0].number in client.get("/payments/").text
