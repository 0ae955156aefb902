"""The portal's URLs plus /bench/ping: the trivial Django JSON view bench/booking.py measures beside booking."""

from django.http import HttpRequest, JsonResponse
from django.urls import include, path


def ping(request: HttpRequest) -> JsonResponse:
    """Through the whole middleware stack, no database: Django's own cost of a JSON answer."""
    return JsonResponse({"ok": True})


urlpatterns = [
    path("bench/ping", ping),
    path("", include("config.urls")),
]
