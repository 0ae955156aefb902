"""Linking medical insurance (医保) on a 360 px phone: from a bill with no insurance to the insurance page, a refusal
shown beside the member number, then the link, and back on the bill what insurance pays."""

from decimal import Decimal

from playwright.sync_api import expect

from payments.models import LineCategory
from tests.appointments import factories as booking
from tests.e2e.signin import sign_in
from tests.payments import factories as f

PASSWORD = "Correct-Horse-42"


def test_family_member_links_insurance_on_a_phone_and_the_bill_shows_the_split(live_url, phone_page, screens):
    account, _own = booking.account_with_patient(name="王丽")
    account.set_password(PASSWORD)
    account.save()
    mother = booking.patient(name="王母")
    mother.insurance_number = "000 1234"  # typed in her details; the sandbox insurer says "not a member"
    mother.save()
    booking.add_to_list(account, mother)
    f.plan(ratios={LineCategory.DRUG: "0.70"}, code="urban-employee")
    invoice = f.invoice(who=mother, prices=("100.00",))
    page = phone_page
    sign_in(page, live_url, account.email, PASSWORD, f"/payments/bills/{invoice.public_id}/")

    expect(page.get_by_test_id("patient-total")).to_have_text("¥100.00", timeout=30_000)
    page.get_by_test_id("insurance-hint").get_by_role("link").click()
    expect(page.locator("#id_member_number")).to_have_value("000 1234", timeout=30_000)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.screenshot(path=screens / "insurance-link-phone.png", full_page=True)

    page.get_by_test_id("link-form").get_by_role("button").click()
    expect(page.locator("#id_member_number_error")).to_contain_text("not a member", timeout=30_000)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    page.locator("#id_member_number").fill("SH 2026 5678")
    page.get_by_test_id("link-form").get_by_role("button").click()

    expect(page.get_by_test_id("insurance-plan")).to_be_visible(timeout=30_000)
    expect(page.get_by_test_id("insurer-total")).to_have_text("¥70.00")
    expect(page.get_by_test_id("patient-total")).to_have_text("¥30.00")
    assert mother.coverages.get().member_number == "SH20265678"
    assert invoice.lines.get().patient_share == Decimal("30.00")
