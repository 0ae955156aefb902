"""The hosted checkout page /sandbox-pay/<provider_reference>/: pay, decline, cancel, expiry, test switches."""

import re
from datetime import timedelta
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import timezone

from payments.providers import EventKind, ProviderUnavailable
from payments.sandbox.models import CheckoutStatus, DeliveryStatus, SandboxCheckout, SandboxDelivery, SandboxTransaction

pytestmark = pytest.mark.django_db


@pytest.fixture
def session(sandbox, checkout_request):
    def make(**fields):
        return sandbox.checkout_create(checkout_request(**fields))

    return make


def _kinds(provider_reference: str) -> list[str]:
    return list(SandboxTransaction.objects.filter(checkout__provider_reference=provider_reference)
                .values_list("kind", flat=True))


def test_page_shows_amount_description_and_that_it_is_a_test_provider(client, session):
    page = client.get(session(amount="38.50").redirect_url)

    html = page.content.decode()
    assert page.status_code == 200
    assert "¥38.50" in html and "挂号费 Registration fee — 张医生 2026-11-24 AM" in html
    assert "TEST PAYMENT PROVIDER" in html
    for action in ("pay", "decline", "cancel"):
        assert f'name="action" value="{action}"' in html


def test_page_has_no_inline_scripts_handlers_or_javascript_urls(client, session):
    html = client.get(session().redirect_url).content.decode()

    assert "<script" not in html.lower()
    assert not re.search(r"\son[a-z]+\s*=", html, re.IGNORECASE)
    assert "javascript:" not in html.lower()


def test_page_is_served_in_chinese_when_chosen(client, session):
    client.cookies["django_language"] = "zh-hans"

    html = client.get(session().redirect_url).content.decode()

    assert '<html lang="zh-hans">' in html
    assert 'value="en"' in html  # the switch back to English


def test_pay_captures_records_the_transaction_queues_the_notification_and_returns_the_payer(client, session):
    s = session(amount="25.00", return_url="https://hospital.example/payments/return/?invoice=7")

    response = client.post(s.redirect_url, {"action": "pay"})

    checkout = SandboxCheckout.objects.get(provider_reference=s.provider_reference)
    assert checkout.status == CheckoutStatus.CAPTURED and checkout.captured_amount == Decimal("25.00")
    assert _kinds(s.provider_reference) == ["capture"]
    assert SandboxDelivery.objects.get(transaction__checkout=checkout).status == DeliveryStatus.PENDING
    target = urlsplit(response["Location"])
    assert (response.status_code, target.netloc, target.path) == (302, "hospital.example", "/payments/return/")
    assert parse_qs(target.query) == {"invoice": ["7"], "provider": ["sandbox"],
                                      "provider_reference": [s.provider_reference], "result": ["paid"]}


def test_decline_records_a_failure_and_takes_no_money(client, session):
    s = session()

    response = client.post(s.redirect_url, {"action": "decline"})

    checkout = SandboxCheckout.objects.get(provider_reference=s.provider_reference)
    assert (checkout.status, checkout.captured_amount) == (CheckoutStatus.DECLINED, 0)
    assert _kinds(s.provider_reference) == ["fail"]
    assert "result=declined" in response["Location"]


def test_cancel_records_a_cancellation_and_takes_no_money(client, session):
    s = session()

    response = client.post(s.redirect_url, {"action": "cancel"})

    assert SandboxCheckout.objects.get(provider_reference=s.provider_reference).status == CheckoutStatus.CANCELLED
    assert _kinds(s.provider_reference) == ["cancel"]
    assert "result=cancelled" in response["Location"]


def test_second_click_or_second_tab_charges_once(client, session):
    s = session()

    client.post(s.redirect_url, {"action": "pay"})
    again = client.post(s.redirect_url, {"action": "pay"})
    other_choice = client.post(s.redirect_url, {"action": "decline"})

    assert _kinds(s.provider_reference) == ["capture"]
    assert "result=paid" in again["Location"] and "result=paid" in other_choice["Location"]
    assert "already finished" in client.get(s.redirect_url).content.decode()


def test_expired_checkout_cannot_be_paid(client, session):
    s = session()
    SandboxCheckout.objects.filter(provider_reference=s.provider_reference).update(
        expires_at=timezone.now() - timedelta(seconds=1))

    response = client.post(s.redirect_url, {"action": "pay"})

    assert response.status_code == 200 and "expired" in response.content.decode()
    assert _kinds(s.provider_reference) == []


def test_unknown_action_or_switch_is_refused_with_a_message(client, session):
    s = session()

    bad_action = client.post(s.redirect_url, {"action": "steal"})
    bad_switch = client.post(s.redirect_url, {"action": "pay", "simulate": "explode"})

    assert bad_action.status_code == bad_switch.status_code == 400
    assert _kinds(s.provider_reference) == []


def test_unknown_checkout_is_not_found(client):
    assert client.get("/sandbox-pay/sbx_nothing/").status_code == 404


def test_page_is_gone_when_the_sandbox_is_not_enabled(client, session, settings):
    s = session()
    settings.PAYMENT_PROVIDERS = ["alipay"]

    assert client.get(s.redirect_url).status_code == 404


def test_simulate_lost_pays_but_never_notifies_and_query_finds_the_payment(client, session, sandbox):
    s = session()

    page = client.get(s.redirect_url + "?simulate=lost")
    client.post(s.redirect_url, {"action": "pay", "simulate": "lost"})

    assert 'name="simulate" value="lost"' in page.content.decode()
    assert SandboxDelivery.objects.get(transaction__checkout__provider_reference=s.provider_reference).status == (
        DeliveryStatus.SUPPRESSED)
    status = sandbox.query(reference="", provider_reference=s.provider_reference)
    assert [e.kind for e in status.events] == [EventKind.CAPTURE]


def test_simulate_timeout_makes_the_next_api_call_time_out_once_after_doing_the_work(client, session, sandbox):
    s = session()
    client.post(s.redirect_url, {"action": "pay", "simulate": "timeout"})

    with pytest.raises(ProviderUnavailable):
        sandbox.refund(provider_reference=s.provider_reference, amount=Decimal("5.00"), refund_reference="R1",
                       reason="test")
    status = sandbox.query(reference="", provider_reference=s.provider_reference)

    assert [(e.kind, e.amount) for e in status.events] == [(EventKind.CAPTURE, Decimal("25.00")),
                                                          (EventKind.REFUND, Decimal("5.00"))]


def test_pre_authorisation_page_authorises_instead_of_charging(client, session):
    s = session(capture=False, amount="100.00")

    html = client.get(s.redirect_url).content.decode()
    response = client.post(s.redirect_url, {"action": "pay"})

    assert "Authorise ¥100.00" in html
    checkout = SandboxCheckout.objects.get(provider_reference=s.provider_reference)
    assert (checkout.status, checkout.authorised_amount, checkout.captured_amount) == (
        CheckoutStatus.AUTHORISED, Decimal("100.00"), 0)
    assert "result=authorised" in response["Location"]
