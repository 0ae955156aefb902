"""The hospital's wall clock. Slots are defined in local time and stored in UTC (DESIGN.md, data rules).

The zone is read from ``settings.TIME_ZONE`` on every call, not cached, so a deployment (or a test)
that changes the setting gets its own wall clock.
"""

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import formats, timezone


def hospital_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def hospital_today() -> date:
    return timezone.now().astimezone(hospital_zone()).date()


def local_to_utc(day: date, at: time) -> datetime:
    """The UTC instant of wall-clock `at` on `day` in the hospital's zone.

    Across a daylight-saving change the wall clock is kept (09:00 stays 09:00), so the UTC time
    moves by the change. A time skipped by the spring-forward gap is read with the offset before
    the gap (PEP 495, fold=0); hospitals do not schedule sessions at 01:00–03:00 on such nights.
    """
    return datetime.combine(day, at, tzinfo=hospital_zone()).astimezone(UTC)


def local_time_text(moment: datetime) -> str:
    """`moment` as the hospital's date and wall-clock time, e.g. "2026-03-02 08:00"."""
    return formats.date_format(moment.astimezone(hospital_zone()), "Y-m-d H:i")
