"""Brute-force lockout (django-axes): five failures for one person lock that person, not others."""

import pytest
from django.conf import settings
from django.contrib.auth import SESSION_KEY

from tests.conftest import PASSWORD

LOGIN_URL = "/accounts/login/"
API_LOGIN_URL = "/api/v1/accounts/login"

pytestmark = pytest.mark.django_db


@pytest.fixture
def person(make_user):
    return make_user(email="zhao.lei@example.test", phone="13812345678")


def fail_logins(client, username: str, *, times: int = settings.AXES_FAILURE_LIMIT) -> None:
    for _ in range(times):
        client.post(LOGIN_URL, {"username": username, "password": "wrong-password"})


def test_failure_limit_is_five():
    assert settings.AXES_FAILURE_LIMIT == 5


def test_fewer_failures_than_the_limit_do_not_lock(client, person):
    fail_logins(client, person.email, times=settings.AXES_FAILURE_LIMIT - 1)

    response = client.post(LOGIN_URL, {"username": person.email, "password": PASSWORD})

    assert response.status_code == 302
    assert client.session.get(SESSION_KEY) == str(person.pk)


def test_after_the_limit_the_right_password_is_refused_with_when_to_retry(client, person):
    fail_logins(client, person.email)

    response = client.post(LOGIN_URL, {"username": person.email, "password": PASSWORD})

    assert response.status_code == 429
    assert client.session.get(SESSION_KEY) is None
    message = response.context["lockout_message"]
    assert "locked until" in message and "minutes" in message
    assert message in response.content.decode()


def test_lockout_follows_the_person_not_the_browser(client, person):
    from django.test import Client

    fail_logins(client, person.email)

    response = Client().post(LOGIN_URL, {"username": person.email.upper(), "password": PASSWORD})

    assert response.status_code == 429


def test_a_locked_account_does_not_lock_another_account(client, person, make_user):
    other = make_user(email="other@example.test")
    fail_logins(client, person.email)

    response = client.post(LOGIN_URL, {"username": other.email, "password": PASSWORD})

    assert response.status_code == 302
    assert client.session.get(SESSION_KEY) == str(other.pk)


def test_phone_typed_with_country_code_counts_as_the_same_person(client, person):
    fail_logins(client, "13812345678")

    response = client.post(LOGIN_URL, {"username": "+86 138 1234 5678", "password": PASSWORD})

    assert response.status_code == 429


def test_api_login_when_locked_answers_429_problem_json_locked_out(api_client, person):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        api_client.post(API_LOGIN_URL, {"username": person.email, "password": "wrong"}, format="json")

    response = api_client.post(API_LOGIN_URL, {"username": person.email, "password": PASSWORD}, format="json")

    assert response.status_code == 429
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == "locked_out"
    assert "locked until" in body["detail"]
    assert api_client.get("/api/v1/accounts/me").status_code == 403


def test_api_login_before_the_limit_is_refused_as_a_wrong_password_not_a_lockout(api_client, person):
    for _ in range(settings.AXES_FAILURE_LIMIT - 2):
        api_client.post(API_LOGIN_URL, {"username": person.email, "password": "wrong"}, format="json")

    response = api_client.post(API_LOGIN_URL, {"username": person.email, "password": "wrong"}, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_login"


def test_failures_on_the_page_lock_the_api_too(client, api_client, person):
    fail_logins(client, person.phone)

    response = api_client.post(API_LOGIN_URL, {"username": person.phone, "password": PASSWORD}, format="json")

    assert response.status_code == 429
    assert response.json()["code"] == "locked_out"
