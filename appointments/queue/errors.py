"""Why a check-in or a console action was refused. Each says what happened and what to do next.

All are ``core.errors.ApplicationError`` (problem+json in the API, a message on the page). A refusal is
raised before anything is written, or inside the transaction that is then rolled back: nothing changes.
"""

from datetime import datetime

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from appointments.localtime import local_time_text
from core.errors import ApplicationError


class CheckInRefused(ApplicationError):
    """``extra["reason"]``: too_early, too_late, cancelled, not_paid, finished, twice, wrong_department, not_today."""

    code = "check_in_refused"
    http_status = 409
    default_message = _("This appointment cannot be checked in. Please ask at the front desk.")

    @classmethod
    def too_early(cls, *, opens_at: datetime) -> "CheckInRefused":
        return cls(gettext("It is too early to check in. Check-in opens at %(when)s; please come back then.")
                   % {"when": local_time_text(opens_at)}, extra={"reason": "too_early", "opens_at": opens_at.isoformat()})

    @classmethod
    def too_late(cls, *, closed_at: datetime) -> "CheckInRefused":
        return cls(gettext("Check-in for this appointment closed at %(when)s. Please go to the front desk to "
                           "rebook or register as a walk-in.") % {"when": local_time_text(closed_at)},
                   extra={"reason": "too_late", "closed_at": closed_at.isoformat()})

    @classmethod
    def cancelled(cls) -> "CheckInRefused":
        return cls(gettext("This appointment was cancelled, so it cannot be checked in. Please book again or "
                           "ask at the front desk."), extra={"reason": "cancelled"})

    @classmethod
    def not_paid(cls) -> "CheckInRefused":
        return cls(gettext("This appointment is not paid yet. Please pay the registration fee first, then check in."),
                   extra={"reason": "not_paid"})

    @classmethod
    def finished(cls, *, status: str) -> "CheckInRefused":
        return cls(gettext("This appointment is %(status)s and cannot be checked in again. Please ask at the "
                           "front desk.") % {"status": status}, extra={"reason": "finished"})

    @classmethod
    def twice(cls, *, number: str) -> "CheckInRefused":
        return cls(gettext("Already checked in: your number is %(number)s. Follow your place on the ticket page.")
                   % {"number": number}, extra={"reason": "twice", "number": number})

    @classmethod
    def wrong_department(cls) -> "CheckInRefused":
        return cls(gettext("This check-in code belongs to another department's desk. Scan the code at the desk "
                           "of the department you are booked with."), extra={"reason": "wrong_department"})

    @classmethod
    def already_waiting(cls, *, number: str) -> "CheckInRefused":
        return cls(gettext("This patient is already in this queue today with number %(number)s.") % {"number": number},
                   extra={"reason": "twice", "number": number})


class CheckInLinkInvalid(ApplicationError):
    """The QR link was tampered with or made up (``reason`` forged), or is too old (``reason`` expired)."""

    code = "check_in_link_invalid"
    http_status = 400
    default_message = _("This check-in link is not valid. Scan the code at the department desk again.")

    @classmethod
    def forged(cls) -> "CheckInLinkInvalid":
        return cls(extra={"reason": "forged"})

    @classmethod
    def expired(cls) -> "CheckInLinkInvalid":
        return cls(gettext("This check-in link has expired. Scan the code shown at the department desk again."),
                   extra={"reason": "expired"})


class NotYourQueue(ApplicationError):
    code = "not_your_queue"
    http_status = 403
    default_message = _("This is another doctor's queue. You can only call and serve patients at your own room.")


class QueueEmpty(ApplicationError):
    code = "queue_empty"
    http_status = 409
    default_message = _("Nobody is waiting. New patients appear here as they check in.")


class QueueActionRefused(ApplicationError):
    """A console action that does not fit the ticket's state; the message names what to do instead."""

    code = "queue_action_refused"
    http_status = 409
    default_message = _("This cannot be done to this patient now. Please reload the page.")
