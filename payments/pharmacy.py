"""After paying for medicines, a number at the pharmacy window (取药号): payments' side of
appointments.queue.pharmacy.

``invoice_paid`` (sent after the commit that marks a bill paid) issues the ticket at once, so the number is
waiting whether or not the patient's browser comes back from the provider; the bill's page asks again
(``pharmacy_for_invoice``), which returns the same ticket (one per bill: the key is the bill's public id). A
pharmacy that is closed or not set up is logged and the page says to take the receipt to the pharmacy; the
payment itself is never affected.
"""

import logging

from appointments.queue.pharmacy import PharmacyTicket, pharmacy_ticket_get, pharmacy_ticket_issue
from core.errors import ApplicationError
from payments.models import Invoice, InvoiceStatus, LineCategory

logger = logging.getLogger(__name__)


def pharmacy_key(invoice: Invoice) -> str:
    return f"invoice:{invoice.public_id}"


def has_medicines(invoice: Invoice) -> bool:
    return any(line.category == LineCategory.DRUG for line in invoice.lines.all())


def pharmacy_for_invoice(*, invoice: Invoice, issue: bool = True) -> PharmacyTicket | None:
    """The pharmacy ticket of a paid bill with medicines: the one issued, or (with `issue`) a new one now.
    None for a bill without medicines, not paid, or when no pharmacy window is open."""
    if invoice.status != InvoiceStatus.PAID or not has_medicines(invoice):
        return None
    found = pharmacy_ticket_get(key=pharmacy_key(invoice))
    if found is not None or not issue:
        return found
    try:
        return pharmacy_ticket_issue(patient=invoice.patient, key=pharmacy_key(invoice))
    except ApplicationError as exc:
        logger.warning("No pharmacy ticket for invoice %s: %s", invoice.public_id, exc.message)
        return None


def on_invoice_paid(sender, *, invoice: Invoice, **kwargs) -> None:
    """Receiver of payments.signals.invoice_paid: the pharmacy number for a bill with medicines."""
    invoice = Invoice.objects.select_related("patient").prefetch_related("lines").get(pk=invoice.pk)
    pharmacy_for_invoice(invoice=invoice)
