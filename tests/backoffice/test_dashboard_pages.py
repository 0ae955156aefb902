"""The dashboard page, its exports and its background reading of long periods, as an administrator sees them."""

import csv
import io
import re
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.urls import reverse
from openpyxl import load_workbook

from accounts.roles import Role
from appointments.localtime import hospital_today
from backoffice import figures, tasks
from tests.appointments import factories
from tests.backoffice import world

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded():
    return world.seed()


@pytest.fixture
def admin_client(client):
    client.force_login(world.admin_user())
    return client


def query(seeded, **extra) -> dict:
    return {"date_from": seeded.day.isoformat(), "date_to": seeded.next_day.isoformat(), "department": "", **extra}


def test_dashboard_shows_the_figures_tables_and_charts(admin_client, seeded):
    response = admin_client.get(reverse("admin:backoffice_dashboard"), query(seeded))
    html = response.content.decode()

    assert response.status_code == 200
    assert "<dt>No-show rate</dt><dd>33.3%</dd>" in html
    assert "<dt>Wait, 90th percentile (min)</dt><dd>25.0</dd>" in html
    assert html.count('<rect class="bar"') == 4  # visits and utilisation, one bar a day each
    assert seeded.dept_a.name_en in html and seeded.dept_b.name_en in html
    assert not re.findall(r"<script\b(?![^>]*\bsrc=)[^>]*>", html)  # no inline script
    assert " style=" not in html.split('<div id="content-main">', 1)[1]


def test_dashboard_for_one_department(admin_client, seeded):
    html = admin_client.get(reverse("admin:backoffice_dashboard"),
                            query(seeded, department=seeded.dept_a.pk)).content.decode()

    assert "<dt>No-show rate</dt><dd>25.0%</dd>" in html
    assert "<dt>Visits</dt><dd>4</dd>" in html


def test_a_period_without_data_shows_the_empty_state(admin_client, seeded):
    empty = {"date_from": (seeded.day - timedelta(days=5)).isoformat(),
             "date_to": (seeded.day - timedelta(days=3)).isoformat()}

    response = admin_client.get(reverse("admin:backoffice_dashboard"), empty)
    csv_response = admin_client.get(reverse("admin:backoffice_dashboard_export", args=["csv"]), empty)

    assert response.status_code == 200
    assert "Nothing happened in this period" in response.content.decode()
    rows = list(csv.reader(io.StringIO(csv_response.content.decode("utf-8-sig"))))
    assert len(rows) == 1 + 3 + 1 and rows[-1][1:3] == ["0", "0"]


def test_dates_in_the_wrong_order_are_refused_with_a_message(admin_client):
    today = hospital_today()
    response = admin_client.get(reverse("admin:backoffice_dashboard"),
                                {"date_from": today.isoformat(), "date_to": (today - timedelta(days=2)).isoformat()})

    assert response.status_code == 200
    assert "The end date is before the start date." in response.content.decode()


def test_csv_export_has_a_row_per_day_and_the_total(admin_client, seeded):
    response = admin_client.get(reverse("admin:backoffice_dashboard_export", args=["csv"]), query(seeded))

    assert response["Content-Type"].startswith("text/csv")
    assert f"dashboard-{seeded.day.isoformat()}-{seeded.next_day.isoformat()}.csv" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [r["Date"] for r in rows] == [seeded.day.isoformat(), seeded.next_day.isoformat(), "Total"]
    total = rows[-1]
    assert (total["Visits"], total["Bookings"], total["Capacity (numbers)"], total["Utilisation"]) == ("5", "6", "12", "0.5")
    assert float(total["Wait, median (min)"]) == 13.5 and float(total["Consultation, 90th percentile (min)"]) == 9.6
    assert rows[0]["Visits"] == "4" and rows[1]["No-show rate"] == "0.5"


def test_excel_export_reads_back_with_the_same_figures(admin_client, seeded):
    response = admin_client.get(reverse("admin:backoffice_dashboard_export", args=["xlsx"]), query(seeded))

    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["Summary", "By day", "By department", "Revenue"]
    summary = {row[0]: row[1] for row in book["Summary"].iter_rows(min_row=6, values_only=True)}
    assert summary["Visits"] == 5 and summary["Bookings"] == 6 and summary["Utilisation"] == 0.5
    assert summary["Wait, 90th percentile (min)"] == 25 and summary["Alerts escalated"] == 1
    assert summary["Alerts open now"] == 1
    per_department = {row[0]: row[1] for row in book["By department"].iter_rows(min_row=2, values_only=True)}
    assert per_department == {seeded.dept_a.name_en: 4, seeded.dept_b.name_en: 1}
    per_day = list(book["By day"].iter_rows(min_row=2, values_only=True))
    assert [row[1] for row in per_day] == [4, 1]


def test_a_long_period_is_read_by_a_task_with_a_progress_page(admin_client, seeded, django_capture_on_commit_callbacks):
    long = {"date_from": (seeded.day - timedelta(days=40)).isoformat(), "date_to": seeded.next_day.isoformat()}

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.get(reverse("admin:backoffice_dashboard"), long)

    assert response.status_code == 302
    job_id = response["Location"].rstrip("/").rsplit("/", 1)[-1]
    page = admin_client.get(response["Location"]).content.decode()
    assert 'id="backoffice-job-bar"' in page and "js/job-progress.js" in page
    progress = admin_client.get(reverse("admin:backoffice_dashboard_job_progress", args=[job_id])).json()
    assert (progress["state"], progress["percent"], progress["total"]) == ("done", 100, 42)
    assert figures.days_missing(seeded.day - timedelta(days=40), seeded.next_day) == []

    again = admin_client.get(reverse("admin:backoffice_dashboard"), long)  # every finished day now kept: drawn at once
    assert again.status_code == 200 and "<dt>Visits</dt><dd>5</dd>" in again.content.decode()


def test_a_short_period_is_drawn_at_once(admin_client, seeded):
    assert admin_client.get(reverse("admin:backoffice_dashboard"), query(seeded)).status_code == 200
    assert cache.get(figures.day_key(seeded.day)) is not None


def test_progress_of_a_running_job_is_a_percentage(admin_client):
    tasks.job_progress_set("job42", state="running", done=10, total=40)

    progress = admin_client.get(reverse("admin:backoffice_dashboard_job_progress", args=["job42"])).json()

    assert (progress["state"], progress["percent"]) == ("running", 25)
    assert admin_client.get(reverse("admin:backoffice_dashboard_job_progress", args=["nojob"])).status_code == 404


def test_staff_without_the_dashboard_permission_are_refused(client, seeded):
    client.force_login(factories.user(Role.FRONT_DESK, is_staff=True))

    assert client.get(reverse("admin:backoffice_dashboard"), query(seeded)).status_code == 403
    assert client.get(reverse("admin:backoffice_dashboard_export", args=["xlsx"]), query(seeded)).status_code == 403


def test_the_dashboard_and_the_doctor_form_open_in_chinese(admin_client, seeded):
    admin_client.cookies["django_language"] = "zh-hans"

    dashboard = admin_client.get(reverse("admin:backoffice_dashboard"), query(seeded), HTTP_ACCEPT_LANGUAGE="zh-hans")
    form = admin_client.get(reverse("admin:backoffice_doctor_create"), HTTP_ACCEPT_LANGUAGE="zh-hans")

    assert dashboard.status_code == 200 and "示范人民医院" in dashboard.content.decode()
    assert seeded.dept_a.name_zh in dashboard.content.decode()
    assert form.status_code == 200 and 'lang="zh-hans"' in form.content.decode()
