"""Run the MQTT bridge: device batches published to the broker go through the same ingest service as the HTTP API."""

from django.conf import settings
from django.core.management.base import BaseCommand

from telemonitor.mqtt import MqttBridge


class Command(BaseCommand):
    help = "Subscribe to hospital/devices/+/readings on the MQTT broker and ingest what devices publish."

    def add_arguments(self, parser):
        parser.add_argument("--host", default=getattr(settings, "TELEMONITOR_MQTT_HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=getattr(settings, "TELEMONITOR_MQTT_PORT", 1883))
        parser.add_argument("--client-id", default="hospital-telemonitor-bridge",
                            help="Fixed id = persistent session: the broker keeps batches sent while the bridge is down.")
        parser.add_argument("--share-group", default="",
                            help="Run several bridges as one MQTT shared subscription ($share/<group>/...).")
        parser.add_argument("--username", default=getattr(settings, "TELEMONITOR_MQTT_USERNAME", ""))
        parser.add_argument("--password", default=getattr(settings, "TELEMONITOR_MQTT_PASSWORD", ""))

    def handle(self, *args, **options):
        bridge = MqttBridge(host=options["host"], port=options["port"], client_id=options["client_id"] or None,
                            share_group=options["share_group"], username=options["username"],
                            password=options["password"])
        self.stdout.write(f"MQTT bridge: {options['host']}:{options['port']} topic {bridge.topic}"
                          " (waits for the broker if it is not reachable)")
        self.stdout.flush()
        try:
            bridge.run_forever()
        except KeyboardInterrupt:
            bridge.stop()
