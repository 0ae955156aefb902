"""Acceptance 3: booking → pay in the sandbox → appointment confirmed; abandoning the checkout → the number released
on expiry; cancelling before the cut-off (or the hospital cancelling the session) → a refund event and the money
back in the ledger; after the cut-off → no refund. Real commits (transactional_db): the booking's signal, the
sandbox's refund task and the webhook all run after commit, as in production."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.roles import Role
from appointments import services as booking_services
from appointments.models import AppointmentStatus, DoctorTitle, Slot
from payments.models import (
    FeeKind,
    InvoiceSource,
    InvoiceStatus,
    LineCategory,
    Payment,
    PaymentEvent,
    PaymentStatus,
)
from payments.sandbox import services as sandbox
from payments.sandbox.models import SandboxCheckout
from payments.selectors import invoice_balance, invoice_for_source
from tests.appointments import factories as booking
from tests.payments import factories as f

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def held(api_client):
    """A patient's held booking with a ¥25.00 registration fee from the fee schedule, and their logged-in client."""
    f.fee(FeeKind.REGISTRATION, DoctorTitle.ATTENDING, "25.00", category=LineCategory.REGISTRATION)
    account, own = booking.account_with_patient()
    slot = booking.slot(doc=booking.doctor(title=DoctorTitle.ATTENDING), capacity=1)
    appointment = booking_services.appointment_book(patient=own, slot=slot, booked_by=account)
    api_client.force_authenticate(account)
    return appointment, account, api_client


def _pay_page(client, invoice) -> Payment:
    response = client.post(f"/api/v1/payments/invoices/{invoice.public_id}/checkout",
                           {"idempotency_key": "click-1-abcdef"}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["redirect_url"].startswith("/sandbox-pay/")
    return Payment.objects.get(public_id=response.json()["payment"]["public_id"])


def _paid(appointment, client):
    invoice = invoice_for_source(source=InvoiceSource.APPOINTMENT, source_ref=appointment.public_id)
    payment = _pay_page(client, invoice)
    sandbox.checkout_act(provider_reference=payment.provider_reference, action="pay")
    assert f.deliver(client) == 1
    return invoice, payment


def test_booking_paid_in_the_sandbox_confirms_the_appointment(held):
    appointment, _account, client = held
    assert appointment.status == AppointmentStatus.HELD and appointment.fee == Decimal("25.00")

    invoice, payment = _paid(appointment, client)

    appointment.refresh_from_db()
    invoice.refresh_from_db()
    payment.refresh_from_db()
    assert appointment.status == AppointmentStatus.BOOKED
    assert (invoice.status, payment.status) == (InvoiceStatus.PAID, PaymentStatus.CAPTURED)
    assert invoice_balance(invoice=invoice).captured == Decimal("25.00")


def test_a_declined_payment_releases_the_held_number(held):
    appointment, _account, client = held
    invoice = invoice_for_source(source=InvoiceSource.APPOINTMENT, source_ref=appointment.public_id)
    payment = _pay_page(client, invoice)

    sandbox.checkout_act(provider_reference=payment.provider_reference, action="decline")
    f.deliver(client)

    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.EXPIRED
    assert Slot.objects.get(pk=appointment.slot_id).booked == 0
    assert Payment.objects.get(pk=payment.pk).status == PaymentStatus.FAILED


def test_an_abandoned_checkout_releases_the_number_on_expiry(held):
    appointment, _account, client = held
    invoice = invoice_for_source(source=InvoiceSource.APPOINTMENT, source_ref=appointment.public_id)
    payment = _pay_page(client, invoice)  # ...and the payer just leaves the sandbox page

    released = booking_services.holds_expire(now=timezone.now() + timedelta(minutes=16))

    appointment.refresh_from_db()
    invoice.refresh_from_db()
    assert released == 1 and appointment.status == AppointmentStatus.EXPIRED
    assert Slot.objects.get(pk=appointment.slot_id).booked == 0
    assert invoice.status == InvoiceStatus.VOID
    assert Payment.objects.get(pk=payment.pk).status == PaymentStatus.CANCELLED


def test_cancelling_before_the_cutoff_refunds_the_fee(held):
    appointment, account, client = held
    invoice, payment = _paid(appointment, client)

    booking_services.appointment_cancel(appointment=appointment, by=account)

    invoice.refresh_from_db()
    balance = invoice_balance(invoice=invoice)
    assert PaymentEvent.objects.filter(payment=payment, kind="refund", amount=Decimal("25.00")).count() == 1
    assert (balance.captured, balance.refunded, balance.net_paid) == (Decimal("25.00"), Decimal("25.00"), Decimal("0.00"))
    assert invoice.status == InvoiceStatus.REFUNDED
    assert SandboxCheckout.objects.get(reference=payment.reference).refunded_amount == Decimal("25.00")
    # The payer is told once that the money is on its way back, even when the sandbox's own notice of the
    # refund arrives afterwards (a duplicate in the ledger).
    f.deliver(client)
    told = account.notifications.filter(kind="payment_refunded")
    key = f"invoice:{invoice.pk}:refunded:{invoice.refunds.get().reference}"
    assert [(n.title, n.key) for n in told] == [("Refund made", key)]
    assert f"We refunded ¥25.00 of bill {invoice.number}" in told.get().body


def test_the_hospital_cancelling_the_session_refunds_the_fee(held):
    appointment, _account, client = held
    invoice, _payment = _paid(appointment, client)
    admin = booking.user(Role.HOSPITAL_ADMIN)

    booking_services.session_cancel(doctor=appointment.doctor, date=appointment.date, session=appointment.session,
                                    by=admin, reason="Doctor ill")

    assert invoice_balance(invoice=invoice).refunded == Decimal("25.00")


def test_cancelling_after_the_cutoff_refunds_nothing(api_client):
    f.fee(FeeKind.REGISTRATION, DoctorTitle.ATTENDING, "25.00", category=LineCategory.REGISTRATION)
    account, own = booking.account_with_patient()
    soon = booking.slot(doc=booking.doctor(title=DoctorTitle.ATTENDING), starts_at=timezone.now() + timedelta(hours=1))
    appointment = booking_services.appointment_book(patient=own, slot=soon, booked_by=account)
    api_client.force_authenticate(account)
    invoice, _payment = _paid(appointment, api_client)
    desk = booking.user(Role.FRONT_DESK)

    booking_services.appointment_cancel(appointment=appointment, by=desk, reason="Patient asked at the desk")

    invoice.refresh_from_db()
    assert invoice_balance(invoice=invoice).refunded == Decimal("0.00")
    assert invoice.status == InvoiceStatus.PAID
