"""Security headers that Django's SecurityMiddleware does not set: Content-Security-Policy and Permissions-Policy.

The policy allows scripts, styles, fonts, images and connections from this origin only, and no inline script or
style at all (no 'unsafe-inline', no nonces): every template keeps its JavaScript in static/js and its CSS in
static/css, which tests/core/test_templates_csp_clean.py checks. So a script injected into a page (a stored XSS in a
patient's name, say) does not run. The other headers (Referrer-Policy, X-Content-Type-Options,
Cross-Origin-Opener-Policy, X-Frame-Options, HSTS) come from Django's own middleware and settings
(config/settings/base.py and production.py). docs/reliability.md lists them.
"""

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.deprecation import MiddlewareMixin


def policy_header(policy: dict[str, list[str]]) -> str:
    """`{"default-src": ["'self'"], ...}` as a header value: `default-src 'self'; ...` (directives in order)."""
    return "; ".join(" ".join([directive, *sources]) for directive, sources in policy.items())


class SecurityHeadersMiddleware(MiddlewareMixin):
    """Add CONTENT_SECURITY_POLICY and PERMISSIONS_POLICY (settings) to every response that has not set its own.

    A view that needs something else sets the header on its response itself, and this leaves it alone.
    MiddlewareMixin makes it usable sync and async alike, so under daphne it adds no thread hop.
    """

    def __init__(self, get_response):
        super().__init__(get_response)
        self.csp = policy_header(settings.CONTENT_SECURITY_POLICY)
        self.permissions = ", ".join(f"{feature}={allow}" for feature, allow in settings.PERMISSIONS_POLICY.items())

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        if self.csp:
            response.headers.setdefault("Content-Security-Policy", self.csp)
        if self.permissions:
            response.headers.setdefault("Permissions-Policy", self.permissions)
        return response
