import logging
from datetime import timedelta

from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from core.outbox import enqueue
from core.sequences import sequence_next
from notifications.models import Notification
from notifications.sms import sms_backend

logger = logging.getLogger(__name__)

# How long a notification may wait for its e-mail or SMS before the backlog sweep delivers it itself, and how old one
# may be and still be worth sending.
BACKLOG_AFTER = timedelta(minutes=5)
BACKLOG_WITHIN = timedelta(days=1)


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


def _deliver(*, notification_id: int, channel: str, skip_locked: bool = False) -> bool:
    """Send one channel ("email" or "sms") of a notification once: the row is locked and its ``<channel>_sent_at``
    set in the same transaction, so a redelivered task or the backlog sweep never sends it again. Returns whether
    this call sent it. With `skip_locked`, a row another process is delivering right now is left to it."""
    sent_field = f"{channel}_sent_at"
    with transaction.atomic():
        rows = Notification.objects.select_for_update(skip_locked=skip_locked).select_related("user")
        n = rows.filter(pk=notification_id, **{f"send_{channel}": True, sent_field: None}).first()
        if n is None:
            return False
        if channel == "email":
            send_mail(subject=n.title, message=f"{n.body}\n", from_email=None, recipient_list=[n.user.email])
        else:
            sms_backend().send(phone=n.user.phone, text=f"{n.title}: {n.body}"[:300])
        setattr(n, sent_field, timezone.now())
        n.save(update_fields=[sent_field])
    return True


def notification_email_deliver(*, notification_id: int) -> bool:
    return _deliver(notification_id=notification_id, channel="email")


def notification_sms_deliver(*, notification_id: int) -> bool:
    return _deliver(notification_id=notification_id, channel="sms")


def notifications_deliver_backlog(*, older_than: timedelta = BACKLOG_AFTER, within: timedelta = BACKLOG_WITHIN,
                                  limit: int = 200) -> int:
    """Periodic: send the e-mails and SMS whose task never ran. Returns how many were sent.

    A task can be lost although it is acks_late: Redis's transport pops a message (BRPOP) before it records it as
    unacknowledged, so a worker killed in between loses it, and a task whose retries ran out is gone too. This sweep
    sends what is still due itself, oldest first, skipping rows a worker is delivering at this moment. A channel that
    fails (the mail server is down) stops the sweep for that channel: the next run tries again, and nothing piles up.
    """
    now = timezone.now()
    sent = 0
    for channel in ("email", "sms"):
        due = (Notification.objects.filter(**{f"send_{channel}": True, f"{channel}_sent_at": None},
                                           created_at__lte=now - older_than, created_at__gte=now - within)
               .order_by("created_at", "pk").values_list("pk", flat=True)[:limit])
        for notification_id in due:
            try:
                sent += _deliver(notification_id=notification_id, channel=channel, skip_locked=True)
            except Exception:
                logger.warning("Backlog %s delivery failed for notification %s; the next sweep tries again",
                               channel, notification_id, exc_info=True)
                break
    return sent
