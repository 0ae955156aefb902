"""Notifications: once per event, numbered per person, each person's own."""

import pytest
from django.core import mail

from notifications.models import Notification
from notifications.services import notification_mark_read, notification_send

API = "/api/v1/notifications/"
PROBLEM = "application/problem+json"

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice(make_user):
    return make_user(email="alice@example.test")


@pytest.fixture
def bob(make_user):
    return make_user(email="bob@example.test")


def send(user, key, **kwargs) -> Notification:
    kwargs.setdefault("kind", "test")
    kwargs.setdefault("title", f"About {key}")
    return notification_send(user=user, key=key, **kwargs)


def test_notification_is_stored_and_emailed_when_asked(alice, run_on_commit):
    with run_on_commit():
        notification = send(alice, "appointment:1:reminder", body="Tomorrow at 9:00", email=True)

    notification.refresh_from_db()
    assert notification.email_sent_at is not None
    assert [(m.subject, m.to) for m in mail.outbox] == [("About appointment:1:reminder", ["alice@example.test"])]


def test_notification_without_email_sends_no_email(alice, run_on_commit):
    with run_on_commit():
        notification = send(alice, "quiet")

    assert mail.outbox == []
    assert Notification.objects.get(pk=notification.pk).email_sent_at is None


def test_same_event_twice_gives_the_same_notification_and_one_email(alice, run_on_commit):
    with run_on_commit():
        first = send(alice, "appointment:1:reminder", email=True)
    with run_on_commit():
        second = send(alice, "appointment:1:reminder", title="changed title", email=True)

    assert second.pk == first.pk
    assert Notification.objects.filter(user=alice).count() == 1
    assert len(mail.outbox) == 1


def test_same_event_for_two_people_gives_each_their_own(alice, bob):
    assert send(alice, "welcome").pk != send(bob, "welcome").pk


def test_email_task_run_twice_sends_once(alice, run_on_commit):
    from notifications.tasks import notification_email

    with run_on_commit():
        notification = send(alice, "once", email=True)

    assert notification_email(notification.pk) is False
    assert len(mail.outbox) == 1


def test_sequence_numbers_count_up_per_person(alice, bob):
    alice_seqs = [send(alice, f"a{i}").seq for i in range(3)]
    bob_seqs = [send(bob, f"b{i}").seq for i in range(2)]

    assert alice_seqs == [1, 2, 3]
    assert bob_seqs == [1, 2]


def test_api_lists_only_my_notifications_newest_first(client, alice, bob):
    send(alice, "a1")
    send(alice, "a2")
    send(bob, "b1")
    client.force_login(alice)

    body = client.get(API).json()

    assert body["count"] == 2
    assert [n["title"] for n in body["results"]] == ["About a2", "About a1"]


def test_api_list_needs_sign_in(client):
    response = client.get(API)

    assert response.status_code == 403
    assert response["Content-Type"] == PROBLEM


def test_api_marks_one_notification_read(client, alice):
    one, other = send(alice, "one"), send(alice, "other")
    client.force_login(alice)

    response = client.post(f"{API}{one.public_id}/read")

    assert response.status_code == 204
    one.refresh_from_db()
    other.refresh_from_db()
    assert one.read_at is not None and other.read_at is None


def test_api_marks_all_my_notifications_read_and_nobody_elses(client, alice, bob):
    send(alice, "one")
    send(alice, "two")
    bobs = send(bob, "his")
    client.force_login(alice)

    response = client.post(f"{API}read")

    assert response.status_code == 204
    assert not Notification.objects.filter(user=alice, read_at=None).exists()
    bobs.refresh_from_db()
    assert bobs.read_at is None


def test_api_refuses_to_mark_another_persons_notification(client, alice, bob):
    bobs = send(bob, "his")
    client.force_login(alice)

    response = client.post(f"{API}{bobs.public_id}/read")

    assert response.status_code == 404
    assert response["Content-Type"] == PROBLEM
    bobs.refresh_from_db()
    assert bobs.read_at is None


def test_marking_read_twice_keeps_the_first_time(alice):
    notification = send(alice, "one")
    notification_mark_read(user=alice, notification=notification)
    first = Notification.objects.get(pk=notification.pk).read_at

    assert notification_mark_read(user=alice, notification=notification) == 0
    assert Notification.objects.get(pk=notification.pk).read_at == first


def test_notification_page_shows_my_notifications_only(client, alice, bob):
    send(alice, "mine", title="你的预约已确认")
    send(bob, "his", title="别人的消息")
    client.force_login(alice)

    page = client.get("/notifications/").content.decode()

    assert "你的预约已确认" in page
    assert "别人的消息" not in page


def test_notification_page_mark_all_read_is_post_only(client, alice):
    notification = send(alice, "one")
    client.force_login(alice)

    assert client.get("/notifications/read/").status_code == 405
    assert Notification.objects.get(pk=notification.pk).read_at is None
    assert client.post("/notifications/read/").status_code == 302
    assert Notification.objects.get(pk=notification.pk).read_at is not None


def test_notification_list_api_runs_a_constant_number_of_queries(client, alice, django_assert_num_queries):
    send(alice, "first")
    client.force_login(alice)
    client.get(API)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        client.get(API)
    for i in range(10):
        send(alice, f"more{i}")

    with django_assert_num_queries(len(one)):
        assert client.get(API).json()["count"] == 11
