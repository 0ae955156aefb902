"""The MQTT bridge: devices publish reading batches to a broker, the bridge feeds them to the same ingest service as the
HTTP API (telemonitor.services.ingest), and answers on the device's results topic.

Topics: a device publishes to ``hospital/devices/<device public id>/readings`` a JSON payload
``{"token": "<device token>", "readings": [...]}`` (the readings exactly as for ``POST /api/v1/telemonitor/readings``);
the bridge publishes ``{"accepted", "duplicate", "rejected", "results"}`` — or ``{"error": code}`` — to
``hospital/devices/<device public id>/results``.

Authentication is per device and per message: the token in the payload must be the device's current (or in-grace)
token, and the device id in the topic must be that device's, so one device cannot publish as another. The broker's
own authentication and ACLs (a device may publish only under its own id) are a second line, configured at the broker.

Delivery is at least once: the bridge subscribes with QoS 1 on a persistent session (a fixed client id, clean session
off), so batches published while it is down wait at the broker; a batch delivered twice is answered "duplicate" and
stored once. Several bridges share the work with an MQTT shared subscription (``--share-group``).
"""

import json
import logging
import re
import time
import uuid

import paho.mqtt.client as mqtt
from django.db import close_old_connections, connection, connections

from core.errors import ApplicationError
from telemonitor.services.devices import device_authenticate
from telemonitor.services.ingest import MAX_BATCH, readings_ingest

logger = logging.getLogger(__name__)

TOPIC_FILTER = "hospital/devices/+/readings"
RETRY_MAX_SECONDS = 60  # back-off ceiling while the broker is not reachable
LOG_EVERY_SECONDS = 60  # "still waiting for the broker" at most once a minute
_TOPIC = re.compile(r"hospital/devices/([0-9a-fA-F-]{36})/readings\Z")


def results_topic(device_public_id) -> str:
    return f"hospital/devices/{device_public_id}/results"


def message_handle(*, topic: str, payload: bytes) -> tuple[str | None, dict]:
    """Ingest one published batch. Returns (the device id from the topic or None, the answer to publish)."""
    match = _TOPIC.match(topic)
    if match is None:
        return None, {"error": "unknown_topic"}
    topic_device = match.group(1).lower()
    try:
        body = json.loads(payload)
    except (ValueError, UnicodeDecodeError):
        return topic_device, {"error": "invalid_json"}
    if not isinstance(body, dict) or not isinstance(body.get("readings"), list) or not body["readings"]:
        return topic_device, {"error": "invalid"}
    if len(body["readings"]) > MAX_BATCH:
        return topic_device, {"error": "batch_too_large"}
    if not connection.in_atomic_block:
        close_old_connections()  # a long-lived process: drop a connection the database closed meanwhile
    try:
        device = device_authenticate(token=str(body.get("token", "")))
        if str(device.public_id) != topic_device:
            return topic_device, {"error": "device_unauthorized"}
        outcome = readings_ingest(device=device, readings=body["readings"])
    except ApplicationError as exc:
        return topic_device, {"error": exc.code}
    return topic_device, outcome.summary()


class MqttBridge:
    """Subscribes to the device topics and feeds every message to message_handle, in paho's network thread."""

    def __init__(self, *, host: str = "127.0.0.1", port: int = 1883, client_id: str | None = None,
                 share_group: str = "", qos: int = 1, username: str = "", password: str = "") -> None:
        self.host, self.port, self.qos = host, port, qos
        self.topic = f"$share/{share_group}/{TOPIC_FILTER}" if share_group else TOPIC_FILTER
        persistent = client_id is not None
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2,
                                  client_id=client_id or f"telemonitor-bridge-{uuid.uuid4().hex[:12]}",
                                  clean_session=not persistent)
        if username:
            self.client.username_pw_set(username, password or None)
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message
        self.client.on_disconnect = self._on_disconnect
        self.subscribed = False
        self.handled = 0

    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:
        if reason_code.is_failure:
            logger.error("MQTT broker refused the bridge: %s", reason_code)
            return
        # Subscribed again on every (re)connect; with a persistent session the broker kept what arrived meanwhile.
        client.subscribe(self.topic, qos=self.qos)
        self.subscribed = True
        logger.info("MQTT bridge subscribed to %s on %s:%s", self.topic, self.host, self.port)

    def _on_disconnect(self, client, userdata, flags, reason_code, properties) -> None:
        self.subscribed = False
        connections.close_all()  # this thread's database connection; reopened by the next message

    def _on_message(self, client, userdata, message) -> None:
        try:
            device_id, answer = message_handle(topic=message.topic, payload=message.payload)
        except Exception:  # one bad message must not stop the bridge; the device will resend
            logger.exception("MQTT message on %s could not be ingested", message.topic)
            return
        self.handled += 1
        if device_id is not None:
            client.publish(results_topic(device_id), json.dumps(answer, ensure_ascii=False), qos=self.qos)

    def connect(self) -> None:
        self.client.connect(self.host, self.port, keepalive=30)

    def connect_waiting(self, *, sleep=time.sleep, clock=time.monotonic) -> int:
        """Connect, waiting for the broker as long as it takes: retries after 1, 2, 4 … seconds, at most
        RETRY_MAX_SECONDS apart, and logs that it is waiting at most once a minute. Returns the attempts made.

        A broker that is not configured or not up yet (``make run`` on a machine without Mosquitto, a broker
        restarting) must not end the process: under honcho one process exiting stops every other one."""
        delay, attempts, logged_at = 1.0, 0, None
        while True:
            attempts += 1
            try:
                self.connect()
                if logged_at is not None:
                    logger.info("MQTT broker %s:%s reachable after %d attempts", self.host, self.port, attempts)
                return attempts
            except OSError as exc:  # refused, unreachable, name not found, timed out
                now = clock()
                if logged_at is None or now - logged_at >= LOG_EVERY_SECONDS:
                    logger.warning("MQTT broker %s:%s not reachable (%s); the bridge waits and retries (attempt %d)",
                                   self.host, self.port, exc, attempts)
                    logged_at = now
            sleep(delay)
            delay = min(delay * 2, RETRY_MAX_SECONDS)

    def run_forever(self) -> None:
        self.connect_waiting()
        # Once connected, paho reconnects by itself after a drop, with the same back-off.
        self.client.reconnect_delay_set(min_delay=1, max_delay=RETRY_MAX_SECONDS)
        self.client.loop_forever(retry_first_connection=True)

    def start(self) -> None:
        """Run in a background thread (tests, simulate_devices)."""
        self.connect()
        self.client.loop_start()

    def stop(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()
