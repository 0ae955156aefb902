"""seed_demo's registration part: rooms, two weeks of schedules and slots, a few bookings; run twice, no change."""

import pytest
from django.core.management import call_command

from appointments.models import ACTIVE_STATUSES, Appointment, ConsultingRoom, Department, ScheduleTemplate, ServicePoint, Slot

pytestmark = pytest.mark.django_db


def snapshot() -> dict:
    return {
        "rooms": ConsultingRoom.objects.count(),
        "service_points": ServicePoint.objects.count(),
        "templates": ScheduleTemplate.objects.count(),
        "slots": sorted(Slot.objects.values_list("doctor_id", "starts_at", "booked")),
        "appointments": sorted(Appointment.objects.values_list("patient__name", "slot_id", "status")),
    }


def test_seed_demo_gives_schedules_slots_and_the_demo_familys_bookings():
    call_command("seed_demo", "--quiet-logins")

    assert ConsultingRoom.objects.count() == Department.objects.filter(is_active=True).count() == 5
    pharmacy = Department.objects.get(code="pharmacy", is_active=False)  # not bookable; its windows hand out medicines
    assert pharmacy.service_points.filter(kind="pharmacy_window", is_active=True).count() == 3
    assert Slot.objects.filter(template__isnull=False).count() > 0
    booked = Appointment.objects.filter(status__in=ACTIVE_STATUSES, booked_by__email="patient@demo.hospital")
    assert set(booked.values_list("patient__name", flat=True)) == {"刘芳", "刘建国"}
    assert all(s.booked == s.appointments.filter(status__in=ACTIVE_STATUSES).count() for s in Slot.objects.filter(booked__gt=0))


def test_seed_demo_run_twice_changes_nothing():
    call_command("seed_demo", "--quiet-logins")
    first = snapshot()

    call_command("seed_demo", "--quiet-logins")

    assert snapshot() == first
