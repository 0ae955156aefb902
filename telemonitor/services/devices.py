"""Devices: pairing by code or by staff, credentials (issue, rotate, revoke), and authenticating a device's token."""

import hashlib
import hmac
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from records.models import Patient
from telemonitor.errors import DeviceAlreadyPaired, DeviceAuthFailed, PairingCodeInvalid
from telemonitor.models import Device, DeviceCredential, DeviceKind, PairingCode

# 32 letters and digits without the look-alikes I/1 and O/0: 8 of them are 40 bits, typed easily on a phone.
PAIRING_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
PAIRING_CODE_LENGTH = 8


def pairing_minutes() -> int:
    return getattr(settings, "TELEMONITOR_PAIRING_MINUTES", 10)


def token_grace() -> timedelta:
    """How long a rotated-out token keeps working, so readings a device queued with it still arrive."""
    return timedelta(minutes=getattr(settings, "TELEMONITOR_TOKEN_GRACE_MINUTES", 60))


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _normalised_code(code: str) -> str:
    return "".join(ch for ch in str(code).upper() if ch.isalnum())


def _credential_issue(*, device: Device, now) -> str:
    """A new current credential for `device`; returns the token, which is never stored and cannot be shown again."""
    prefix = secrets.token_hex(6)
    token = f"{prefix}.{secrets.token_urlsafe(32)}"
    DeviceCredential.objects.create(device=device, prefix=prefix, token_sha256=_sha256(token), created_at=now)
    return token


def _device_create(*, patient: Patient, kind: str, serial: str, label: str, paired_by: User | None, now) -> Device:
    if kind not in DeviceKind.values:
        raise ValueError(f"unknown device kind {kind!r}")
    try:
        with transaction.atomic():
            return Device.objects.create(patient=patient, kind=kind, serial=serial.strip(), label=label.strip()[:60],
                                         paired_at=now, paired_by=paired_by)
    except IntegrityError:
        # device_serial_paired_once: the same physical device is still paired (to this or another patient).
        raise DeviceAlreadyPaired() from None


def device_register(*, patient: Patient, kind: str, serial: str, registered_by: User, label: str = "") -> tuple[Device, str]:
    """Staff pair a device to `patient` directly. Returns the device and its token (shown once)."""
    now = timezone.now()
    with transaction.atomic():
        device = _device_create(patient=patient, kind=kind, serial=serial, label=label, paired_by=registered_by, now=now)
        return device, _credential_issue(device=device, now=now)


def pairing_code_create(*, patient: Patient, created_by: User) -> tuple[str, PairingCode]:
    """A single-use code the patient types into the device's app. Returns the code (only its hash is kept)."""
    now = timezone.now()
    while True:
        code = "".join(secrets.choice(PAIRING_ALPHABET) for _ in range(PAIRING_CODE_LENGTH))
        try:
            with transaction.atomic():
                pairing = PairingCode.objects.create(
                    patient=patient, code_sha256=_sha256(code), created_by=created_by, created_at=now,
                    expires_at=now + timedelta(minutes=pairing_minutes()),
                )
            return code, pairing
        except IntegrityError:  # the same code is live already (1 in 10^12): draw again
            continue


def device_pair(*, code: str, kind: str, serial: str, label: str = "") -> tuple[Device, str]:
    """Exchange a pairing code for a device and its token. Locks the code row, so a code pairs one device only."""
    now = timezone.now()
    with transaction.atomic():
        pairing = (PairingCode.objects.select_for_update().select_related("patient", "created_by")
                   .filter(code_sha256=_sha256(_normalised_code(code))).first())
        if pairing is None or pairing.used_at is not None or pairing.expires_at <= now:
            raise PairingCodeInvalid()
        device = _device_create(patient=pairing.patient, kind=kind, serial=serial, label=label,
                                paired_by=pairing.created_by, now=now)
        pairing.used_at = now
        pairing.device = device
        pairing.save(update_fields=["used_at", "device"])
        return device, _credential_issue(device=device, now=now)


def device_credential_rotate(*, device: Device) -> str:
    """Issue a new token; the current one keeps working for token_grace(), then ends. Locks the device row."""
    now = timezone.now()
    with transaction.atomic():
        device = Device.objects.select_for_update().get(pk=device.pk)
        if device.revoked_at is not None:
            raise DeviceAuthFailed()
        DeviceCredential.objects.filter(device=device, expires_at=None, revoked_at=None).update(expires_at=now + token_grace())
        return _credential_issue(device=device, now=now)


def device_revoke(*, device: Device) -> Device:
    """End the pairing: every token of the device stops working at once. Its readings stay. Idempotent."""
    now = timezone.now()
    with transaction.atomic():
        device = Device.objects.select_for_update().get(pk=device.pk)
        if device.revoked_at is None:
            device.revoked_at = now
            device.save(update_fields=["revoked_at"])
        DeviceCredential.objects.filter(device=device, revoked_at=None).update(revoked_at=now)
    return device


def device_authenticate(*, token: str) -> Device:
    """The active device whose current (or in-grace) credential is `token`; DeviceAuthFailed otherwise.

    One indexed query. Every failure gives the same answer, so the response does not tell which part was wrong.
    """
    prefix, dot, _secret = str(token).partition(".")
    if not dot or not prefix or len(prefix) > 16:
        raise DeviceAuthFailed()
    credential = DeviceCredential.objects.select_related("device").filter(prefix=prefix).first()
    now = timezone.now()
    if (credential is None
            or not hmac.compare_digest(credential.token_sha256, _sha256(token))
            or credential.revoked_at is not None
            or (credential.expires_at is not None and credential.expires_at <= now)
            or credential.device.revoked_at is not None):
        raise DeviceAuthFailed()
    return credential.device
