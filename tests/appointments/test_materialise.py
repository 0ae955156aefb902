"""slots_materialise: templates → slots in the hospital's zone, exceptions, the release rule, idempotence.

Dates are fixed (the service does not look at the clock), in March 2026: Monday 2 March, and the
weeks around the daylight-saving changes of Europe/London (29 March) and America/New_York (8 March).
"""

from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from appointments import services
from appointments.models import (
    ConsultingRoom,
    ExceptionKind,
    ScheduleException,
    ScheduleTemplate,
    SessionOfDay,
    Slot,
    SlotStatus,
    Weekday,
)
from tests.appointments import factories

pytestmark = pytest.mark.django_db

MONDAY = date(2026, 3, 2)
SUNDAY = MONDAY + timedelta(days=6)


def template(doc, *, weekday=Weekday.MONDAY, session=SessionOfDay.MORNING, start=time(8, 0), end=time(10, 0),
             minutes=30, numbers=2, valid_from=date(2026, 1, 1), valid_to=None, **fields) -> ScheduleTemplate:
    return ScheduleTemplate.objects.create(doctor=doc, weekday=weekday, session=session, start_time=start, end_time=end,
                                           slot_minutes=minutes, numbers_per_slot=numbers, valid_from=valid_from,
                                           valid_to=valid_to, **fields)


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def slot_starts(doc=None, **filters) -> list[datetime]:
    slots = Slot.objects.filter(**filters)
    if doc is not None:
        slots = slots.filter(doctor=doc)
    return list(slots.order_by("starts_at").values_list("starts_at", flat=True))


def days_with_slots(doc) -> set[date]:
    return set(Slot.objects.filter(doctor=doc).values_list("date", flat=True))


@pytest.fixture
def doc():
    return factories.doctor()


# --- Templates, in a zone without daylight saving ---------------------------------------------------

@override_settings(TIME_ZONE="Asia/Shanghai", SLOT_RELEASE_DAYS_BEFORE=7, SLOT_RELEASE_HOUR=8)
def test_template_becomes_slots_at_local_times_stored_in_utc(doc):
    room = ConsultingRoom.objects.create(department=doc.department, code="r3", name="3诊室")
    tpl = template(doc, room=room)

    created = services.slots_materialise(date_from=MONDAY, date_to=SUNDAY)

    slots = list(Slot.objects.order_by("starts_at"))
    assert created == 4
    # 08:00 in Shanghai (UTC+8) is 00:00 UTC; four 30-minute slots up to 10:00.
    assert [s.starts_at for s in slots] == [utc(2026, 3, 2, 0, 0), utc(2026, 3, 2, 0, 30), utc(2026, 3, 2, 1, 0),
                                            utc(2026, 3, 2, 1, 30)]
    assert slots[-1].ends_at == utc(2026, 3, 2, 2, 0)
    first = slots[0]
    assert (first.date, first.session, first.capacity, first.booked, first.status) == (
        MONDAY, SessionOfDay.MORNING, 2, 0, SlotStatus.OPEN)
    assert (first.template, first.room, first.department) == (tpl, room, doc.department)


@override_settings(TIME_ZONE="Asia/Shanghai", SLOT_RELEASE_DAYS_BEFORE=7, SLOT_RELEASE_HOUR=8)
def test_numbers_are_released_at_the_release_hour_days_before(doc):
    template(doc)

    services.slots_materialise(date_from=MONDAY, date_to=MONDAY)

    # Monday 2 March opens on Monday 23 February at 08:00 Shanghai time, 00:00 UTC.
    assert set(Slot.objects.values_list("release_at", flat=True)) == {utc(2026, 2, 23, 0, 0)}


@override_settings(TIME_ZONE="Asia/Shanghai")
def test_early_morning_slot_belongs_to_the_local_date(doc):
    template(doc, start=time(7, 0), end=time(7, 30))

    services.slots_materialise(date_from=MONDAY, date_to=MONDAY)

    slot = Slot.objects.get()
    assert (slot.date, slot.starts_at) == (MONDAY, utc(2026, 3, 1, 23, 0))


def test_only_whole_slots_fit_in_a_session(doc):
    template(doc, start=time(8, 0), end=time(9, 10), minutes=30)

    assert services.slots_materialise(date_from=MONDAY, date_to=MONDAY) == 2


def test_template_validity_dates_and_active_flag_are_honoured(doc):
    template(doc, valid_from=MONDAY + timedelta(days=7), valid_to=MONDAY + timedelta(days=7))  # only the second Monday
    template(doc, weekday=Weekday.TUESDAY, is_active=False)

    services.slots_materialise(date_from=MONDAY, date_to=MONDAY + timedelta(days=20))

    assert days_with_slots(doc) == {MONDAY + timedelta(days=7)}


def test_doctors_not_seeing_patients_get_no_slots(doc):
    template(doc)
    doc.is_active = False
    doc.save()

    assert services.slots_materialise(date_from=MONDAY, date_to=SUNDAY) == 0


def test_only_the_given_doctors_are_materialised(doc):
    other = factories.doctor()
    template(doc)
    template(other)

    services.slots_materialise(date_from=MONDAY, date_to=SUNDAY, doctors=type(doc).objects.filter(pk=doc.pk))

    assert (days_with_slots(doc), days_with_slots(other)) == ({MONDAY}, set())


def test_progress_is_reported_per_doctor(doc):
    factories.doctor()
    calls = []

    services.slots_materialise(date_from=MONDAY, date_to=SUNDAY, progress=lambda done, total: calls.append((done, total)))

    assert calls == [(0, 2), (1, 2), (2, 2)]


# --- Idempotence ---------------------------------------------------------------------------------------

def test_materialising_again_creates_nothing_new(doc):
    template(doc)
    template(doc, weekday=Weekday.WEDNESDAY, session=SessionOfDay.AFTERNOON, start=time(14, 0), end=time(16, 0))
    first = services.slots_materialise(date_from=MONDAY, date_to=SUNDAY)

    again = services.slots_materialise(date_from=MONDAY, date_to=SUNDAY)

    assert (first, again, Slot.objects.count()) == (8, 0, 8)


def test_materialising_again_keeps_booked_and_cancelled_slots_as_they_are(doc):
    template(doc)
    services.slots_materialise(date_from=MONDAY, date_to=SUNDAY)
    booked, cancelled = Slot.objects.order_by("starts_at")[:2]
    Slot.objects.filter(pk=booked.pk).update(booked=1)
    Slot.objects.filter(pk=cancelled.pk).update(status=SlotStatus.CANCELLED)

    services.slots_materialise(date_from=MONDAY, date_to=SUNDAY)

    assert Slot.objects.count() == 4
    assert Slot.objects.get(pk=booked.pk).booked == 1
    assert Slot.objects.get(pk=cancelled.pk).status == SlotStatus.CANCELLED


def test_leave_added_after_materialising_does_not_cancel_existing_slots(doc):
    template(doc)
    services.slots_materialise(date_from=MONDAY, date_to=SUNDAY)
    ScheduleException.objects.create(doctor=doc, date=MONDAY, kind=ExceptionKind.LEAVE)

    services.slots_materialise(date_from=MONDAY, date_to=SUNDAY)

    assert Slot.objects.filter(doctor=doc, date=MONDAY, status=SlotStatus.OPEN).count() == 4  # session_cancel's job


# --- Exceptions ----------------------------------------------------------------------------------------

@pytest.fixture
def week(doc):
    """`doc` works Monday morning and afternoon and Tuesday morning."""
    template(doc)
    template(doc, session=SessionOfDay.AFTERNOON, start=time(14, 0), end=time(15, 0))
    template(doc, weekday=Weekday.TUESDAY)
    return doc


def sessions_on(doc, day: date) -> set[str]:
    return set(Slot.objects.filter(doctor=doc, date=day).values_list("session", flat=True))


def test_without_exceptions_the_week_follows_the_templates(week):
    services.slots_materialise(date_from=MONDAY, date_to=SUNDAY)

    assert (sessions_on(week, MONDAY), sessions_on(week, MONDAY + timedelta(days=1))) == (
        {SessionOfDay.MORNING, SessionOfDay.AFTERNOON}, {SessionOfDay.MORNING})


def test_leave_for_a_whole_day_removes_that_day_only(week):
    ScheduleException.objects.create(doctor=week, date=MONDAY, kind=ExceptionKind.LEAVE)

    services.slots_materialise(date_from=MONDAY, date_to=SUNDAY)

    assert days_with_slots(week) == {MONDAY + timedelta(days=1)}


def test_leave_for_one_session_removes_that_session_only(week):
    ScheduleException.objects.create(doctor=week, date=MONDAY, session=SessionOfDay.AFTERNOON, kind=ExceptionKind.LEAVE)

    services.slots_materialise(date_from=MONDAY, date_to=SUNDAY)

    assert sessions_on(week, MONDAY) == {SessionOfDay.MORNING}


def test_another_doctors_leave_does_not_touch_this_doctor(week):
    ScheduleException.objects.create(doctor=factories.doctor(), date=MONDAY, kind=ExceptionKind.LEAVE)

    services.slots_materialise(date_from=MONDAY, date_to=SUNDAY)

    assert sessions_on(week, MONDAY) == {SessionOfDay.MORNING, SessionOfDay.AFTERNOON}


def test_public_holiday_for_everyone_closes_every_doctor(week):
    other = factories.doctor()
    template(other)
    ScheduleException.objects.create(date=MONDAY, kind=ExceptionKind.HOLIDAY, reason="清明节")

    services.slots_materialise(date_from=MONDAY, date_to=SUNDAY)

    assert (days_with_slots(week), days_with_slots(other)) == ({MONDAY + timedelta(days=1)}, set())


def test_public_holiday_for_one_session_keeps_the_other(week):
    ScheduleException.objects.create(date=MONDAY, session=SessionOfDay.MORNING, kind=ExceptionKind.HOLIDAY)

    services.slots_materialise(date_from=MONDAY, date_to=SUNDAY)

    assert sessions_on(week, MONDAY) == {SessionOfDay.AFTERNOON}


@override_settings(TIME_ZONE="Asia/Shanghai")
def test_extra_session_adds_slots_on_a_day_without_a_template(week):
    room = ConsultingRoom.objects.create(department=week.department, code="r9", name="9诊室")
    wednesday = MONDAY + timedelta(days=2)
    ScheduleException.objects.create(doctor=week, date=wednesday, session=SessionOfDay.EVENING, kind=ExceptionKind.EXTRA,
                                     start_time=time(18, 0), end_time=time(19, 0), slot_minutes=20, numbers_per_slot=3,
                                     room=room)

    services.slots_materialise(date_from=MONDAY, date_to=SUNDAY)

    extra = list(Slot.objects.filter(doctor=week, date=wednesday).order_by("starts_at"))
    assert [s.starts_at for s in extra] == [utc(2026, 3, 4, 10, 0), utc(2026, 3, 4, 10, 20), utc(2026, 3, 4, 10, 40)]
    assert {(s.capacity, s.session, s.room_id, s.template_id) for s in extra} == {(3, SessionOfDay.EVENING, room.pk, None)}


def test_extra_session_on_a_public_holiday_is_kept(week):
    ScheduleException.objects.create(date=MONDAY, kind=ExceptionKind.HOLIDAY)
    ScheduleException.objects.create(doctor=week, date=MONDAY, session=SessionOfDay.MORNING, kind=ExceptionKind.EXTRA,
                                     start_time=time(9, 0), end_time=time(10, 0), slot_minutes=30, numbers_per_slot=1)

    services.slots_materialise(date_from=MONDAY, date_to=SUNDAY)

    assert Slot.objects.filter(doctor=week, date=MONDAY).count() == 2  # the holiday clinic, not the usual templates


# --- Daylight saving ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(("zone", "before", "after", "utc_hour_before", "utc_hour_after"), [
    # Britain: GMT (UTC+0) until Sunday 29 March 2026, then BST (UTC+1).
    ("Europe/London", date(2026, 3, 23), date(2026, 3, 30), 9, 8),
    # New York: EST (UTC-5) until Sunday 8 March 2026, then EDT (UTC-4)...
    ("America/New_York", date(2026, 3, 2), date(2026, 3, 9), 14, 13),
    # ...and back to EST on Sunday 1 November 2026.
    ("America/New_York", date(2026, 10, 26), date(2026, 11, 2), 13, 14),
])
def test_a_nine_oclock_session_stays_at_nine_local_across_the_dst_change(doc, zone, before, after, utc_hour_before,
                                                                         utc_hour_after):
    template(doc, start=time(9, 0), end=time(9, 30), minutes=30, valid_from=date(2026, 1, 1))

    with override_settings(TIME_ZONE=zone), timezone.override(zone):
        services.slots_materialise(date_from=before, date_to=after)
        slots = list(Slot.objects.filter(doctor=doc).order_by("starts_at"))
        local = [timezone.localtime(s.starts_at).time() for s in slots]

    assert [s.date for s in slots] == [before, after]
    assert local == [time(9, 0), time(9, 0)]
    assert [s.starts_at.astimezone(UTC).hour for s in slots] == [utc_hour_before, utc_hour_after]
    assert slots[1].ends_at - slots[1].starts_at == timedelta(minutes=30)


@override_settings(TIME_ZONE="Europe/London", SLOT_RELEASE_DAYS_BEFORE=7, SLOT_RELEASE_HOUR=8)
def test_release_time_keeps_the_local_hour_across_the_dst_change(doc):
    template(doc)

    services.slots_materialise(date_from=date(2026, 3, 30), date_to=date(2026, 4, 6))

    release = dict(Slot.objects.values_list("date", "release_at").distinct())
    # 30 March opens on 23 March at 08:00 GMT; 6 April opens on 30 March at 08:00 BST, 07:00 UTC.
    assert release == {date(2026, 3, 30): utc(2026, 3, 23, 8, 0), date(2026, 4, 6): utc(2026, 3, 30, 7, 0)}


@override_settings(TIME_ZONE="Asia/Shanghai")
def test_shanghai_has_no_dst_so_the_utc_time_never_moves(doc):
    template(doc, start=time(9, 0), end=time(9, 30))

    services.slots_materialise(date_from=date(2026, 3, 2), date_to=date(2026, 11, 2))

    assert {s.astimezone(UTC).time() for s in slot_starts(doc)} == {time(1, 0)}
    assert len(slot_starts(doc)) == 36
