"""How payments hears about bookings, signed notes and monitoring plans (apps below it cannot import it).

- A held appointment gets its registration bill; paying it confirms the booking (payments.services.ledger).
- A cancelled appointment is refunded when it was cancelled before the cut-off or the hospital cancelled the
  session; an unpaid one has its bill cancelled. An expired hold has its bill cancelled (a late payment is refunded).
- A completed visit captures a pre-authorised registration payment.
- A signed encounter's prescriptions and orders become a bill (records.signals.encounter_signed).
- A new monitoring plan is billed its fee (telemonitor.signals.plan_enrolled, after commit).
Every receiver is idempotent: the bill per source item and the refund per request are unique in the database.
"""

import logging

from django.utils.translation import gettext as _

from core.outbox import enqueue

logger = logging.getLogger(__name__)


def on_appointment_status_changed(sender, *, appointment, from_status, to_status, by=None, **kwargs) -> None:
    from appointments.models import Appointment, AppointmentStatus, SlotStatus
    from appointments.services import cancel_cutoff
    from payments import services, tasks
    from payments.models import InvoiceSource, InvoiceStatus, Payment, PaymentStatus
    from payments.selectors import invoice_for_source

    if to_status == AppointmentStatus.HELD:
        services.invoice_for_appointment(appointment=appointment)
    elif to_status == AppointmentStatus.CANCELLED:
        appointment.refresh_from_db()
        moved_to = Appointment.objects.filter(rescheduled_from=appointment).first()
        if moved_to is not None and moved_to.status != AppointmentStatus.HELD:
            return  # moved to a number costing no more: what was paid carries over (appointments.services)
        hospital = appointment.slot.status == SlotStatus.CANCELLED
        in_time = appointment.cancelled_at is not None and appointment.cancelled_at < cancel_cutoff(appointment.slot)
        if hospital or in_time or moved_to is not None:  # a move to a dearer number is billed anew in full
            reason = (_("The hospital cancelled the session.") if hospital
                      else _("Appointment moved to another time.") if moved_to is not None
                      else _("Appointment cancelled before the cut-off."))
            services.refund_for_cancelled_appointment(appointment=appointment, reason=reason)
        else:
            invoice = invoice_for_source(source=InvoiceSource.APPOINTMENT, source_ref=appointment.public_id)
            if invoice is not None and invoice.status == InvoiceStatus.ISSUED:
                services.invoice_void(invoice=invoice, reason=_("Appointment cancelled"))
    elif to_status == AppointmentStatus.EXPIRED:
        services.refund_for_cancelled_appointment(appointment=appointment, reason=_("The hold ran out before payment."))
    elif to_status == AppointmentStatus.COMPLETED:
        invoice = invoice_for_source(source=InvoiceSource.APPOINTMENT, source_ref=appointment.public_id)
        if invoice is not None:
            for payment in Payment.objects.filter(invoice=invoice, status=PaymentStatus.AUTHORISED):
                enqueue(tasks.payment_capture, payment.pk)


def on_encounter_signed(sender, *, encounter, by=None, **kwargs) -> None:
    from payments import services

    services.invoice_for_encounter(encounter=encounter)


def on_plan_enrolled(sender, *, enrolment, by=None, **kwargs) -> None:
    from payments import services

    services.invoice_for_monitoring_plan(plan=enrolment)


def connect() -> None:
    from appointments.signals import appointment_status_changed
    from records.signals import encounter_signed
    from telemonitor.signals import plan_enrolled

    appointment_status_changed.connect(on_appointment_status_changed, dispatch_uid="payments.appointment_status")
    encounter_signed.connect(on_encounter_signed, dispatch_uid="payments.encounter_signed")
    plan_enrolled.connect(on_plan_enrolled, dispatch_uid="payments.plan_enrolled")
