"""The morning report: yesterday's figures emailed to the administrators, once per date however often beat runs it."""

import io
import threading
from datetime import timedelta

import pytest
from django.conf import settings
from django.core import mail
from django.db import connections
from openpyxl import load_workbook

from accounts.roles import Role
from appointments.localtime import hospital_today
from backoffice import services, tasks
from backoffice.models import DailyReport
from tests.appointments import factories
from tests.backoffice import world
from tests.services import require_postgres

pytestmark = pytest.mark.django_db


def test_the_job_is_on_beats_schedule_every_morning():
    entry = settings.CELERY_BEAT_SCHEDULE["backoffice-daily-report"]

    assert entry["task"] == tasks.daily_report_send.name
    assert 7 in entry["schedule"].hour and 6 not in entry["schedule"].hour


def test_the_report_is_sent_once_even_if_the_job_runs_twice():
    first = world.admin_user(email="boss@example.test")
    world.admin_user(email="deputy@example.test", preferred_language="zh-hans")
    factories.user(Role.FRONT_DESK, email="desk@example.test")

    tasks.daily_report_send.delay()
    tasks.daily_report_send.delay()

    assert sorted(m.to[0] for m in mail.outbox) == ["boss@example.test", "deputy@example.test"]
    report = DailyReport.objects.get()
    assert (report.recipients, report.sent_at is not None) == (2, True)
    assert first.email in mail.outbox[0].to or first.email in mail.outbox[1].to


def test_the_report_carries_the_days_figures_and_the_excel_file():
    seeded = world.seed()
    world.admin_user(email="boss@example.test")

    services.daily_report_send(day=seeded.day)

    message = mail.outbox[0]
    assert f"figures for {seeded.day.isoformat()}" in message.subject
    assert "Visits: 4" in message.body and "No-show rate: 25.0%" in message.body and "Wait, median (min): 15.0" in message.body
    assert f"{seeded.dept_a.name_en}: 4 visits, 4 of 8 numbers booked, 1 no-shows, median wait 15.0 min" in message.body
    name, content, _mime = message.attachments[0]
    assert name == f"dashboard-{seeded.day.isoformat()}-{seeded.day.isoformat()}.xlsx"
    summary = {row[0]: row[1] for row in load_workbook(io.BytesIO(content))["Summary"].iter_rows(min_row=6, values_only=True)}
    assert summary["Visits"] == 4 and summary["Consultation, 90th percentile (min)"] == 9.4


def test_an_administrator_reads_it_in_their_language():
    seeded = world.seed()
    world.admin_user(email="deputy@example.test", preferred_language="zh-hans")

    services.daily_report_send(day=seeded.day)

    assert "示范人民医院" in mail.outbox[0].subject


def test_a_new_day_gets_its_own_report():
    world.admin_user(email="boss@example.test")
    day = services.yesterday(hospital_today())

    services.daily_report_send(day=day - timedelta(days=1))
    services.daily_report_send(day=day)
    services.daily_report_send(day=day)

    assert len(mail.outbox) == 2 and DailyReport.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_the_same_moment_send_the_report_once():
    """Beat and a restarted beat (or two workers taking a re-queued job) at once: the date's row is locked, the
    second run waits, then finds it sent (PostgreSQL)."""
    require_postgres()
    world.admin_user(email="boss@example.test")
    day = services.yesterday(hospital_today())
    barrier = threading.Barrier(2)

    def run():
        try:
            barrier.wait()
            services.daily_report_send(day=day)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(mail.outbox) == 1 and DailyReport.objects.get(date=day).recipients == 1
