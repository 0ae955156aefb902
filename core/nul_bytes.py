"""Refuse a query string carrying a NUL character, before any view sees it.

PostgreSQL text cannot hold NUL (0x00), so a search such as ``?q=a%00b`` reached the database and failed there as a
500 (found by the API fuzzer, tests/fuzz/, on /api/v1/records/drugs). Form fields and API bodies are already
checked (Django's and DRF's CharField refuse NUL); query parameters are read raw by many views, so they are
checked here, once. No genuine request carries a NUL.
"""

from django.utils.translation import gettext as _

from core.views import _error_page


class RefuseNulBytesMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if any("\x00" in key or any("\x00" in value for value in values) for key, values in request.GET.lists()):
            return _error_page(request, status=400, code="invalid", title=_("Bad request"),
                               detail=_("The address contains a character that is not allowed. Check the link and "
                                        "try again."))
        return self.get_response(request)
