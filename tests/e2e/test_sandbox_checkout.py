"""The sandbox's hosted checkout page in a real browser: a 360 px phone, by keyboard alone, in both languages."""

import uuid
from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from payments.providers import CheckoutRequest, provider_get
from payments.sandbox.models import CheckoutStatus, SandboxCheckout


def _checkout(live_url: str):
    return provider_get("sandbox").checkout_create(CheckoutRequest(
        reference="P" + uuid.uuid4().hex, amount=Decimal("38.50"), currency="CNY",
        description="挂号费 Registration fee — 张医生 2026-11-24 AM", return_url=f"{live_url}/",
        notify_url=f"{live_url}/api/v1/payments/notifications/sandbox", expires_at=timezone.now() + timedelta(minutes=15)))


def test_payer_pays_on_a_phone_with_the_keyboard_alone(live_url, phone_page, screens):
    session = _checkout(live_url)
    page = phone_page

    page.goto(f"{live_url}{session.redirect_url}")
    assert page.get_by_test_id("sandbox-warning").is_visible()
    assert page.get_by_test_id("sandbox-amount").inner_text().startswith("¥38.50")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360  # nothing runs off a phone's screen
    page.screenshot(path=screens / "sandbox-checkout-phone.png", full_page=True)
    for _ in range(10):  # Tab through the page until the Pay button has the focus
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.dataset.testid") == "sandbox-pay":
            break
    assert page.evaluate("document.activeElement.dataset.testid") == "sandbox-pay"
    with page.expect_navigation():
        page.keyboard.press("Enter")

    assert page.url.startswith(f"{live_url}/?provider=sandbox&provider_reference={session.provider_reference}&result=paid")
    assert SandboxCheckout.objects.get(provider_reference=session.provider_reference).status == CheckoutStatus.CAPTURED


def test_page_switches_to_chinese_and_keeps_the_checkout(live_url, phone_page):
    session = _checkout(live_url)
    page = phone_page

    page.goto(f"{live_url}{session.redirect_url}")
    with page.expect_navigation():
        page.locator('button[lang="zh-hans"]').click()

    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert page.get_by_test_id("sandbox-pay").is_visible()
