"""The MQTT bridge against the real Mosquitto at 127.0.0.1:1883 (issue 7, acceptance 4), and its message handling."""

import json
import os
import queue
import socket
import uuid

import paho.mqtt.client as mqtt
import pytest

from telemonitor.models import Reading
from telemonitor.mqtt import MqttBridge, message_handle, results_topic
from tests.servers import wait_until
from tests.services import services_required
from tests.telemonitor.conftest import reading

MQTT_HOST = os.environ.get("MQTT_HOST", "127.0.0.1")
MQTT_PORT = int(os.environ.get("MQTT_PORT", "1883"))


def require_mqtt() -> None:
    """Skip without a broker, or fail under REQUIRE_SERVICES=1 (CI has Mosquitto), like tests.services."""
    try:
        socket.create_connection((MQTT_HOST, MQTT_PORT), timeout=1).close()
    except OSError:
        if services_required():
            pytest.fail(f"MQTT broker at {MQTT_HOST}:{MQTT_PORT} is required (REQUIRE_SERVICES=1) but not reachable.")
        pytest.skip(f"MQTT broker at {MQTT_HOST}:{MQTT_PORT} not available")


def readings_topic(device) -> str:
    return f"hospital/devices/{device.public_id}/readings"


@pytest.fixture
def bridge(transactional_db):
    require_mqtt()
    running = MqttBridge(host=MQTT_HOST, port=MQTT_PORT)
    running.start()
    wait_until(lambda: running.subscribed, timeout=10, message="bridge subscribed")
    yield running
    running.stop()


@pytest.fixture
def device_client(bridge):
    """A device's MQTT client that also listens to the results topics; yields (client, answers queue)."""
    answers: queue.Queue = queue.Queue()
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"test-device-{uuid.uuid4().hex[:8]}")
    client.on_message = lambda c, u, message: answers.put(json.loads(message.payload))
    client.connect(MQTT_HOST, MQTT_PORT)
    client.loop_start()
    result, _ = client.subscribe("hospital/devices/+/results", qos=1)
    assert result == mqtt.MQTT_ERR_SUCCESS
    yield client, answers
    client.disconnect()
    client.loop_stop()


def publish(client, topic: str, body: dict) -> None:
    client.publish(topic, json.dumps(body), qos=1).wait_for_publish(timeout=5)


@pytest.mark.django_db(transaction=True)
def test_bridge_stores_a_published_reading_once_when_published_twice(paired, device_client):
    device, token = paired
    client, answers = device_client
    body = {"token": token, "readings": [reading("m1", value=77)]}

    publish(client, readings_topic(device), body)
    first = answers.get(timeout=10)
    publish(client, readings_topic(device), body)
    second = answers.get(timeout=10)

    assert (first["accepted"], second["duplicate"]) == (1, 1)
    stored = Reading.objects.get()
    assert (stored.device_reading_id, stored.value, stored.device_id) == ("m1", 77, device.pk)


@pytest.mark.django_db(transaction=True)
def test_bridge_refuses_a_token_published_under_another_devices_topic(paired, patient, nurse, device_client):
    from telemonitor.services.devices import device_register

    _, token = paired
    other, _ = device_register(patient=patient, kind="thermometer", serial="TH-9", registered_by=nurse)
    client, answers = device_client

    publish(client, readings_topic(other), {"token": token, "readings": [reading("m1")]})

    assert answers.get(timeout=10) == {"error": "device_unauthorized"}
    assert not Reading.objects.exists()


@pytest.mark.django_db
def test_message_with_unknown_token_is_refused(device):
    _, answer = message_handle(topic=readings_topic(device), payload=json.dumps(
        {"token": "abc.def", "readings": [reading("m1")]}).encode())

    assert answer == {"error": "device_unauthorized"}
    assert not Reading.objects.exists()


@pytest.mark.django_db
def test_message_that_is_not_json_is_answered_not_stored(device):
    device_id, answer = message_handle(topic=readings_topic(device), payload=b"\xff{")

    assert (device_id, answer) == (str(device.public_id), {"error": "invalid_json"})


@pytest.mark.django_db
def test_message_on_an_unknown_topic_gets_no_answer(token):
    assert message_handle(topic="hospital/devices/42/readings", payload=b"{}") == (None, {"error": "unknown_topic"})


def test_results_go_to_the_devices_own_topic():
    assert results_topic("0f0e") == "hospital/devices/0f0e/results"


# --- no broker: the bridge waits (Procfile `mqtt` must not end `make run`) -------------------------------------


class _Clock:
    def __init__(self):
        self.now = 0.0
        self.sleeps = []

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


def test_bridge_waits_for_the_broker_with_back_off_and_logs_once_a_minute(caplog, monkeypatch):
    bridge = MqttBridge(host="127.0.0.1", port=1)
    failures = iter([ConnectionRefusedError("refused")] * 12)

    def connect():
        error = next(failures, None)
        if error is not None:
            raise error

    monkeypatch.setattr(bridge, "connect", connect)
    clock = _Clock()

    with caplog.at_level("WARNING", logger="telemonitor.mqtt"):
        attempts = bridge.connect_waiting(sleep=clock.sleep, clock=lambda: clock.now)

    assert attempts == 13
    assert clock.sleeps == [1, 2, 4, 8, 16, 32, 60, 60, 60, 60, 60, 60]
    waiting = [r for r in caplog.records if "not reachable" in r.getMessage()]
    # Failures at t = 0, 1, 3, 7, 15, 31, 63, 123, 183, 243, 303, 363: logged at 0, 63, 123, 183, 243, 303, 363.
    assert len(waiting) == 7


def test_bridge_command_stays_up_without_a_broker(tmp_path):
    """The real command against a port where nothing listens: it says it waits, and keeps running."""
    import sys

    from tests import servers

    log_path = tmp_path / "mqtt.log"
    env = servers.child_env(MQTT_HOST="127.0.0.1", MQTT_PORT=str(servers.free_port()))
    process = servers.start_shell(f"{sys.executable} manage.py telemonitor_mqtt", log_path=log_path, env=env)
    try:
        wait_until(lambda: "not reachable" in log_path.read_text(errors="replace") or process.poll() is not None,
                   timeout=60, interval=0.2, message="the bridge saying it waits for the broker")
        assert process.poll() is None, servers.log_tail(log_path)
    finally:
        servers.stop_group(process)
