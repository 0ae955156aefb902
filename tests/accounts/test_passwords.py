"""Changing and resetting a password; signing out."""

import re

import pytest
from django.contrib.auth import SESSION_KEY
from django.core import mail

from tests.conftest import PASSWORD

NEW_PASSWORD = "Bright-Lantern-7391"

pytestmark = pytest.mark.django_db


@pytest.fixture
def person(make_user):
    return make_user(email="sun.li@example.test")


def test_password_change_page_changes_the_password(client, person):
    client.force_login(person)

    response = client.post("/accounts/password/change/", {
        "old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})

    assert response.status_code == 302
    assert response["Location"] == "/accounts/me/"
    person.refresh_from_db()
    assert person.check_password(NEW_PASSWORD)
    assert client.session.get(SESSION_KEY) == str(person.pk)  # still signed in on this browser


def test_password_change_refuses_a_wrong_old_password(client, person):
    client.force_login(person)

    response = client.post("/accounts/password/change/", {
        "old_password": "not-it", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})

    assert response.status_code == 200
    assert "old_password" in response.context["form"].errors
    person.refresh_from_db()
    assert person.check_password(PASSWORD)


def test_password_change_refuses_a_weak_new_password(client, person):
    client.force_login(person)

    response = client.post("/accounts/password/change/", {
        "old_password": PASSWORD, "new_password1": "12345678", "new_password2": "12345678"})

    assert response.status_code == 200
    assert "new_password2" in response.context["form"].errors
    person.refresh_from_db()
    assert person.check_password(PASSWORD)


def test_password_change_page_needs_sign_in(client):
    response = client.get("/accounts/password/change/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_password_reset_emails_a_link_that_sets_a_new_password(client, person, run_on_commit):
    with run_on_commit():
        response = client.post("/accounts/password/reset/", {"email": person.email.upper()})

    assert response.status_code == 302
    assert response["Location"] == "/accounts/password/reset/sent/"
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [person.email]
    link = re.search(r"https?://testserver(/accounts/password/reset/\S+/)", mail.outbox[0].body).group(1)

    form_page = client.get(link, follow=True)
    assert form_page.context["validlink"] is True
    done = client.post(form_page.redirect_chain[-1][0],
                       {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})

    assert done.status_code == 302
    assert done["Location"] == "/accounts/password/reset/complete/"
    person.refresh_from_db()
    assert person.check_password(NEW_PASSWORD)


def test_password_reset_link_works_once(client, person, run_on_commit):
    with run_on_commit():
        client.post("/accounts/password/reset/", {"email": person.email})
    link = re.search(r"https?://testserver(/accounts/password/reset/\S+/)", mail.outbox[0].body).group(1)
    form_page = client.get(link, follow=True)
    client.post(form_page.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})

    again = client.get(link, follow=True)

    assert again.context["validlink"] is False


def test_password_reset_for_an_unknown_email_sends_nothing_but_says_the_same(client, person, run_on_commit):
    with run_on_commit():
        response = client.post("/accounts/password/reset/", {"email": "nobody@example.test"})

    assert response.status_code == 302
    assert response["Location"] == "/accounts/password/reset/sent/"
    assert mail.outbox == []


def test_password_reset_link_with_a_forged_token_is_refused(client, person):
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    uid = urlsafe_base64_encode(force_bytes(person.pk))

    response = client.get(f"/accounts/password/reset/{uid}/abc-123456/", follow=True)

    assert response.context["validlink"] is False


def test_password_reset_email_goes_through_the_email_task(client, person, run_on_commit, monkeypatch):
    from core import tasks

    sent = []
    real = tasks.email_send.run

    def spy(*args, **kwargs):
        sent.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(tasks.email_send, "run", spy)
    with run_on_commit():
        client.post("/accounts/password/reset/", {"email": person.email})

    assert len(sent) == 1
    assert sent[0][2] == [person.email]


def test_logout_by_post_signs_out(client, person):
    client.force_login(person)

    response = client.post("/accounts/logout/")

    assert response.status_code == 302
    assert client.session.get(SESSION_KEY) is None


def test_logout_by_get_is_refused_and_keeps_the_session(client, person):
    client.force_login(person)

    response = client.get("/accounts/logout/")

    assert response.status_code == 405
    assert client.session.get(SESSION_KEY) == str(person.pk)


def test_api_logout_ends_the_session(api_client, person):
    api_client.force_login(person)

    response = api_client.post("/api/v1/accounts/logout")

    assert response.status_code == 204
    assert api_client.get("/api/v1/accounts/me").status_code == 403
