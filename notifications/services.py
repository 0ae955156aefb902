from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from core.outbox import enqueue
from core.sequences import sequence_next
from notifications.models import Notification


def notification_send(*, user: User, key: str, kind: str, title: str, body: str = "", link: str = "",
                      email: bool = False, sms: bool = False) -> Notification:
    """Create the notification for event `key` once; push it live and queue email/SMS after commit.

    A second call with the same (user, key) returns the first notification and sends nothing,
    which is what lets periodic jobs that raise reminders run twice safely.
    """
    existing = Notification.objects.filter(user=user, key=key).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            notification = Notification.objects.create(
                user=user, key=key, kind=kind, title=str(title)[:200], body=str(body), link=link,
                seq=sequence_next(name=f"user-feed:{user.pk}"), send_email=email and bool(user.email),
                send_sms=sms and bool(user.phone),
            )
    except IntegrityError:
        # The same event raised by two processes at once: the unique (user, key) let one through.
        return Notification.objects.get(user=user, key=key)

    from notifications import tasks  # tasks import this module; a local import breaks the cycle

    enqueue(tasks.notification_push, notification.pk)
    if notification.send_email:
        enqueue(tasks.notification_email, notification.pk)
    if notification.send_sms:
        enqueue(tasks.notification_sms, notification.pk)
    return notification


def notification_mark_read(*, user: User, notification: Notification | None = None) -> int:
    """Mark one of the user's notifications read, or all of them when none is given."""
    unread = Notification.objects.filter(user=user, read_at=None)
    if notification is not None:
        unread = unread.filter(pk=notification.pk)
    return unread.update(read_at=timezone.now())
