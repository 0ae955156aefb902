"""The patient's payment pages and the counter (issue 6): my bills for the family, one bill with the insurance split,
Pay through the sandbox checkout (one payment however often it is sent), the return page from the ledger (pending,
paid, failed), the receipt PDF, the pharmacy number after paying for medicines, booking → pay, and the front desk
recording cash or card. A refused case beside each allowed one."""

import io
import re

import pytest
from django.urls import reverse
from pypdf import PdfReader

from accounts.roles import Role
from appointments.models import Appointment, AppointmentStatus, QueueTicket
from payments.models import InvoiceStatus, Payment, PaymentStatus
from payments.providers.base import EventKind
from records.models import Relationship
from tests.appointments import factories
from tests.appointments.test_pages import confirm_post
from tests.core.support import unit_isolation  # noqa: F401
from tests.payments import pages_world as world

pytestmark = pytest.mark.django_db


@pytest.fixture
def family():
    """刘芳's account: herself (insured) and her father 刘建国 on her list."""
    account, herself = factories.account_with_patient(name="刘芳")
    father = factories.patient(name="刘建国")
    factories.add_to_list(account, father, Relationship.PARENT)
    world.insured(herself, member_number="SH-20261234")
    return account, herself, father


@pytest.fixture
def signed_in(client, family):
    client.force_login(family[0])
    return client


def bill_url(invoice, name: str = "payments:bill") -> str:
    return reverse(name, args=[invoice.public_id])


def pay(client, invoice, key: str = "k" * 16):
    return client.post(bill_url(invoice, "payments:pay"), {"key": key})


# --- My bills and one bill --------------------------------------------------------------------------------

def test_my_bills_lists_the_familys_bills_to_pay_and_not_other_peoples(signed_in, family):
    _, herself, father = family
    mine, his = world.medicine_bill(herself), world.plain_bill(father)
    stranger = world.plain_bill(factories.patient(name="陌生人"))

    page = signed_in.get(reverse("payments:bills")).text

    assert mine.number in page and his.number in page and stranger.number not in page
    assert "刘建国" in page and "¥37.50" in page  # her share: 25.00 × 30 % + 30.00 (the test is not covered)


def test_a_bill_shows_each_line_with_what_insurance_pays_and_what_you_pay(signed_in, family):
    invoice = world.medicine_bill(family[1])

    page = signed_in.get(bill_url(invoice)).text

    assert "阿莫西林胶囊 0.25g" in page and "2 × ¥12.50" in page
    assert re.search(r'data-testid="line-insurer">¥17.50<', page) and re.search(r'data-testid="line-patient">¥7.50<', page)
    assert re.search(r'data-testid="insurer-total">¥17.50<', page) and re.search(r'data-testid="patient-total">¥37.50<', page)
    assert "城镇职工医保" in page and 'data-testid="pay"' in page and "Pay ¥37.50" in page


def test_someone_elses_bill_is_not_found_nor_payable(signed_in):
    stranger = world.plain_bill(factories.patient(name="陌生人"))
    assert signed_in.get(bill_url(stranger)).status_code == 404
    assert pay(signed_in, stranger).status_code == 404
    assert not Payment.objects.exists()


def test_bills_need_a_sign_in(client, family):
    invoice = world.plain_bill(family[1])
    assert client.get(bill_url(invoice))["Location"].startswith(reverse("accounts:login"))


# --- Paying ----------------------------------------------------------------------------------------------

def test_pay_sends_the_payer_to_the_sandbox_checkout_and_two_taps_make_one_payment(signed_in, family):
    invoice = world.medicine_bill(family[1])

    first, second = pay(signed_in, invoice, "same-key-123"), pay(signed_in, invoice, "same-key-123")

    payment = Payment.objects.get()
    assert payment.amount == payment.invoice.lines.first().patient_share + 30  # the patient's share only
    assert first["Location"] == second["Location"] == payment.redirect_url
    assert "/sandbox-pay/" in payment.redirect_url
    assert signed_in.get(payment.redirect_url).status_code == 200  # the hosted checkout page


def test_a_second_tab_with_another_key_gets_the_same_open_checkout(signed_in, family):
    invoice = world.plain_bill(family[1])
    pay(signed_in, invoice, "tab-one-key-1")
    pay(signed_in, invoice, "tab-two-key-2")
    assert Payment.objects.filter(invoice=invoice).count() == 1


def test_a_paid_bill_cannot_be_paid_again(signed_in, family):
    invoice = world.plain_bill(family[1])
    pay(signed_in, invoice, "first-key-123")
    world.provider_says(Payment.objects.get())

    response = pay(signed_in, invoice, "second-key-456")

    assert response["Location"] == bill_url(invoice)
    assert "nothing left to pay" in signed_in.get(response["Location"]).text
    assert Payment.objects.count() == 1
    assert 'data-testid="pay"' not in signed_in.get(bill_url(invoice)).text


def test_pay_without_a_key_is_refused_with_a_message(signed_in, family):
    invoice = world.plain_bill(family[1])
    response = pay(signed_in, invoice, "")
    assert response["Location"] == bill_url(invoice) and not Payment.objects.exists()


# --- Coming back from the provider -----------------------------------------------------------------------

def test_return_page_waits_for_the_ledger_then_shows_paid(signed_in, family):
    invoice = world.plain_bill(family[1])
    pay(signed_in, invoice)
    payment = Payment.objects.get()
    # The provider's redirect claims success; the page believes the ledger, which has not heard yet.
    waiting = signed_in.get(bill_url(invoice, "payments:return") + "?result=paid").text
    assert 'data-state="pending"' in waiting and "data-payment-poll" in waiting and 'data-testid="reload"' in waiting
    assert signed_in.get(bill_url(invoice, "payments:status")).json()["state"] == "pending"

    world.provider_says(payment)

    assert signed_in.get(bill_url(invoice, "payments:status")).json() == {
        "state": "paid", "invoice_status": "paid", "payment_status": "captured"}
    done = signed_in.get(bill_url(invoice, "payments:return")).text
    assert 'data-state="paid"' in done and "Paid. Thank you." in done and "data-payment-poll" not in done
    assert 'data-testid="receipt"' in done


def test_return_page_after_a_declined_payment_says_so_and_offers_to_pay_again(signed_in, family):
    invoice = world.plain_bill(family[1])
    pay(signed_in, invoice)
    world.provider_says(Payment.objects.get(), EventKind.FAIL, detail="Card declined")

    page = signed_in.get(bill_url(invoice, "payments:return")).text

    assert 'data-state="failed"' in page and "did not go through" in page and 'data-testid="pay"' in page
    assert invoice_status_now(invoice) == InvoiceStatus.ISSUED


def invoice_status_now(invoice):
    invoice.refresh_from_db()
    return invoice.status


def test_status_of_someone_elses_bill_is_not_found(signed_in):
    stranger = world.plain_bill(factories.patient(name="陌生人"))
    assert signed_in.get(bill_url(stranger, "payments:status")).status_code == 404


# --- Receipt ---------------------------------------------------------------------------------------------

def pdf_text(response) -> str:
    assert (response.status_code, response["Content-Type"]) == (200, "application/pdf")
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)


def test_receipt_pdf_of_a_paid_bill_has_its_lines_shares_and_payment(signed_in, family):
    invoice = world.medicine_bill(family[1])
    pay(signed_in, invoice)
    payment = Payment.objects.get()
    world.provider_says(payment)

    response = signed_in.get(bill_url(invoice, "payments:receipt"))

    text = pdf_text(response)
    assert response["Content-Disposition"] == f'attachment; filename="receipt-{invoice.number}.pdf"'
    expected = [invoice.number, "刘芳", "阿莫西林胶囊 0.25g", "¥17.50", "¥7.50", "¥37.50", payment.reference, "城镇职工医保",
                "*******1234"]
    assert [word for word in expected if word not in text] == []


def test_no_receipt_before_anything_is_paid(signed_in, family):
    invoice = world.plain_bill(family[1])
    response = signed_in.get(bill_url(invoice, "payments:receipt"))
    assert response.status_code == 302 and "no receipt yet" in signed_in.get(response["Location"]).text


# --- The pharmacy number ------------------------------------------------------------------------------------

def test_after_paying_for_medicines_the_bill_shows_the_pharmacy_window_and_the_people_waiting(
        signed_in, family, django_capture_on_commit_callbacks):
    world.pharmacy("1号窗口", "2号窗口")
    invoice = world.medicine_bill(family[1])
    pay(signed_in, invoice)
    with django_capture_on_commit_callbacks(execute=True):
        world.provider_says(Payment.objects.get())  # invoice_paid → the ticket, before the browser comes back

    ticket = QueueTicket.objects.get(issue_key=f"invoice:{invoice.public_id}")
    page = signed_in.get(bill_url(invoice, "payments:return")).text

    assert 'data-testid="pharmacy"' in page and "1号窗口" in page and ticket.number in page
    assert 'data-waiting="0"' in page
    assert signed_in.get(reverse("queue:ticket", args=[ticket.public_id])).status_code == 200


def test_a_paid_bill_without_medicines_gets_no_pharmacy_number(signed_in, family):
    world.pharmacy()
    invoice = world.plain_bill(family[1])
    pay(signed_in, invoice)
    world.provider_says(Payment.objects.get())
    assert 'data-testid="pharmacy"' not in signed_in.get(bill_url(invoice)).text and not QueueTicket.objects.exists()


def test_with_the_pharmacy_closed_the_payment_stands_and_the_page_says_where_to_go(signed_in, family):
    invoice = world.medicine_bill(family[1])
    pay(signed_in, invoice)
    world.provider_says(Payment.objects.get())

    page = signed_in.get(bill_url(invoice)).text

    assert invoice_status_now(invoice) == InvoiceStatus.PAID
    assert "take your receipt to the pharmacy" in page and not QueueTicket.objects.exists()


# --- Booking → paying ------------------------------------------------------------------------------------

def test_booking_a_number_with_a_fee_goes_to_its_bill_and_paying_confirms_it(signed_in, family, settings):
    settings.REGISTRATION_FEES = {"attending": "25"}
    _, herself, _ = family

    response = confirm_post(signed_in, factories.slot(), herself)
    bill_page = signed_in.get(response["Location"], follow=True)

    appointment = Appointment.objects.get()
    assert appointment.status == AppointmentStatus.HELD
    assert "Pay ¥25.00" in bill_page.text and "Registration fee" in bill_page.text
    invoice = appointment_invoice(appointment)
    pay(signed_in, invoice)
    world.provider_says(Payment.objects.get())
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.BOOKED
    assert "Your appointment is confirmed." in signed_in.get(bill_url(invoice, "payments:return")).text


def appointment_invoice(appointment):
    from payments.selectors import invoice_for_source

    return invoice_for_source(source="appointment", source_ref=appointment.public_id)


def test_someone_elses_appointment_has_no_pay_page(signed_in, settings):
    settings.REGISTRATION_FEES = {"attending": "25"}
    account, other = factories.account_with_patient(name="陌生人")
    from django.test import Client

    stranger = Client()
    stranger.force_login(account)
    confirm_post(stranger, factories.slot(), other)
    appointment = Appointment.objects.get()
    assert signed_in.get(reverse("payments:appointment_pay", args=[appointment.public_id])).status_code == 404


# --- The front desk --------------------------------------------------------------------------------------------

@pytest.fixture
def desk(client):
    staff = factories.user(Role.FRONT_DESK)
    client.force_login(staff)
    return client


def test_front_desk_finds_a_patient_and_records_cash_for_an_outstanding_bill(desk, family):
    _, herself, _ = family
    invoice = world.medicine_bill(herself)
    assert "刘芳" in desk.get(reverse("payments:desk"), {"q": "刘芳"}).text
    page = desk.get(reverse("payments:desk_patient", args=[herself.public_id])).text
    assert invoice.number in page and "¥37.50" in page
    key = re.search(r'name="key" value="([^"]+)"', page).group(1)

    for _ in range(2):  # a second tap with the same form records nothing more
        response = desk.post(reverse("payments:desk_record", args=[invoice.public_id]), {"method": "cash", "key": key})

    assert Payment.objects.filter(invoice=invoice, method="cash", status=PaymentStatus.CAPTURED).count() == 1
    assert invoice_status_now(invoice) == InvoiceStatus.PAID
    assert "¥37.50 received by cash" in desk.get(response["Location"]).text


def test_front_desk_refuses_an_unknown_method(desk, family):
    invoice = world.plain_bill(family[1])
    response = desk.post(reverse("payments:desk_record", args=[invoice.public_id]), {"method": "iou", "key": "k" * 16})
    assert "Choose cash or card." in desk.get(response["Location"]).text and not Payment.objects.exists()


def test_a_patient_cannot_use_the_counter(signed_in, family):
    invoice = world.plain_bill(family[1])
    assert signed_in.get(reverse("payments:desk")).status_code == 403
    response = signed_in.post(reverse("payments:desk_record", args=[invoice.public_id]), {"method": "cash", "key": "k" * 16})
    assert response.status_code == 403 and not Payment.objects.exists()


def test_menu_has_my_bills_for_patients_and_the_counter_for_the_front_desk(signed_in, client):
    assert f'href="{reverse("payments:bills")}"' in signed_in.get(reverse("core:home")).text
    client.force_login(factories.user(Role.FRONT_DESK))
    page = client.get(reverse("core:home")).text
    assert f'href="{reverse("payments:desk")}"' in page and f'href="{reverse("payments:bills")}"' not in page


def test_my_bills_reads_the_same_number_of_queries_for_one_bill_or_many(signed_in, family):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert signed_in.get(reverse("payments:bills")).status_code == 200
        return len(captured)

    world.plain_bill(family[1])
    one = queries()
    for _ in range(5):
        world.medicine_bill(family[2])
    assert queries() == one


def test_the_bill_and_its_receipt_come_in_chinese_for_a_chinese_reader(signed_in, family):
    invoice = world.medicine_bill(family[1])
    pay(signed_in, invoice)
    world.provider_says(Payment.objects.get())
    signed_in.cookies["django_language"] = "zh-hans"

    page = signed_in.get(bill_url(invoice)).text
    receipt = pdf_text(signed_in.get(bill_url(invoice, "payments:receipt")))

    assert '<html lang="zh-hans">' in page and "示范人民医院" in page and "阿莫西林胶囊" in page
    assert "示范人民医院" in receipt and "Demo People's Hospital" not in receipt
