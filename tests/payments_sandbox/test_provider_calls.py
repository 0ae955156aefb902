"""The sandbox's server-side calls: create, capture, cancel, refund, query and statement, from its own ledger."""

import json
from datetime import datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import IntegrityError, transaction

from core.errors import ValidationFailed
from payments.providers import EventKind, ProviderDeclined, provider_get
from payments.sandbox import services
from payments.sandbox.models import DeliveryStatus, SandboxCheckout, SandboxDelivery, SandboxTransaction

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def paid(sandbox, checkout_request):
    """A checkout paid in full on the page (captured at once)."""

    def make(amount="100.00", **fields):
        s = sandbox.checkout_create(checkout_request(amount=amount, **fields))
        services.checkout_act(provider_reference=s.provider_reference, action="pay")
        return s

    return make


@pytest.fixture
def authorised(sandbox, checkout_request):
    def make(amount="300.00"):
        s = sandbox.checkout_create(checkout_request(amount=amount, capture=False))
        services.checkout_act(provider_reference=s.provider_reference, action="pay")
        return s

    return make


def _notified_event_ids(provider_reference: str) -> list[str]:
    return [json.loads(d.body)["event_id"] for d in SandboxDelivery.objects.filter(
        transaction__checkout__provider_reference=provider_reference, status=DeliveryStatus.PENDING
    ).order_by("transaction__occurred_at", "pk")]


def test_registry_hands_out_the_sandbox_with_preauth():
    sandbox = provider_get("sandbox")

    assert (sandbox.name, sandbox.supports_preauth) == ("sandbox", True)
    assert provider_get() is sandbox  # the default provider


def test_checkout_create_again_with_the_same_reference_returns_the_same_checkout(sandbox, checkout_request):
    request = checkout_request()

    first, retry = sandbox.checkout_create(request), sandbox.checkout_create(request)

    assert first == retry and first.redirect_url == f"/sandbox-pay/{first.provider_reference}/"
    assert SandboxCheckout.objects.filter(reference=request.reference).count() == 1


def test_checkout_create_same_reference_different_amount_is_refused(sandbox, checkout_request):
    request = checkout_request(amount="10.00")
    sandbox.checkout_create(request)

    with pytest.raises(ProviderDeclined):
        sandbox.checkout_create(checkout_request(amount="11.00", reference=request.reference))


@pytest.mark.parametrize("fields, field", [
    ({"amount": "0.00"}, "amount"),
    ({"amount": "1.005"}, "amount"),
    ({"minutes": -1}, "expires_at"),
    ({"return_url": "/relative/"}, "return_url"),
    ({"notify_url": "ftp://hospital.example/x"}, "notify_url"),
])
def test_checkout_create_refuses_bad_requests_field_by_field(sandbox, checkout_request, fields, field):
    with pytest.raises(ValidationFailed) as caught:
        sandbox.checkout_create(checkout_request(**fields))

    assert field in caught.value.errors
    assert not SandboxCheckout.objects.exists()


def test_preauth_then_capture_a_smaller_final_amount(sandbox, authorised):
    s = authorised("300.00")

    event = sandbox.capture(provider_reference=s.provider_reference, amount=Decimal("180.00"))

    assert (event.kind, event.amount, event.provider) == (EventKind.CAPTURE, Decimal("180.00"), "sandbox")
    checkout = SandboxCheckout.objects.get(provider_reference=s.provider_reference)
    assert (checkout.status, checkout.captured_amount) == ("captured", Decimal("180.00"))


def test_capture_above_the_authorised_amount_is_refused(sandbox, authorised):
    s = authorised("300.00")

    with pytest.raises(ProviderDeclined):
        sandbox.capture(provider_reference=s.provider_reference, amount=Decimal("300.01"))
    assert SandboxCheckout.objects.get(provider_reference=s.provider_reference).captured_amount == 0


def test_capture_twice_returns_the_same_event_and_notifies_it_with_the_same_event_id(sandbox, authorised):
    s = authorised()

    first = sandbox.capture(provider_reference=s.provider_reference, amount=Decimal("120.00"))
    again = sandbox.capture(provider_reference=s.provider_reference, amount=Decimal("120.00"))

    assert first.event_id == again.event_id
    assert _notified_event_ids(s.provider_reference)[-1] == first.event_id
    with pytest.raises(ProviderDeclined):
        sandbox.capture(provider_reference=s.provider_reference, amount=Decimal("100.00"))


def test_capture_of_a_checkout_nobody_paid_is_refused(sandbox, checkout_request):
    s = sandbox.checkout_create(checkout_request(capture=False))

    with pytest.raises(ProviderDeclined):
        sandbox.capture(provider_reference=s.provider_reference, amount=Decimal("1.00"))


def test_cancel_releases_an_authorisation(sandbox, authorised):
    s = authorised("300.00")

    event = sandbox.cancel(provider_reference=s.provider_reference)

    assert (event.kind, event.amount) == (EventKind.CANCEL, Decimal("300.00"))
    assert _notified_event_ids(s.provider_reference)[-1] == event.event_id
    with pytest.raises(ProviderDeclined):
        sandbox.capture(provider_reference=s.provider_reference, amount=Decimal("300.00"))


def test_cancel_of_an_open_checkout_stops_the_payer_paying_it(client, sandbox, checkout_request):
    s = sandbox.checkout_create(checkout_request())

    first, again = sandbox.cancel(provider_reference=s.provider_reference), sandbox.cancel(
        provider_reference=s.provider_reference)
    client.post(s.redirect_url, {"action": "pay"})

    assert first.event_id == again.event_id
    assert list(SandboxTransaction.objects.filter(checkout__provider_reference=s.provider_reference)
                .values_list("kind", flat=True)) == ["cancel"]


def test_cancel_of_a_captured_payment_is_refused(sandbox, paid):
    s = paid()

    with pytest.raises(ProviderDeclined):
        sandbox.cancel(provider_reference=s.provider_reference)


def test_refunds_up_to_the_captured_amount_and_not_a_fen_more(sandbox, paid):
    s = paid("100.00")

    sandbox.refund(provider_reference=s.provider_reference, amount=Decimal("60.00"), refund_reference="R1", reason="a")
    sandbox.refund(provider_reference=s.provider_reference, amount=Decimal("40.00"), refund_reference="R2", reason="b")
    with pytest.raises(ProviderDeclined) as caught:
        sandbox.refund(provider_reference=s.provider_reference, amount=Decimal("0.01"), refund_reference="R3",
                       reason="c")

    assert "more than" in str(caught.value.message)
    assert SandboxCheckout.objects.get(provider_reference=s.provider_reference).refunded_amount == Decimal("100.00")


def test_refund_above_the_captured_amount_is_refused_in_one_go(sandbox, paid):
    s = paid("100.00")

    with pytest.raises(ProviderDeclined):
        sandbox.refund(provider_reference=s.provider_reference, amount=Decimal("100.01"), refund_reference="R1",
                       reason="too much")
    assert not SandboxTransaction.objects.filter(kind="refund").exists()


def test_refund_of_an_unpaid_or_declined_checkout_is_refused(client, sandbox, checkout_request):
    s = sandbox.checkout_create(checkout_request())
    client.post(s.redirect_url, {"action": "decline"})

    with pytest.raises(ProviderDeclined):
        sandbox.refund(provider_reference=s.provider_reference, amount=Decimal("1.00"), refund_reference="R1", reason="x")


def test_refund_asked_twice_with_the_same_reference_is_one_refund(sandbox, paid):
    s = paid("100.00")

    first = sandbox.refund(provider_reference=s.provider_reference, amount=Decimal("30.00"), refund_reference="R1",
                           reason="cancelled before cut-off")
    again = sandbox.refund(provider_reference=s.provider_reference, amount=Decimal("30.00"), refund_reference="R1",
                           reason="cancelled before cut-off")

    assert first == again
    assert (first.kind, first.refund_reference, first.detail) == (EventKind.REFUND, "R1", "cancelled before cut-off")
    assert SandboxCheckout.objects.get(provider_reference=s.provider_reference).refunded_amount == Decimal("30.00")
    with pytest.raises(ProviderDeclined):
        sandbox.refund(provider_reference=s.provider_reference, amount=Decimal("31.00"), refund_reference="R1",
                       reason="x")


def test_refund_is_notified_with_the_event_id_the_call_returned(sandbox, paid):
    s = paid()

    event = sandbox.refund(provider_reference=s.provider_reference, amount=Decimal("10.00"), refund_reference="R9",
                           reason="x")

    assert _notified_event_ids(s.provider_reference)[-1] == event.event_id


def test_the_database_refuses_refunds_beyond_captured_even_past_the_service():
    checkout = SandboxCheckout.objects.create(reference="P1", amount=Decimal("10.00"), description="x",
                                              return_url="https://h.example/", notify_url="https://h.example/n",
                                              expires_at=datetime(2030, 1, 1, tzinfo=SHANGHAI),
                                              captured_amount=Decimal("10.00"))
    with pytest.raises(IntegrityError), transaction.atomic():
        SandboxCheckout.objects.filter(pk=checkout.pk).update(refunded_amount=Decimal("10.01"))


def test_query_lists_everything_that_happened_in_order(sandbox, authorised):
    s = authorised("300.00")
    capture = sandbox.capture(provider_reference=s.provider_reference, amount=Decimal("200.00"))
    refund = sandbox.refund(provider_reference=s.provider_reference, amount=Decimal("50.00"), refund_reference="R1",
                            reason="x")

    status = sandbox.query(reference="Pxyz", provider_reference=s.provider_reference)

    assert (status.reference, status.provider_reference) == ("Pxyz", s.provider_reference)
    assert [(e.kind, e.amount) for e in status.events] == [
        (EventKind.AUTHORISE, Decimal("300.00")), (EventKind.CAPTURE, Decimal("200.00")), (EventKind.REFUND, Decimal("50.00"))]
    assert status.events[1] == capture and status.events[2] == refund


def test_query_of_a_checkout_nobody_paid_has_no_events(sandbox, checkout_request):
    s = sandbox.checkout_create(checkout_request())

    assert sandbox.query(reference="P1", provider_reference=s.provider_reference).events == ()


def test_statement_lists_the_days_captures_and_refunds_in_local_time(sandbox, paid, authorised):
    first, second, held = paid("100.00"), paid("20.00"), authorised("50.00")
    sandbox.refund(provider_reference=first.provider_reference, amount=Decimal("30.00"), refund_reference="R1",
                   reason="x")
    today = SandboxTransaction.objects.get(checkout__provider_reference=first.provider_reference, kind="capture"
                                           ).occurred_at.astimezone(SHANGHAI).date()
    # Move the second payment to 23:59:59 the previous local day; the authorisation moves nothing and is not listed.
    SandboxTransaction.objects.filter(checkout__provider_reference=second.provider_reference).update(
        occurred_at=datetime.combine(today - timedelta(days=1), time(23, 59, 59), tzinfo=SHANGHAI))

    listed = sandbox.statement(day=today)
    yesterday = sandbox.statement(day=today - timedelta(days=1))

    assert sorted((e.kind, e.amount) for e in listed) == [(EventKind.CAPTURE, Decimal("100.00")),
                                                           (EventKind.REFUND, Decimal("30.00"))]
    assert [(e.kind, e.amount, e.provider_reference) for e in yesterday] == [
        (EventKind.CAPTURE, Decimal("20.00"), second.provider_reference)]
    assert held.provider_reference not in {e.provider_reference for e in listed}
    assert sandbox.statement(day=today + timedelta(days=1)) == []


def test_settlement_file_is_a_csv_of_the_statement(sandbox, paid, tmp_path):
    import pandas

    first = paid("100.00")
    refund = sandbox.refund(provider_reference=first.provider_reference, amount=Decimal("30.00"), refund_reference="R1",
                            reason="x")
    day = refund.occurred_at.astimezone(SHANGHAI).date()

    path = services.statement_file_write(day=day, directory=tmp_path)

    frame = pandas.read_csv(path, dtype=str)
    assert path.name == f"sandbox-{day.isoformat()}.csv"
    assert list(frame.columns) == list(services.STATEMENT_COLUMNS)
    assert sorted(zip(frame["kind"], frame["amount"], frame["refund_reference"].fillna(""), strict=True)) == [
        ("capture", "100.00", ""), ("refund", "30.00", "R1")]
    assert set(frame["event_id"]) == {e.event_id for e in sandbox.statement(day=day)}


def test_statement_command_writes_the_file(paid, tmp_path):
    from django.core.management import call_command

    paid("12.00")
    day = SandboxTransaction.objects.get().occurred_at.astimezone(SHANGHAI).date()

    call_command("sandbox_statement", "--day", day.isoformat(), "--directory", str(tmp_path))

    assert "capture,P" in (tmp_path / f"sandbox-{day.isoformat()}.csv").read_text()
