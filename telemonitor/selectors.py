"""Reads for home monitoring, and the access checks that go with them."""

from django.db.models import Q
from django.utils.translation import gettext as _

from accounts.models import User
from core.errors import NotFound
from records.models import FamilyMember, Patient, Relationship


def access_own_patient(*, user: User, public_id=None) -> Patient:
    """The patient whose home devices and readings `user` manages: their own record, or a family member they look
    after (guardian). Anyone else's answers NotFound, so other people's records cannot be confirmed to exist."""
    links = FamilyMember.objects.filter(account=user).filter(Q(relationship=Relationship.SELF) | Q(is_guardian=True))
    try:
        if public_id is None:
            return Patient.objects.get(account=user)
        return Patient.objects.get(public_id=public_id, family_links__in=links)
    except (Patient.DoesNotExist, ValueError):
        raise NotFound(_("This person is not on your list, or you do not look after their records.")) from None
