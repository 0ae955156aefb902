"""session_cancel: the hospital cancels a doctor's session; every appointment in it goes, each patient is told once."""

from datetime import time

import pytest
from django.utils import timezone

from accounts.roles import Role
from appointments import services
from appointments.errors import SlotNotBookableError
from appointments.models import Appointment, AppointmentStatus, SessionOfDay, Slot, SlotStatus
from core.errors import PermissionRefused
from notifications.models import Notification
from tests.appointments import factories

pytestmark = pytest.mark.django_db

KEY = "session-cancelled"


@pytest.fixture
def admin_user():
    return factories.user(Role.HOSPITAL_ADMIN, is_staff=True)


@pytest.fixture
def session():
    """A doctor's morning of three slots, booked by three patients of three accounts; the afternoon booked too."""
    doc = factories.doctor()
    morning = [factories.slot(doc=doc, at=time(8 + i, 0), capacity=2) for i in range(3)]
    afternoon = factories.slot(doc=doc, at=time(14, 0))
    accounts, appointments = [], []
    for slot in morning:
        account, own = factories.account_with_patient()
        accounts.append(account)
        appointments.append(services.appointment_book(patient=own, slot=slot, booked_by=account))
    kept = services.appointment_book(patient=appointments[0].patient, slot=afternoon, booked_by=accounts[0])
    return {"doctor": doc, "date": morning[0].date, "slots": morning, "accounts": accounts,
            "appointments": appointments, "kept": kept}


def cancel(session, by, reason="Doctor called away to surgery") -> int:
    return services.session_cancel(doctor=session["doctor"], date=session["date"], session=SessionOfDay.MORNING, by=by,
                                   reason=reason)


def session_notifications(session):
    return Notification.objects.filter(key__endswith=KEY).order_by("user_id")


def test_session_cancel_cancels_every_appointment_and_slot_of_the_session(session, admin_user):
    count = cancel(session, admin_user)

    assert count == 3
    assert set(Appointment.objects.filter(pk__in=[a.pk for a in session["appointments"]])
               .values_list("status", flat=True)) == {AppointmentStatus.CANCELLED}
    assert set(Slot.objects.filter(pk__in=[s.pk for s in session["slots"]]).values_list("status", "booked")) == {
        (SlotStatus.CANCELLED, 0)}


def test_session_cancel_leaves_the_doctors_other_sessions(session, admin_user):
    cancel(session, admin_user)

    kept = Appointment.objects.get(pk=session["kept"].pk)
    assert (kept.status, kept.slot.status, kept.slot.booked) == (AppointmentStatus.BOOKED, SlotStatus.OPEN, 1)


def test_session_cancel_notifies_each_patient_once_by_email_and_sms(session, admin_user):
    cancel(session, admin_user)

    notifications = list(session_notifications(session))
    assert [n.user for n in notifications] == sorted(session["accounts"], key=lambda a: a.pk)
    assert {(n.send_email, n.send_sms) for n in notifications} == {(True, True)}
    assert "Doctor called away to surgery" in notifications[0].body


def test_session_cancel_run_twice_still_notifies_each_patient_once(session, admin_user):
    first = cancel(session, admin_user)
    again = cancel(session, admin_user)

    assert (first, again) == (3, 0)
    assert session_notifications(session).count() == 3


def test_every_account_holder_of_a_patient_is_told(session, admin_user):
    daughter = factories.user(Role.PATIENT)
    factories.add_to_list(daughter, session["appointments"][0].patient)

    cancel(session, admin_user)

    assert session_notifications(session).filter(user=daughter).count() == 1


def test_a_cancelled_session_cannot_be_booked(session, admin_user):
    cancel(session, admin_user)
    account, own = factories.account_with_patient()

    with pytest.raises(SlotNotBookableError):
        services.appointment_book(patient=own, slot=session["slots"][0], booked_by=account)


def test_session_cancel_even_after_the_patients_cut_off(admin_user):
    slot = factories.slot(starts_at=timezone.now() + timezone.timedelta(minutes=20))
    account, own = factories.account_with_patient()
    services.appointment_book(patient=own, slot=slot, booked_by=account)

    assert services.session_cancel(doctor=slot.doctor, date=slot.date, session=slot.session, by=admin_user,
                                   reason="ill") == 1


def test_session_cancel_by_someone_without_the_permission_is_refused(session):
    with pytest.raises(PermissionRefused):
        cancel(session, factories.user(Role.FRONT_DESK))

    assert Appointment.objects.filter(status=AppointmentStatus.CANCELLED).count() == 0
    assert not session_notifications(session).exists()
