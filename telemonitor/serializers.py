"""API shapes. The reading batch validates only its envelope here; rows are checked by hand in services.ingest
(a serializer per reading would cost more than the whole rest of the write path)."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from telemonitor.models import DeviceKind
from telemonitor.services.ingest import MAX_BATCH

READING_SCHEMA = {
    "type": "object",
    "required": ["id", "kind", "unit", "measured_at"],
    "properties": {
        "id": {"type": "string", "description": "The device's own id for the reading (idempotency key)."},
        "kind": {"type": "string", "enum": ["heart_rate", "resp_rate", "spo2", "temperature", "blood_pressure",
                                            "glucose", "consciousness"]},
        "value": {"description": "The measured value (a number, or an ACVPU letter for consciousness)."},
        "systolic": {"type": "number"},
        "diastolic": {"type": "number"},
        "unit": {"type": "string", "examples": ["/min", "%", "Cel", "[degF]", "mm[Hg]", "mmol/L", "mg/dL"]},
        "measured_at": {"type": "string", "format": "date-time", "description": "Device time with its UTC offset."},
        "on_oxygen": {"type": "boolean"},
    },
}


@extend_schema_field({"type": "array", "items": READING_SCHEMA, "minItems": 1, "maxItems": MAX_BATCH})
class ReadingListField(serializers.Field):
    """A JSON array of at most MAX_BATCH items, passed on untouched."""

    default_error_messages = {
        "not_a_list": _("Send the readings as a JSON array."),
        "empty": _("The batch has no readings."),
        "too_many": _("Send at most {max} readings in one request."),
    }

    def to_internal_value(self, data):
        if not isinstance(data, list):
            self.fail("not_a_list")
        if not data:
            self.fail("empty")
        if len(data) > MAX_BATCH:
            self.fail("too_many", max=MAX_BATCH)
        return data

    def to_representation(self, value):
        return value


class ReadingBatchInput(serializers.Serializer):
    readings = ReadingListField(help_text="Readings: {id, kind, value | systolic+diastolic, unit, measured_at, on_oxygen?}")


class ReadingResultOutput(serializers.Serializer):
    id = serializers.CharField(allow_null=True)
    status = serializers.ChoiceField(choices=["accepted", "duplicate", "rejected"])
    reason = serializers.CharField(required=False)
    detail = serializers.CharField(required=False)


class ReadingBatchOutput(serializers.Serializer):
    accepted = serializers.IntegerField()
    duplicate = serializers.IntegerField()
    rejected = serializers.IntegerField()
    results = ReadingResultOutput(many=True)


class DevicePairInput(serializers.Serializer):
    code = serializers.CharField(max_length=20)
    kind = serializers.ChoiceField(choices=DeviceKind.choices)
    serial = serializers.CharField(max_length=64)
    label = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")


class DevicePairOutput(serializers.Serializer):
    device = serializers.UUIDField()
    token = serializers.CharField(help_text="Send as 'Authorization: Device <token>'. Shown once.")
    mqtt_topic = serializers.CharField()


class PairingCodeInput(serializers.Serializer):
    patient = serializers.UUIDField(required=False, allow_null=True, default=None,
                                    help_text="A person on your family list you look after; yourself when left out.")


class PairingCodeOutput(serializers.Serializer):
    code = serializers.CharField()
    expires_at = serializers.DateTimeField()
