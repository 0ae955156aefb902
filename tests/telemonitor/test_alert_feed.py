"""The care team's live alert feed at /ws/telemonitor/alerts/, through the project's ASGI application (in-memory
channel layer; communicator under async_to_sync as in tests/notifications)."""

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings as django_settings

from accounts.roles import Role
from telemonitor.services import assessment, plans
from tests.telemonitor.test_assessment import HIGH, ingest, vitals

pytestmark = pytest.mark.django_db(transaction=True)  # on_commit fires the push; the consumer reads the session


@pytest.fixture(autouse=True)
def in_memory_layer(settings):
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}


def communicator(cookie: str | None = None) -> WebsocketCommunicator:
    from config.asgi import application

    headers = [(b"origin", b"http://testserver"), (b"host", b"testserver")]
    if cookie:
        headers.append((b"cookie", cookie.encode()))
    return WebsocketCommunicator(application, "/ws/telemonitor/alerts/", headers=headers)


def session_cookie(client, user) -> str:
    client.force_login(user)
    return f"{django_settings.SESSION_COOKIE_NAME}={client.cookies[django_settings.SESSION_COOKIE_NAME].value}"


def test_a_patient_cannot_follow_alert_feeds(client, patient_user):
    cookie = session_cookie(client, patient_user)

    async def scenario():
        ws = communicator(cookie)
        connected, code = await ws.connect()
        await ws.disconnect()
        return connected, code

    assert async_to_sync(scenario)() == (False, 4403)


def test_care_team_nurse_gets_hello_then_a_nudge_with_ids_only(client, make_user, nurse, patient, device):
    lead = make_user(Role.DOCTOR)
    plans.plan_enrol(patient=patient, kind="cardiac", lead_doctor=lead, enrolled_by=lead, care_team=[nurse])
    cookie = session_cookie(client, nurse)

    async def scenario():
        ws = communicator(cookie)
        connected, _ = await ws.connect()
        hello = await ws.receive_json_from(timeout=5)
        await database_sync_to_async(ingest)(device, vitals("s1", **HIGH))
        await database_sync_to_async(assessment.readings_score)(patient_ids=[patient.pk])
        nudge = await ws.receive_json_from(timeout=5)
        await ws.disconnect()
        return connected, hello, nudge

    connected, hello, nudge = async_to_sync(scenario)()

    from telemonitor.models import Alert

    assert connected
    assert hello == {"type": "hello", "teams": {str(lead.pk): 0}}
    assert nudge == {"type": "alert", "team": lead.pk, "seq": 1, "id": str(Alert.objects.get().public_id)}


def test_clinician_on_no_team_gets_an_empty_hello(client, make_user):
    cookie = session_cookie(client, make_user(Role.DOCTOR))

    async def scenario():
        ws = communicator(cookie)
        connected, _ = await ws.connect()
        hello = await ws.receive_json_from(timeout=5)
        await ws.disconnect()
        return connected, hello

    assert async_to_sync(scenario)() == (True, {"type": "hello", "teams": {}})
