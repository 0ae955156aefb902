"""Signing in from a browser journey, through the real two-step sign-in for staff.

A member of staff who has no authenticator yet sets one up on the page (the key is read off the setup page, as
a person would type it into their app); one who has is asked for the current code, computed here from their
sealed secret with the RFC 6238 algorithm an authenticator app uses. Patients go straight through.
"""

import time

import pyotp
from playwright.sync_api import Page, expect

from accounts import twofactor
from accounts.backends import login_identifier_normalise
from accounts.models import TwoFactorDevice


def totp_code_for(login: str) -> str:
    """The code an authenticator app would show now for `login`, never one already accepted (replay is refused:
    two sign-ins of one person within 30 seconds take the next step's code, which is accepted for drift)."""
    identifier = login_identifier_normalise(login)
    lookup = {"user__email": identifier} if "@" in identifier else {"user__phone": identifier}
    device = TwoFactorDevice.objects.get(confirmed_at__isnull=False, **lookup)
    totp = pyotp.TOTP(twofactor.device_secret(device))
    step = int(time.time()) // twofactor.STEP_SECONDS
    if device.last_step is not None and device.last_step >= step:
        step = device.last_step + 1
    while step > int(time.time()) // twofactor.STEP_SECONDS + twofactor.DRIFT_STEPS:
        time.sleep(1)  # both drift steps used already: the app's next code comes within 30 s
    return totp.generate_otp(step)


def sign_in(page: Page, live_url: str, login: str, password: str, next_path: str) -> list[str]:
    """Password, then (staff) the second step; returns the recovery codes when this was the first sign-in."""
    page.goto(f"{live_url}/accounts/login/?next={next_path}")
    page.get_by_label("Email or mobile number").fill(login)
    page.get_by_label("Password").fill(password)
    page.get_by_role("main").get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    codes: list[str] = []
    if "/accounts/2fa/setup/" in page.url:
        secret = page.get_by_test_id("totp-secret").get_attribute("data-secret")
        page.get_by_label("Code").fill(pyotp.TOTP(secret).now())
        page.get_by_role("button", name="Turn on two-step sign-in").click()
        expect(page.get_by_test_id("recovery-codes")).to_be_visible()
        codes = page.get_by_test_id("recovery-codes").locator("code").all_inner_texts()
        page.get_by_role("link", name="I have saved my codes, continue").click()
    elif "/accounts/2fa/" in page.url:
        page.get_by_label("Code").fill(totp_code_for(login))
        page.get_by_role("button", name="Verify").click()
    page.wait_for_url(lambda url: "/accounts/2fa/" not in url)
    return codes
