"""Medical insurance (医保) linked by the patient or the account holder who looks after them (docs/payments.md,
"Linking medical insurance"): the services coverage_link / coverage_unlink, the page, the API, and the insurance
split at checkout of a bill issued before the link."""

import re
from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from core.errors import PermissionRefused, ValidationFailed
from payments import insurers, services
from payments.insurers import MemberCheck
from payments.models import ClaimStatus, Coverage, InsuranceClaim, InvoiceStatus, LineCategory
from payments.selectors import invoice_balance
from tests.appointments import factories as booking
from tests.payments import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def family():
    """An account holder, their own record and their mother's, on their family list."""
    account, own = booking.account_with_patient(name="王丽")
    mother = booking.patient(name="王母")
    booking.add_to_list(account, mother)
    return account, own, mother


@pytest.fixture
def plan():
    return f.plan(ratios={LineCategory.DRUG: "0.70"}, code="urban-resident")


def link(who, plan, number, by):
    return services.coverage_link(patient=who, plan=plan, member_number=number, by=by)


def field_errors(raised) -> dict:
    return raised.value.errors


# --- The service ------------------------------------------------------------------------------------------------

def test_linking_creates_a_coverage_valid_from_today_with_the_number_normalised(family, plan):
    account, _own, mother = family

    coverage = link(mother, plan, " sh 2026-5678 ", account)

    assert (coverage.patient, coverage.plan, coverage.member_number) == (mother, plan, "SH2026-5678")
    assert (coverage.valid_from, coverage.valid_to) == (timezone.localdate(), None)


def test_full_width_characters_typed_on_a_phone_are_made_ascii(family, plan):
    account, own, _mother = family

    assert link(own, plan, "ｓｈ２０２６１２３４", account).member_number == "SH20261234"


def test_linking_the_same_number_again_answers_the_same_coverage(family, plan):
    account, _own, mother = family
    first = link(mother, plan, "SH20265678", account)

    again = link(mother, plan, "sh20265678", account)

    assert again.pk == first.pk
    assert Coverage.objects.filter(patient=mother).count() == 1


@pytest.mark.parametrize("number, message", [
    ("", "Enter the member number"), ("ab", "4 to 40"), ("SH 2026/1234", "4 to 40"), ("-SH2026", "4 to 40"),
    ("X" * 41, "4 to 40")])
def test_a_malformed_number_is_a_field_error_and_links_nothing(family, plan, number, message):
    account, own, _mother = family

    with pytest.raises(ValidationFailed) as raised:
        link(own, plan, number, account)

    assert message in str(field_errors(raised)["member_number"][0])
    assert not Coverage.objects.exists()


def test_the_insurer_saying_not_a_member_is_a_field_error(family, plan):
    account, own, _mother = family

    with pytest.raises(ValidationFailed) as raised:
        link(own, plan, "000123456", account)  # the sandbox insurer's "not a member of this plan"

    assert "not a member of 城镇职工医保" in str(field_errors(raised)["member_number"][0])
    assert not Coverage.objects.exists()


def test_a_plan_no_longer_offered_is_refused(family, plan):
    account, own, _mother = family
    plan.is_active = False
    plan.save()

    with pytest.raises(ValidationFailed) as raised:
        link(own, plan, "SH20261234", account)

    assert "plan" in field_errors(raised)


def test_a_number_linked_to_another_patient_is_refused_with_a_field_error(family, plan):
    account, own, _mother = family
    stranger = f.patient()
    f.cover(stranger, plan, member="SH-20261234")

    with pytest.raises(ValidationFailed) as raised:
        link(own, plan, "sh-20261234", account)

    assert "ask the front desk" in str(field_errors(raised)["member_number"][0])
    assert not Coverage.objects.filter(patient=own).exists()


class RacingInsurer:
    """An insurer adapter (the interface of payments.insurers) that, while it is asked, lets another patient's link
    of the same number land first: the window between the service's check and its insert."""

    name = "racing"

    def __init__(self, other):
        self.other = other

    def decide(self, claim):  # pragma: no cover - claims are not made here
        raise AssertionError

    def verify_member(self, plan, member_number, *, patient):
        Coverage.objects.create(patient=self.other, plan=plan, member_number=member_number, valid_from=date(2020, 1, 1))
        return MemberCheck(True)


def test_a_number_linked_by_another_patient_during_the_check_is_caught_by_the_constraint(family, plan, monkeypatch):
    account, own, _mother = family
    stranger = f.patient()
    monkeypatch.setitem(insurers._INSURERS, "racing", RacingInsurer(stranger))
    plan.insurer = "racing"
    plan.save()

    with pytest.raises(ValidationFailed) as raised:
        link(own, plan, "SH20269999", account)

    assert "ask the front desk" in str(field_errors(raised)["member_number"][0])
    assert list(Coverage.objects.values_list("patient", flat=True)) == [stranger.pk]


def test_the_same_patient_linked_twice_at_once_answers_the_row_that_won(family, plan, monkeypatch):
    account, own, _mother = family
    monkeypatch.setitem(insurers._INSURERS, "racing", RacingInsurer(own))  # "the other tab" of the same person
    plan.insurer = "racing"
    plan.save()

    coverage = link(own, plan, "SH20269999", account)

    assert Coverage.objects.get() == coverage


def test_someone_who_does_not_look_after_the_patient_is_refused(family, plan):
    _account, own, _mother = family
    other_account, _other = booking.account_with_patient()

    with pytest.raises(PermissionRefused):
        link(own, plan, "SH20261234", other_account)
    assert not Coverage.objects.exists()


def test_unlinking_ends_the_coverage_today_and_keeps_it(family, plan):
    account, _own, mother = family
    coverage = f.cover(mother, plan)

    services.coverage_unlink(coverage=coverage, by=account)
    services.coverage_unlink(coverage=coverage, by=account)  # again: nothing changes

    coverage.refresh_from_db()
    assert coverage.valid_to == timezone.localdate()


def test_unlinking_is_refused_to_someone_who_does_not_look_after_the_patient(family, plan):
    _account, _own, mother = family
    coverage = f.cover(mother, plan)
    other_account, _other = booking.account_with_patient()

    with pytest.raises(PermissionRefused):
        services.coverage_unlink(coverage=coverage, by=other_account)
    coverage.refresh_from_db()
    assert coverage.valid_to is None


def test_linking_an_unlinked_number_again_makes_it_valid_again(family, plan):
    account, own, _mother = family
    coverage = link(own, plan, "SH20261234", account)
    services.coverage_unlink(coverage=coverage, by=account)

    again = link(own, plan, "SH20261234", account)

    assert again.pk == coverage.pk and again.valid_to is None


# --- The split of a bill issued before the link -------------------------------------------------------------------

def test_a_bill_issued_before_linking_is_split_when_linked_and_paid_with_the_insurers_share(family, plan,
                                                                                            run_on_commit):
    account, _own, mother = family
    invoice = f.invoice(who=mother, prices=("100.00",))
    assert invoice_balance(invoice=invoice).patient_due == Decimal("100.00")

    link(mother, plan, "SH20265678", account)

    balance = invoice_balance(invoice=invoice)
    assert (balance.insurer_share, balance.patient_due) == (Decimal("70.00"), Decimal("30.00"))
    payment = f.checkout(invoice, by=account)
    assert payment.amount == Decimal("30.00")
    with run_on_commit():
        services.payment_notification_apply(event=f.sandbox_pay(payment))
    invoice.refresh_from_db()
    claim = InsuranceClaim.objects.get(invoice=invoice)
    assert invoice.status == InvoiceStatus.PAID
    assert (claim.status, claim.insurer_share, claim.coverage.member_number) == (
        ClaimStatus.SETTLED, Decimal("70.00"), "SH20265678")


def test_a_bill_with_a_checkout_under_way_keeps_the_split_its_payment_was_made_for(family, plan):
    account, _own, mother = family
    invoice = f.invoice(who=mother, prices=("100.00",))
    payment = f.checkout(invoice, by=account)

    link(mother, plan, "SH20265678", account)

    assert invoice_balance(invoice=invoice).patient_due == payment.amount == Decimal("100.00")


# --- The page ---------------------------------------------------------------------------------------------------

@pytest.fixture
def signed_in(client, family):
    client.force_login(family[0])
    return client


def test_the_page_lists_my_people_and_prefills_the_number_from_their_details(signed_in, family, plan):
    _account, own, mother = family
    mother.insurance_number = "SH77778888"
    mother.save()
    f.cover(own, plan, member="SH-11112222")

    page = signed_in.get(reverse("payments:insurance") + f"?person={mother.public_id}")

    assert page.status_code == 200
    text = page.text
    assert "王丽" in text and "王母" in text and "SH-11112222" in text
    assert 'name="member_number" value="SH77778888"' in text
    assert re.search(rf'<option value="{mother.public_id}" selected>', text)
    assert 'name="viewport"' in text and "payments.css" in text  # the phone layout of the bills pages


def test_linking_on_the_page_shows_the_plan_and_the_bill_then_shows_the_split(signed_in, family, plan):
    _account, _own, mother = family
    invoice = f.invoice(who=mother, prices=("100.00",))
    bill_page = signed_in.get(reverse("payments:bill", args=[invoice.public_id])).text
    assert "Link it before you pay" in bill_page

    response = signed_in.post(reverse("payments:insurance"), {
        "person": str(mother.public_id), "plan": plan.code, "member_number": "SH20265678", "bill": str(invoice.public_id)})

    assert response.status_code == 302 and response.url == reverse("payments:bill", args=[invoice.public_id])
    bill_page = signed_in.get(response.url).text
    assert "Insurance: 城镇职工医保" in bill_page and "¥30.00" in bill_page
    assert "Link it before you pay" not in bill_page


def test_an_error_is_shown_next_to_the_member_number(signed_in, family, plan):
    _account, own, _mother = family

    response = signed_in.post(reverse("payments:insurance"), {
        "person": str(own.public_id), "plan": plan.code, "member_number": "000999"})

    assert response.status_code == 400
    error = re.search(r'<div class="error" id="id_member_number_error">(.*?)</div>', response.text, re.S)
    assert error and "not a member" in error.group(1)
    assert not Coverage.objects.exists()


def test_someone_elses_person_cannot_be_chosen_on_the_page(signed_in, plan):
    stranger = f.patient()

    response = signed_in.post(reverse("payments:insurance"), {
        "person": str(stranger.public_id), "plan": plan.code, "member_number": "SH20265678"})

    assert response.status_code == 400 and 'id="id_person_error"' in response.text
    assert not Coverage.objects.exists()


def test_unlink_on_the_page_and_refused_for_someone_elses_coverage(signed_in, family, plan):
    _account, own, _mother = family
    mine, theirs = f.cover(own, plan), f.cover(f.patient(), plan)

    assert signed_in.post(reverse("payments:insurance_unlink", args=[theirs.public_id])).status_code == 404
    response = signed_in.post(reverse("payments:insurance_unlink", args=[mine.public_id]))

    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert response.status_code == 302
    assert (mine.valid_to, theirs.valid_to) == (timezone.localdate(), None)


def test_the_bills_page_links_to_the_insurance_page(signed_in):
    assert reverse("payments:insurance") in signed_in.get(reverse("payments:bills")).text


# --- The API ----------------------------------------------------------------------------------------------------

@pytest.fixture
def api(api_client, family):
    api_client.force_authenticate(family[0])
    return api_client


def test_api_lists_my_people_with_their_coverages(api, family, plan):
    _account, own, mother = family
    coverage = f.cover(mother, plan, member="SH-33334444")
    f.cover(f.patient(), plan)  # someone else's

    rows = api.get("/api/v1/payments/coverages").json()

    assert {r["patient"]["public_id"] for r in rows} == {str(own.public_id), str(mother.public_id)}
    hers = next(r for r in rows if r["patient"]["public_id"] == str(mother.public_id))
    assert [(c["public_id"], c["plan"]["code"], c["member_number"]) for c in hers["coverages"]] == [
        (str(coverage.public_id), plan.code, "SH-33334444")]


def test_api_links_once_then_answers_the_same_coverage(api, family, plan):
    _account, _own, mother = family
    body = {"patient": str(mother.public_id), "plan": plan.code, "member_number": "sh20265678"}

    first, again = api.post("/api/v1/payments/coverages", body, format="json"), \
        api.post("/api/v1/payments/coverages", body, format="json")

    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["public_id"] == again.json()["public_id"]
    assert first.json()["member_number"] == "SH20265678"


def test_api_field_errors(api, family, plan):
    _account, own, _mother = family
    f.cover(f.patient(), plan, member="SH20261234")

    taken = api.post("/api/v1/payments/coverages", {"patient": str(own.public_id), "plan": plan.code,
                                                     "member_number": "SH20261234"}, format="json")
    not_mine = api.post("/api/v1/payments/coverages", {"patient": str(f.patient().public_id), "plan": "nope",
                                                        "member_number": "SH20265678"}, format="json")

    assert taken.status_code == 400 and "front desk" in taken.json()["errors"]["member_number"][0]
    assert not_mine.status_code == 400 and set(not_mine.json()["errors"]) == {"patient", "plan"}


def test_api_unlink_mine_and_404_for_someone_elses(api, family, plan):
    _account, own, _mother = family
    mine, theirs = f.cover(own, plan), f.cover(f.patient(), plan)

    assert api.post(f"/api/v1/payments/coverages/{theirs.public_id}/unlink").status_code == 404
    response = api.post(f"/api/v1/payments/coverages/{mine.public_id}/unlink")

    assert response.status_code == 200 and response.json()["valid_to"] == timezone.localdate().isoformat()
    theirs.refresh_from_db()
    assert theirs.valid_to is None


def test_api_lists_the_plans_offered(api, plan):
    f.plan(code="closed").__class__.objects.filter(code="closed").update(is_active=False)

    assert [p["code"] for p in api.get("/api/v1/payments/insurance-plans").json()] == [plan.code]
