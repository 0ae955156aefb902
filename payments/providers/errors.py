"""What a provider raises. All are ApplicationErrors, so the API and pages render them like any refusal."""

from django.utils.translation import gettext_lazy as _

from core.errors import ApplicationError


class NotificationRejected(ApplicationError):
    """A notification that is not genuine, not fresh or not readable. Nothing may change because of it.

    `reason` is one of REASONS, for the log; the message is for a person reading that log.
    """

    code = "notification_rejected"
    http_status = 400
    default_message = _("The payment notification was rejected.")
    BAD_SIGNATURE = "bad_signature"
    STALE_TIMESTAMP = "stale_timestamp"
    MALFORMED = "malformed"
    UNKNOWN_REFERENCE = "unknown_reference"
    REASONS = (BAD_SIGNATURE, STALE_TIMESTAMP, MALFORMED, UNKNOWN_REFERENCE)

    def __init__(self, reason: str, message=None, **kwargs) -> None:
        if reason not in self.REASONS:
            raise ValueError(f"unknown rejection reason {reason!r}")
        self.reason = reason
        extra = {"reason": reason, **kwargs.pop("extra", {})}
        super().__init__(message, extra=extra, **kwargs)


class ProviderUnavailable(ApplicationError):
    """The provider could not be reached or did not answer in time. The outcome is unknown: the caller records the
    payment as pending and the query job resolves it later; it never guesses."""

    code = "provider_unavailable"
    http_status = 503
    default_message = _("The payment service is not answering at the moment. Your payment is pending; "
                        "we will check its result and show it here. Please do not pay again.")


class ProviderDeclined(ApplicationError):
    """The provider answered and refused (a declined card, a refund above what was captured, a closed trade)."""

    code = "payment_declined"
    http_status = 402
    default_message = _("The payment service declined this request.")
