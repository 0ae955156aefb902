"""The API's schema and docs, and how refused or unknown requests are answered (problem+json, friendly pages)."""

import re

import pytest

PROBLEM = "application/problem+json"

pytestmark = pytest.mark.django_db


def test_schema_is_an_openapi_document_listing_the_family_api(client):
    response = client.get("/api/schema/", {"format": "json"})

    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert {"/api/v1/records/family", "/api/v1/records/family/{public_id}", "/api/v1/accounts/signup",
            "/api/v1/accounts/login", "/api/v1/notifications/"} <= set(schema["paths"])


def test_docs_page_uses_only_assets_served_by_the_portal(client):
    response = client.get("/api/docs/")

    assert response.status_code == 200
    html = response.content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert assets
    # Static files, and the page's own start-up script (the split view, so the page has no inline script).
    assert all(a.startswith("/static/") or a.startswith("/api/docs/?") for a in assets), assets
    assert not re.search(r"https?://", html)
    assert "<style" not in html
    assert not re.search(r"<script>\s*\S", html)


def test_docs_page_assets_are_really_there(client):
    html = client.get("/api/docs/").content.decode()

    missing = [asset for asset in re.findall(r'(?:src|href)="(/(?:static|api/docs)/[^"]+)"', html)
               if client.get(asset.replace("&amp;", "&")).status_code != 200]

    assert missing == []


def test_malformed_json_is_answered_400_problem_json(client):
    response = client.post("/api/v1/accounts/login", data='{"username": "a@b.c", "password": ',
                           content_type="application/json")

    assert response.status_code == 400
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert body["status"] == 400
    assert body["code"] == "parse_error"
    assert set(body) >= {"type", "title", "status", "detail", "code", "errors"}


def test_well_formed_json_with_missing_fields_is_answered_with_field_errors(client):
    response = client.post("/api/v1/accounts/login", data="{}", content_type="application/json")

    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"username", "password"}


@pytest.mark.parametrize("path", ["/api/v1/no-such-thing", "/api/v1/records/family/not-a-uuid", "/api/v1/"])
def test_unknown_api_route_answers_404_problem_json(client, path):
    response = client.get(path)

    assert response.status_code == 404
    assert response["Content-Type"] == PROBLEM
    assert response.json()["code"] == "not_found"
    assert "/api/docs/" in response.json()["detail"]


def test_unknown_path_under_api_but_outside_v1_answers_problem_json(client):
    response = client.get("/api/v2/records")

    assert response.status_code == 404
    assert response["Content-Type"] == PROBLEM


def test_wrong_method_on_an_api_endpoint_answers_405_problem_json(client, make_user):
    client.force_login(make_user())

    response = client.delete("/api/v1/accounts/me")

    assert response.status_code == 405
    assert response["Content-Type"] == PROBLEM


def test_unknown_page_shows_a_friendly_404_page(client):
    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert "Page not found" in html
    assert "We could not find this page" in html
    assert "Traceback" not in html
    assert 'href="/"' in html


def test_home_page_renders(client):
    response = client.get("/")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")


def test_a_query_string_with_a_nul_character_is_refused_before_it_reaches_the_database(client):
    """Found by the fuzzer: ``?q=a%00b`` on the formulary search was a 500 (PostgreSQL text cannot hold NUL)."""
    from accounts.roles import Role
    from tests.appointments import factories

    client.force_login(factories.user(Role.DOCTOR))

    refused = client.get("/api/v1/records/drugs", {"q": "amox\x00icillin"})
    page = client.get("/accounts/login/", {"next": "/\x00"})
    allowed = client.get("/api/v1/records/drugs", {"q": "amoxicillin"})

    assert (refused.status_code, refused["Content-Type"], refused.json()["code"]) == (400, PROBLEM, "invalid")
    assert page.status_code == 400 and page["Content-Type"].startswith("text/html")
    assert allowed.status_code == 200
