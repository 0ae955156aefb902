"""Security baseline, issue 9: every response carries the security headers, and the CSP allows nothing inline."""

import pytest

from core.security import policy_header

PAGES = ["/", "/accounts/login/", "/api/v1/accounts/me", "/api/docs/", "/admin/login/", "/no-such-page/"]


@pytest.mark.parametrize("path", PAGES)
def test_every_response_carries_the_security_headers(client, db, path):
    response = client.get(path)

    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert "camera=()" in response["Permissions-Policy"]
    assert response["Content-Security-Policy"].startswith("default-src 'self'")


def test_the_policy_allows_no_inline_script_or_style_and_no_framing(client, db):
    policy = dict(directive.split(" ", 1) for directive in client.get("/").headers["Content-Security-Policy"].split("; "))

    assert policy["script-src"] == "'self'"
    assert policy["style-src"] == "'self'"
    assert policy["object-src"] == "'none'"
    assert policy["frame-ancestors"] == "'none'"
    assert "unsafe" not in " ".join(policy.values())


def test_a_view_that_sets_its_own_policy_keeps_it(rf, settings):
    from django.http import HttpResponse

    from core.security import SecurityHeadersMiddleware

    def view(request):
        response = HttpResponse("a file to download")
        response["Content-Security-Policy"] = "default-src 'none'"
        return response

    response = SecurityHeadersMiddleware(view)(rf.get("/"))

    assert response["Content-Security-Policy"] == "default-src 'none'"
    assert response["Permissions-Policy"]


def test_policy_header_keeps_directive_order():
    assert policy_header({"default-src": ["'self'"], "img-src": ["'self'", "data:"]}) == \
        "default-src 'self'; img-src 'self' data:"
