"""Builders for payments tests: bills, insurance, sandbox events and notifications delivered through the webhook."""

import itertools
import uuid
from datetime import date, timedelta
from decimal import Decimal

from django.urls import reverse
from django.utils import timezone

from payments import services
from payments.models import (
    Coverage,
    FeeItem,
    InsurancePlan,
    InsuranceRatio,
    Invoice,
    InvoiceSource,
    LineCategory,
    Payment,
)
from payments.providers.base import EventKind, ProviderEvent
from payments.sandbox import signing
from payments.sandbox.models import DeliveryStatus, SandboxDelivery
from records.models import Patient
from tests.appointments import factories as booking

_n = itertools.count(1)


def patient() -> Patient:
    return booking.patient()


def invoice(*, who: Patient | None = None, prices=("25.00",), category=LineCategory.DRUG, source=InvoiceSource.MANUAL,
            issue: bool = True) -> Invoice:
    lines = [services.LineSpec(category=category, description=f"Item {i}", unit_price=Decimal(p), code=f"drug:item-{i}")
             for i, p in enumerate(prices, start=1)]
    return services.invoice_create(patient=who or patient(), source=source, lines=lines, issue=issue,
                                   description="Test bill")


def plan(*, ratios: dict | None = None, deductible="0.00", cap=None, excluded="", code=None) -> InsurancePlan:
    created = InsurancePlan.objects.create(code=code or f"plan-{next(_n)}", name="城镇职工医保", deductible=Decimal(deductible),
                                           annual_cap=None if cap is None else Decimal(cap), excluded_codes=excluded)
    for category, ratio in (ratios or {LineCategory.DRUG: "0.70"}).items():
        InsuranceRatio.objects.create(plan=created, category=category, ratio=Decimal(ratio))
    return created


def cover(who: Patient, insurance: InsurancePlan, *, member: str | None = None) -> Coverage:
    return Coverage.objects.create(patient=who, plan=insurance, member_number=member or f"M{next(_n):08d}",
                                   valid_from=date(2020, 1, 1))


def fee(kind: str, code: str, amount: str, *, category=LineCategory.OTHER, since: date | None = None) -> FeeItem:
    return FeeItem.objects.create(kind=kind, code=code, name=f"{kind} {code}", category=category, amount=Decimal(amount),
                                  effective_from=since or date(2020, 1, 1))


def event(payment: Payment, kind: str, amount=None, *, event_id: str | None = None, refund_reference: str = "",
          at=None, provider: str | None = None) -> ProviderEvent:
    return ProviderEvent(provider=provider or payment.provider, event_id=event_id or f"ev-{uuid.uuid4().hex}",
                         kind=EventKind(kind), reference=payment.reference,
                         provider_reference=payment.provider_reference or f"T{payment.reference}",
                         amount=Decimal(amount if amount is not None else payment.amount), currency="CNY",
                         occurred_at=at or timezone.now(), refund_reference=refund_reference)


def checkout(inv: Invoice, *, key: str | None = None, capture: bool = True, by=None) -> Payment:
    return services.checkout_start(invoice=inv, by=by, idempotency_key=key or f"key-{uuid.uuid4().hex}",
                                   return_url="https://hospital.example/back", capture=capture)


def sandbox_pay(payment: Payment) -> ProviderEvent:
    """The payer pays in the sandbox; returns the sandbox's capture event (its notification is not delivered)."""
    from payments.sandbox import services as sandbox
    from payments.sandbox.models import SandboxTransaction

    sandbox.checkout_act(provider_reference=payment.provider_reference, action="pay")
    tx = SandboxTransaction.objects.select_related("checkout").get(checkout__reference=payment.reference, kind="capture")
    return sandbox.event_from_transaction(tx)


def post_notification(client, body: bytes, *, timestamp: int | None = None, secret: str | None = None,
                      provider: str = "sandbox"):
    headers = signing.notification_sign(body, timestamp=timestamp, secret=secret)
    return client.post(reverse("api-payments-notification", kwargs={"provider": provider}), data=body,
                       content_type="application/json",
                       headers={k: v for k, v in headers.items() if k != "Content-Type"})


def deliver(client) -> int:
    """Deliver every sandbox notification still pending through our webhook, as the sandbox's task would
    (signed now). Returns how many were accepted."""
    accepted = 0
    for delivery in SandboxDelivery.objects.filter(status=DeliveryStatus.PENDING).order_by("pk"):
        response = post_notification(client, delivery.body.encode())
        if response.status_code == 200:
            accepted += 1
            SandboxDelivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.DELIVERED,
                                                                   delivered_at=timezone.now())
    return accepted


def days_ago(n: int) -> date:
    return timezone.localdate() - timedelta(days=n)
