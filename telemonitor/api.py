import io

import orjson
from django.http import HttpResponse
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.parsers import JSONParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from core.openapi import ProblemOutput
from telemonitor import selectors
from telemonitor.authentication import DeviceAuthentication, IsDevice
from telemonitor.serializers import (
    DevicePairInput,
    DevicePairOutput,
    PairingCodeInput,
    PairingCodeOutput,
    ReadingBatchInput,
    ReadingBatchOutput,
)
from telemonitor.services import devices, ingest


def mqtt_topic(device) -> str:
    return f"hospital/devices/{device.public_id}/readings"


class ReadingBatchParser(JSONParser):
    """JSON through orjson (a 5,000-reading body parses in a third of the standard library's time; bench/README.md).
    A body orjson refuses but the standard parser takes (NaN, integers beyond 64 bits) goes to the standard parser,
    so every batch gets the same answer as before, reading by reading."""

    def parse(self, stream, media_type=None, parser_context=None):
        body = stream.read()
        try:
            return orjson.loads(body)
        except orjson.JSONDecodeError:
            return super().parse(io.BytesIO(body), media_type, parser_context)


class ReadingBatchApi(APIView):
    """A device sends a batch of up to 5,000 readings; the answer says, per reading, accepted, duplicate or rejected.

    Authenticated with ``Authorization: Device <token>``. Resending a batch stores nothing twice.
    """

    authentication_classes = [DeviceAuthentication]
    permission_classes = [IsDevice]
    parser_classes = [ReadingBatchParser]

    @extend_schema(request=ReadingBatchInput, responses={200: ReadingBatchOutput})
    def post(self, request):
        data = ReadingBatchInput(data=request.data)
        data.is_valid(raise_exception=True)
        outcome = ingest.readings_ingest(device=request.auth, readings=data.validated_data["readings"])
        # 5,000 per-reading answers: written by orjson (plain str/int/None values only), not DRF's renderer.
        return HttpResponse(orjson.dumps(outcome.summary()), content_type="application/json")


class PairingThrottle(AnonRateThrottle):
    # Codes are 40 bits and live minutes; this keeps guessing hopeless from one address.
    rate = "30/hour"


class DevicePairApi(APIView):
    """A device's app exchanges the patient's pairing code for the device's token (shown once)."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [PairingThrottle]

    @extend_schema(request=DevicePairInput, responses={201: DevicePairOutput})
    def post(self, request):
        data = DevicePairInput(data=request.data)
        data.is_valid(raise_exception=True)
        device, token = devices.device_pair(**data.validated_data)
        return Response({"device": device.public_id, "token": token, "mqtt_topic": mqtt_topic(device)},
                        status=status.HTTP_201_CREATED)


class PairingCodeCreateApi(APIView):
    """The signed-in patient (or a guardian for a family member) makes a short-lived code to pair a device."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=PairingCodeInput, responses={201: PairingCodeOutput, 404: ProblemOutput})  # 404: not on your list
    def post(self, request):
        data = PairingCodeInput(data=request.data)
        data.is_valid(raise_exception=True)
        patient = selectors.access_own_patient(user=request.user, public_id=data.validated_data["patient"])
        code, pairing = devices.pairing_code_create(patient=patient, created_by=request.user)
        return Response({"code": code, "expires_at": pairing.expires_at}, status=status.HTTP_201_CREATED)
