"""The schema documents what the API really answers (found by the fuzzer, tests/fuzz/): every error answer an
operation can give, as problem+json; list pages as pages; the report file in its real content types."""

import pytest
from django.test import Client

from accounts.roles import Role
from tests.appointments import factories

PROBLEM = "application/problem+json"

pytestmark = pytest.mark.django_db


@pytest.fixture
def schema(client):
    return client.get("/api/schema/", {"format": "json"}).json()


def responses(schema, method, path) -> dict:
    return schema["paths"][path][method]["responses"]


def test_every_error_answer_in_the_schema_is_problem_json(schema):
    wrong = [(method, path, code, list(answer.get("content", {})))
             for path, operations in schema["paths"].items() for method, operation in operations.items()
             for code, answer in operation["responses"].items()
             if code >= "400" and set(answer.get("content", {})) != {PROBLEM}]

    assert wrong == []


@pytest.mark.parametrize(("method", "path", "codes"), [
    ("get", "/api/v1/accounts/me", {"403"}),  # not signed in
    ("post", "/api/v1/records/family", {"400", "403", "415"}),  # invalid, CSRF/not signed in, not JSON or a form
    ("get", "/api/v1/records/patients/{public_id}", {"403", "404"}),
    ("post", "/api/v1/accounts/signup", {"400", "429"}),  # throttled
    ("post", "/api/v1/telemonitor/readings", {"400", "401"}),  # a device token refused: 401 with WWW-Authenticate
    ("get", "/api/v1/notifications/", {"400", "403"}),  # limit/offset that are not numbers
])
def test_generic_error_answers_are_documented(schema, method, path, codes):
    assert codes <= set(responses(schema, method, path))


def test_the_rules_views_refuse_by_are_documented(schema):
    assert "400" in responses(schema, "delete", "/api/v1/records/family/{public_id}")  # your own entry stays
    assert "409" in responses(schema, "patch", "/api/v1/records/encounters/{public_id}")  # signed
    assert "409" in responses(schema, "post", "/api/v1/records/encounters/{public_id}/sign")
    assert "409" in responses(schema, "post", "/api/v1/records/encounters/{public_id}/amend")
    assert "422" in responses(schema, "post", "/api/v1/records/fhir/import")
    assert "404" in responses(schema, "post", "/api/v1/telemonitor/pairing-codes")  # not on your family list


def test_report_file_is_documented_in_the_types_it_is_served_as(schema):
    assert set(responses(schema, "get", "/api/v1/records/reports/{public_id}/file")["200"]["content"]) == {
        "application/pdf", "image/png", "image/jpeg"}


@pytest.mark.parametrize("path", ["/api/v1/appointments/mine", "/api/v1/notifications/"])
def test_paginated_lists_are_documented_as_pages(schema, path):
    operation = schema["paths"][path]["get"]
    ref = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]

    assert set(schema["components"]["schemas"][ref]["properties"]) == {"count", "next", "previous", "results"}
    assert {"limit", "offset"} <= {p["name"] for p in operation["parameters"]}


@pytest.mark.parametrize("query", [{"limit": "abc"}, {"offset": "-1"}, {"limit": "0"}, {"offset": "1.5"}])
def test_a_page_request_that_is_not_a_whole_number_is_refused_with_the_field_named(query):
    client = Client()
    client.force_login(factories.user(Role.PATIENT))

    response = client.get("/api/v1/notifications/", query)

    assert response.status_code == 400
    assert response["Content-Type"] == PROBLEM
    assert set(response.json()["errors"]) == set(query)


def test_a_page_request_with_whole_numbers_is_answered_with_a_page():
    client = Client()
    client.force_login(factories.user(Role.PATIENT))

    response = client.get("/api/v1/appointments/mine", {"limit": "5", "offset": "0"})

    assert response.status_code == 200
    assert set(response.json()) == {"count", "next", "previous", "results"}


def test_a_write_to_an_unknown_api_route_without_csrf_is_refused_as_problem_json():
    """The catch-all API route is a plain Django view, so Django's CSRF check answers first; it used to send
    Django's English HTML page to an API client."""
    client = Client(enforce_csrf_checks=True)

    response = client.post("/api/v1/nowhere", {"x": "1"})

    assert response.status_code == 403
    assert response["Content-Type"] == PROBLEM
    assert response.json()["code"] == "csrf_failed"


def test_a_page_form_without_csrf_is_refused_with_the_portal_s_own_page_in_the_reader_s_language():
    client = Client(enforce_csrf_checks=True)

    response = client.post("/accounts/login/", {"username": "x", "password": "y"}, HTTP_ACCEPT_LANGUAGE="zh-hans")

    assert response.status_code == 403
    assert response["Content-Type"].startswith("text/html")
    assert "<html" in response.content.decode() and "CSRF verification failed" not in response.content.decode()
