"""Telling the people who book for a patient: the account holders of the patient's family list and the patient's own
account. Appointments, the queue and payments all tell them the same way, each in their own language."""

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import translation

from accounts.models import User
from notifications.services import notification_send


def patient_account_holders(*, patient_id: int) -> QuerySet[User]:
    """The accounts that book for this patient: their family-list holders and their own account."""
    return User.objects.filter(Q(family_members__patient_id=patient_id) | Q(own_patient__pk=patient_id)).distinct()


def account_holders_notify(*, patient_id: int, key: str, kind: str, title, body, params: dict | None = None,
                           link: str = "", email: bool = False, sms: bool = False) -> int:
    """One notification per account holder of the patient for the event `key` (once however often this runs).
    `title` and `body` are lazy translations rendered in each holder's language; `body` may use the keys of
    `params`. Returns how many holders were told."""
    told = 0
    for user in patient_account_holders(patient_id=patient_id):
        with translation.override(user.preferred_language or settings.LANGUAGE_CODE):
            notification_send(user=user, key=key, kind=kind, title=str(title), body=str(body) % (params or {}),
                              link=link, email=email, sms=sms)
        told += 1
    return told
