"""Handing background work to Celery after commit, without ever failing the request.

``enqueue(task, *args)`` publishes once the surrounding transaction commits. If the broker cannot
be reached the job is written to ``OutboxMessage`` and sent by the ``outbox_flush`` periodic job.
Tasks are idempotent, so a job sent twice (outbox and a late publish) does no harm.
"""

import logging

from django.db import transaction
from django.utils import timezone

from core.models import OutboxMessage

logger = logging.getLogger(__name__)


def enqueue(task, *args, **kwargs) -> None:
    transaction.on_commit(lambda: _publish(task.name, list(args), kwargs))


def _publish(task_name: str, args: list, kwargs: dict) -> bool:
    from config.celery import app

    if app.conf.task_always_eager:  # embedded mode: run it here and now
        app.tasks[task_name].apply(args=args, kwargs=kwargs)
        return True
    try:
        app.send_task(task_name, args=args, kwargs=kwargs)
        return True
    except Exception as exc:  # broker down or unreachable: keep the job, the request goes on
        logger.warning("Broker unavailable for %s; kept in the outbox: %s", task_name, exc)
        OutboxMessage.objects.create(task_name=task_name, args=args, kwargs=kwargs, attempts=1, last_error=str(exc)[:2000])
        return False


def outbox_flush(*, limit: int = 500) -> int:
    """Send kept jobs, oldest first. Returns how many were sent. Rows are locked so two flushers never both send one."""
    from config.celery import app

    sent = 0
    with transaction.atomic():
        pending = list(
            OutboxMessage.objects.select_for_update(skip_locked=True).filter(sent_at=None).order_by("created_at")[:limit]
        )
        for message in pending:
            try:
                app.send_task(message.task_name, args=message.args, kwargs=message.kwargs)
            except Exception as exc:
                message.attempts += 1
                message.last_error = str(exc)[:2000]
                message.save(update_fields=["attempts", "last_error"])
                break  # the broker is still down; try again on the next run
            message.sent_at = timezone.now()
            message.save(update_fields=["sent_at"])
            sent += 1
    return sent
