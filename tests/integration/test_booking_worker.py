"""Registration's background work through a real Celery worker, fed through Redis (issue 3).

The test process only publishes; the worker, a separate process on the same test database and
Redis, does the work, as beat and the admin's actions would have it done in a deployment.
"""

from datetime import timedelta

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role
from appointments import services, tasks
from appointments.localtime import hospital_today
from appointments.models import Appointment, AppointmentStatus, DoctorTitle, ScheduleTemplate, SessionOfDay, Slot
from config.celery import app
from notifications.models import Notification
from tests.appointments import factories
from tests.servers import wait_until
from tests.services import require_postgres, require_redis

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def services_present():
    require_postgres()
    require_redis()


def test_the_worker_releases_an_expired_hold_and_frees_the_number(celery_worker):
    assert not app.conf.task_always_eager  # published to Redis, not run here
    account, herself = factories.account_with_patient()
    slot = factories.slot(capacity=1)
    with override_settings(REGISTRATION_FEES={DoctorTitle.ATTENDING: "25"}):
        held = services.appointment_book(patient=herself, slot=slot, booked_by=account)
    assert (held.status, Slot.objects.get(pk=slot.pk).booked) == (AppointmentStatus.HELD, 1)
    Appointment.objects.filter(pk=held.pk).update(hold_expires_at=timezone.now() - timedelta(minutes=1))

    tasks.holds_expire.delay()  # what beat sends every minute

    wait_until(lambda: Slot.objects.get(pk=slot.pk).booked == 0, timeout=30, message="the worker freeing the number")
    held.refresh_from_db()
    assert held.status == AppointmentStatus.EXPIRED
    assert Notification.objects.filter(user=account, key=f"appointment:{held.pk}:expired").count() == 1


def test_admin_slot_generation_runs_on_the_worker_and_reports_progress(celery_worker, client):
    doc = factories.doctor()
    for weekday in range(7):
        ScheduleTemplate.objects.create(doctor=doc, weekday=weekday, session=SessionOfDay.MORNING, start_time="08:00",
                                        end_time="09:00", slot_minutes=30, numbers_per_slot=2,
                                        valid_from=hospital_today())
    client.force_login(factories.user(Role.HOSPITAL_ADMIN, is_staff=True))

    response = client.post(reverse("admin:appointments_doctorprofile_changelist"), {
        "action": "generate_slots", ACTION_CHECKBOX_NAME: [doc.pk], "days": 6})
    assert response.status_code == 302
    job_id = response["Location"].rstrip("/").rsplit("/", 1)[-1]
    progress_url = reverse("admin:appointments_slot_generation_progress", args=[job_id])

    progress = wait_until(lambda: (p := client.get(progress_url).json())["state"] == "done" and p, timeout=30,
                          message="the worker finishing slot generation")

    assert (progress["percent"], progress["created"]) == (100, 14)  # 7 days × 2 slots, made by the worker
    assert Slot.objects.filter(doctor=doc).count() == 14
