"""The registration admin, driven as a hospital administrator through the Django test client."""

import re
from datetime import time, timedelta

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.roles import Role
from appointments import services, tasks
from appointments.localtime import hospital_today
from appointments.models import (
    Appointment,
    AppointmentStatus,
    ConsultingRoom,
    ExceptionKind,
    ScheduleException,
    ScheduleTemplate,
    SessionOfDay,
    Slot,
    SlotStatus,
)
from notifications.models import Notification
from tests.appointments import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(factories.user(Role.HOSPITAL_ADMIN, is_staff=True))
    return client


def changelist(model: str) -> str:
    return reverse(f"admin:appointments_{model}_changelist")


def weekly_templates(doc) -> None:
    """`doc` works every weekday morning, 08:00–09:00 in 30-minute slots."""
    for weekday in range(5):
        ScheduleTemplate.objects.create(doctor=doc, weekday=weekday, session=SessionOfDay.MORNING, start_time=time(8, 0),
                                        end_time=time(9, 0), slot_minutes=30, numbers_per_slot=2,
                                        valid_from=hospital_today() - timedelta(days=1))


def scripts_without_src(html: str) -> list[str]:
    return [tag for tag in re.findall(r"<script\b[^>]*>", html) if "src=" not in tag]


# --- Generate slots ------------------------------------------------------------------------------------------

def test_generate_slots_asks_how_many_days(admin_client):
    doc = factories.doctor()

    offered = admin_client.get(changelist("doctorprofile")).content.decode()
    response = admin_client.post(changelist("doctorprofile"), {"action": "generate_slots", ACTION_CHECKBOX_NAME: [doc.pk]})

    assert 'value="generate_slots"' in offered
    assert response.status_code == 200
    assert 'name="days"' in response.content.decode()
    assert not Slot.objects.exists()


def test_generate_slots_from_doctors_runs_the_task_and_shows_its_progress(admin_client, django_capture_on_commit_callbacks):
    doc, other = factories.doctor(), factories.doctor()
    weekly_templates(doc)
    weekly_templates(other)

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(changelist("doctorprofile"), {
            "action": "generate_slots", ACTION_CHECKBOX_NAME: [doc.pk], "days": 14})

    assert response.status_code == 302
    job_id = response["Location"].rstrip("/").rsplit("/", 1)[-1]
    assert Slot.objects.filter(doctor=doc).count() == 2 * 10 + 2 * int(hospital_today().weekday() < 5)
    assert not Slot.objects.filter(doctor=other).exists()

    page = admin_client.get(response["Location"])
    html = page.content.decode()
    assert page.status_code == 200
    assert 'id="slot-generation-bar"' in html and "js/job-progress.js" in html
    assert scripts_without_src(html) == []  # the polling script is a static file, never inline

    progress = admin_client.get(reverse("admin:appointments_slot_generation_progress", args=[job_id])).json()
    assert (progress["state"], progress["percent"], progress["created"]) == ("done", 100, Slot.objects.count())


def test_generate_slots_from_templates_covers_their_doctors(admin_client, django_capture_on_commit_callbacks):
    doc = factories.doctor()
    weekly_templates(doc)

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(changelist("scheduletemplate"), {
            "action": "generate_slots", ACTION_CHECKBOX_NAME: list(doc.schedule_templates.values_list("pk", flat=True)),
            "days": 7})

    assert response.status_code == 302
    assert Slot.objects.filter(doctor=doc).exists()


def test_generate_slots_refuses_too_many_days(admin_client):
    doc = factories.doctor()
    weekly_templates(doc)

    response = admin_client.post(changelist("doctorprofile"), {
        "action": "generate_slots", ACTION_CHECKBOX_NAME: [doc.pk], "days": 1000})

    assert response.status_code == 200
    assert not Slot.objects.exists()


def test_progress_of_a_running_job_is_reported_as_a_percentage(admin_client):
    tasks.slotgen_progress_set("job123", state="running", done=3, total=4)

    progress = admin_client.get(reverse("admin:appointments_slot_generation_progress", args=["job123"])).json()

    assert (progress["state"], progress["percent"]) == ("running", 75)


def test_progress_of_an_unknown_job_is_not_found(admin_client):
    assert admin_client.get(reverse("admin:appointments_slot_generation_progress", args=["nojob"])).status_code == 404


def test_staff_without_slot_rights_cannot_generate_slots(client):
    client.force_login(factories.user(Role.FRONT_DESK, is_staff=True))
    doc = factories.doctor()
    weekly_templates(doc)

    offered = client.get(changelist("doctorprofile")).content.decode()
    client.post(changelist("doctorprofile"), {"action": "generate_slots", ACTION_CHECKBOX_NAME: [doc.pk], "days": 7})

    assert 'value="generate_slots"' not in offered
    assert not Slot.objects.exists()


# --- Cancel this session --------------------------------------------------------------------------------------

@pytest.fixture
def booked_session():
    doc = factories.doctor()
    slots = [factories.slot(doc=doc, at=time(8, 0)), factories.slot(doc=doc, at=time(8, 30))]
    accounts = []
    for slot in slots:
        account, own = factories.account_with_patient()
        services.appointment_book(patient=own, slot=slot, booked_by=account)
        accounts.append(account)
    return slots, accounts


def test_cancel_session_asks_for_a_reason_first(admin_client, booked_session):
    slots, _ = booked_session

    response = admin_client.post(changelist("slot"), {"action": "cancel_sessions", ACTION_CHECKBOX_NAME: [slots[0].pk]})

    html = response.content.decode()
    assert response.status_code == 200
    assert 'name="reason"' in html and "2 appointments" in html  # the whole session, not only the selected slot
    assert not Appointment.objects.filter(status=AppointmentStatus.CANCELLED).exists()


def test_cancel_session_without_a_reason_is_refused(admin_client, booked_session):
    slots, _ = booked_session

    response = admin_client.post(changelist("slot"), {"action": "cancel_sessions", ACTION_CHECKBOX_NAME: [slots[0].pk],
                                                      "reason": ""})

    assert response.status_code == 200
    assert not Appointment.objects.filter(status=AppointmentStatus.CANCELLED).exists()


def test_cancel_session_cancels_it_and_notifies_each_patient_once(admin_client, booked_session):
    slots, accounts = booked_session

    response = admin_client.post(changelist("slot"), {
        "action": "cancel_sessions", ACTION_CHECKBOX_NAME: [s.pk for s in slots], "reason": "医生临时手术"})

    assert response.status_code == 302
    assert set(Slot.objects.values_list("status", "booked")) == {(SlotStatus.CANCELLED, 0)}
    assert set(Appointment.objects.values_list("status", flat=True)) == {AppointmentStatus.CANCELLED}
    notified = Notification.objects.filter(key__endswith=":session-cancelled")
    assert sorted(notified.values_list("user_id", flat=True)) == sorted(a.pk for a in accounts)
    # Each number has its own plural: one session, two appointments.
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "Cancelled 1 session and 2 appointments; the patients have been notified."]


# --- Slots and appointments are read-mostly ------------------------------------------------------------------

def test_slots_cannot_be_added_by_hand(admin_client):
    assert admin_client.get(reverse("admin:appointments_slot_add")).status_code == 403


def test_slot_capacity_can_be_raised(admin_client):
    slot = factories.slot(capacity=2, booked=1)

    response = admin_client.post(reverse("admin:appointments_slot_change", args=[slot.pk]), {"room": "", "capacity": 4})

    assert response.status_code == 302
    assert Slot.objects.get(pk=slot.pk).capacity == 4


def test_slot_capacity_below_the_booked_numbers_is_refused(admin_client):
    slot = factories.slot(capacity=3, booked=2)

    response = admin_client.post(reverse("admin:appointments_slot_change", args=[slot.pk]), {"room": "", "capacity": 1})

    assert response.status_code == 200
    assert Slot.objects.get(pk=slot.pk).capacity == 3


def test_slot_list_filters_by_department_and_status(admin_client):
    wanted = factories.slot()
    factories.slot()  # another department
    factories.slot(doc=wanted.doctor, at=time(11, 0), status=SlotStatus.CANCELLED)

    response = admin_client.get(changelist("slot"), {"department__id__exact": wanted.department_id, "status__exact": "open"})

    assert list(response.context["cl"].result_list) == [wanted]


def test_appointments_are_found_by_patient_mrn_phone_and_initials(admin_client):
    desk = factories.user(Role.FRONT_DESK)
    wanted = factories.patient(name="张三明", phone="13712345678")
    services.appointment_book(patient=wanted, slot=factories.slot(), booked_by=desk)
    services.appointment_book(patient=factories.patient(name="李四"), slot=factories.slot(), booked_by=desk)

    for query in (wanted.mrn, "13712345678", "zsm", "张三"):
        response = admin_client.get(changelist("appointment"), {"q": query})
        assert [a.patient for a in response.context["cl"].result_list] == [wanted], query


def test_appointment_page_shows_its_history_read_only(admin_client):
    account, own = factories.account_with_patient()
    appointment = services.appointment_book(patient=own, slot=factories.slot(), booked_by=account)
    services.appointment_cancel(appointment=appointment, by=account, reason="feeling better")

    response = admin_client.get(reverse("admin:appointments_appointment_change", args=[appointment.pk]))

    html = response.content.decode()
    assert response.status_code == 200
    assert "feeling better" in html and 'name="status"' not in html
    assert admin_client.get(reverse("admin:appointments_appointment_add")).status_code == 403


# --- Changelists cost the same for 1 row as for 10 -----------------------------------------------------------

def make_slot_row(i: int) -> None:
    factories.slot(at=time(8, 0) if i % 2 else time(9, 0))


def make_appointment_row(i: int) -> None:
    desk = factories.user(Role.FRONT_DESK)
    services.appointment_book(patient=factories.patient(), slot=factories.slot(), booked_by=desk)


def make_template_row(i: int) -> None:
    doc = factories.doctor()
    room = ConsultingRoom.objects.create(department=doc.department, code=f"room{doc.pk}", name=f"{i}诊室")
    ScheduleTemplate.objects.create(doctor=doc, room=room, weekday=i % 7, session=SessionOfDay.MORNING, start_time=time(8),
                                    end_time=time(12), valid_from=hospital_today())


def make_exception_row(i: int) -> None:
    doc = factories.doctor()
    ScheduleException.objects.create(doctor=doc, date=hospital_today() + timedelta(days=i), kind=ExceptionKind.LEAVE)


def make_doctor_row(i: int) -> None:
    factories.doctor()


def make_room_row(i: int) -> None:
    ConsultingRoom.objects.create(department=factories.department(), code=f"rm{i}", name=f"{i}诊室")


@pytest.mark.parametrize(("model", "make_row"), [
    ("slot", make_slot_row), ("appointment", make_appointment_row), ("scheduletemplate", make_template_row),
    ("scheduleexception", make_exception_row), ("doctorprofile", make_doctor_row), ("consultingroom", make_room_row),
])
def test_changelist_queries_do_not_grow_with_rows(admin_client, django_assert_num_queries, model, make_row):
    make_row(0)
    with CaptureQueriesContext(connection) as one_row:
        assert admin_client.get(changelist(model)).status_code == 200
    for i in range(1, 10):
        make_row(i)

    with django_assert_num_queries(len(one_row)):
        response = admin_client.get(changelist(model))

    assert response.context["cl"].result_count == 10
