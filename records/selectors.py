from django.db.models import QuerySet
from django.utils.translation import gettext as _

from accounts.models import User
from core.errors import NotFound
from records.models import FamilyMember


def family_member_list(*, account: User) -> QuerySet[FamilyMember]:
    return FamilyMember.objects.filter(account=account).select_related("patient").order_by("created_at", "id")


def access_family_member(*, account: User, public_id) -> FamilyMember:
    """The family list entry `public_id` if it is on `account`'s list; otherwise NotFound, so other
    accounts' entries cannot even be confirmed to exist."""
    try:
        return family_member_list(account=account).get(public_id=public_id)
    except (FamilyMember.DoesNotExist, ValueError):
        raise NotFound(_("This person is not on your list.")) from None
