"""Telling the people who book for a patient (the account holders of their family list) about their bills."""

from payments.models import Invoice
from records.notify import account_holders_notify


def invoice_notify(*, invoice: Invoice, event: str, title, body, params: dict | None = None, sms: bool = False,
                   once_per: str = "") -> None:
    """One notification per account holder of the invoice's patient for `event` (key invoice:<id>:<event>, or
    invoice:<id>:<event>:<once_per> for an event that can happen more than once to a bill, such as a refund; so
    once however often this runs). `title` and `body` are lazy translations rendered in each holder's language;
    `body` may use %(number)s, %(patient)s and the keys of `params`."""
    key = f"invoice:{invoice.pk}:{event}" + (f":{once_per}" if once_per else "")
    values = {"number": invoice.number or "", "patient": invoice.patient.name, **(params or {})}
    account_holders_notify(patient_id=invoice.patient_id, key=key, kind=f"payment_{event.replace('-', '_')}",
                           title=title, body=body, params=values, sms=sms)
