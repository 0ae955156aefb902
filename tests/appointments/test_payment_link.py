"""After booking a number with a fee the patient is taken to pay it, through appointments.payment_link (payments
registers the page; appointments never imports payments). A free number, the front desk, and a site without
payments keep going to "My appointments"."""

import pytest
from django.urls import reverse

from accounts.roles import Role
from appointments import payment_link
from appointments.models import Appointment, AppointmentStatus
from tests.appointments import factories
from tests.appointments.test_pages import confirm_post

pytestmark = pytest.mark.django_db


@pytest.fixture
def resolver():
    """A stand-in pay page (the real one is payments'), restored to whatever was registered after the test."""
    before = payment_link._resolver
    payment_link.register_pay_url(lambda *, appointment: f"/pay-here/{appointment.public_id}/")
    yield
    payment_link._resolver = before


@pytest.fixture
def patient_account():
    return factories.account_with_patient(name="刘芳")


def test_booking_a_number_with_a_fee_goes_straight_to_paying_it(client, patient_account, resolver, settings):
    settings.REGISTRATION_FEES = {"attending": "25"}
    account, herself = patient_account
    client.force_login(account)

    response = confirm_post(client, factories.slot(), herself)

    appointment = Appointment.objects.get()
    assert appointment.status == AppointmentStatus.HELD
    assert response["Location"] == f"/pay-here/{appointment.public_id}/"
    mine = client.get(reverse("appointments:mine")).text
    assert f'href="/pay-here/{appointment.public_id}/"' in mine and 'data-testid="pay-now"' in mine


def test_a_free_number_is_booked_and_shown_without_a_pay_link(client, patient_account, resolver, settings):
    settings.REGISTRATION_FEES = {}
    account, herself = patient_account
    client.force_login(account)

    response = confirm_post(client, factories.slot(), herself)

    assert Appointment.objects.get().status == AppointmentStatus.BOOKED
    assert response["Location"].startswith(reverse("appointments:mine"))
    assert 'data-testid="pay-now"' not in client.get(reverse("appointments:mine")).text


def test_without_a_registered_pay_page_the_held_number_goes_to_my_appointments(client, patient_account, settings):
    settings.REGISTRATION_FEES = {"attending": "25"}
    before = payment_link._resolver
    payment_link.unregister_pay_url()
    try:
        account, herself = patient_account
        client.force_login(account)
        response = confirm_post(client, factories.slot(), herself)
    finally:
        payment_link._resolver = before
    assert response["Location"].startswith(reverse("appointments:mine"))


def test_the_front_desk_stays_on_the_patients_desk_page(client, resolver, settings):
    settings.REGISTRATION_FEES = {"attending": "25"}
    desk = factories.user(Role.FRONT_DESK)
    person = factories.patient()
    client.force_login(desk)

    response = confirm_post(client, factories.slot(), person)

    assert response["Location"] == reverse("appointments:desk_patient", args=[person.public_id])
