"""Mainland China mobile numbers: 11 digits starting 13–19, optionally written with +86 or spaces."""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

_MOBILE = re.compile(r"^1[3-9]\d{9}$")


def phone_normalise(value: str) -> str:
    """Return the 11-digit form, or raise ValidationError saying what is wrong."""
    digits = re.sub(r"[\s\-()]", "", value or "")
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    if not _MOBILE.match(digits):
        raise ValidationError(
            _("Enter an 11-digit mobile number starting with 1, for example 13812345678."), code="invalid_phone"
        )
    return digits


def phone_masked(value: str) -> str:
    return f"{value[:3]}****{value[-4:]}" if value and len(value) == 11 else value
