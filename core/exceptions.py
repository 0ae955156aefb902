"""One DRF exception handler: every API error leaves as problem+json (RFC 9457).

Shape: ``{"type", "title", "status", "detail", "code", "errors"}`` where ``errors`` maps a field
name to a list of messages, so a form can show each beside its field.
"""

import logging

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import InterfaceError, OperationalError
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import exceptions as drf_exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_default_handler

from core.errors import ApplicationError

logger = logging.getLogger(__name__)

PROBLEM_CONTENT_TYPE = "application/problem+json"


def problem(*, status: int, code: str, detail: str, title: str | None = None, errors: dict | None = None,
            extra: dict | None = None) -> dict:
    body = {
        "type": f"https://hospital-portal.invalid/problems/{code}",
        "title": title or _http_title(status),
        "status": status,
        "detail": str(detail),
        "code": code,
        "errors": {k: [str(m) for m in v] for k, v in (errors or {}).items()},
    }
    body.update(extra or {})
    return body


# RFC 9457: the title is for people, so it is translated. The English is http.HTTPStatus's phrase.
_HTTP_TITLES = {
    400: gettext_lazy("Bad Request"),
    401: gettext_lazy("Unauthorized"),
    402: gettext_lazy("Payment Required"),
    403: gettext_lazy("Forbidden"),
    404: gettext_lazy("Not Found"),
    405: gettext_lazy("Method Not Allowed"),
    406: gettext_lazy("Not Acceptable"),
    409: gettext_lazy("Conflict"),
    410: gettext_lazy("Gone"),
    413: gettext_lazy("Request Entity Too Large"),
    415: gettext_lazy("Unsupported Media Type"),
    422: gettext_lazy("Unprocessable Entity"),
    429: gettext_lazy("Too Many Requests"),
    500: gettext_lazy("Internal Server Error"),
    502: gettext_lazy("Bad Gateway"),
    503: gettext_lazy("Service Unavailable"),
}


def _http_title(status: int) -> str:
    from http import HTTPStatus

    if status in _HTTP_TITLES:
        return str(_HTTP_TITLES[status])
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return _("Error")


def _flatten(detail, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested ``serializer.errors`` as {"field.sub": [messages]}."""
    out: dict[str, list[str]] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            if key == "non_field_errors" and not prefix:
                name = "non_field_errors"
            out.update(_flatten(value, name))
    elif isinstance(detail, list):
        if all(not isinstance(item, (dict, list)) for item in detail):
            out[prefix or "non_field_errors"] = [str(item) for item in detail]
        else:
            for index, item in enumerate(detail):
                out.update(_flatten(item, f"{prefix}[{index}]" if prefix else f"[{index}]"))
    else:
        out[prefix or "non_field_errors"] = [str(detail)]
    return out


def problem_exception_handler(exc, context):
    if isinstance(exc, ApplicationError):
        body = problem(status=exc.http_status, code=exc.code, detail=exc.message, errors=exc.errors, extra=exc.extra)
        return Response(body, status=exc.http_status, content_type=PROBLEM_CONTENT_TYPE)
    if isinstance(exc, OperationalError | InterfaceError):
        # The database is restarting, failing over or unreachable (or the transaction lost a serialization race):
        # nothing was written, and the same request will work again shortly. A client that retries is right to.
        logger.warning("Database unavailable, answered 503: %s", exc)
        body = problem(status=503, code="database_unavailable",
                       detail=_("The service is briefly unavailable. Nothing was saved; please try again in a moment."))
        return Response(body, status=503, content_type=PROBLEM_CONTENT_TYPE, headers={"Retry-After": "5"})
    if isinstance(exc, DjangoValidationError):
        exc = drf_exceptions.ValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
    if isinstance(exc, Http404):
        exc = drf_exceptions.NotFound()
    if isinstance(exc, PermissionDenied):
        exc = drf_exceptions.PermissionDenied()

    response = drf_default_handler(exc, context)
    if response is None:
        return None  # an unexpected error: Django's 500 handling (problem+json for the API, see core.views)
    if isinstance(exc, drf_exceptions.ValidationError):
        body = problem(status=400, code="invalid",
                       detail=_("Some of the information given is not valid. Please correct the listed fields."),
                       errors=_flatten(exc.detail))
    else:
        codes = exc.get_codes() if isinstance(exc, drf_exceptions.APIException) else "error"
        body = problem(status=response.status_code, code=codes if isinstance(codes, str) else "error",
                       detail=exc.detail if isinstance(exc.detail, str) else str(exc))
    response.data = body
    response.content_type = PROBLEM_CONTENT_TYPE
    return response


def problem_response(*, status: int, code: str, detail: str) -> JsonResponse:
    """For errors that happen outside DRF (unknown /api/ route, a crash)."""
    return JsonResponse(problem(status=status, code=code, detail=detail), status=status,
                        content_type=PROBLEM_CONTENT_TYPE, json_dumps_params={"ensure_ascii": False})
