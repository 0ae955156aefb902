"""Live pushes to a person's notification feed over Channels.

A push is only a nudge carrying the feed's sequence number: the notification itself is in the
database, so a lost push (Redis down, browser asleep) costs nothing but a re-read.
"""

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

logger = logging.getLogger(__name__)


def feed_group(user_id: int) -> str:
    return f"user-feed-{int(user_id)}"


def feed_push(*, user_id: int, seq: int, public_id: str) -> bool:
    layer = get_channel_layer()
    try:
        async_to_sync(layer.group_send)(feed_group(user_id), {"type": "feed.notify", "seq": seq, "id": public_id})
        return True
    except Exception as exc:  # the channel layer is down: the client catches up when it reconnects
        logger.warning("Live push to user %s delayed: %s", user_id, exc)
        return False
