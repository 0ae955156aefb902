"""How the sandbox signs its notifications, and how a receiver checks them.

Headers: ``X-Sandbox-Timestamp: <unix seconds>`` and ``X-Sandbox-Signature: v1=<hex>``, where the hex is
HMAC-SHA256(SANDBOX_PAY_SECRET, f"{timestamp}.{body}"). The timestamp is signed with the body, so an old
notification cannot be made fresh without the key; a receiver rejects timestamps further than
SANDBOX_PAY_TOLERANCE_SECONDS from its clock (either way), which bounds how long a captured message can be replayed.
Tests use `notification_sign` and `notification_body` to build genuine, replayed, reordered and forged notifications.
"""

import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.utils.translation import gettext as _

from payments.providers.base import EventKind, ProviderEvent
from payments.providers.errors import NotificationRejected

TIMESTAMP_HEADER = "X-Sandbox-Timestamp"
SIGNATURE_HEADER = "X-Sandbox-Signature"
SCHEME = "v1"
BODY_FIELDS = ("event_id", "kind", "reference", "provider_reference", "amount", "currency", "occurred_at",
               "refund_reference", "detail")


def _signature(body: bytes, timestamp: int, secret: str) -> str:
    message = f"{timestamp}.".encode() + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def notification_sign(body: bytes, *, timestamp: int | None = None, secret: str | None = None) -> dict[str, str]:
    """The headers that make `body` a genuine sandbox notification sent at `timestamp` (default: now)."""
    timestamp = int(time.time()) if timestamp is None else int(timestamp)
    secret = settings.SANDBOX_PAY_SECRET if secret is None else secret
    return {TIMESTAMP_HEADER: str(timestamp), SIGNATURE_HEADER: f"{SCHEME}={_signature(body, timestamp, secret)}",
            "Content-Type": "application/json"}


def notification_body(event: ProviderEvent) -> bytes:
    """The JSON body of the notification for `event` (amounts as strings with two places, times in ISO 8601)."""
    payload = {
        "event_id": event.event_id,
        "kind": str(event.kind),
        "reference": event.reference,
        "provider_reference": event.provider_reference,
        "amount": f"{Decimal(event.amount):.2f}",
        "currency": event.currency,
        "occurred_at": event.occurred_at.isoformat(),
        "refund_reference": event.refund_reference,
        "detail": event.detail,
    }
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()


def _header(headers: Mapping[str, str], name: str) -> str | None:
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower() == wanted or key.upper() == "HTTP_" + name.upper().replace("-", "_"):
            return value
    return None


def notification_verify(*, headers: Mapping[str, str], body: bytes, now: float | None = None,
                        provider: str = "sandbox") -> ProviderEvent:
    """The event in a genuine, fresh notification, or NotificationRejected saying why not.

    Order: the signature first (nothing in an unsigned body is trusted, not even to say what is wrong with it),
    then the timestamp's freshness, then the body's shape.
    """
    timestamp_text = _header(headers, TIMESTAMP_HEADER)
    signature_text = _header(headers, SIGNATURE_HEADER)
    if not timestamp_text or not signature_text:
        raise NotificationRejected(NotificationRejected.MALFORMED, _("The notification has no timestamp or signature."))
    try:
        timestamp = int(timestamp_text.strip())
    except ValueError:
        raise NotificationRejected(NotificationRejected.MALFORMED, _("The notification's timestamp is not a number.")) from None
    expected = _signature(body, timestamp, settings.SANDBOX_PAY_SECRET)
    offered = [part.strip()[len(SCHEME) + 1:] for part in signature_text.split(",") if part.strip().startswith(f"{SCHEME}=")]
    if not any(hmac.compare_digest(expected, candidate) for candidate in offered):
        raise NotificationRejected(NotificationRejected.BAD_SIGNATURE, _("The notification's signature does not match."))
    now = time.time() if now is None else now
    if abs(now - timestamp) > settings.SANDBOX_PAY_TOLERANCE_SECONDS:
        raise NotificationRejected(NotificationRejected.STALE_TIMESTAMP,
                                   _("The notification's timestamp is outside the accepted window."))
    return _event_from_body(body, provider=provider)


def _event_from_body(body: bytes, *, provider: str) -> ProviderEvent:
    def malformed(why: str) -> NotificationRejected:
        return NotificationRejected(NotificationRejected.MALFORMED, _("The notification's body is not valid: %(why)s")
                                    % {"why": why})

    try:
        payload = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise malformed("not JSON") from None
    if not isinstance(payload, dict):
        raise malformed("not an object")
    missing = [name for name in BODY_FIELDS if not isinstance(payload.get(name), str)]
    if missing:
        raise malformed("missing " + ", ".join(missing))
    try:
        kind = EventKind(payload["kind"])
    except ValueError:
        raise malformed("unknown kind") from None
    try:
        amount = Decimal(payload["amount"])
    except InvalidOperation:
        raise malformed("amount") from None
    if not amount.is_finite() or amount < 0 or amount != amount.quantize(Decimal("0.01")):
        raise malformed("amount")
    try:
        occurred_at = datetime.fromisoformat(payload["occurred_at"])
    except ValueError:
        raise malformed("occurred_at") from None
    if occurred_at.tzinfo is None:
        raise malformed("occurred_at has no time zone")
    if not payload["event_id"] or not payload["reference"] or not payload["provider_reference"]:
        raise malformed("empty identifier")
    if kind == EventKind.REFUND and not payload["refund_reference"]:
        raise malformed("refund without refund_reference")
    return ProviderEvent(
        provider=provider, event_id=payload["event_id"], kind=kind, reference=payload["reference"],
        provider_reference=payload["provider_reference"], amount=amount.quantize(Decimal("0.01")),
        currency=payload["currency"], occurred_at=occurred_at, refund_reference=payload["refund_reference"],
        detail=payload["detail"], raw=payload,
    )
