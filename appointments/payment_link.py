"""Where a patient pays for a held booking (挂号费), without this app importing payments (above it).

payments registers a resolver from its ``AppConfig.ready``: ``fn(*, appointment) -> str | None``, the address of
the page that pays that appointment's registration fee. The booking confirmation sends the patient there, and
"My appointments" shows a "Pay now" link beside a held number. Without a resolver (payments not installed) the
pages say to pay by the hold's expiry, as before.
"""

from collections.abc import Callable

from appointments.models import Appointment, AppointmentStatus

PayUrlResolver = Callable[..., str | None]
_resolver: PayUrlResolver | None = None


def register_pay_url(fn: PayUrlResolver) -> PayUrlResolver:
    """Set the resolver (registering again replaces it: ready() may run twice)."""
    global _resolver
    _resolver = fn
    return fn


def unregister_pay_url() -> None:
    global _resolver
    _resolver = None


def pay_url(*, appointment: Appointment) -> str | None:
    """The page that pays `appointment`'s fee, while it is held awaiting payment; None otherwise."""
    if _resolver is None or appointment.status != AppointmentStatus.HELD:
        return None
    return _resolver(appointment=appointment)
