"""Staff sessions that have not passed the second sign-in step reach only that step (accounts.twofactor)."""

from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.twofactor import PENDING, session_two_factor_state


class TwoFactorMiddleware:
    """Refuse a pending staff session everything but the second step, signing out and static files: a page
    redirects to the second step (and back afterwards), an API call gets problem+json 403
    ``two_factor_required``. Costs no query: the state lives in the session, decided at sign-in."""

    def __init__(self, get_response):
        self.get_response = get_response
        self._open_prefixes: tuple[str, ...] | None = None

    def open_prefixes(self) -> tuple[str, ...]:
        if self._open_prefixes is None:
            self._open_prefixes = (
                reverse("accounts:two_factor"), reverse("accounts:logout"), reverse("accounts:login"),
                reverse("api-two-factor"), reverse("api-logout"),
                reverse("set_language"), reverse("javascript-catalog"), settings.STATIC_URL, "/healthz",
                "/favicon.ico",
            )
        return self._open_prefixes

    def __call__(self, request):
        if session_two_factor_state(request) == PENDING and not request.path_info.startswith(self.open_prefixes()):
            return self.refuse(request)
        return self.get_response(request)

    def refuse(self, request):
        if request.path_info.startswith("/api/"):
            from core.exceptions import problem_response

            return problem_response(status=403, code="two_factor_required", detail=_(
                "This account must finish two-step sign-in before using the API: send the code from your "
                "authenticator app to /api/v1/accounts/two-factor (or use the sign-in page), then try again."))
        query = urlencode({"next": request.get_full_path()})
        return HttpResponseRedirect(f"{reverse('accounts:two_factor')}?{query}")


class TwoFactorWebsocketMiddleware:
    """Websockets (inside channels' AuthMiddlewareStack): a staff session that has not passed the second step is
    treated as signed out, so staff feeds (queue console, alerts) refuse it like an anonymous visitor."""

    def __init__(self, inner):
        self.inner = inner

    async def __call__(self, scope, receive, send):
        from channels.db import database_sync_to_async
        from django.contrib.auth.models import AnonymousUser

        user = scope.get("user")
        if user is not None and user.is_authenticated:
            pending = await database_sync_to_async(self._pending)(scope["session"], user)
            if pending:
                scope = {**scope, "user": AnonymousUser()}
        return await self.inner(scope, receive, send)

    @staticmethod
    def _pending(session, user) -> bool:
        from accounts.twofactor import NOT_REQUIRED, SESSION_KEY, VERIFIED, two_factor_required

        state = session.get(SESSION_KEY)
        if state in (VERIFIED, NOT_REQUIRED):
            return False
        return state == PENDING or two_factor_required(user)
