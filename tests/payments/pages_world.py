"""Builders for the payment pages' tests: a family with a bill, insurance that pays 70 % of medicines, the
pharmacy's windows, and the ledger events a provider would send (applied through the ledger's own service)."""

import uuid
from datetime import date
from decimal import Decimal

from django.utils import timezone

from appointments.models import ServicePoint, ServicePointKind
from payments import services
from payments.models import Coverage, InsurancePlan, InsuranceRatio, Invoice, InvoiceSource, LineCategory, Payment
from payments.providers.base import EventKind, ProviderEvent
from tests.appointments import factories


def insured(patient, *, drug_ratio: str = "0.70", member_number: str | None = None) -> Coverage:
    plan, _ = InsurancePlan.objects.get_or_create(code="urban-employee", defaults={"name": "城镇职工医保"})
    InsuranceRatio.objects.get_or_create(plan=plan, category=LineCategory.DRUG, defaults={"ratio": Decimal(drug_ratio)})
    return Coverage.objects.create(patient=patient, plan=plan, member_number=member_number or f"SH{uuid.uuid4().hex[:10]}",
                                   valid_from=date(2020, 1, 1))


def medicine_bill(patient, *, quantity: int = 2, price: str = "12.50") -> Invoice:
    return services.invoice_create(
        patient=patient, source=InvoiceSource.MANUAL, description="处方 Prescription",
        lines=[services.LineSpec(category=LineCategory.DRUG, description="阿莫西林胶囊 0.25g", unit_price=Decimal(price),
                                 quantity=quantity, code="drug:amoxicillin"),
               services.LineSpec(category=LineCategory.LAB, description="血常规 Complete blood count",
                                 unit_price=Decimal("30.00"), code="test:cbc")])


def plain_bill(patient, *, price: str = "50.00") -> Invoice:
    return services.invoice_create(
        patient=patient, source=InvoiceSource.MANUAL, description="检查 Examination",
        lines=[services.LineSpec(category=LineCategory.EXAM, description="胸部X线 Chest X-ray", unit_price=Decimal(price))])


def pharmacy(*names: str):
    dept = factories.department(code="pharmacy", name_zh="门诊药房", name_en="Outpatient Pharmacy", queue_prefix="Y",
                                is_active=False)
    return [ServicePoint.objects.create(kind=ServicePointKind.PHARMACY_WINDOW, department=dept, name=name)
            for name in names or ("1号窗口",)]


def provider_says(payment: Payment, kind: str = EventKind.CAPTURE, *, amount: Decimal | None = None, detail: str = ""):
    """Apply what the sandbox would notify for `payment` (as the webhook does, through the ledger's service)."""
    payment.refresh_from_db()
    return services.payment_notification_apply(event=ProviderEvent(
        provider=payment.provider, event_id=f"test-{kind}-{uuid.uuid4().hex}", kind=EventKind(kind),
        reference=payment.reference, provider_reference=payment.provider_reference,
        amount=payment.amount if amount is None else amount, currency="CNY", occurred_at=timezone.now(), detail=detail))
