"""Staff two-step sign-in in a real browser: a nurse sets it up on a 360 px phone (QR code and key on the page,
first code typed, recovery codes shown), signs in again with the app's code typed and sent with the keyboard,
and an administrator's /admin/login/ passes the same second step. Screenshots under the test's output."""

import pyotp
from playwright.sync_api import expect

from accounts.models import TwoFactorDevice
from accounts.roles import Role
from tests.conftest import PASSWORD, UserFactory
from tests.e2e.conftest import DESK, PHONE
from tests.e2e.signin import sign_in, totp_code_for


def test_a_nurse_sets_up_two_step_sign_in_on_a_phone_then_signs_in_with_a_code(live_url, new_context, screens):
    nurse = UserFactory(roles=[Role.NURSE], email="nurse.li@example.test")
    page = new_context(**PHONE).new_page()

    page.goto(f"{live_url}/accounts/login/?next=/accounts/me/")
    page.get_by_label("Email or mobile number").fill(nurse.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("main").get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Set up two-step sign-in")).to_be_visible()
    expect(page.locator("figure.qr svg")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360  # nothing wider than the phone
    page.screenshot(path=screens / "two-factor-setup-phone.png", full_page=True)
    secret = page.get_by_test_id("totp-secret").get_attribute("data-secret")
    assert page.get_by_test_id("totp-secret").inner_text().replace(" ", "") == secret

    page.get_by_label("Code").fill("000000")
    page.get_by_role("button", name="Turn on two-step sign-in").click()
    expect(page.get_by_text("This code is not right.")).to_be_visible()
    page.get_by_label("Code").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Turn on two-step sign-in").click()
    codes = page.get_by_test_id("recovery-codes").locator("code").all_inner_texts()
    assert len(codes) == 10
    page.screenshot(path=screens / "two-factor-recovery-codes.png", full_page=True)
    page.get_by_role("link", name="I have saved my codes, continue").click()
    expect(page.get_by_role("heading", name="My account")).to_be_visible()
    assert TwoFactorDevice.objects.get(user=nurse).confirmed_at is not None

    page.locator("details.menu summary").click()
    page.get_by_test_id("logout").click()
    page.goto(f"{live_url}/accounts/login/?next=/accounts/me/")
    page.get_by_label("Email or mobile number").fill(nurse.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Password").press("Enter")
    expect(page.get_by_role("heading", name="Two-step sign-in")).to_be_visible()
    expect(page.get_by_label("Code")).to_be_focused()
    page.keyboard.type(totp_code_for(nurse.email))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="My account")).to_be_visible()


def test_an_administrator_signing_in_at_admin_login_passes_the_second_step(live_url, new_context, screens):
    admin_user = UserFactory(roles=[Role.HOSPITAL_ADMIN], email="admin.zhao@example.test", is_staff=True,
                             is_superuser=True)
    page = new_context(**DESK).new_page()
    sign_in(page, live_url, admin_user.email, PASSWORD, "/accounts/me/")  # enrols on the page
    page.locator("details.menu summary").click()
    page.get_by_test_id("logout").click()

    page.goto(f"{live_url}/admin/login/?next=/admin/")
    page.locator("#id_username").fill(admin_user.email)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("#id_password").press("Enter")
    expect(page.get_by_role("heading", name="Two-step sign-in")).to_be_visible()
    page.screenshot(path=screens / "two-factor-admin.png")
    page.get_by_label("Code").fill(totp_code_for(admin_user.email))
    page.get_by_role("button", name="Verify").click()
    expect(page.locator("#site-name")).to_be_visible()
    assert page.url.endswith("/admin/")
