"""The fee schedule: the price of an item on a day, and the registration fee source appointments asks."""

from datetime import date
from decimal import Decimal

from payments.models import FeeItem, FeeKind


def fee_get(*, kind: str, code: str, day: date) -> FeeItem | None:
    """The price of (kind, code) in effect on `day`: the latest effective_from on or before it; None if unpriced."""
    return (FeeItem.objects.filter(kind=kind, code=code, effective_from__lte=day)
            .order_by("-effective_from").first())


def registration_fee_from_schedule(*, doctor, day: date) -> Decimal | None:
    """appointments.fees source: the registration fee of the doctor's title on `day`, None to fall back to settings."""
    fee = fee_get(kind=FeeKind.REGISTRATION, code=doctor.title, day=day)
    return None if fee is None else fee.amount
