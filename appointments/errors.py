"""Why a booking, cancellation or change was refused. Each says what happened and what to do next.

All are ``core.errors.ApplicationError``: the API renders them as problem+json with their code and
status, pages show ``message``. Refusals are raised before anything is written, or inside the
transaction that is then rolled back, so a refused request changes nothing.
"""

from datetime import datetime

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from appointments.localtime import local_time_text
from core.errors import ApplicationError


class SlotFullError(ApplicationError):
    code = "slot_full"
    http_status = 409
    default_message = _("Sorry, the last number for this time has just been taken. Please choose another time.")


class SlotNotBookableError(ApplicationError):
    """The slot exists but cannot be booked now. ``extra["reason"]`` is "past", "not_released" or "cancelled"."""

    code = "slot_not_bookable"
    http_status = 409
    default_message = _("This time cannot be booked. Please choose another time.")

    @classmethod
    def past(cls) -> "SlotNotBookableError":
        return cls(gettext("This time has already passed. Please choose a later time."), extra={"reason": "past"})

    @classmethod
    def not_released(cls, *, opens_at: datetime) -> "SlotNotBookableError":
        return cls(gettext("Numbers for this day are not open yet. They open at %(when)s; please come back then.")
                   % {"when": local_time_text(opens_at)},
                   extra={"reason": "not_released", "opens_at": opens_at.isoformat()})

    @classmethod
    def cancelled(cls) -> "SlotNotBookableError":
        return cls(gettext("The hospital has cancelled this session. Please choose another time or doctor."),
                   extra={"reason": "cancelled"})


class AlreadyBookedError(ApplicationError):
    code = "already_booked"
    http_status = 409
    default_message = _("This person already has an appointment with this doctor in this session. "
                        "See My appointments to change it.")


class DailyLimitError(ApplicationError):
    code = "daily_limit"
    http_status = 409
    default_message = _("This person already has the most appointments allowed on one day. "
                        "Cancel one of them or choose another day.")


class CancellationClosedError(ApplicationError):
    code = "cancellation_closed"
    http_status = 409
    default_message = _("This appointment can no longer be cancelled online. Please contact the front desk.")

    @classmethod
    def after(cls, *, cutoff: datetime) -> "CancellationClosedError":
        return cls(gettext("Online cancellation and changes closed at %(when)s. Please contact the front desk.")
                   % {"when": local_time_text(cutoff)}, extra={"cutoff": cutoff.isoformat()})


class NotYourPatientError(ApplicationError):
    code = "not_your_patient"
    http_status = 403
    default_message = _("This person is not on your list. Add them under Family members first.")


class InvalidTransitionError(ApplicationError):
    code = "invalid_transition"
    http_status = 409
    default_message = _("This appointment cannot be changed in this way any more. Please reload the page.")
