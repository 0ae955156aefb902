"""The live feed at /ws/notifications/ (NotificationFeedConsumer), through the project's ASGI application.

Runs on the in-process channel layer; the Redis layer is exercised by tests/integration. The
communicator runs under asgiref's async_to_sync (pytest-asyncio is not installed).
"""

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings as django_settings

from notifications.services import notification_send

pytestmark = pytest.mark.django_db(transaction=True)  # on_commit fires the push; sessions are read by the consumer


@pytest.fixture(autouse=True)
def in_memory_layer(settings):
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}


def communicator(cookie: str | None = None, origin: str = "http://testserver") -> WebsocketCommunicator:
    from config.asgi import application

    headers = [(b"origin", origin.encode()), (b"host", b"testserver")]
    if cookie:
        headers.append((b"cookie", cookie.encode()))
    return WebsocketCommunicator(application, "/ws/notifications/", headers=headers)


def session_cookie(client, user) -> str:
    client.force_login(user)
    return f"{django_settings.SESSION_COOKIE_NAME}={client.cookies[django_settings.SESSION_COOKIE_NAME].value}"


def test_anonymous_visitor_is_refused(transactional_db):
    async def scenario():
        ws = communicator()
        connected, code = await ws.connect()
        await ws.disconnect()
        return connected, code

    assert async_to_sync(scenario)() == (False, 4401)


def test_connection_from_another_site_is_refused(client, make_user):
    cookie = session_cookie(client, make_user())

    async def scenario():
        ws = communicator(cookie, origin="https://evil.example")
        connected, _ = await ws.connect()
        await ws.disconnect()
        return connected

    assert async_to_sync(scenario)() is False


def test_signed_in_person_gets_hello_then_each_new_notification(client, make_user):
    user = make_user()
    cookie = session_cookie(client, user)
    notification_send(user=user, key="before", kind="test", title="Before connecting")

    async def scenario():
        ws = communicator(cookie)
        connected, _ = await ws.connect()
        assert connected
        hello = await ws.receive_json_from(timeout=5)
        sent = await database_sync_to_async(notification_send)(user=user, key="live", kind="test", title="Live")
        pushed = await ws.receive_json_from(timeout=5)
        await ws.disconnect()
        return hello, sent, pushed

    hello, sent, pushed = async_to_sync(scenario)()

    assert hello == {"type": "hello", "seq": 1}
    assert pushed == {"type": "notification", "seq": 2, "id": str(sent.public_id)}


def test_a_person_does_not_receive_someone_elses_notifications(client, make_user):
    me, other = make_user(), make_user()
    cookie = session_cookie(client, me)

    async def scenario():
        ws = communicator(cookie)
        await ws.connect()
        hello = await ws.receive_json_from(timeout=5)
        await database_sync_to_async(notification_send)(user=other, key="theirs", kind="test", title="Not yours")
        mine = await database_sync_to_async(notification_send)(user=me, key="mine", kind="test", title="Yours")
        received = await ws.receive_json_from(timeout=5)
        nothing_more = await ws.receive_nothing(timeout=0.2)
        await ws.disconnect()
        return hello, mine, received, nothing_more

    hello, mine, received, nothing_more = async_to_sync(scenario)()

    assert hello == {"type": "hello", "seq": 0}
    assert received["id"] == str(mine.public_id)
    assert nothing_more
