"""Refusals of home monitoring, each with its code and HTTP status (rendered as problem+json by core.exceptions)."""

from django.utils.translation import gettext_lazy as _

from core.errors import ApplicationError


class DeviceAuthFailed(ApplicationError):
    code = "device_unauthorized"
    http_status = 401
    default_message = _("This device is not recognised or its pairing was ended. Pair the device again in the portal.")


class PairingCodeInvalid(ApplicationError):
    code = "pairing_code_invalid"
    http_status = 400
    default_message = _("This pairing code is wrong, already used or expired. Make a new code in the portal and try again.")


class DeviceAlreadyPaired(ApplicationError):
    code = "device_already_paired"
    http_status = 409
    default_message = _("This device is already paired. Remove it from the other account first, then pair it again.")


class BatchTooLarge(ApplicationError):
    code = "batch_too_large"
    http_status = 413
    default_message = _("Too many readings in one request. Send at most 5,000 at a time.")


class AlertNotActive(ApplicationError):
    code = "alert_not_active"
    http_status = 409
    default_message = _("This alert is already closed. Reload the alert queue to see its current state.")
