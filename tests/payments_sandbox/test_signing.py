"""The sandbox's notification signature: HMAC-SHA256 over f"{timestamp}.{body}", with a tolerance window."""

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from payments.providers import EventKind, NotificationRejected, ProviderEvent, provider_get
from payments.sandbox.signing import notification_body, notification_sign

NOW = 1_795_000_000


def _event(**changes) -> ProviderEvent:
    fields = {"provider": "sandbox", "event_id": "sbx_evt_1", "kind": EventKind.CAPTURE, "reference": "P123",
                  "provider_reference": "sbx_abc", "amount": Decimal("25.00"), "currency": "CNY",
                  "occurred_at": datetime(2026, 11, 23, 5, 0, tzinfo=UTC)}
    return ProviderEvent(**{**fields, **changes})


def _verify(headers, body, *, now=NOW):
    from payments.sandbox.signing import notification_verify

    return notification_verify(headers=headers, body=body, now=now)


def _reason(headers, body, *, now=NOW) -> str:
    with pytest.raises(NotificationRejected) as caught:
        _verify(headers, body, now=now)
    return caught.value.reason


def test_genuine_notification_verifies_to_the_event_it_carries():
    body = notification_body(_event())

    event = _verify(notification_sign(body, timestamp=NOW), body)

    assert (event.event_id, event.kind, event.reference, event.provider_reference, event.amount, event.currency) == (
        "sbx_evt_1", EventKind.CAPTURE, "P123", "sbx_abc", Decimal("25.00"), "CNY")
    assert event.occurred_at == datetime(2026, 11, 23, 5, 0, tzinfo=UTC)


def test_provider_verifies_with_the_configured_secret_and_the_current_clock():
    body = notification_body(_event())

    event = provider_get("sandbox").notification_verify(headers=notification_sign(body), body=body)

    assert event.provider == "sandbox" and event.event_id == "sbx_evt_1"


def test_signed_with_another_secret_is_rejected_as_bad_signature():
    body = notification_body(_event())

    assert _reason(notification_sign(body, timestamp=NOW, secret="someone-elses-key"), body) == "bad_signature"


def test_tampered_body_is_rejected_as_bad_signature():
    body = notification_body(_event())
    headers = notification_sign(body, timestamp=NOW)

    assert _reason(headers, notification_body(_event(amount=Decimal("2500.00")))) == "bad_signature"


def test_replayed_body_with_a_new_timestamp_but_the_old_signature_is_rejected():
    body = notification_body(_event())
    headers = notification_sign(body, timestamp=NOW - 3600)
    headers["X-Sandbox-Timestamp"] = str(NOW)

    assert _reason(headers, body) == "bad_signature"


def test_replayed_notification_within_the_window_verifies_to_the_same_event_id():
    body = notification_body(_event())
    headers = notification_sign(body, timestamp=NOW)

    first, again = _verify(headers, body), _verify(headers, body, now=NOW + 120)

    assert first.event_id == again.event_id == "sbx_evt_1"  # the ledger applies an event_id once


def test_replayed_notification_after_the_window_is_rejected_as_stale(settings):
    settings.SANDBOX_PAY_TOLERANCE_SECONDS = 300
    body = notification_body(_event())
    headers = notification_sign(body, timestamp=NOW)

    assert _verify(headers, body, now=NOW + 300).event_id == "sbx_evt_1"
    assert _reason(headers, body, now=NOW + 301) == "stale_timestamp"


def test_timestamp_from_the_future_beyond_the_window_is_rejected(settings):
    settings.SANDBOX_PAY_TOLERANCE_SECONDS = 300
    body = notification_body(_event())

    assert _reason(notification_sign(body, timestamp=NOW + 301), body) == "stale_timestamp"
    assert _verify(notification_sign(body, timestamp=NOW + 299), body).event_id == "sbx_evt_1"


@pytest.mark.parametrize("headers", [
    {},
    {"X-Sandbox-Timestamp": str(NOW)},
    {"X-Sandbox-Signature": "v1=00"},
    {"X-Sandbox-Timestamp": "yesterday", "X-Sandbox-Signature": "v1=00"},
], ids=["no headers", "no signature", "no timestamp", "timestamp not a number"])
def test_missing_or_unreadable_headers_are_malformed(headers):
    assert _reason(headers, notification_body(_event())) == "malformed"


def test_signature_without_the_v1_scheme_is_rejected():
    body = notification_body(_event())
    headers = notification_sign(body, timestamp=NOW)
    headers["X-Sandbox-Signature"] = headers["X-Sandbox-Signature"].removeprefix("v1=")

    assert _reason(headers, body) == "bad_signature"


def test_headers_are_matched_whatever_their_case_or_wsgi_spelling():
    body = notification_body(_event())
    signed = notification_sign(body, timestamp=NOW)
    meta = {"HTTP_X_SANDBOX_TIMESTAMP": signed["X-Sandbox-Timestamp"],
            "HTTP_X_SANDBOX_SIGNATURE": signed["X-Sandbox-Signature"]}
    lower = {key.lower(): value for key, value in signed.items()}

    assert _verify(meta, body).event_id == _verify(lower, body).event_id == "sbx_evt_1"


def _signed_payload(payload) -> tuple[dict, bytes]:
    body = json.dumps(payload).encode() if not isinstance(payload, bytes) else payload
    return notification_sign(body, timestamp=NOW), body


@pytest.mark.parametrize("change", [
    {"kind": "teleport"},
    {"amount": "12.345"},
    {"amount": "-1.00"},
    {"amount": "NaN"},
    {"amount": "lots"},
    {"occurred_at": "2026-11-23T05:00:00"},
    {"occurred_at": "tuesday"},
    {"event_id": ""},
    {"reference": None},
    {"kind": "refund", "refund_reference": ""},
], ids=lambda change: ",".join(f"{k}={v}" for k, v in change.items()))
def test_correctly_signed_but_malformed_body_is_rejected(change):
    payload = {**json.loads(notification_body(_event())), **change}

    assert _reason(*_signed_payload(payload)) == "malformed"


@pytest.mark.parametrize("body", [b"not json", b"[1, 2]", "\xff".encode("latin-1")], ids=["text", "list", "not utf-8"])
def test_correctly_signed_body_that_is_not_a_json_object_is_rejected(body):
    assert _reason(*_signed_payload(body)) == "malformed"


def test_rejection_carries_reason_code_and_status():
    body = notification_body(_event())
    with pytest.raises(NotificationRejected) as caught:
        _verify(notification_sign(body, timestamp=NOW, secret="x"), body)

    assert (caught.value.code, caught.value.http_status, caught.value.extra["reason"]) == (
        "notification_rejected", 400, "bad_signature")

