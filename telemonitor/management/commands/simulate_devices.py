"""Stream realistic home readings (some patients deteriorating) to the ingest service, the HTTP API or MQTT.

    python manage.py simulate_devices --patients 20 --minutes 120
    python manage.py simulate_devices --patient-email patient@demo.hospital --minutes 90 --to http --url http://127.0.0.1:8000
    python manage.py simulate_devices --patients 5 --minutes 30 --realtime --speed 10 --to mqtt

By default the last --minutes are sent at once (a device syncing its backlog); --realtime sends each simulated
minute as it comes, --speed simulated minutes per real minute. Simulated patients (SIM-…) are created as needed;
--patient-email simulates existing accounts' patients instead (they deteriorate). Each patient gets one device
(serial SIM-<patient id>); its token is rotated at the start, as the simulator cannot read the stored one.
"""

import datetime
import json
import time
import urllib.request

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q
from django.utils import timezone

from accounts.models import User
from accounts.roles import Role
from records.models import Patient
from telemonitor.models import Device, DeviceKind
from telemonitor.mqtt import TOPIC_FILTER
from telemonitor.services import devices as device_services
from telemonitor.services.ingest import readings_ingest
from telemonitor.simulation import SimulatedPatient

SIMULATOR_EMAIL = "device-simulator@hospital.invalid"


class Command(BaseCommand):
    help = "Stream realistic home readings (some patients deteriorating) for demos and benchmarks."

    def add_arguments(self, parser):
        parser.add_argument("--patients", type=int, default=5)
        parser.add_argument("--minutes", type=int, default=60)
        parser.add_argument("--deteriorating", type=int, default=None, help="How many get worse (default: a fifth).")
        parser.add_argument("--patient-email", action="append", default=[], help="Simulate this account's patient.")
        parser.add_argument("--to", choices=["direct", "http", "mqtt"], default="direct")
        parser.add_argument("--url", default="http://127.0.0.1:8000")
        parser.add_argument("--mqtt-host", default="127.0.0.1")
        parser.add_argument("--mqtt-port", type=int, default=1883)
        parser.add_argument("--realtime", action="store_true")
        parser.add_argument("--speed", type=float, default=1.0)
        parser.add_argument("--batch", type=int, default=2000)

    def handle(self, *args, **options):
        targets = self._patients(options)
        deteriorating = options["deteriorating"]
        if deteriorating is None:
            deteriorating = len(options["patient_email"]) or max(1, len(targets) // 5)
        simulator = self._simulator()
        streams = []
        for index, patient in enumerate(targets):
            device, token = self._device(patient, simulator)
            streams.append((device, token, SimulatedPatient(key=f"sim{patient.pk}-{int(time.time())}",
                                                            deteriorating=index < deteriorating, seed=patient.pk)))
        send = self._sender(options)
        minutes = options["minutes"]
        start = timezone.now() - datetime.timedelta(minutes=0 if options["realtime"] else minutes - 1)
        sent = 0
        if options["realtime"]:
            for minute in range(minutes):
                for device, token, simulated in streams:
                    sent += send(device, token, simulated.readings(start=start, minutes=1, first_minute=minute, span=minutes))
                time.sleep(60 / options["speed"])
        else:
            for device, token, simulated in streams:
                rows = simulated.readings(start=start, minutes=minutes)
                for first in range(0, len(rows), options["batch"]):
                    sent += send(device, token, rows[first:first + options["batch"]])
        self.stdout.write(f"{sent} readings accepted for {len(streams)} patients ({deteriorating} deteriorating) "
                          f"via {options['to']}")

    def _patients(self, options) -> list[Patient]:
        if options["patient_email"]:
            found = list(Patient.objects.filter(account__email__in=[e.lower() for e in options["patient_email"]]))
            if len(found) != len(options["patient_email"]):
                raise CommandError("Some of the --patient-email accounts have no patient record.")
            return found
        from records.services import PatientDetails, patient_create

        existing = list(Patient.objects.filter(name__startswith="SIM-").order_by("id")[:options["patients"]])
        for number in range(len(existing), options["patients"]):
            existing.append(patient_create(details=PatientDetails(
                name=f"SIM-{number + 1:04d}", sex="female" if number % 2 else "male",
                date_of_birth=datetime.date(1940 + number % 40, 1 + number % 12, 1), phone="", national_id=None,
                insurance_number="")))
        return existing

    def _simulator(self) -> User:
        user = User.objects.filter(Q(groups__name=Role.NURSE) | Q(is_superuser=True)).order_by("id").first()
        if user is None:
            user, _ = User.objects.get_or_create(email=SIMULATOR_EMAIL, defaults={"name": "Device simulator"})
        return user

    def _device(self, patient: Patient, simulator: User) -> tuple[Device, str]:
        serial = f"SIM-{patient.pk}"
        device = Device.objects.filter(kind=DeviceKind.HEART_WEARABLE, serial=serial, revoked_at=None).first()
        if device is None:
            return device_services.device_register(patient=patient, kind=DeviceKind.HEART_WEARABLE, serial=serial,
                                                   registered_by=simulator, label="Simulated wearable")
        return device, device_services.device_credential_rotate(device=device)

    def _sender(self, options):
        if options["to"] == "direct":
            return lambda device, token, rows: readings_ingest(device=device, readings=rows).accepted
        if options["to"] == "http":
            url = options["url"].rstrip("/") + "/api/v1/telemonitor/readings"

            def post(device, token, rows) -> int:
                request = urllib.request.Request(  # noqa: S310 - a URL the operator gave
                    url, data=json.dumps({"readings": rows}).encode(), method="POST",
                    headers={"Content-Type": "application/json", "Authorization": f"Device {token}"})
                with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 - a URL the operator gave
                    return json.loads(response.read())["accepted"]

            return post
        import paho.mqtt.client as mqtt

        client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)
        client.connect(options["mqtt_host"], options["mqtt_port"])
        client.loop_start()

        def publish(device, token, rows) -> int:
            topic = TOPIC_FILTER.replace("+", str(device.public_id))
            client.publish(topic, json.dumps({"token": token, "readings": rows}), qos=1).wait_for_publish(timeout=10)
            return len(rows)  # published; the bridge answers on the results topic

        return publish
