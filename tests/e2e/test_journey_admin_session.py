"""Issue 9, journey 3: an administrator at a desk PC, in the Django admin, adds a weekly session (a schedule
template) for a doctor who is already on the staff, generates its slots (the progress bar, the work done by a real
Celery worker when Redis is there), and, after four patients have booked numbers in that session (three paid the
registration fee in the sandbox, one left the bill unpaid), cancels the whole session through the slots' "Cancel this
session" action and its confirmation page. Every payer gets the fee back (an automatic refund sent by the worker,
the refund in the ledger once, the bill "Refunded"), the unpaid bill is cancelled, and each patient is told once
that the session was cancelled and each payer once that the money was refunded; one of them reads both in the
portal's notification list on a phone.

The bookings and payments are made through the services, as the booking pages and the sandbox's hosted checkout
would make them (those pages have their own journeys: test_booking_journey.py, test_payment_journey.py).
Real Chromium against daphne on the test database. Screenshots of the key screens under the test's output folder.
"""

from collections import Counter
from datetime import timedelta
from decimal import Decimal

from playwright.sync_api import Page, expect

from appointments import services as booking_services
from appointments.localtime import hospital_today
from appointments.models import Appointment, AppointmentStatus, DoctorTitle, ScheduleTemplate, Slot, SlotStatus
from notifications.models import Notification
from payments import services as payment_services
from payments.models import (
    EventKind,
    FeeKind,
    Invoice,
    InvoiceSource,
    InvoiceStatus,
    LineCategory,
    PaymentEvent,
    PaymentStatus,
    Refund,
    RefundStatus,
)
from payments.sandbox import services as sandbox
from payments.sandbox.models import DeliveryStatus, SandboxDelivery, SandboxTransaction
from tests import servers
from tests.appointments import factories
from tests.backoffice import world
from tests.e2e.conftest import DESK, PHONE
from tests.e2e.signin import sign_in
from tests.payments import factories as pay

PASSWORD = "Quiet-River-2024"  # tests.appointments.factories.user
REASON = "Dr 林 is ill today"




def book_and_pay(slot: Slot, base_url: str, *, pay_it: bool = True):
    """A patient with their own account books a number in `slot` and (unless told not to) pays its ¥25.00 bill in
    the sandbox; the sandbox's capture is applied to the ledger as its signed notification would be (the
    notification itself also goes to the live server's webhook, where it is a duplicate)."""
    account, person = factories.account_with_patient()
    appointment = booking_services.appointment_book(patient=person, slot=slot, booked_by=account)
    invoice = Invoice.objects.get(source=InvoiceSource.APPOINTMENT, source_ref=appointment.public_id)
    if pay_it:
        payment = payment_services.checkout_start(invoice=invoice, by=account, idempotency_key=f"pay-{invoice.public_id}",
                                                  return_url=f"{base_url}/payments/", base_url=base_url)
        sandbox.checkout_act(provider_reference=payment.provider_reference, action="pay")
        capture = SandboxTransaction.objects.select_related("checkout").get(checkout__reference=payment.reference,
                                                                            kind="capture")
        payment_services.payment_notification_apply(event=sandbox.event_from_transaction(capture))
        invoice.refresh_from_db()
        appointment.refresh_from_db()
        assert (invoice.status, appointment.status) == (InvoiceStatus.PAID, AppointmentStatus.BOOKED)
    return account, appointment, invoice


def choose_in_autocomplete(page: Page, field_id: str, text: str) -> None:
    """The admin's select2 autocomplete, as a person uses it: open, type, pick the match."""
    page.locator(f"#{field_id} + .select2 .select2-selection").click()
    page.locator(".select2-container--open .select2-search__field").fill(text)
    page.locator(".select2-results__option", has_text=text).click()


def test_administrator_cancels_a_paid_session_and_every_patient_is_refunded_and_told(live_url, worker, new_context,
                                                                                      screens, settings):
    pay.fee(FeeKind.REGISTRATION, DoctorTitle.ATTENDING, "25.00", category=LineCategory.REGISTRATION)
    doctor = factories.doctor(title=DoctorTitle.ATTENDING, name="林晓东")
    admin = world.admin_user(email="duty.manager@example.test", name="院办 周主任")
    # The day after tomorrow: its numbers are already released (7 days ahead at 08:00), whatever the hour now.
    day = hospital_today() + timedelta(days=2)

    desk = new_context(**DESK).new_page()
    sign_in(desk, live_url, admin.email, PASSWORD, "/admin/appointments/scheduletemplate/add/")

    # 1. A new weekly session for the doctor: 08:00–09:30, three 30-minute slots of two numbers.
    expect(desk.locator("h1")).to_contain_text("Add schedule template")
    choose_in_autocomplete(desk, "id_doctor", "林晓东")
    desk.get_by_label("Weekday").select_option(str(day.weekday()))
    desk.get_by_label("Session").select_option("morning")
    desk.get_by_label("Starts").fill("08:00")
    desk.get_by_label("Ends").fill("09:30")
    desk.get_by_label("Slot length (minutes)").fill("30")
    desk.get_by_label("Numbers per slot").fill("2")
    desk.get_by_label("Valid from").fill(hospital_today().isoformat())
    desk.screenshot(path=str(screens / "01-add-schedule-template.png"), full_page=True)
    desk.locator("input[name=_save]").click()
    expect(desk.locator(".messagelist")).to_contain_text("was added successfully")
    template = ScheduleTemplate.objects.get(doctor=doctor)

    # 2. Its slots for the coming week, made by the worker while the progress bar fills.
    desk.locator(f"input[name='_selected_action'][value='{template.pk}']").check()
    desk.locator("select[name=action]").select_option("generate_slots")
    desk.get_by_role("button", name="Go").click()
    desk.get_by_label("Days ahead, from today").fill("7")
    desk.get_by_role("button", name="Generate slots").click()
    expect(desk.locator("#slot-generation")).to_have_attribute("data-state", "done", timeout=60_000)
    expect(desk.locator("#slot-generation-bar")).to_have_attribute("value", "100")
    expect(desk.locator("#slot-generation-status")).to_contain_text("3 new slots made")
    desk.screenshot(path=str(screens / "02-slots-generated.png"), full_page=True)
    slots = list(Slot.objects.filter(doctor=doctor).order_by("starts_at"))
    assert [(s.date, s.session, s.capacity, s.status) for s in slots] == [(day, "morning", 2, SlotStatus.OPEN)] * 3

    # 3. Patients book in that session: three pay the registration fee, the fourth leaves the bill unpaid.
    settings.PAYMENTS_BASE_URL = live_url  # the sandbox notifies the live server's webhook
    payers = [book_and_pay(slot, live_url) for slot in (slots[0], slots[0], slots[1])]
    unpaid = book_and_pay(slots[2], live_url, pay_it=False)
    everyone = [*payers, unpaid]
    paid_invoices = [invoice for _account, _appointment, invoice in payers]

    # 4. The administrator cancels the session from the slots list, after its confirmation page.
    desk.goto(f"{live_url}/admin/appointments/slot/?q=林晓东")
    expect(desk.locator("#result_list tbody tr")).to_have_count(3)
    desk.locator("#action-toggle").check()
    desk.locator("select[name=action]").select_option("cancel_sessions")
    desk.get_by_role("button", name="Go").click()
    expect(desk.locator("h1")).to_have_text("Cancel sessions")
    expect(desk.locator("#content")).to_contain_text("cancels 4 appointments")
    session_row = desk.locator("#content table tbody tr")
    expect(session_row).to_have_count(1)
    expect(session_row).to_contain_text("林晓东")
    expect(session_row.locator("td").last).to_have_text("4")
    desk.get_by_label("Reason, as the patients will read it").fill(REASON)
    desk.screenshot(path=str(screens / "03-cancel-session-confirm.png"), full_page=True)
    desk.get_by_role("button", name="Yes, cancel these sessions").click()
    expect(desk.locator(".messagelist")).to_contain_text(
        "Cancelled 1 session and 4 appointments; the patients have been notified.")
    desk.screenshot(path=str(screens / "04-session-cancelled.png"), full_page=True)

    # 5. The refunds are sent (by the worker) and the sandbox's refund notifications reach the webhook.
    servers.wait_until(lambda: Refund.objects.filter(status=RefundStatus.SUCCEEDED).count() == 3, timeout=90,
                       message="three refunds succeeded")
    servers.wait_until(lambda: not SandboxDelivery.objects.filter(status=DeliveryStatus.PENDING).exists(), timeout=90,
                       message="every sandbox notification delivered")
    desk.goto(f"{live_url}/admin/payments/invoice/")
    rows = desk.locator("#result_list tbody tr")
    expect(rows).to_have_count(4)
    expect(rows.filter(has_text="Refunded")).to_have_count(3)
    desk.screenshot(path=str(screens / "05-bills-refunded.png"), full_page=True)

    # 6. One of the payers reads it on their phone.
    account, _appointment, _invoice = payers[0]
    phone = new_context(**PHONE).new_page()
    sign_in(phone, live_url, account.email, PASSWORD, "/notifications/")
    told = phone.locator("#notification-list li", has_text="Appointment cancelled by the hospital")
    expect(told).to_have_count(1)
    expect(told).to_contain_text(REASON)
    expect(told).to_contain_text("林晓东")
    refunded = phone.locator("#notification-list li", has_text="Refund made")
    expect(refunded).to_have_count(1)
    expect(refunded).to_contain_text(f"We refunded ¥25.00 of bill {paid_invoices[0].number}")
    phone.screenshot(path=str(screens / "06-patient-notifications.png"), full_page=True)

    # 7. The database holds exactly what should have happened, once.
    appointments = Appointment.objects.filter(pk__in=[a.pk for _u, a, _i in everyone])
    assert sorted(appointments.values_list("status", flat=True)) == [AppointmentStatus.CANCELLED] * 4
    assert set(appointments.values_list("cancel_reason", flat=True)) == {REASON}
    assert sorted(Slot.objects.filter(doctor=doctor).values_list("status", "booked")) == [(SlotStatus.CANCELLED, 0)] * 3
    assert not Slot.objects.filter(doctor=doctor, cancel_reason="").exists()

    refunds = list(Refund.objects.all())
    assert sorted(r.invoice_id for r in refunds) == sorted(i.pk for i in paid_invoices)  # one per paid bill
    assert all(r.automatic and r.amount == Decimal("25.00") and r.status == RefundStatus.SUCCEEDED for r in refunds)
    refund_events = PaymentEvent.objects.filter(kind=EventKind.REFUND)
    assert sorted(refund_events.values_list("refund_id", flat=True)) == sorted(r.pk for r in refunds)  # none twice
    assert all(event.amount == Decimal("25.00") for event in refund_events)
    for invoice in paid_invoices:
        invoice.refresh_from_db()
        assert invoice.status == InvoiceStatus.REFUNDED
        assert invoice.payments.get().status == PaymentStatus.CAPTURED
    unpaid_invoice = unpaid[2]
    unpaid_invoice.refresh_from_db()
    assert unpaid_invoice.status == InvoiceStatus.VOID and not unpaid_invoice.refunds.exists()

    kinds = Counter(Notification.objects.filter(user__in=[u for u, _a, _i in everyone]).values_list("user_id", "kind"))
    expected = Counter()
    for user, _appointment, _invoice in payers:
        expected.update({(user.pk, "payment_paid"): 1, (user.pk, "appointment_session_cancelled"): 1,
                         (user.pk, "payment_refunded"): 1})
    expected[(unpaid[0].pk, "appointment_session_cancelled")] = 1
    assert kinds == expected
