"""Signing in with email or mobile number, on the page and through the API."""

import pytest
from django.contrib.auth import SESSION_KEY

from tests.conftest import PASSWORD

LOGIN_URL = "/accounts/login/"
API_LOGIN_URL = "/api/v1/accounts/login"
WRONG_LOGIN = "The email or mobile number and password do not match an account."

pytestmark = pytest.mark.django_db


@pytest.fixture
def person(make_user):
    return make_user(email="li.na@example.test", phone="13812345678")


def signed_in_as(client) -> str | None:
    return client.session.get(SESSION_KEY)


@pytest.mark.parametrize("identifier", ["li.na@example.test", "Li.Na@EXAMPLE.test", "13812345678",
                                        "+86 138 1234 5678", "+8613812345678", "138 1234 5678"])
def test_login_page_accepts_email_in_any_case_and_phone_in_any_spelling(client, person, identifier):
    response = client.post(LOGIN_URL, {"username": identifier, "password": PASSWORD})

    assert response.status_code == 302
    assert signed_in_as(client) == str(person.pk)


def test_login_page_refuses_wrong_password_with_a_message_saying_what_to_do(client, person):
    response = client.post(LOGIN_URL, {"username": person.email, "password": "not-the-password"})

    assert response.status_code == 200
    assert signed_in_as(client) is None
    errors = response.context["form"].non_field_errors()
    assert any(WRONG_LOGIN in e and "try again" in e for e in errors)


def test_login_page_refuses_unknown_phone_number(client, person):
    response = client.post(LOGIN_URL, {"username": "13999999999", "password": PASSWORD})

    assert response.status_code == 200
    assert signed_in_as(client) is None


def test_login_page_refuses_inactive_account_even_with_the_right_password(client, make_user):
    inactive = make_user(email="gone@example.test", is_active=False)

    response = client.post(LOGIN_URL, {"username": inactive.email, "password": PASSWORD})

    assert response.status_code == 200
    assert signed_in_as(client) is None
    assert response.context["form"].non_field_errors()


@pytest.mark.parametrize("identifier", ["LI.NA@example.test", "+86 138-1234-5678"])
def test_api_login_accepts_email_or_phone_and_starts_a_session(api_client, person, identifier):
    response = api_client.post(API_LOGIN_URL, {"username": identifier, "password": PASSWORD}, format="json")

    assert response.status_code == 200
    assert response.json()["id"] == str(person.public_id)
    assert api_client.get("/api/v1/accounts/me").json()["email"] == person.email


def test_api_login_refuses_wrong_password_as_problem_json(api_client, person):
    response = api_client.post(API_LOGIN_URL, {"username": person.phone, "password": "wrong-password"}, format="json")

    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == "invalid_login"
    assert WRONG_LOGIN in body["detail"]
    assert api_client.get("/api/v1/accounts/me").status_code == 403


def test_api_login_refuses_inactive_account(api_client, make_user):
    inactive = make_user(email="gone@example.test", is_active=False)

    response = api_client.post(API_LOGIN_URL, {"username": inactive.email, "password": PASSWORD}, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_login"


def test_api_login_without_password_names_the_missing_field(api_client, person):
    response = api_client.post(API_LOGIN_URL, {"username": person.email}, format="json")

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["password"]


def test_passwords_are_hashed_with_argon2_outside_the_test_settings():
    from config.settings import base

    assert base.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"


def test_stored_password_is_a_hash_not_the_password(person):
    person.refresh_from_db()

    assert PASSWORD not in person.password
    assert person.check_password(PASSWORD)
    assert not person.check_password(PASSWORD.upper())
