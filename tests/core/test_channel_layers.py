"""core.channel_layers on a private redis-server that the test stops and starts on the same port (never the run's
shared Redis). The whole path through daphne and the pages is tests/integration/test_faults.py (the Redis-restart
test); this is the layer alone: who is told, what is kept, and the first publish after a restart."""

import asyncio

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError

from core.channel_layers import LOST, ResyncingPubSubChannelLayer
from tests import servers
from tests.services import require_redis

WAIT = 30  # seconds; a bound on a wait for a condition, not a timing


@pytest.fixture
def private_redis(request, tmp_path):
    require_redis()
    port = servers.free_port()
    state = {"process": servers.redis_server(port, servers.register_log(request.node, tmp_path / "redis.log"))}

    def stop():
        servers.stop(state["process"])

    def start():
        state["process"] = servers.redis_server(port, servers.register_log(request.node, tmp_path / "redis-again.log"))

    yield f"redis://127.0.0.1:{port}/0", stop, start
    servers.stop(state["process"])


def test_every_consumer_is_told_when_redis_goes_and_subscribes_afresh_when_it_is_back(private_redis):
    url, stop, start = private_redis
    subscriber = ResyncingPubSubChannelLayer(hosts=[url], prefix="t")
    publisher = ResyncingPubSubChannelLayer(hosts=[url], prefix="t")  # another process: it only publishes

    async def scenario():
        seen = {}
        first, second = await subscriber.new_channel(), await subscriber.new_channel()
        await subscriber.group_add("queue-1", first)
        await subscriber.group_add("queue-board-1", second)
        await publisher.group_send("queue-1", {"type": "queue.nudge", "seq": 1})
        seen["before"] = await asyncio.wait_for(subscriber.receive(first), WAIT)

        await asyncio.to_thread(stop)
        seen["lost"] = [(await asyncio.wait_for(subscriber.receive(ch), WAIT))["type"] for ch in (first, second)]
        with pytest.raises(RedisConnectionError):  # while Redis is down no consumer can subscribe...
            await subscriber.new_channel()
        seen["queues_kept"] = len(subscriber._get_layer().channels)  # ... and a failed one leaves nothing behind

        await asyncio.to_thread(start)
        # The pages reconnect: new consumers subscribe explicitly on a fresh connection.
        again = await subscriber.new_channel()
        await subscriber.group_add("queue-1", again)
        # The publisher's pooled connection is the one Redis closed: the publish is tried once more, not lost.
        await publisher.group_send("queue-1", {"type": "queue.nudge", "seq": 2})
        seen["after"] = await asyncio.wait_for(subscriber.receive(again), WAIT)
        await subscriber.flush()
        await publisher.flush()
        return seen

    seen = asyncio.run(scenario())

    assert seen["before"] == {"type": "queue.nudge", "seq": 1}
    assert seen["lost"] == [LOST, LOST]
    assert seen["queues_kept"] == 2  # the two consumers told, not yet gone; none for the refused one
    assert seen["after"] == {"type": "queue.nudge", "seq": 2}
