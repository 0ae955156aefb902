"""Acceptance 1 (issue 8): each dashboard figure equals the value computed by hand from the seeded history
(tests/backoffice/world.py says where each number comes from)."""

from datetime import timedelta

import pytest
from django.core.cache import cache

from appointments.localtime import hospital_today
from appointments.models import Appointment, AppointmentStatus
from backoffice import figures
from tests.backoffice import world

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded():
    return world.seed()


# Both days, every department: waits 5, 10, 12, 15, 20, 30 and consultations 4, 6, 8, 9, 10 minutes.
HAND_COMPUTED_ALL = {
    "visits": 5,
    "bookings": 6,
    "capacity": 12,
    "utilisation": 0.5,
    "no_shows": 2,
    "no_show_rate": pytest.approx(2 / 6),
    "wait_median": pytest.approx(13.5),    # (12 + 15) / 2
    "wait_p90": pytest.approx(25.0),       # position 0.9 × 5 = 4.5: 20 + 0.5 × (30 − 20)
    "consult_median": pytest.approx(8.0),
    "consult_p90": pytest.approx(9.6),     # position 0.9 × 4 = 3.6: 9 + 0.6 × (10 − 9)
    "alerts_opened": 2,
    "alerts_escalated": 1,
}

# Department A alone: waits 5, 10, 15, 20, 30 and consultations 4, 6, 8, 10.
HAND_COMPUTED_A = {
    "visits": 4,
    "bookings": 4,
    "capacity": 8,
    "utilisation": 0.5,
    "no_shows": 1,
    "no_show_rate": 0.25,
    "wait_median": pytest.approx(15.0),
    "wait_p90": pytest.approx(26.0),       # position 3.6: 20 + 0.6 × 10
    "consult_median": pytest.approx(7.0),
    "consult_p90": pytest.approx(9.4),     # position 2.7: 8 + 0.7 × 2
    "alerts_opened": 2,
    "alerts_escalated": 1,
}


@pytest.mark.parametrize("figure", HAND_COMPUTED_ALL)
def test_figure_for_all_departments_equals_the_hand_computed_value(seeded, figure):
    result = figures.dashboard_compute(date_from=seeded.day, date_to=seeded.next_day)

    assert result.totals[figure] == HAND_COMPUTED_ALL[figure]


@pytest.mark.parametrize("figure", HAND_COMPUTED_A)
def test_figure_for_one_department_equals_the_hand_computed_value(seeded, figure):
    result = figures.dashboard_compute(date_from=seeded.day, date_to=seeded.next_day, department_id=seeded.dept_a.pk)

    assert result.totals[figure] == HAND_COMPUTED_A[figure]


def test_figures_per_day_split_the_period(seeded):
    result = figures.dashboard_compute(date_from=seeded.day, date_to=seeded.next_day)

    assert result.by_day.loc[seeded.day, "visits"] == 4 and result.by_day.loc[seeded.next_day, "visits"] == 1
    assert result.by_day.loc[seeded.next_day, "no_show_rate"] == 0.5
    assert result.by_day.loc[seeded.next_day, "wait_median"] == 12


def test_figures_per_department_split_the_period(seeded):
    result = figures.dashboard_compute(date_from=seeded.day, date_to=seeded.next_day)

    b = result.by_department.loc[seeded.dept_b.pk]
    assert (b["capacity"], b["bookings"], b["utilisation"], b["consult_median"]) == (4, 2, 0.5, 9)


def test_alerts_open_and_escalated_now(seeded):
    result = figures.dashboard_compute(date_from=seeded.day, date_to=seeded.day, department_id=seeded.dept_a.pk)
    other = figures.dashboard_compute(date_from=seeded.day, date_to=seeded.day, department_id=seeded.dept_b.pk)

    assert result.alerts_now == {"open": 1, "escalated": 1}
    assert other.alerts_now == {"open": 0, "escalated": 0}


def test_a_range_without_data_is_empty_not_an_error(seeded):
    result = figures.dashboard_compute(date_from=seeded.day - timedelta(days=5), date_to=seeded.day - timedelta(days=3))

    assert result.empty
    assert result.totals["visits"] == 0 and result.totals["utilisation"] is None and result.totals["wait_p90"] is None
    assert len(result.by_day) == 3


def test_a_finished_day_is_read_once_and_kept(seeded):
    before = figures.dashboard_compute(date_from=seeded.day, date_to=seeded.day).totals["no_shows"]
    Appointment.objects.filter(date=seeded.day, status=AppointmentStatus.COMPLETED).update(status=AppointmentStatus.NO_SHOW)

    kept = figures.dashboard_compute(date_from=seeded.day, date_to=seeded.day).totals["no_shows"]
    cache.delete(figures.day_key(seeded.day))
    reread = figures.dashboard_compute(date_from=seeded.day, date_to=seeded.day).totals["no_shows"]

    assert (before, kept, reread) == (1, 1, 4)


def test_today_is_read_again_every_time(seeded):
    today = hospital_today()
    figures.dashboard_compute(date_from=seeded.day, date_to=today)

    assert cache.get(figures.day_key(today)) is None
    assert cache.get(figures.day_key(seeded.day)) is not None
    assert figures.days_missing(seeded.day, today) == []  # only finished days are ever missing
