"""The interface every payment provider implements: plain data in, plain data out, no models.

The payments ledger (payments.services) talks to a provider only through `PaymentProvider`, so the sandbox,
Alipay and any later adapter are interchangeable. A provider never writes the ledger: it answers calls and turns
its notifications into `ProviderEvent`s, which the ledger applies once per (provider, event_id).
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Protocol, runtime_checkable


@dataclass(frozen=True)
class CheckoutRequest:
    reference: str            # OUR id of this payment attempt (unique, opaque, e.g. "P" + uuid hex); the provider echoes it
    amount: Decimal           # CNY, 2 places, > 0
    currency: str             # "CNY"
    description: str          # shown on the checkout page, e.g. "挂号费 Registration fee — 张医生 2026-11-24 AM"
    return_url: str           # absolute URL the payer's browser is sent back to
    notify_url: str           # absolute URL of our webhook for this provider
    expires_at: datetime      # checkout not payable after this (aware)
    capture: bool = True      # False = pre-authorise (预授权) only; capture later
    mobile: bool = False      # the payer is on a phone: providers with a phone page use it (Alipay's wap pay)


@dataclass(frozen=True)
class CheckoutSession:
    provider: str
    provider_reference: str   # the provider's id for the checkout/trade (unique per provider)
    redirect_url: str         # where to send the payer's browser


class EventKind(StrEnum):
    AUTHORISE = "authorise"
    CAPTURE = "capture"
    FAIL = "fail"
    CANCEL = "cancel"
    REFUND = "refund"


@dataclass(frozen=True)
class ProviderEvent:
    provider: str
    event_id: str             # unique per provider and per thing that happened; a re-sent notification repeats it
    kind: EventKind
    reference: str            # our CheckoutRequest.reference
    provider_reference: str
    amount: Decimal
    currency: str
    occurred_at: datetime     # when it happened at the provider (aware)
    refund_reference: str = ""   # our refund id, for kind == REFUND
    detail: str = ""             # provider's reason text for FAIL, etc.
    raw: Mapping = field(default_factory=dict)


@dataclass(frozen=True)
class ProviderStatus:         # everything the provider knows happened to one checkout (query job, reconciliation)
    reference: str
    provider_reference: str
    events: tuple[ProviderEvent, ...]


@runtime_checkable
class PaymentProvider(Protocol):
    name: str                 # "sandbox", "alipay"
    supports_preauth: bool

    def checkout_create(self, request: CheckoutRequest) -> CheckoutSession: ...

    def notification_verify(self, *, headers: Mapping[str, str], body: bytes) -> ProviderEvent:
        """Raises NotificationRejected (with a reason) unless `body` is a genuine, fresh notification."""
        ...

    def notification_ack(self) -> tuple[int, bytes, str]:
        """(status, body, content_type) the provider expects back once a notification is accepted."""
        ...

    def capture(self, *, provider_reference: str, amount: Decimal) -> ProviderEvent: ...

    def cancel(self, *, provider_reference: str) -> ProviderEvent: ...

    def refund(self, *, provider_reference: str, amount: Decimal, refund_reference: str, reason: str) -> ProviderEvent: ...

    def query(self, *, reference: str, provider_reference: str) -> ProviderStatus: ...

    def statement(self, *, day: date) -> list[ProviderEvent]:
        """The provider's settlement list (money that moved: captures and refunds) for a local day."""
        ...
