"""Issue 4, acceptance 2: a real websocket client against a live ASGI server (daphne, Redis channel layer) sees
its position change after another patient is called, is told to go to the room when its turn comes, and after a
forced disconnect resyncs to the right state. The client does what static/js/queue-live.js does: on hello, on a
nudge and on a gap it re-reads the snapshot over HTTP.

The services run in this process (in a thread: the event loop's thread must not touch the database); their
nudges go after commit through Redis to daphne and on to the sockets. asyncio.run inside sync tests
(no pytest-asyncio; see TESTING.md).
"""

import asyncio
import contextlib
import json
from urllib.parse import urlsplit

import httpx
import pytest
from django.db import connection
from django.test import Client
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from appointments.queue import services
from tests import servers
from tests.appointments.queue import world
from tests.services import require_postgres, require_redis

pytestmark = pytest.mark.django_db(transaction=True)
TIMEOUT = 20


@pytest.fixture(scope="module")
def live_asgi(request, django_db_setup, tmp_path_factory):
    require_postgres()
    require_redis()
    log_path = servers.register_log(request.module, tmp_path_factory.mktemp("daphne") / "daphne.log")
    # The server's "today" must be the tests' (conftest.hospital_daytime), or near the hospital's midnight the board
    # reads another day's queue.
    with servers.asgi_server(log_path, TIME_ZONE=world.daytime_zone()) as url:
        yield url


def cookie_of(user) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


def in_thread(action, **kwargs):
    try:
        return action(**kwargs)
    finally:
        connection.close()


class LiveTicket:
    """A phone following its ticket: the socket, and the snapshot it last read."""

    def __init__(self, base: str, ticket_id: str, cookie: str):
        self.ws_url = "ws://" + urlsplit(base).netloc + f"/ws/queue/tickets/{ticket_id}/"
        self.origin = base
        self.headers = {"Cookie": f"sessionid={cookie}"}
        self.http = httpx.AsyncClient(base_url=base, headers=self.headers, timeout=TIMEOUT)
        self.snapshot_url = f"/api/v1/queue/tickets/{ticket_id}"
        self.last_seq = None
        self.ws = None
        self.resyncs = 0

    async def open(self) -> dict:
        self.ws = await connect(self.ws_url, origin=self.origin, additional_headers=self.headers, open_timeout=TIMEOUT)
        hello = json.loads(await asyncio.wait_for(self.ws.recv(), TIMEOUT))
        assert hello["type"] == "hello"
        if self.last_seq is not None and hello["seq"] > self.last_seq:
            self.resyncs += 1  # changes happened while we were away
        self.last_seq = hello["seq"]
        return await self.read()

    async def read(self) -> dict:
        snapshot = (await self.http.get(self.snapshot_url)).json()
        self.last_seq = max(self.last_seq or 0, snapshot["seq"])
        return snapshot

    async def next_change(self) -> dict:
        """Wait for a nudge newer than what we have read, then re-read."""
        while True:
            msg = json.loads(await asyncio.wait_for(self.ws.recv(), TIMEOUT))
            if msg["type"] == "ticket" or msg["seq"] > self.last_seq:
                return await self.read()

    async def drop(self) -> None:
        self.ws.transport.abort()  # the phone loses its network: no closing handshake
        with contextlib.suppress(ConnectionClosed):
            await asyncio.wait_for(self.ws.wait_closed(), TIMEOUT)

    async def close(self) -> None:
        await self.ws.close()
        await self.http.aclose()


def test_patient_sees_the_line_move_is_called_to_the_room_and_resyncs_after_a_dropped_connection(live_asgi):
    c = world.clinic(prefix="A", room_name="3诊室")
    s = world.slot_at(c, world.soon(30))
    first, second, mine = (world.checked_in(c, world.booked(c, s)) for _ in range(3))
    cookie = cookie_of(world.account_of(c, mine.appointment))
    doctor, point = c.doctor.user, first.service_point

    async def journey():
        phone = LiveTicket(live_asgi, str(mine.public_id), cookie)
        seen = {"start": await phone.open()}
        await asyncio.to_thread(in_thread, services.queue_call_next, service_point=point, by=doctor)
        seen["after_first_called"] = await phone.next_change()

        await phone.drop()
        await asyncio.to_thread(in_thread, services.ticket_complete, ticket=first, by=doctor)
        await asyncio.to_thread(in_thread, services.queue_call_next, service_point=point, by=doctor)
        seen["after_reconnect"] = await phone.open()

        await asyncio.to_thread(in_thread, services.ticket_complete, ticket=second, by=doctor)
        seen["next_in_line"] = await phone.next_change()
        await asyncio.to_thread(in_thread, services.queue_call_next, service_point=point, by=doctor)
        seen["called"] = await phone.next_change()
        seen["resyncs"] = phone.resyncs
        await phone.close()
        return seen

    seen = asyncio.run(journey())

    assert (seen["start"]["people_ahead"], seen["after_first_called"]["people_ahead"]) == (2, 1)
    assert seen["resyncs"] == 1 and seen["after_reconnect"]["people_ahead"] == 0
    assert seen["after_reconnect"]["status"] == "waiting"
    assert (seen["next_in_line"]["status"], seen["next_in_line"]["people_ahead"]) == ("waiting", 0)
    assert seen["called"]["status"] == "called"
    assert "please go to 3诊室" in seen["called"]["message"]


def test_board_socket_is_nudged_when_a_patient_is_called_and_carries_no_names(live_asgi):
    c = world.clinic(prefix="A")
    s = world.slot_at(c, world.soon(30))
    first = world.checked_in(c, world.booked(c, s, name="张三明"))
    url = "ws://" + urlsplit(live_asgi).netloc + f"/ws/queue/boards/{c.department.public_id}/"

    async def watch():
        async with connect(url, origin=live_asgi, open_timeout=TIMEOUT) as ws:
            hello = json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT))
            await asyncio.to_thread(in_thread, services.queue_call_next, service_point=first.service_point,
                                    by=c.doctor.user)
            raw = await asyncio.wait_for(ws.recv(), TIMEOUT)
        async with httpx.AsyncClient(base_url=live_asgi) as http:
            board = (await http.get(f"/api/v1/queue/boards/{c.department.public_id}")).json()
        return hello, raw, board

    hello, raw, board = asyncio.run(watch())

    assert json.loads(raw) == {"type": "board", "seq": hello["seq"] + 1}
    assert board["rooms"][0]["now"][0]["number"] == "A001" and board["rooms"][0]["now"][0]["name"] == "张*明"


def test_console_socket_of_another_doctor_is_refused(live_asgi):
    c = world.clinic()
    point = services.service_point_for_slot(slot=world.slot_at(c, world.soon(30)))
    other = world.clinic()
    url = "ws://" + urlsplit(live_asgi).netloc + f"/ws/queue/console/{point.public_id}/"

    async def attempt(cookie):
        try:
            async with connect(url, origin=live_asgi, additional_headers={"Cookie": f"sessionid={cookie}"},
                               open_timeout=TIMEOUT) as ws:
                return json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT))["type"]
        except InvalidStatus as exc:
            return f"http {exc.response.status_code}"
        except ConnectionClosed as exc:
            return f"close {exc.rcvd.code if exc.rcvd else None}"

    assert asyncio.run(attempt(cookie_of(other.doctor.user))) in ("close 4403", "http 403")
    assert asyncio.run(attempt(cookie_of(c.doctor.user))) == "hello"


def test_channel_layer_waits_on_redis_longer_than_its_own_blocking_receive():
    """redis-py's 5 s default read timeout equals channels_redis' 5 s BZPOPMIN: idle consumers died of it (bench)."""
    require_redis()
    from channels.layers import get_channel_layer

    layer = get_channel_layer()  # the default layer: the notification feed's (the queue's is pub/sub)

    assert all((host.get("socket_timeout") or 0) > layer.brpop_timeout for host in layer.hosts)
