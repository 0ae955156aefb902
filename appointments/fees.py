"""The registration fee (挂号费) of a doctor's numbers.

The payments app (above this one) supplies fees from its fee schedule through a *fee source* registered
here from its ``AppConfig.ready`` (like records.care): ``fn(*, doctor, day) -> Decimal | None``, None when the
schedule has no price for the doctor's title. Without a source, or when no source knows the title, fees come
from ``settings.REGISTRATION_FEES`` (doctor title → CNY). A title that is not listed is free, and a free booking
is confirmed at once.
"""

from collections.abc import Callable
from datetime import date
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from appointments.models import DoctorProfile

CENTS = Decimal("0.01")

FeeSource = Callable[..., Decimal | None]
_fee_sources: dict[str, FeeSource] = {}


def register_fee_source(fn: FeeSource, *, name: str | None = None) -> FeeSource:
    """Add a source of registration fees. Registering the same name again replaces it (ready() may run twice)."""
    _fee_sources[name or f"{fn.__module__}.{fn.__qualname__}"] = fn
    return fn


def unregister_fee_source(name: str) -> None:
    _fee_sources.pop(name, None)


def registration_fee(*, doctor: DoctorProfile, day: date | None = None) -> Decimal:
    """The fee for one number with `doctor` on `day` (default today), in CNY with two places; 0.00 when the
    title has no fee."""
    day = day or timezone.localdate()
    for source in list(_fee_sources.values()):
        fee = source(doctor=doctor, day=day)
        if fee is not None:
            return Decimal(fee).quantize(CENTS)
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
