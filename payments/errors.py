"""Refusals of the payments services, each with a message a person can act on (problem+json in the API)."""

from django.utils.translation import gettext_lazy as _

from core.errors import ApplicationError, Conflict


class InvoiceStateError(Conflict):
    code = "invoice_state"
    default_message = _("This bill cannot be changed in its current state.")


class NothingToPayError(Conflict):
    code = "nothing_to_pay"
    default_message = _("There is nothing left to pay on this bill.")


class RefundRefusedError(ApplicationError):
    code = "refund_refused"
    http_status = 409
    default_message = _("This refund cannot be made.")


class RefundTooLargeError(RefundRefusedError):
    code = "refund_too_large"


class RefundDuplicateError(RefundRefusedError):
    code = "refund_duplicate"
    default_message = _("This refund has already been requested. It is not made twice.")


class PaymentStateError(Conflict):
    code = "payment_state"
    default_message = _("This payment cannot be changed in its current state.")
