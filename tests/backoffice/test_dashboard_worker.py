"""A long period read by a real Celery worker through Redis, its progress polled as the progress page does."""

from datetime import timedelta

import pytest
from django.urls import reverse

from backoffice import figures
from config.celery import app
from tests.backoffice import world
from tests.servers import wait_until
from tests.services import require_postgres, require_redis

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def services_present(unit_isolation):
    """Real services, and tasks published to Redis (this folder's unit_isolation runs them in-process)."""
    require_postgres()
    require_redis()
    app.conf.task_always_eager = False
    yield
    app.conf.task_always_eager = True


def test_a_long_period_is_read_on_the_worker_and_then_drawn(celery_worker, client):
    assert not app.conf.task_always_eager  # published to Redis, run by the worker process
    seeded = world.seed()
    client.force_login(world.admin_user())
    period = {"date_from": (seeded.day - timedelta(days=59)).isoformat(), "date_to": seeded.next_day.isoformat()}
    for day in figures.date_range(seeded.day - timedelta(days=59), seeded.next_day):
        figures.cache.delete(figures.day_key(day))

    response = client.get(reverse("admin:backoffice_dashboard"), period)

    assert response.status_code == 302
    job_id = response["Location"].rstrip("/").rsplit("/", 1)[-1]
    progress_url = reverse("admin:backoffice_dashboard_job_progress", args=[job_id])
    seen = []
    done = wait_until(lambda: (p := client.get(progress_url).json(), seen.append(p["percent"]))[0]["state"] == "done" and p,
                      timeout=60, message="the worker reading 61 days")
    assert (done["percent"], done["total"]) == (100, 61)
    assert seen == sorted(seen)  # the bar only moves forward
    drawn = client.get(reverse("admin:backoffice_dashboard"), period)
    assert drawn.status_code == 200 and "<dt>Visits</dt><dd>5</dd>" in drawn.content.decode()
