"""Live nudges for the queue over Channels: a message says only "this changed, here is its sequence number".
They travel on their own channel layer (CHANNEL_LAYER, Redis pub/sub in production).

Groups (names from integer ids only, so nothing a user types ever becomes a group name):

- ``queue-<service point id>``: the doctor's console and every ticket page of that queue;
- ``queue-board-<department id>``: the department's waiting-room display;
- ``queue-ticket-<ticket id>``: one patient's ticket page (called, recalled, moved).

Messages are ``{"type": "queue" | "board" | "ticket", "seq": n}``; no names, numbers or clinical data.
``seq`` counts the changes of the queue (or board) and is taken inside the transaction that makes the
change, so numbers follow commit order; a client that sees a gap, connects or reconnects re-reads the
snapshot over HTTP (the database is the source of truth). The push happens after commit; a channel
layer that is down is logged and never fails the request.
"""

import logging
from functools import lru_cache

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import transaction

from core.models import Sequence
from core.sequences import sequence_next

logger = logging.getLogger(__name__)

# The channel layer of the queue's nudges (settings.CHANNEL_LAYERS["queue"]): Redis pub/sub, so a nudge to a
# group is published once and fanned out by each server process to its own sockets.
CHANNEL_LAYER = "queue"


def queue_group(service_point_id: int) -> str:
    return f"queue-{int(service_point_id)}"


def board_group(department_id: int) -> str:
    return f"queue-board-{int(department_id)}"


def ticket_group(ticket_id: int) -> str:
    return f"queue-ticket-{int(ticket_id)}"


def _seq_name(group: str) -> str:
    return f"live:{group}"


def seq_current(group: str) -> int:
    """The last sequence number sent to `group` (0 before the first change)."""
    return Sequence.objects.filter(name=_seq_name(group)).values_list("last_value", flat=True).first() or 0


def queue_changed(*, service_point_ids: list[int], department_ids: list[int], ticket_ids: list[int] = ()) -> None:
    """Call inside the transaction that changed these queues: numbers the change and pushes it after commit.

    Sequence rows are updated queue groups first (by id), then boards (by id), so two transactions
    touching the same groups always lock them in the same order.
    """
    messages = []
    queue_seq = {}
    for sp_id in sorted(set(service_point_ids)):
        group = queue_group(sp_id)
        queue_seq[sp_id] = sequence_next(name=_seq_name(group))
        messages.append((group, {"type": "queue.nudge", "kind": "queue", "seq": queue_seq[sp_id]}))
    for dept_id in sorted(set(department_ids)):
        group = board_group(dept_id)
        messages.append((group, {"type": "queue.nudge", "kind": "board", "seq": sequence_next(name=_seq_name(group))}))
    last_queue_seq = max(queue_seq.values(), default=0)
    for ticket_id in sorted(set(ticket_ids)):
        # A ticket page follows its queue's numbers: the ticket message carries the same change's number.
        messages.append((ticket_group(ticket_id), {"type": "queue.nudge", "kind": "ticket", "seq": last_queue_seq}))
    transaction.on_commit(lambda: push(messages))


def push(messages: list[tuple[str, dict]]) -> int:
    """Send each (group, message); returns how many were sent. Failures are logged, never raised."""
    layer = get_channel_layer(CHANNEL_LAYER)
    if layer is None or not messages:
        return 0

    async def send_all() -> int:
        sent = 0
        for group, message in messages:
            try:
                await layer.group_send(group, message)
                sent += 1
            except Exception as exc:  # the channel layer is down: clients catch up when they reconnect
                logger.warning("Live queue push to %s delayed: %s", group, exc)
        return sent

    try:
        return async_to_sync(send_all)()
    except Exception as exc:
        logger.warning("Live queue push delayed: %s", exc)
        return 0


LIVE = "live"
DELAYED = "delayed"


@lru_cache(maxsize=1)
def _redis_client(url: str):
    import redis

    return redis.Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=0.5)


def live_state() -> str:
    """``"live"`` when the channel layer that carries the nudges answers, ``"delayed"`` when it is down.

    Snapshots carry it, so a phone, a board or a console can say that what it shows may lag behind (the snapshot
    itself is always current: it is read from the database). Never raises.
    """
    if not settings.REDIS_URL:  # the in-memory layer of embedded mode is always there
        return LIVE
    try:
        _redis_client(settings.REDIS_URL).ping()
    except Exception:
        return DELAYED
    return LIVE
