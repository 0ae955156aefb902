"""The backlog sweep: e-mails and SMS whose task never ran are sent once, and only those.

A task can be lost although it is acks_late (Redis's transport pops a message before recording it as unacknowledged,
so a worker killed in that instant loses it; tests/integration/test_faults.py kills workers for real). The sweep is
what makes "every e-mail is sent" hold anyway.
"""

import threading
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection, transaction
from django.utils import timezone

from core.sequences import sequence_next
from notifications.models import Notification
from notifications.services import notifications_deliver_backlog
from tests.services import require_postgres

SENT_SMS: list[tuple[str, str]] = []


class RecordingSmsBackend:
    def send(self, *, phone: str, text: str) -> None:
        SENT_SMS.append((phone, text))


class BrokenMailBackend:
    """A mail server that refuses every message."""

    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise ConnectionRefusedError("the mail server is down")


@pytest.fixture(autouse=True)
def recording_sms(settings):
    settings.SMS_BACKEND = f"{__name__}.RecordingSmsBackend"
    SENT_SMS.clear()
    yield
    SENT_SMS.clear()


def lost(user, key, *, minutes_ago: float, email=True, sms=False) -> Notification:
    """A notification, dated `minutes_ago`, whose delivery tasks were lost: the row notification_send writes, with
    no task queued."""
    notification = Notification.objects.create(
        user=user, key=key, kind="test", title=f"About {key}", seq=sequence_next(name=f"user-feed:{user.pk}"),
        send_email=email, send_sms=sms)
    Notification.objects.filter(pk=notification.pk).update(created_at=timezone.now() - timedelta(minutes=minutes_ago))
    return notification


@pytest.mark.django_db
def test_a_lost_email_and_sms_are_sent_once_by_the_sweep(make_user):
    user = make_user(email="lost@example.test", phone="13900000001")
    notification = lost(user, "lost", minutes_ago=6, sms=True)

    assert notifications_deliver_backlog() == 2
    assert [m.to for m in mail.outbox] == [["lost@example.test"]]
    assert SENT_SMS == [("13900000001", "About lost: ")]
    notification.refresh_from_db()
    assert notification.email_sent_at and notification.sms_sent_at

    assert notifications_deliver_backlog() == 0  # the next run finds nothing due
    assert len(mail.outbox) == 1 and len(SENT_SMS) == 1


@pytest.mark.django_db
def test_the_sweep_leaves_recent_ones_to_their_task_and_drops_stale_ones(make_user):
    user = make_user(email="ages@example.test")
    lost(user, "just-now", minutes_ago=1)  # its task is probably still on its way
    lost(user, "yesterday", minutes_ago=60 * 25)  # too late to be worth an e-mail
    done = lost(user, "done", minutes_ago=10)
    Notification.objects.filter(pk=done.pk).update(email_sent_at=timezone.now())

    assert notifications_deliver_backlog() == 0
    assert mail.outbox == []


@pytest.mark.django_db
def test_a_mail_server_that_is_down_stops_the_sweep_and_the_next_run_sends(make_user, settings):
    user = make_user(email="retry@example.test")
    for i in range(3):
        lost(user, f"down-{i}", minutes_ago=10 - i)

    settings.EMAIL_BACKEND = f"{__name__}.BrokenMailBackend"
    assert notifications_deliver_backlog() == 0  # one refusal stops the run: no 200 attempts at a dead server
    assert not Notification.objects.exclude(email_sent_at=None).exists()  # nothing marked sent that was not

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert notifications_deliver_backlog() == 3
    assert [m.subject for m in mail.outbox] == ["About down-0", "About down-1", "About down-2"]  # oldest first


@pytest.mark.django_db(transaction=True)
def test_a_row_a_worker_is_delivering_right_now_is_left_to_it(make_user):
    require_postgres()
    user = make_user(email="busy@example.test")
    busy = lost(user, "busy", minutes_ago=10)
    free = lost(user, "free", minutes_ago=9)
    locked, release = threading.Event(), threading.Event()

    def worker_holding_the_row():
        try:
            with transaction.atomic():
                Notification.objects.select_for_update().get(pk=busy.pk)
                locked.set()
                release.wait(timeout=30)
        finally:
            connection.close()

    thread = threading.Thread(target=worker_holding_the_row)
    thread.start()
    try:
        assert locked.wait(timeout=10)
        assert notifications_deliver_backlog() == 1  # the free one; the busy one is skipped, not waited for
    finally:
        release.set()
        thread.join(timeout=30)
    assert [m.subject for m in mail.outbox] == ["About free"]
    assert Notification.objects.get(pk=busy.pk).email_sent_at is None
    assert Notification.objects.get(pk=free.pk).email_sent_at is not None
