"""A real Celery worker, fed through Redis, sends the welcome email once (issue 2)."""

import datetime
import email
from email import policy

import pytest
from django.conf import settings

from config.celery import app
from notifications import tasks
from notifications.models import Notification
from records.models import Patient
from records.services import patient_sign_up
from tests.conftest import PASSWORD
from tests.servers import wait_until
from tests.services import require_postgres, require_redis

pytestmark = pytest.mark.django_db(transaction=True)


def _sign_up():
    return patient_sign_up(name="李华", phone="13900001111", email="lihua@example.test", password=PASSWORD,
                           sex="female", date_of_birth=datetime.date(1990, 3, 4))


def _mail_bodies(paths) -> list[str]:
    """The messages the file backend wrote to `paths`, decoded (one message per file for single sends)."""
    bodies = []
    for path in sorted(paths):
        raw = path.read_bytes().rsplit(b"\n" + b"-" * 79, 1)[0]  # the backend's separator line
        message = email.message_from_bytes(raw, policy=policy.default)
        bodies.append(f"To: {message['To']}\n{message.get_body(('plain',)).get_content()}")
    return bodies


def _task_finished(log_path, task_id: str) -> str | None:
    for line in log_path.read_text(errors="replace").splitlines():
        if f"[{task_id}]" in line and (" succeeded in " in line or " raised " in line):
            return line
    return None


def test_tasks_go_to_the_broker_not_run_in_process():
    require_redis()
    assert not settings.CELERY_TASK_ALWAYS_EAGER
    assert not app.conf.task_always_eager
    assert app.conf.broker_url == settings.REDIS_URL


def test_sign_up_welcome_email_is_sent_by_the_worker(celery_worker):
    require_postgres()
    require_redis()
    files_before = set(celery_worker.mail_dir.iterdir())
    user = _sign_up()
    mrn = Patient.objects.get(account=user).mrn

    notification = wait_until(
        lambda: Notification.objects.filter(user=user, key="welcome").exclude(email_sent_at=None).first(),
        timeout=30, message="welcome email marked sent by the worker",
    )

    bodies = _mail_bodies(set(celery_worker.mail_dir.iterdir()) - files_before)
    assert len(bodies) == 1
    assert "lihua@example.test" in bodies[0]
    assert mrn in bodies[0]
    assert notification.email_sent_at is not None


def test_welcome_email_task_run_twice_sends_once(celery_worker):
    require_postgres()
    require_redis()
    user = _sign_up()
    notification = wait_until(
        lambda: Notification.objects.filter(user=user, key="welcome").exclude(email_sent_at=None).first(),
        timeout=30, message="welcome email marked sent by the worker",
    )
    files_before = set(celery_worker.mail_dir.iterdir())

    # A redelivery (acks_late after a worker crash, or the outbox sending late) runs the task again.
    again = tasks.notification_email.delay(notification.pk)
    line = wait_until(lambda: _task_finished(celery_worker.log_path, again.id), timeout=30,
                      message=f"worker finishing task {again.id}")

    assert line.rstrip().endswith(": False"), line
    assert set(celery_worker.mail_dir.iterdir()) == files_before
    notification_after = Notification.objects.get(pk=notification.pk)
    assert notification_after.email_sent_at == notification.email_sent_at
