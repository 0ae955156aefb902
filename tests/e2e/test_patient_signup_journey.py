"""Issue 2, acceptance item 5: a patient signs up on a phone, adds a parent, reads the portal in Chinese, signs out."""

import re
import time
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import Locator, Page, expect

from accounts.models import User
from records.models import FamilyMember, Patient, Relationship

PHONE_WIDTH = 360
PASSWORD_LABEL = re.compile(r"^Password\W*$")  # not "Password again"; the label ends with a required mark
ZH_CATALOG = Path(settings.LOCALE_PATHS[0]) / "zh_Hans" / "LC_MESSAGES" / "django.mo"


def fits_phone_width(page: Page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= PHONE_WIDTH


def overlapping(a: Locator, b: Locator) -> bool:
    box_a, box_b = a.bounding_box(), b.bounding_box()
    return (box_a["x"] < box_b["x"] + box_b["width"] and box_b["x"] < box_a["x"] + box_a["width"]
            and box_a["y"] < box_b["y"] + box_b["height"] and box_b["y"] < box_a["y"] + box_a["height"])


def screenshot(page: Page, folder: Path, name: str) -> None:
    """A full-page PNG one pixel per CSS pixel, so phone screens are 360 px wide."""
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True, scale="css")


def wait_for_chinese_catalog(*, timeout: float = 20 * 60, interval: float = 30) -> None:
    """The zh_Hans catalogue is compiled by the translators; a run started before it lands waits for it."""
    deadline = time.monotonic() + timeout
    while not ZH_CATALOG.exists():
        if time.monotonic() > deadline:
            pytest.fail(f"{ZH_CATALOG} did not appear within {timeout:.0f} s")
        time.sleep(interval)


def test_patient_signs_up_on_a_phone_adds_a_parent_switches_to_chinese_and_signs_out(live_url, phone_page, screens):
    page = phone_page
    page.goto(f"{live_url}/signup/")
    expect(page.get_by_role("heading", name="Create an account")).to_be_visible()
    assert fits_phone_width(page)
    screenshot(page, screens, "signup-360")

    # A mistyped mobile number is refused beside the phone field, and nothing is created.
    page.get_by_label("Full name").fill("李华")
    page.get_by_label("Mobile phone").fill("1381234")
    page.get_by_label("Email").fill("lihua@example.test")
    page.get_by_label(PASSWORD_LABEL).fill("Lantern-River-42")
    page.get_by_label("Password again").fill("Lantern-River-42")
    page.get_by_label("Sex").select_option("female")
    page.get_by_label("Date of birth").fill("1990-05-12")
    page.get_by_role("button", name="Create my account").click()

    phone_field = page.locator(".field", has=page.locator("#id_phone"))
    expect(phone_field.locator(".error")).to_contain_text("Enter an 11-digit mobile number")
    expect(page.locator("#id_phone")).to_have_attribute("aria-invalid", "true")
    assert not User.objects.filter(email="lihua@example.test").exists()
    assert fits_phone_width(page)
    screenshot(page, screens, "signup-phone-error-360")

    # Corrected; the passwords are not sent back to the browser, so they are typed again.
    page.get_by_label("Mobile phone").fill("138 1234 5678")
    page.get_by_label(PASSWORD_LABEL).fill("Lantern-River-42")
    page.get_by_label("Password again").fill("Lantern-River-42")
    page.get_by_role("button", name="Create my account").click()

    expect(page.get_by_role("heading", name="Hello, 李华")).to_be_visible()
    assert page.url == f"{live_url}/"
    assert fits_phone_width(page)
    screenshot(page, screens, "home-360")

    page.get_by_role("main").get_by_role("link", name="My family").click()
    expect(page.get_by_role("heading", name="My family")).to_be_visible()
    expect(page.get_by_test_id("family-member")).to_have_count(1)
    page.get_by_test_id("family-add").click()

    expect(page.get_by_role("heading", name="Add a person")).to_be_visible()
    page.get_by_label("Relationship to you").select_option("parent")
    page.get_by_label("Full name").fill("李建国")
    page.get_by_label("Sex").select_option("male")
    page.get_by_label("Date of birth").fill("1958-11-03")
    assert fits_phone_width(page)
    screenshot(page, screens, "family-add-360")
    page.get_by_role("button", name="Add to my list").click()

    expect(page.get_by_role("heading", name="My family")).to_be_visible()
    members = page.get_by_test_id("family-member")
    expect(members).to_have_count(2)
    expect(members.filter(has_text="李建国")).to_contain_text("Parent")
    assert not overlapping(page.get_by_test_id("family-add"), page.locator(".lead"))
    assert fits_phone_width(page)
    screenshot(page, screens, "family-360")

    wait_for_chinese_catalog()
    page.get_by_test_id("lang-zh-hans").click()
    expect(page.get_by_role("heading", name="我的家人")).to_be_visible()
    expect(page.get_by_test_id("family-add")).to_have_text("添加就诊人")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page.get_by_test_id("family-member")).to_have_count(2)
    assert not overlapping(page.get_by_test_id("family-add"), page.locator(".lead"))
    assert fits_phone_width(page)
    screenshot(page, screens, "family-zh-360")

    menu_button = page.get_by_role("banner").locator("summary")
    expect(menu_button).to_contain_text("菜单")
    menu_button.click()
    expect(page.get_by_test_id("logout")).to_have_text("退出登录")
    expect(page.get_by_role("banner").get_by_role("navigation")).to_be_in_viewport(ratio=1)  # the whole menu, on screen
    screenshot(page, screens, "menu-zh-360")
    page.get_by_test_id("logout").click()

    expect(page.get_by_role("main").get_by_role("link", name="登录", exact=True)).to_be_visible()
    expect(page.get_by_test_id("logout")).to_have_count(0)
    assert fits_phone_width(page)
    screenshot(page, screens, "signed-out-zh-360")

    user = User.objects.get(email="lihua@example.test")
    assert (user.name, user.phone) == ("李华", "13812345678")
    assert Patient.objects.count() == 2
    rows = list(FamilyMember.objects.filter(account=user).select_related("patient"))
    assert len(rows) == 2
    family = {m.relationship: m.patient for m in rows}
    assert set(family) == {Relationship.SELF, Relationship.PARENT}
    assert (family[Relationship.SELF].account_id, family[Relationship.SELF].name) == (user.pk, "李华")
    parent = family[Relationship.PARENT]
    assert (parent.name, parent.sex, parent.date_of_birth.isoformat()) == ("李建国", "male", "1958-11-03")
