"""Pre-authorisation (预授权) is never left holding the payer's money: a booking cancelled before the visit releases
it at the provider, and a capture or release whose task was lost is done by the minute job."""

from decimal import Decimal

import pytest
from django.test import override_settings

from appointments import services as booking_services
from appointments.models import Appointment, AppointmentStatus, DoctorTitle
from appointments.signals import appointment_status_changed
from payments import services
from payments.models import EventKind, FeeKind, InvoiceSource, InvoiceStatus, LineCategory, Payment, PaymentStatus
from payments.sandbox import services as sandbox
from payments.sandbox.models import SandboxTransaction
from payments.selectors import invoice_balance, invoice_for_source
from tests.appointments import factories as booking
from tests.payments import factories as f

pytestmark = pytest.mark.django_db


def _authorised_booking(run_on_commit):
    """A patient's booked number, its 25.00 fee pre-authorised (not captured) in the sandbox."""
    f.fee(FeeKind.REGISTRATION, DoctorTitle.ATTENDING, "25.00", category=LineCategory.REGISTRATION)
    account, own = booking.account_with_patient()
    slot = booking.slot(doc=booking.doctor(title=DoctorTitle.ATTENDING))
    with run_on_commit():
        appointment = booking_services.appointment_book(patient=own, slot=slot, booked_by=account)
    invoice = invoice_for_source(source=InvoiceSource.APPOINTMENT, source_ref=appointment.public_id)
    payment = f.checkout(invoice, capture=False)
    sandbox.checkout_act(provider_reference=payment.provider_reference, action="pay")
    authorise = SandboxTransaction.objects.get(kind="authorise", checkout__reference=payment.reference)
    with run_on_commit():
        services.payment_notification_apply(event=sandbox.event_from_transaction(authorise))
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.BOOKED
    assert Payment.objects.get(pk=payment.pk).status == PaymentStatus.AUTHORISED
    return account, appointment, invoice, payment


def test_a_pre_authorised_registration_confirms_the_booking_and_is_captured_after_the_visit(run_on_commit):
    _account, appointment, invoice, payment = _authorised_booking(run_on_commit)  # confirmed on the authorisation

    Appointment.objects.filter(pk=appointment.pk).update(status=AppointmentStatus.COMPLETED)
    with run_on_commit():
        appointment_status_changed.send(sender=Appointment, appointment=appointment, from_status="in_consultation",
                                        to_status=AppointmentStatus.COMPLETED, by=None)

    invoice.refresh_from_db()
    assert Payment.objects.get(pk=payment.pk).status == PaymentStatus.CAPTURED
    assert invoice.status == InvoiceStatus.PAID and invoice_balance(invoice=invoice).captured == Decimal("25.00")


def test_cancelling_a_pre_authorised_booking_releases_the_money_at_the_provider(run_on_commit):
    account, appointment, invoice, payment = _authorised_booking(run_on_commit)

    with run_on_commit():
        booking_services.appointment_cancel(appointment=appointment, by=account, reason="plans changed")

    invoice.refresh_from_db()
    payment.refresh_from_db()
    assert invoice.status == InvoiceStatus.VOID
    assert payment.status == PaymentStatus.CANCELLED
    assert payment.events.filter(kind=EventKind.CANCEL).count() == 1  # the provider said so; not a local guess
    assert SandboxTransaction.objects.filter(kind="cancel", checkout__reference=payment.reference).count() == 1
    assert invoice_balance(invoice=invoice).captured == Decimal("0.00")


@override_settings(PAYMENT_QUERY_AFTER_SECONDS=0)
def test_a_release_whose_task_was_lost_is_done_by_the_minute_job_once(run_on_commit):
    account, appointment, _invoice, payment = _authorised_booking(run_on_commit)
    booking_services.appointment_cancel(appointment=appointment, by=account, reason="plans changed")  # no hooks run
    assert Payment.objects.get(pk=payment.pk).status == PaymentStatus.AUTHORISED

    services.payments_pending_resolve()
    services.payments_pending_resolve()

    assert Payment.objects.get(pk=payment.pk).status == PaymentStatus.CANCELLED
    assert SandboxTransaction.objects.filter(kind="cancel", checkout__reference=payment.reference).count() == 1


@override_settings(PAYMENT_QUERY_AFTER_SECONDS=0)
def test_a_capture_whose_task_was_lost_is_done_by_the_minute_job_once(run_on_commit):
    _account, appointment, invoice, payment = _authorised_booking(run_on_commit)
    Appointment.objects.filter(pk=appointment.pk).update(status=AppointmentStatus.COMPLETED)  # the visit is over

    services.payments_pending_resolve()
    services.payments_pending_resolve()

    invoice.refresh_from_db()
    assert Payment.objects.get(pk=payment.pk).status == PaymentStatus.CAPTURED
    assert invoice.status == InvoiceStatus.PAID and invoice_balance(invoice=invoice).captured == Decimal("25.00")
    assert Payment.objects.get(pk=payment.pk).events.filter(kind=EventKind.CAPTURE).count() == 1


def test_the_minute_job_leaves_a_booking_still_to_come_authorised(run_on_commit):
    _account, _appointment, _invoice, payment = _authorised_booking(run_on_commit)
    with override_settings(PAYMENT_QUERY_AFTER_SECONDS=0):
        services.payments_pending_resolve()
    assert Payment.objects.get(pk=payment.pk).status == PaymentStatus.AUTHORISED
