"""The staff directory: a doctor created in one go (or not at all), and staff deactivated without losing history."""

from datetime import time, timedelta

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from accounts.models import User
from accounts.roles import Role
from appointments import services as appointment_services
from appointments.localtime import hospital_today
from appointments.models import (
    Appointment,
    AppointmentStatus,
    ConsultingRoom,
    DoctorProfile,
    DoctorTitle,
    ScheduleTemplate,
    SessionOfDay,
    Slot,
    SlotStatus,
)
from backoffice import services
from backoffice.errors import DoctorDetailsInvalid, StaffDeactivationRefused
from notifications.models import Notification
from tests.appointments import factories
from tests.backoffice.world import admin_user

pytestmark = pytest.mark.django_db

PASSWORD = "Clear-Harbour-2031"


@pytest.fixture
def admin(db):
    return admin_user()


@pytest.fixture
def admin_client(client, admin):
    client.force_login(admin)
    return client


def doctor_form(department, **overrides) -> dict:
    data = {
        "name": "李医生", "email": "li.doctor@example.test", "phone": "13700001111", "password": PASSWORD,
        "title": DoctorTitle.ATTENDING, "department": department.pk, "room": "", "new_room_code": "cardio-3",
        "new_room_name": "3诊室", "valid_from": hospital_today().isoformat(),
        "sessions-TOTAL_FORMS": "3", "sessions-INITIAL_FORMS": "0", "sessions-MIN_NUM_FORMS": "0",
        "sessions-MAX_NUM_FORMS": "21",
        "sessions-0-weekday": "0", "sessions-0-session": "morning", "sessions-0-start_time": "08:00",
        "sessions-0-end_time": "12:00", "sessions-0-slot_minutes": "15", "sessions-0-numbers_per_slot": "2",
        "sessions-1-weekday": "2", "sessions-1-session": "afternoon", "sessions-1-start_time": "14:00",
        "sessions-1-end_time": "17:00", "sessions-1-slot_minutes": "20", "sessions-1-numbers_per_slot": "1",
        "sessions-2-weekday": "", "sessions-2-session": "", "sessions-2-start_time": "", "sessions-2-end_time": "",
        "sessions-2-slot_minutes": "15", "sessions-2-numbers_per_slot": "1",
    }
    data.update(overrides)
    return data


def nothing_created() -> bool:
    return (not User.objects.filter(email="li.doctor@example.test").exists() and not DoctorProfile.objects.exists()
            and not ConsultingRoom.objects.exists() and not ScheduleTemplate.objects.exists())


# --- Creating a doctor ---------------------------------------------------------------------------------------

def test_the_form_page_opens_with_labels_on_every_field(admin_client):
    html = admin_client.get(reverse("admin:backoffice_doctor_create")).content.decode()

    for name in ("name", "email", "password", "department", "new_room_code", "sessions-0-weekday", "sessions-2-end_time"):
        assert f'for="id_{name}"' in html


def test_a_doctor_is_created_in_one_go(admin_client):
    department = factories.department()

    response = admin_client.post(reverse("admin:backoffice_doctor_create"), doctor_form(department))

    assert response.status_code == 302 and "q=li.doctor" in response["Location"]
    doctor = DoctorProfile.objects.select_related("user").get()
    assert (doctor.user.name, doctor.department, doctor.title) == ("李医生", department, DoctorTitle.ATTENDING)
    assert doctor.user.is_active and doctor.user.is_staff and doctor.user.has_role(Role.DOCTOR)
    assert doctor.user.check_password(PASSWORD)
    room = ConsultingRoom.objects.get(code="cardio-3")
    assert room.department == department
    templates = list(doctor.schedule_templates.order_by("weekday").values_list(
        "weekday", "session", "start_time", "end_time", "slot_minutes", "numbers_per_slot", "room_id"))
    assert templates == [(0, "morning", time(8), time(12), 15, 2, room.pk), (2, "afternoon", time(14), time(17), 20, 1, room.pk)]


def test_a_doctor_can_use_an_existing_room_of_the_department(admin_client):
    department = factories.department()
    room = ConsultingRoom.objects.create(department=department, code="r1", name="1诊室")

    admin_client.post(reverse("admin:backoffice_doctor_create"),
                      doctor_form(department, room=room.pk, new_room_code="", new_room_name=""))

    assert set(ScheduleTemplate.objects.values_list("room_id", flat=True)) == {room.pk}


def test_an_email_already_used_is_refused_beside_the_field_and_nothing_is_created(admin_client):
    department = factories.department()
    factories.user(email="li.doctor@example.test")

    response = admin_client.post(reverse("admin:backoffice_doctor_create"), doctor_form(department))

    assert response.status_code == 200
    assert response.context["form"].errors["email"] == ["Someone already signs in with this email address."]
    assert not DoctorProfile.objects.exists() and not ConsultingRoom.objects.exists()


def test_a_room_of_another_department_is_refused(admin_client):
    department = factories.department()
    elsewhere = ConsultingRoom.objects.create(department=factories.department(), code="r9", name="9诊室")

    response = admin_client.post(reverse("admin:backoffice_doctor_create"),
                                 doctor_form(department, room=elsewhere.pk, new_room_code="", new_room_name=""))

    assert response.context["form"].errors["room"] == ["This room belongs to another department."]
    assert not DoctorProfile.objects.exists() and not User.objects.filter(email="li.doctor@example.test").exists()


def test_a_session_ending_before_it_starts_is_refused(admin_client):
    department = factories.department()

    response = admin_client.post(reverse("admin:backoffice_doctor_create"),
                                 doctor_form(department, **{"sessions-1-end_time": "13:00"}))

    assert response.status_code == 200
    assert response.context["formset"].forms[1].errors["end_time"] == ["The session ends before it starts."]
    assert nothing_created()


def test_overlapping_sessions_are_refused(admin_client):
    department = factories.department()

    response = admin_client.post(reverse("admin:backoffice_doctor_create"), doctor_form(department, **{
        "sessions-1-weekday": "0", "sessions-1-session": "morning", "sessions-1-start_time": "11:00",
        "sessions-1-end_time": "13:00"}))

    assert "Sessions 1 and 2 overlap on the same weekday." in response.content.decode()
    assert nothing_created()


def test_a_weak_password_is_refused(admin_client):
    response = admin_client.post(reverse("admin:backoffice_doctor_create"),
                                 doctor_form(factories.department(), password="12345678"))

    assert response.context["form"].errors["password"]
    assert nothing_created()


def test_a_part_failing_while_saving_leaves_nothing(admin):
    """The schedule's slot length breaks a database constraint after the login, profile and room were written:
    the whole doctor is rolled back."""
    department = factories.department()

    with pytest.raises(DoctorDetailsInvalid) as refused:
        services.doctor_create(by=admin, name="李医生", email="li.doctor@example.test", password=PASSWORD,
                               title=DoctorTitle.ATTENDING, department=department, new_room_code="cardio-3",
                               new_room_name="3诊室", sessions=[
                                   services.WeeklySession(0, SessionOfDay.MORNING, time(8), time(12), 15, 2),
                                   services.WeeklySession(1, SessionOfDay.MORNING, time(8), time(12), 500, 2)])

    assert "Nothing was created" in str(refused.value.errors["__all__"][0])
    assert nothing_created()


def test_staff_without_the_rights_cannot_create_doctors(client):
    client.force_login(factories.user(Role.FRONT_DESK, is_staff=True))

    assert client.get(reverse("admin:backoffice_doctor_create")).status_code == 403
    assert client.post(reverse("admin:backoffice_doctor_create"), doctor_form(factories.department())).status_code == 403
    assert nothing_created()


# --- The directory and deactivation --------------------------------------------------------------------------

def test_the_directory_lists_staff_with_roles_and_departments_not_patients(admin_client):
    doctor = factories.doctor()
    nurse = factories.user(Role.NURSE, name="护士甲")
    patient, _own = factories.account_with_patient()

    html = admin_client.get(reverse("admin:backoffice_staffmember_changelist")).content.decode()

    assert doctor.user.name in html and doctor.department.name_en in html and nurse.name in html
    assert "Nurse" in html and patient.name not in html
    assert reverse("admin:backoffice_doctor_create") in html


def test_the_directory_costs_the_same_queries_for_more_staff(admin_client, django_assert_max_num_queries):
    for _n in range(3):
        factories.doctor()
    url = reverse("admin:backoffice_staffmember_changelist")
    admin_client.get(url)
    with django_assert_max_num_queries(12) as few:
        admin_client.get(url)
    for _n in range(10):
        factories.doctor()
        factories.user(Role.NURSE)
    with django_assert_max_num_queries(len(few.captured_queries)):
        admin_client.get(url)


@pytest.fixture
def booked_doctor():
    """A doctor with a booked session in two days (and a past, completed one that must stay as it was)."""
    doctor = factories.doctor()
    upcoming = factories.slot(doc=doctor, day=hospital_today() + timedelta(days=2), at=time(9, 0), capacity=2)
    account, patient = factories.account_with_patient()
    appointment = appointment_services.appointment_book(patient=patient, slot=upcoming, booked_by=account)
    past = factories.slot(doc=doctor, day=hospital_today() - timedelta(days=3), at=time(9, 0))
    done = Appointment.objects.create(patient=patient, slot=past, doctor=doctor, date=past.date, session=past.session,
                                      status=AppointmentStatus.COMPLETED, booked_by=account)
    return doctor, appointment, done, account


def deactivate(client, people, reason="Retired"):
    return client.post(reverse("admin:backoffice_staffmember_changelist"), {
        "action": "deactivate", ACTION_CHECKBOX_NAME: [p.pk for p in people], "confirm": "1", "reason": reason},
        follow=True)


def test_deactivation_asks_for_confirmation_first(admin_client, booked_doctor):
    doctor, *_rest = booked_doctor

    response = admin_client.post(reverse("admin:backoffice_staffmember_changelist"), {
        "action": "deactivate", ACTION_CHECKBOX_NAME: [doctor.user.pk]})

    assert response.status_code == 200 and 'name="confirm"' in response.content.decode()
    assert User.objects.get(pk=doctor.user.pk).is_active


def test_deactivating_a_doctor_closes_login_and_future_sessions_and_keeps_history(admin_client, booked_doctor):
    doctor, appointment, done, account = booked_doctor
    signed_in = Client()
    signed_in.post(reverse("accounts:login"), {"username": doctor.user.email, "password": "Quiet-River-2024"})
    assert "_auth_user_id" in signed_in.session  # the doctor could sign in until now

    response = deactivate(admin_client, [doctor.user])

    user = User.objects.get(pk=doctor.user.pk)
    doctor.refresh_from_db()
    appointment.refresh_from_db()
    done.refresh_from_db()
    assert "Deactivated 1 member of staff" in response.content.decode()
    assert (user.is_active, doctor.is_active) == (False, False)
    assert appointment.status == AppointmentStatus.CANCELLED and appointment.cancel_reason == "Retired"
    assert Slot.objects.get(pk=appointment.slot_id).status == SlotStatus.CANCELLED
    assert done.status == AppointmentStatus.COMPLETED  # the past stays as it was
    assert Notification.objects.filter(user=account, key=f"appointment:{appointment.pk}:session-cancelled").exists()
    assert not signed_in.get("/").wsgi_request.user.is_authenticated  # their open session ends at the next request
    visitor = Client()
    visitor.post(reverse("accounts:login"), {"username": user.email, "password": "Quiet-River-2024"})
    assert "_auth_user_id" not in visitor.session


def test_a_deactivated_doctor_gets_no_new_slots(admin, booked_doctor):
    doctor, *_rest = booked_doctor
    ScheduleTemplate.objects.create(doctor=doctor, weekday=0, session=SessionOfDay.MORNING, start_time=time(8),
                                    end_time=time(9), valid_from=hospital_today())
    services.staff_deactivate(user=doctor.user, by=admin)

    made = appointment_services.slots_materialise(date_from=hospital_today(), date_to=hospital_today() + timedelta(days=14))

    assert made == 0


def test_nobody_can_deactivate_themselves(admin):
    with pytest.raises(StaffDeactivationRefused):
        services.staff_deactivate(user=admin, by=admin)


def test_a_bulk_deactivation_failing_half_way_changes_nobody_and_names_the_row(admin_client, admin, booked_doctor):
    doctor, appointment, *_rest = booked_doctor
    nurse = factories.user(Role.NURSE, name="Aaron Nurse")
    admin.name = "Bella Admin"
    admin.save(update_fields=["name"])
    doctor.user.name = "Zhao Doctor"
    doctor.user.save(update_fields=["name"])

    response = deactivate(admin_client, [nurse, admin, doctor.user])  # in name order: nurse, admin (refused), doctor

    shown = [str(m) for m in get_messages(response.wsgi_request)] or [response.content.decode()]
    assert any("Nothing was changed: row 2 (Bella Admin) failed" in m for m in shown)
    assert User.objects.filter(pk__in=[nurse.pk, admin.pk, doctor.user.pk], is_active=True).count() == 3
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.BOOKED


def test_staff_are_never_deleted_from_the_directory(admin_client, booked_doctor):
    html = admin_client.get(reverse("admin:backoffice_staffmember_changelist")).content.decode()

    assert 'value="delete_selected"' not in html and 'value="deactivate"' in html
