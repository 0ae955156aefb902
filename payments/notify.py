"""Telling the people who book for a patient (the account holders of their family list) about their bills."""

from django.conf import settings
from django.db.models import Q
from django.utils import translation

from accounts.models import User
from notifications.services import notification_send
from payments.models import Invoice


def invoice_notify(*, invoice: Invoice, event: str, title, body, params: dict | None = None, sms: bool = False) -> None:
    """One notification per account holder of the invoice's patient for `event` (key invoice:<id>:<event>, so
    once however often this runs). `title` and `body` are lazy translations rendered in each holder's language;
    `body` may use %(number)s, %(patient)s and the keys of `params`."""
    holders = User.objects.filter(Q(family_members__patient_id=invoice.patient_id)
                                  | Q(own_patient__pk=invoice.patient_id)).distinct()
    values = {"number": invoice.number or "", "patient": invoice.patient.name, **(params or {})}
    for user in holders:
        with translation.override(user.preferred_language or settings.LANGUAGE_CODE):
            notification_send(user=user, key=f"invoice:{invoice.pk}:{event}", kind=f"payment_{event.replace('-', '_')}",
                              title=str(title)[:200], body=str(body) % values, sms=sms)
