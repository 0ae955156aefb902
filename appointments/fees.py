"""The registration fee (挂号费) of a doctor's numbers.

Until the payments app provides the fee schedule, fees come from ``settings.REGISTRATION_FEES``
(doctor title → CNY). A title that is not listed is free, and a free booking is confirmed at once.
"""

from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from appointments.models import DoctorProfile

CENTS = Decimal("0.01")


def registration_fee(*, doctor: DoctorProfile) -> Decimal:
    """The fee for one number with `doctor`, in CNY with two places; 0.00 when the title has no fee."""
    raw = settings.REGISTRATION_FEES.get(doctor.title)
    if raw in (None, ""):
        return Decimal("0.00")
    try:
        fee = Decimal(str(raw)).quantize(CENTS)
    except InvalidOperation as exc:
        raise ImproperlyConfigured(f"REGISTRATION_FEES[{doctor.title!r}] is not an amount: {raw!r}") from exc
    if fee < 0:
        raise ImproperlyConfigured(f"REGISTRATION_FEES[{doctor.title!r}] is negative: {raw!r}")
    return fee
