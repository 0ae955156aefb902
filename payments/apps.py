from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PaymentsConfig(AppConfig):
    """Fees, invoices, payments, insurance, refunds and reconciliation (docs/payments.md)."""

    name = "payments"
    verbose_name = _("Payments")

    def ready(self) -> None:
        from appointments.fees import register_fee_source
        from payments import receivers, tasks  # noqa: F401  (tasks: registered by name for beat and the outbox)
        from payments.services.fees import registration_fee_from_schedule

        register_fee_source(registration_fee_from_schedule, name="payments.fee_schedule")
        receivers.connect()
        _connect_pages()


def _connect_pages() -> None:
    """The patient's pages: booking → its pay page (appointments.payment_link), and the pharmacy number when a
    bill with medicines is paid (payments.pharmacy)."""
    from appointments.payment_link import register_pay_url
    from payments.pharmacy import on_invoice_paid
    from payments.signals import invoice_paid
    from payments.views import appointment_pay_url

    register_pay_url(appointment_pay_url)
    invoice_paid.connect(on_invoice_paid, dispatch_uid="payments.pharmacy.on_invoice_paid")
