"""``Authorization: Device <token>`` for the ingest API (devices are not users: request.auth is the Device)."""

from django.contrib.auth.models import AnonymousUser
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.permissions import BasePermission

from telemonitor.errors import DeviceAuthFailed
from telemonitor.models import Device
from telemonitor.services.devices import device_authenticate

KEYWORD = b"device"


class DeviceAuthentication(BaseAuthentication):
    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != KEYWORD:
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(DeviceAuthFailed.default_message, code=DeviceAuthFailed.code)
        try:
            device = device_authenticate(token=parts[1].decode("ascii", errors="replace"))
        except DeviceAuthFailed as exc:
            raise exceptions.AuthenticationFailed(exc.message, code=exc.code) from None
        return AnonymousUser(), device

    def authenticate_header(self, request):
        return "Device"  # makes a missing or refused token a 401 with WWW-Authenticate, not a 403


class IsDevice(BasePermission):
    def has_permission(self, request, view):
        return isinstance(request.auth, Device)
