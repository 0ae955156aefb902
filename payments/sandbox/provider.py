"""The sandbox as a PaymentProvider (payments.providers.base): the calls the ledger makes, answered from the
sandbox's own tables (payments.sandbox.services)."""

from collections.abc import Mapping
from datetime import date
from decimal import Decimal

from django.urls import reverse

from payments.providers.base import CheckoutRequest, CheckoutSession, ProviderEvent, ProviderStatus
from payments.sandbox import services, signing


class SandboxProvider:
    name = services.PROVIDER
    supports_preauth = True

    def checkout_create(self, request: CheckoutRequest) -> CheckoutSession:
        checkout = services.checkout_create(request=request)
        return CheckoutSession(provider=self.name, provider_reference=checkout.provider_reference,
                               redirect_url=reverse("payments_sandbox:checkout", args=[checkout.provider_reference]))

    def notification_verify(self, *, headers: Mapping[str, str], body: bytes) -> ProviderEvent:
        return signing.notification_verify(headers=headers, body=body, provider=self.name)

    def notification_ack(self) -> tuple[int, bytes, str]:
        return 200, b'{"received":true}', "application/json"

    def capture(self, *, provider_reference: str, amount: Decimal) -> ProviderEvent:
        return services.checkout_capture(provider_reference=provider_reference, amount=Decimal(amount))

    def cancel(self, *, provider_reference: str) -> ProviderEvent:
        return services.checkout_cancel(provider_reference=provider_reference)

    def refund(self, *, provider_reference: str, amount: Decimal, refund_reference: str, reason: str) -> ProviderEvent:
        return services.checkout_refund(provider_reference=provider_reference, amount=Decimal(amount),
                                        refund_reference=refund_reference, reason=reason)

    def query(self, *, reference: str, provider_reference: str) -> ProviderStatus:
        events = services.checkout_events(provider_reference=provider_reference)
        return ProviderStatus(reference=reference, provider_reference=provider_reference, events=tuple(events))

    def statement(self, *, day: date) -> list[ProviderEvent]:
        return services.statement_events(day=day)
