"""The providers' notification endpoint: POST /api/v1/payments/notifications/<provider>.

No session and no CSRF token: a notification proves itself by the provider's signature
(``provider.notification_verify``). A verified event is applied to the ledger (idempotent, order-correct) and
the provider gets the acknowledgement it expects; a rejected one (bad signature, stale timestamp, malformed,
unknown reference) changes nothing, is logged (PaymentNotificationLog) and answered 400 problem+json, so a real
provider's retries stop only for what we accepted.
"""

import logging

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from core.errors import ApplicationError
from core.exceptions import problem_response
from payments.models import NotificationOutcome, PaymentNotificationLog
from payments.providers import provider_get
from payments.providers.errors import NotificationRejected
from payments.services import payment_notification_apply

logger = logging.getLogger(__name__)

LOGGED_BODY_CHARS = 4000


def _log(request: HttpRequest, provider: str, outcome: str, *, reason: str = "", event=None) -> None:
    PaymentNotificationLog.objects.create(
        provider=provider[:20], outcome=outcome, reason=reason[:100], event_id=(event.event_id if event else "")[:100],
        reference=(event.reference if event else "")[:40], remote_addr=request.META.get("REMOTE_ADDR") or None,
        body=request.body[:LOGGED_BODY_CHARS].decode("utf-8", errors="replace"))


@csrf_exempt
@require_POST
def notification_receive(request: HttpRequest, provider: str) -> HttpResponse:
    try:
        gateway = provider_get(provider)
    except ApplicationError as exc:  # not a provider, or not enabled here
        return problem_response(status=exc.http_status, code=exc.code, detail=str(exc.message))
    event = None
    try:
        event = gateway.notification_verify(headers=request.headers, body=request.body)
        if event.provider != provider:
            raise NotificationRejected(NotificationRejected.MALFORMED, _("The notification is for another provider."))
        result = payment_notification_apply(event=event)
    except NotificationRejected as exc:
        reason = getattr(exc, "reason", "") or exc.code
        logger.warning("Rejected %s notification (%s): %s", provider, reason, exc.message)
        _log(request, provider, NotificationOutcome.REJECTED, reason=reason, event=event)
        return problem_response(status=exc.http_status, code=exc.code, detail=str(exc.message))
    _log(request, provider, result.outcome, event=event)
    status, body, content_type = gateway.notification_ack()
    return HttpResponse(body, status=status, content_type=content_type)
