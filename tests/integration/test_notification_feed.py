"""A real websocket client on a live daphne: the notification feed over Redis, end to end (issue 2).

The push travels the production path: notification_send in this process queues notification_push
after commit -> Redis (broker) -> the Celery worker -> Redis (channel layer) -> daphne -> the client.
Websocket clients run under asyncio.run inside sync tests (no pytest-asyncio; see TESTING.md).
"""

import asyncio
import json
from urllib.parse import urlsplit

import pytest
from django.db import connection
from django.test import Client
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from notifications.services import notification_send
from tests import servers
from tests.services import require_postgres, require_redis

pytestmark = pytest.mark.django_db(transaction=True)
TIMEOUT = 20


@pytest.fixture(scope="module")
def live_asgi(request, django_db_setup, tmp_path_factory):
    """Daphne on the test database with the Redis channel layer; yields its base URL."""
    require_postgres()
    require_redis()
    log_path = servers.register_log(request.module, tmp_path_factory.mktemp("daphne") / "daphne.log")
    with servers.asgi_server(log_path) as url:
        yield url


def _feed_url(base_url: str) -> str:
    return "ws://" + urlsplit(base_url).netloc + "/ws/notifications/"


def _session_cookie(user) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


async def _refusal(url: str, *, origin: str, cookie: str | None = None) -> str:
    """Connect and say how the server refused: 'http <status>' at the handshake or 'close <code>' after it."""
    headers = {"Cookie": f"sessionid={cookie}"} if cookie else {}
    try:
        async with connect(url, origin=origin, additional_headers=headers, open_timeout=TIMEOUT) as ws:
            message = await asyncio.wait_for(ws.recv(), TIMEOUT)
            return f"accepted and sent {message}"
    except InvalidStatus as exc:
        return f"http {exc.response.status_code}"
    except ConnectionClosed as exc:
        return f"close {exc.rcvd.code if exc.rcvd else None}"


def _send_in_thread(**kwargs):
    """notification_send from a plain thread (the event loop's thread must not touch the database)."""
    try:
        return notification_send(**kwargs)
    finally:
        connection.close()


def test_signed_in_user_gets_hello_then_a_pushed_notification(live_asgi, celery_worker, make_user):
    require_postgres()
    require_redis()
    user = make_user()
    cookie = _session_cookie(user)

    async def session():
        async with connect(_feed_url(live_asgi), origin=live_asgi, additional_headers={"Cookie": f"sessionid={cookie}"},
                           open_timeout=TIMEOUT) as ws:
            hello = json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT))
            sent = await asyncio.to_thread(_send_in_thread, user=user, key="integration:feed", kind="test",
                                           title="Your results are ready")
            pushed = json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT))
            return hello, sent, pushed

    hello, sent, pushed = asyncio.run(session())

    assert hello == {"type": "hello", "seq": 0}
    assert pushed == {"type": "notification", "seq": 1, "id": str(sent.public_id)}
    assert sent.seq == 1


def test_anonymous_client_is_refused(live_asgi):
    require_postgres()
    require_redis()

    refusal = asyncio.run(_refusal(_feed_url(live_asgi), origin=live_asgi))

    assert refusal in ("http 403", "close 4401")


def test_signed_in_client_from_a_foreign_origin_is_refused(live_asgi, make_user):
    require_postgres()
    require_redis()
    cookie = _session_cookie(make_user())

    refusal = asyncio.run(_refusal(_feed_url(live_asgi), origin="http://evil.example", cookie=cookie))

    assert refusal == "http 403"
