"""Telling the people who book for a patient (the account holders of their family list) about their bills."""

from django.conf import settings
from django.db.models import Q
from django.utils import translation

from accounts.models import User
from notifications.services import notification_send
from payments.models import Invoice


def invoice_notify(*, invoice: Invoice, event: str, title, body, params: dict | None = None, sms: bool = False,
                   once_per: str = "") -> None:
    """One notification per account holder of the invoice's patient for `event` (key invoice:<id>:<event>, or
    invoice:<id>:<event>:<once_per> for an event that can happen more than once to a bill, such as a refund; so
    once however often this runs). `title` and `body` are lazy translations rendered in each holder's language;
    `body` may use %(number)s, %(patient)s and the keys of `params`."""
    holders = User.objects.filter(Q(family_members__patient_id=invoice.patient_id)
                                  | Q(own_patient__pk=invoice.patient_id)).distinct()
    key = f"invoice:{invoice.pk}:{event}" + (f":{once_per}" if once_per else "")
    values = {"number": invoice.number or "", "patient": invoice.patient.name, **(params or {})}
    for user in holders:
        with translation.override(user.preferred_language or settings.LANGUAGE_CODE):
            notification_send(user=user, key=key, kind=f"payment_{event.replace('-', '_')}",
                              title=str(title)[:200], body=str(body) % values, sms=sms)
