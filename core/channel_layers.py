"""A Redis pub/sub channel layer that never leaves a websocket silently deaf after Redis restarts or goes away.

channels_redis' ``RedisPubSubChannelLayer`` (4.3) leaves the subscriber connection to redis-py: when Redis restarts,
redis-py may re-subscribe on its next read, but whatever was published while the connection was down is gone and
nobody is told (channels_redis' ``on_disconnect``/``on_reconnect`` hooks are no longer called: django/channels_redis
#406). A page that keeps its websocket open then shows what it last read for ever (tests/integration/test_faults.py,
the Redis-restart test, reproduced it: five pages stayed three changes behind).

``ResyncingPubSubChannelLayer`` takes the other road: it never relies on an implicit re-subscription.

1. When a shard's subscriber connection fails (its receive loop, a subscribe or an unsubscribe raising a connection
   error), the shard drops that connection and *every* subscription on it, and puts ``{"type": "channel_layer.lost"}``
   on every channel of this process (an in-process queue: it needs no Redis).
2. Consumers (``ResyncOnLayerLoss``) close their socket with ``CLOSE_RESYNC`` (4503). The page reconnects; the new
   consumer subscribes explicitly on a fresh connection (the handshake is refused while Redis is still down, and the
   page keeps retrying), and re-reads its snapshot on hello: the database is the source of truth.
3. A publish that meets a dead pooled connection (Redis closed it when it restarted; redis-py drops it) is tried once
   more on a fresh one, so the first change after a restart is not lost.

Why close the socket rather than re-subscribe and send a "resync" message down the open socket: the reconnect path is
the one every page already takes after a network loss and is tested; it re-creates every subscription from the
consumer's own state instead of trusting the layer's bookkeeping after a failure (a subscription lost, or half made,
in the failure would otherwise stay lost with the socket open); and while Redis is down the page says it is
reconnecting rather than showing a live page that nothing updates.
"""

import asyncio
import contextlib
import logging

from channels_redis.pubsub import RedisPubSubChannelLayer, RedisPubSubLoopLayer, RedisSingleShardConnection
from channels_redis.utils import _close_redis, _wrap_close
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

LOST = "channel_layer.lost"
# A private websocket close code (4000-4999), after HTTP 503: "live updates were interrupted; reconnect and re-read".
CLOSE_RESYNC = 4503
CONNECTION_ERRORS = (RedisConnectionError, RedisTimeoutError, ConnectionError, OSError)


class ResyncingPubSubChannelLayer(RedisPubSubChannelLayer):
    """``RedisPubSubChannelLayer`` whose consumers are told (``channel_layer.lost``) when Redis was lost."""

    def _get_layer(self):
        loop = asyncio.get_running_loop()
        try:
            return self._layers[loop]
        except KeyError:
            layer = _LoopLayer(*self._args, **self._kwargs, channel_layer=self)
            self._layers[loop] = layer
            _wrap_close(self, loop)
            return layer


class _LoopLayer(RedisPubSubLoopLayer):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._shards = [_Shard(shard.host, self) for shard in self._shards]

    async def _subscribe_to_channel(self, channel):
        try:
            await super()._subscribe_to_channel(channel)
        except BaseException:
            self.channels.pop(channel, None)  # a consumer that could not subscribe keeps no queue here
            raise

    def tell_lost(self) -> int:
        """Put ``channel_layer.lost`` on every channel of this process; returns how many."""
        message = self.channel_layer.serialize({"type": LOST})
        for queue in self.channels.values():
            queue.put_nowait(message)
        return len(self.channels)


class _Shard(RedisSingleShardConnection):
    async def publish(self, channel, message):
        try:
            await super().publish(channel, message)
        except CONNECTION_ERRORS:
            # The pooled connection may be one Redis closed when it restarted; redis-py has dropped it. Once more on
            # a fresh one; if Redis is really down this raises again and the caller logs the delay.
            await super().publish(channel, message)

    async def subscribe(self, channel):
        pubsub = self._pubsub
        try:
            await super().subscribe(channel)
        except CONNECTION_ERRORS as exc:
            async with self._lock:
                await self._lose(pubsub if pubsub is not None else self._pubsub, exc)
            raise

    async def unsubscribe(self, channel):
        pubsub = self._pubsub
        try:
            await super().unsubscribe(channel)
        except CONNECTION_ERRORS as exc:
            # The connection is gone, and with it every subscription on it: nothing left to unsubscribe.
            async with self._lock:
                await self._lose(pubsub, exc)

    async def _do_receiving(self):
        while True:
            pubsub = self._pubsub
            try:
                if pubsub and pubsub.subscribed:
                    self._receive_message(await pubsub.get_message(ignore_subscribe_messages=True, timeout=0.1))
                else:
                    await asyncio.sleep(0.1)
            except (TimeoutError, asyncio.CancelledError, GeneratorExit):
                raise
            except CONNECTION_ERRORS as exc:
                async with self._lock:
                    await self._lose(pubsub, exc)
                return  # _lose let go of this task; the next subscribe starts a new one
            except BaseException:
                logger.exception("Unexpected exception in the channel layer's receive task")
                await asyncio.sleep(1)

    async def _lose(self, pubsub, error) -> None:
        """The subscriber connection `pubsub` failed: forget it and every subscription on it, and tell every consumer
        of the process. Called with the lock held; a second report of the same failure does nothing."""
        if pubsub is None or pubsub is not self._pubsub:
            return
        dropped = len(self._subscribed_to)
        client, task = self._redis, self._receive_task
        self._redis = self._pubsub = self._receive_task = None
        self._subscribed_to = set()
        if task is not None and task is not asyncio.current_task():
            task.cancel()
        with contextlib.suppress(Exception):
            await _close_redis(client)
        if not dropped:  # nothing was subscribed here (a handshake while Redis is still down): nobody to tell
            logger.debug("Channel layer cannot reach Redis: %s", error)
            return
        told = self.channel_layer.tell_lost()
        logger.warning("Channel layer lost Redis (%s): %d subscriptions dropped, %d consumers told to resync",
                       error, dropped, told)


class ResyncOnLayerLoss:
    """Mixin for websocket consumers on ``ResyncingPubSubChannelLayer``.

    When the layer lost Redis the socket is closed with ``CLOSE_RESYNC``: the page reconnects and re-reads what it
    shows. A handshake that meets Redis down (no channel can be subscribed) is refused rather than crashing in
    daphne's log; the page retries.
    """

    async def __call__(self, scope, receive, send):
        try:
            await super().__call__(scope, receive, send)
        except CONNECTION_ERRORS as exc:
            logger.info("Websocket %s refused: the channel layer's Redis is unavailable (%s)", scope.get("path"), exc)
            with contextlib.suppress(Exception):
                await send({"type": "websocket.close", "code": CLOSE_RESYNC})

    async def channel_layer_lost(self, event):
        await self.close(code=CLOSE_RESYNC)
