from django.db.models import QuerySet
from django.utils.translation import gettext as _

from accounts.models import User
from core.errors import NotFound
from notifications.models import Notification


def notification_list(*, user: User) -> QuerySet[Notification]:
    return Notification.objects.filter(user=user).order_by("-seq")


def access_notification(*, user: User, public_id) -> Notification:
    try:
        return notification_list(user=user).get(public_id=public_id)
    except (Notification.DoesNotExist, ValueError):
        raise NotFound(_("This notification does not exist.")) from None
