"""Queue pages and API over HTTP: snapshots, check-in and console actions, each refusal beside the allowed case;
the board masks names; the channel layer being down never fails a request."""

import pytest
from django.test import Client
from django.urls import reverse

from accounts.roles import Role
from appointments.models import AppointmentStatus, QueueTicket, TicketStatus
from appointments.queue import services
from tests.appointments import factories
from tests.appointments.queue import world

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def two_waiting():
    c = world.clinic(prefix="A")
    s = world.slot_at(c, world.soon(30))
    first = world.checked_in(c, world.booked(c, s, name="张三明"))
    second = world.checked_in(c, world.booked(c, s, name="李四"))
    return c, first, second


def test_ticket_snapshot_says_how_many_are_ahead_and_then_where_to_go():
    c, first, second = two_waiting()
    patient = client_for(world.account_of(c, second.appointment))
    url = reverse("api-queue-ticket", args=[second.public_id])

    before = patient.get(url).json()
    services.queue_call_next(service_point=first.service_point, by=c.doctor.user)
    after = patient.get(url).json()
    services.ticket_complete(ticket=first, by=c.doctor.user)
    services.queue_call_next(service_point=first.service_point, by=c.doctor.user)
    called = patient.get(url).json()

    assert (before["people_ahead"], before["number"]) == (1, "A002")
    assert before["wait"]["high_minutes"] > 0 and "1 person ahead" in before["ahead_text"]
    assert after["people_ahead"] == 0
    assert called["status"] == "called" and "please go to 3诊室" in called["message"]


def test_another_persons_ticket_is_not_found():
    _c, first, _second = two_waiting()
    stranger = client_for(factories.user(Role.PATIENT))

    response = stranger.get(reverse("api-queue-ticket", args=[first.public_id]))

    assert response.status_code == 404 and response.json()["code"] == "not_found"


def test_board_is_public_and_masks_names():
    c, first, _second = two_waiting()
    services.queue_call_next(service_point=first.service_point, by=c.doctor.user)

    board = Client().get(reverse("api-queue-board", args=[c.department.public_id])).json()

    room = board["rooms"][0]
    assert room["now"][0] == {"number": "A001", "name": "张*明", "status": "called"}
    assert room["next"] == [{"number": "A002", "name": "李*"}]
    assert "张三明" not in str(board)


def test_doctor_calls_next_over_the_api_and_another_doctor_is_refused():
    c, first, _second = two_waiting()
    other = world.clinic()
    url = reverse("api-queue-call-next", args=[first.service_point.public_id])

    refused = client_for(other.doctor.user).post(url)
    allowed = client_for(c.doctor.user).post(url)

    assert refused.status_code == 403 and refused.json()["code"] == "not_your_queue"
    assert allowed.status_code == 200 and allowed.json()["current"]["number"] == "A001"


def test_console_action_on_a_ticket_of_another_queue_is_not_found():
    _c, first, _second = two_waiting()
    mine = world.clinic()
    mine_point = services.service_point_for_slot(slot=world.slot_at(mine, world.soon(30)))

    response = client_for(mine.doctor.user).post(
        reverse("api-queue-console-action", args=[mine_point.public_id, first.public_id, "skip"]))

    assert response.status_code == 404
    assert QueueTicket.objects.get(pk=first.pk).status == TicketStatus.WAITING


def test_check_in_api_for_my_appointment_and_refused_twice():
    c = world.clinic(prefix="A")
    appointment = world.booked(c, world.slot_at(c, world.soon(30)))
    patient = client_for(world.account_of(c, appointment))

    first = patient.post(reverse("api-queue-check-in"), {"appointment": str(appointment.public_id)})
    second = patient.post(reverse("api-queue-check-in"), {"appointment": str(appointment.public_id)})

    assert first.status_code == 201 and first.json()["number"] == "A001"
    assert second.status_code == 409 and second.json()["reason"] == "twice"


def test_phone_check_in_page_redirects_to_the_ticket_page():
    c = world.clinic(prefix="A")
    appointment = world.booked(c, world.slot_at(c, world.soon(30)))
    patient = client_for(world.account_of(c, appointment))

    listed = patient.get(reverse("queue:mine"))
    response = patient.post(reverse("queue:check_in", args=[appointment.public_id]), follow=True)

    assert b'data-testid="check-in"' in listed.content
    assert response.status_code == 200 and b"A001" in response.content
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.CHECKED_IN


def test_scan_page_with_a_forged_link_says_so_and_a_genuine_one_lists_the_appointment():
    c = world.clinic()
    appointment = world.booked(c, world.slot_at(c, world.soon(30)), name="王五")
    patient = client_for(world.account_of(c, appointment))

    forged = patient.get(reverse("queue:scan", args=["1:forged:token"]))
    genuine = patient.get(reverse("queue:scan", args=[services.check_in_link_make(department=c.department)]))

    assert forged.status_code == 400 and b"not valid" in forged.content
    assert genuine.status_code == 200 and "王五" in genuine.content.decode()


def test_pages_render_for_their_people_and_the_console_refuses_another_doctor():
    c, first, _second = two_waiting()
    doctor = client_for(c.doctor.user)
    console_url = reverse("queue:console", args=[first.service_point.public_id])

    assert doctor.get(console_url).status_code == 200
    assert doctor.get(console_url + "?fragment=1").status_code == 200
    assert client_for(world.clinic().doctor.user).get(console_url).status_code == 403
    assert Client().get(reverse("queue:board", args=[c.department.public_id])).status_code == 200
    assert client_for(world.account_of(c, first.appointment)).get(
        reverse("queue:ticket", args=[first.public_id])).status_code == 200
    desk = client_for(c.desk)
    assert desk.get(reverse("queue:desk") + "?q=张三明").status_code == 200
    assert b"<svg" in desk.get(reverse("queue:desk_qr", args=[c.department.public_id])).content
    assert client_for(world.account_of(c, first.appointment)).get(reverse("queue:desk")).status_code == 403


def test_console_form_post_calls_next_and_a_refusal_comes_back_as_a_message():
    c, first, _second = two_waiting()
    doctor = client_for(c.doctor.user)
    url = reverse("queue:console", args=[first.service_point.public_id])

    ok = doctor.post(url, {"action": "call-next"}, headers={"X-Requested-With": "fetch"})
    refused = doctor.post(url, {"action": "call-next"}, headers={"X-Requested-With": "fetch"})

    assert ok.status_code == 200 and ok.json()["ok"] is True
    assert refused.status_code == 409 and "has been called" in refused.json()["message"]


def test_front_desk_checks_in_with_a_priority_and_registers_a_walk_in():
    c = world.clinic(prefix="A")
    s = world.slot_at(c, world.soon(30))
    appointment = world.booked(c, s)
    walk_in = factories.patient()
    point = services.service_point_for_slot(slot=s)
    desk = client_for(c.desk)

    desk.post(reverse("queue:desk"), {"appointment": str(appointment.public_id), "priority": "disability"})
    desk.post(reverse("queue:desk"), {"patient": str(walk_in.public_id), "service_point": str(point.public_id),
                                      "priority": "normal"})

    assert list(QueueTicket.objects.order_by("sequence").values_list("priority", "appointment_id")) == [
        ("disability", appointment.pk), ("normal", None)]


def test_a_channel_layer_that_is_down_does_not_fail_the_call(settings, run_on_commit, caplog):
    nowhere = {"hosts": ["redis://127.0.0.1:1/0"]}
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": nowhere},
                               "queue": {"BACKEND": "core.channel_layers.ResyncingPubSubChannelLayer", "CONFIG": nowhere}}
    from channels.layers import channel_layers

    channel_layers.backends.clear()
    try:
        c, first, _second = two_waiting()
        with run_on_commit():
            response = client_for(c.doctor.user).post(reverse("api-queue-call-next",
                                                              args=[first.service_point.public_id]))
    finally:
        channel_layers.backends.clear()

    assert response.status_code == 200
    assert "Live queue push" in caplog.text
    assert QueueTicket.objects.get(pk=first.pk).status == TicketStatus.CALLED


def _queue_of(n: int):
    c = world.clinic(prefix="A")
    s = world.slot_at(c, world.soon(30), capacity=20)
    tickets = [world.checked_in(c, world.booked(c, s)) for _ in range(n)]
    return c, tickets


@pytest.mark.parametrize("n", [3, 12])
def test_board_and_console_snapshots_cost_the_same_queries_whatever_the_queue_length(n, django_assert_num_queries):
    c, tickets = _queue_of(n)
    doctor = client_for(c.doctor.user)
    board_url = reverse("api-queue-board", args=[c.department.public_id])
    console_url = reverse("api-queue-console", args=[tickets[0].service_point.public_id])
    ticket_url = reverse("api-queue-ticket", args=[tickets[-1].public_id])
    patient = client_for(world.account_of(c, tickets[-1].appointment))

    with django_assert_num_queries(7):
        assert Client().get(board_url).status_code == 200
    with django_assert_num_queries(12):
        assert doctor.get(console_url).status_code == 200
    with django_assert_num_queries(10):
        assert patient.get(ticket_url).status_code == 200
