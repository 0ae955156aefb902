from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import requires_csrf_token

from core.exceptions import problem_response
from core.health import health_report


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "core/home.html")


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    report = health_report()
    return JsonResponse(report, status=200 if report["status"] == "ok" else 503)


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def api_not_found(request: HttpRequest, *args, **kwargs) -> JsonResponse:
    detail = _("There is no API endpoint at %(path)s. See /api/docs/ for the list.") % {"path": request.path}
    return problem_response(status=404, code="not_found", detail=detail)


def _error_page(request: HttpRequest, *, status: int, code: str, title: str, detail: str) -> HttpResponse:
    if _is_api(request):
        return problem_response(status=status, code=code, detail=detail)
    return render(request, "errors/error.html", {"status": status, "title": title, "detail": detail}, status=status)


@requires_csrf_token
def bad_request(request, exception=None):
    return _error_page(request, status=400, code="bad_request", title=_("Bad request"),
                       detail=_("The request could not be understood. Please go back and try again."))


@requires_csrf_token
def permission_denied(request, exception=None):
    return _error_page(request, status=403, code="forbidden", title=_("Not allowed"),
                       detail=_("You do not have permission to see this page. "
                                "If you think you should, ask the hospital's front desk."))


@requires_csrf_token
def page_not_found(request, exception=None):
    return _error_page(request, status=404, code="not_found", title=_("Page not found"),
                       detail=_("We could not find this page. It may have moved, or the link may be wrong."))


@requires_csrf_token
def server_error(request):
    return _error_page(request, status=500, code="server_error", title=_("Something went wrong"),
                       detail=_("Something went wrong on our side. Nothing you entered was lost; please try again in a minute."))


@requires_csrf_token
def csrf_failure(request, reason=""):
    """A write without a valid CSRF token (settings.CSRF_FAILURE_VIEW): problem+json on the API, a page elsewhere,
    in the reader's language, instead of Django's English debugging page."""
    return _error_page(request, status=403, code="csrf_failed", title=_("Not allowed"),
                       detail=_("This form had expired or did not come from this site. Reload the page and try again."))
