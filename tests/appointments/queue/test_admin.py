"""Queue admin: service points and read-only tickets, for the roles that hold the permissions."""

import pytest
from django.test import Client
from django.urls import reverse

from accounts.roles import Role
from tests.appointments import factories
from tests.appointments.queue import world

pytestmark = pytest.mark.django_db


def test_hospital_administrator_sees_tickets_and_cannot_edit_them():
    c = world.clinic(prefix="A")
    ticket = world.checked_in(c, world.booked(c, world.slot_at(c, world.soon(30))))
    admin = factories.user(Role.HOSPITAL_ADMIN, is_staff=True)
    client = Client()
    client.force_login(admin)

    listed = client.get(reverse("admin:appointments_queueticket_changelist"))
    shown = client.get(reverse("admin:appointments_queueticket_change", args=[ticket.pk]))
    points = client.get(reverse("admin:appointments_servicepoint_changelist"))
    refused = client.post(reverse("admin:appointments_queueticket_change", args=[ticket.pk]), {"status": "done"})

    assert listed.status_code == 200 and "A001" in listed.content.decode()
    assert shown.status_code == 200 and points.status_code == 200
    assert refused.status_code == 403
    ticket.refresh_from_db()
    assert ticket.status == "waiting"


def test_a_patient_cannot_open_the_queue_admin():
    client = Client()
    client.force_login(factories.user(Role.PATIENT))

    response = client.get(reverse("admin:appointments_queueticket_changelist"))

    assert response.status_code == 302
