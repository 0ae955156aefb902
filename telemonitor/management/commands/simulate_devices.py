"""Stream realistic home readings (some patients deteriorating) to the ingest service, the HTTP API or MQTT.

    python manage.py simulate_devices --patients 20 --minutes 120
    python manage.py simulate_devices --patient-email patient@demo.hospital --minutes 90 --to http --url http://127.0.0.1:8000
    python manage.py simulate_devices --patients 5 --minutes 30 --realtime --speed 10 --to mqtt
    python manage.py simulate_devices --pairing-code K7PQ2MXA --serial HW-1234 --minutes 30 --to http --url http://127.0.0.1:8000

By default the last --minutes are sent at once (a device syncing its backlog); --realtime sends each simulated
minute as it comes, --speed simulated minutes per real minute. Simulated patients (SIM-…) are created as needed;
--patient-email simulates existing accounts' patients instead (they deteriorate). Each patient gets one device
(serial SIM-<patient id>); its token is rotated at the start, as the simulator cannot read the stored one.
--pairing-code acts as a device's app instead: it pairs one device with the code the patient made in the portal
(Home monitoring → Pair a new device), through the pairing API at --url (or the service with --to direct), and
sends that device's readings (deteriorating) with the token it got; it needs no access to the database then.
"""

import datetime
import json
import secrets
import time
import urllib.error
import urllib.request
import zlib
from types import SimpleNamespace

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q
from django.utils import timezone

from accounts.models import User
from accounts.roles import Role
from core.errors import ApplicationError
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
        parser.add_argument("--pairing-code", default="",
                            help="Pair one device with this code from the portal, as its app would, and send its readings.")
        parser.add_argument("--serial", default="", help="The paired device's serial (default: SIM- and random letters).")
        parser.add_argument("--to", choices=["direct", "http", "mqtt"], default="direct")
        parser.add_argument("--url", default="http://127.0.0.1:8000")
        parser.add_argument("--mqtt-host", default="127.0.0.1")
        parser.add_argument("--mqtt-port", type=int, default=1883)
        parser.add_argument("--realtime", action="store_true")
        parser.add_argument("--speed", type=float, default=1.0)
        parser.add_argument("--batch", type=int, default=2000)

    def handle(self, *args, **options):
        if options["pairing_code"]:
            deteriorating = 1 if options["deteriorating"] is None else min(1, options["deteriorating"])
            streams = [self._paired_by_code(options, deteriorating=deteriorating > 0)]
        else:
            streams, deteriorating = self._simulated_patients(options)
        send = self._sender(options)
        minutes = options["minutes"]
        start = timezone.now() - datetime.timedelta(minutes=0 if options["realtime"] else minutes - 1)
        sent = accepted = 0

        def send_counted(device, token, rows) -> None:
            nonlocal sent, accepted
            sent += len(rows)
            accepted += send(device, token, rows)

        if options["realtime"]:
            for minute in range(minutes):
                for device, token, simulated in streams:
                    send_counted(device, token,
                                 simulated.readings(start=start, minutes=1, first_minute=minute, span=minutes))
                time.sleep(60 / options["speed"])
        else:
            for device, token, simulated in streams:
                rows = simulated.readings(start=start, minutes=minutes)
                for first in range(0, len(rows), options["batch"]):
                    send_counted(device, token, rows[first:first + options["batch"]])
        self.stdout.write(f"{accepted} readings accepted of {sent} sent for {len(streams)} patients "
                          f"({deteriorating} deteriorating) via {options['to']}")

    def _simulated_patients(self, options) -> tuple[list, int]:
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
        return streams, deteriorating

    def _paired_by_code(self, options, *, deteriorating: bool) -> tuple:
        """(device, token, simulated) of one device paired with the patient's code, as the device's app pairs it."""
        serial = options["serial"] or f"SIM-{secrets.token_hex(4).upper()}"
        pairing = {"code": options["pairing_code"], "kind": DeviceKind.HEART_WEARABLE, "serial": serial,
                   "label": "Simulated wearable"}
        if options["to"] == "direct":
            try:
                device, token = device_services.device_pair(**pairing)
            except ApplicationError as exc:
                raise CommandError(str(exc.message)) from None
        else:
            answer = self._post_json(options["url"].rstrip("/") + "/api/v1/telemonitor/pairing", pairing)
            device, token = SimpleNamespace(public_id=answer["device"]), answer["token"]
        self.stdout.write(f"Paired {serial} as device {device.public_id}")
        simulated = SimulatedPatient(key=f"{serial}-{int(time.time())}", deteriorating=deteriorating,
                                     seed=zlib.crc32(serial.encode()))
        return device, token, simulated

    @staticmethod
    def _post_json(url: str, body: dict, *, token: str = "") -> dict:
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Device {token}"
        request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",  # noqa: S310 - operator's URL
                                         headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 - a URL the operator gave
                return json.loads(response.read())
        except urllib.error.HTTPError as exc:  # the API's problem+json: say what it said
            try:
                problem = json.loads(exc.read())
            except ValueError:
                problem = {}
            raise CommandError(f"{url} answered {exc.code}: {problem.get('detail') or exc.reason}") from None
        except urllib.error.URLError as exc:
            raise CommandError(f"{url} cannot be reached: {exc.reason}") from None

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
            return lambda device, token, rows: self._post_json(url, {"readings": rows}, token=token)["accepted"]
        import paho.mqtt.client as mqtt

        client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)
        client.connect(options["mqtt_host"], options["mqtt_port"])
        client.loop_start()

        def publish(device, token, rows) -> int:
            topic = TOPIC_FILTER.replace("+", str(device.public_id))
            client.publish(topic, json.dumps({"token": token, "readings": rows}), qos=1).wait_for_publish(timeout=10)
            return len(rows)  # published; the bridge answers on the results topic

        return publish
