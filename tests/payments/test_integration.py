"""How other apps' events become bills: the registration fee from the fee schedule (appointments.fees hook), a
signed encounter's medicines and tests, a monitoring plan's fee; and insurance applied to them, claims settled or
rejected by the sandbox insurer."""

from datetime import date
from decimal import Decimal

import pytest
from django.test import override_settings

from accounts.roles import Role
from appointments.fees import registration_fee
from appointments.models import DoctorTitle
from payments import services
from payments.models import (
    ClaimStatus,
    FeeKind,
    InsuranceClaim,
    InvoiceSource,
    InvoiceStatus,
    LineCategory,
)
from payments.selectors import invoice_balance, invoice_for_source
from records import services as records_services
from records.models import OrderKind
from telemonitor.services.plans import plan_enrol
from tests.appointments import factories as booking
from tests.payments import factories as f
from tests.records import clinical

pytestmark = pytest.mark.django_db


def test_registration_fee_comes_from_the_schedule_in_effect_that_day():
    doctor = booking.doctor(title=DoctorTitle.CHIEF)
    f.fee(FeeKind.REGISTRATION, DoctorTitle.CHIEF, "50.00", since=date(2020, 1, 1))
    f.fee(FeeKind.REGISTRATION, DoctorTitle.CHIEF, "60.00", since=date(2026, 1, 1))

    assert registration_fee(doctor=doctor, day=date(2025, 12, 31)) == Decimal("50.00")
    assert registration_fee(doctor=doctor, day=date(2026, 1, 1)) == Decimal("60.00")


def test_a_title_without_a_scheduled_fee_falls_back_to_settings():
    doctor = booking.doctor(title=DoctorTitle.RESIDENT)
    with override_settings(REGISTRATION_FEES={DoctorTitle.RESIDENT: "8"}):
        assert registration_fee(doctor=doctor) == Decimal("8.00")


def _signed_encounter(run_on_commit, *, order_code="24331-1"):
    doctor = booking.user(Role.DOCTOR)
    patient = booking.patient()
    drug = clinical.drug(code="amox-500", unit_price=Decimal("12.50"))
    encounter = records_services.encounter_create(patient=patient, author=doctor, chief_complaint="Cough")
    records_services.diagnosis_add(encounter=encounter, code="J06.9", by=doctor)
    records_services.prescription_create(encounter=encounter, drug=drug, dose_amount=Decimal("500"), dose_unit="mg",
                                         route="oral", frequency="tid", duration_days=5, quantity=2, by=doctor)
    from records.services.results import order_create

    order_create(patient=patient, kind=OrderKind.LAB, name="Lipid panel", code=order_code, by=doctor,
                 encounter=encounter)
    with run_on_commit():
        records_services.encounter_sign(encounter=encounter, by=doctor)
    return encounter


def test_a_signed_encounter_bills_its_medicines_and_priced_tests(run_on_commit):
    f.fee(FeeKind.DRUG, "amox-500", "11.00", category=LineCategory.DRUG)  # the schedule's price wins
    f.fee(FeeKind.TEST, "24331-1", "45.00", category=LineCategory.LAB)

    encounter = _signed_encounter(run_on_commit)

    invoice = invoice_for_source(source=InvoiceSource.ENCOUNTER, source_ref=encounter.public_id)
    lines = [(line.category, line.quantity, line.unit_price, line.amount) for line in invoice.lines.all()]
    assert invoice.status == InvoiceStatus.ISSUED and invoice.number.startswith("F")
    assert lines == [(LineCategory.DRUG, 2, Decimal("11.00"), Decimal("22.00")),
                     (LineCategory.LAB, 1, Decimal("45.00"), Decimal("45.00"))]


def test_an_unpriced_test_is_left_off_the_bill_and_the_drug_keeps_its_formulary_price(run_on_commit):
    encounter = _signed_encounter(run_on_commit, order_code="2345-7")

    invoice = invoice_for_source(source=InvoiceSource.ENCOUNTER, source_ref=encounter.public_id)
    assert [(line.category, line.amount) for line in invoice.lines.all()] == [(LineCategory.DRUG, Decimal("25.00"))]


def test_the_same_encounter_is_billed_once(run_on_commit):
    encounter = _signed_encounter(run_on_commit)
    services.invoice_for_encounter(encounter=encounter)
    services.invoice_for_encounter(encounter=encounter)
    assert encounter.patient.invoices.count() == 1


def test_a_monitoring_plan_is_billed_its_fee(run_on_commit):
    f.fee(FeeKind.MONITORING, "blood_pressure", "99.00", category=LineCategory.MONITORING)
    doctor = booking.user(Role.DOCTOR)
    patient = booking.patient()

    with run_on_commit():
        plan = plan_enrol(patient=patient, kind="blood_pressure", lead_doctor=doctor, enrolled_by=doctor)

    invoice = invoice_for_source(source=InvoiceSource.MONITORING_PLAN, source_ref=plan.public_id)
    assert invoice_balance(invoice=invoice).total == Decimal("99.00")


def test_insurance_split_applies_to_a_covered_patient_and_the_claim_settles(run_on_commit):
    patient = f.patient()
    f.cover(patient, f.plan(ratios={LineCategory.DRUG: "0.70"}))
    invoice = f.invoice(who=patient, prices=("100.00",))
    balance = invoice_balance(invoice=invoice)
    assert (balance.insurer_share, balance.patient_due) == (Decimal("70.00"), Decimal("30.00"))

    payment = f.checkout(invoice)
    assert payment.amount == Decimal("30.00")  # the patient pays only their share
    with run_on_commit():
        services.payment_notification_apply(event=f.sandbox_pay(payment))

    claim = InsuranceClaim.objects.get(invoice=invoice)
    invoice.refresh_from_db()
    assert (claim.status, claim.insurer_share) == (ClaimStatus.SETTLED, Decimal("70.00"))
    assert invoice.status == InvoiceStatus.PAID


def test_a_rejected_claim_moves_its_share_to_the_patient_with_a_message(run_on_commit):
    account, patient = booking.account_with_patient()
    f.cover(patient, f.plan(ratios={LineCategory.DRUG: "0.50"}), member="REJECT-0001")
    invoice = f.invoice(who=patient, prices=("80.00",))
    payment = f.checkout(invoice)

    with run_on_commit():
        services.payment_notification_apply(event=f.sandbox_pay(payment))

    invoice.refresh_from_db()
    balance = invoice_balance(invoice=invoice)
    assert InsuranceClaim.objects.get(invoice=invoice).status == ClaimStatus.REJECTED
    assert invoice.status == InvoiceStatus.ISSUED
    assert balance.outstanding_for(invoice.status) == Decimal("40.00")
    assert account.notifications.filter(kind="payment_claim_rejected").exists()


def test_deductible_and_cap_count_the_years_earlier_claims(run_on_commit):
    patient = f.patient()
    f.cover(patient, f.plan(ratios={LineCategory.DRUG: "1.0"}, deductible="30.00", cap="100.00"))
    first = f.invoice(who=patient, prices=("80.00",))  # 30 deductible, insurer 50
    with run_on_commit():
        services.payment_notification_apply(event=f.sandbox_pay(f.checkout(first)))
    second = f.invoice(who=patient, prices=("80.00",))  # no deductible left; cap leaves 50

    balance = invoice_balance(invoice=second)
    assert invoice_balance(invoice=first).insurer_share == Decimal("50.00")
    assert (balance.insurer_share, balance.patient_due) == (Decimal("50.00"), Decimal("30.00"))
