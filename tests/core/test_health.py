from datetime import timedelta

import pytest
from django.utils import timezone

from core.health import health_report
from core.models import ServiceHeartbeat

pytestmark = pytest.mark.django_db


def test_healthz_reports_database_ok(client):
    response = client.get("/healthz")

    assert response.json()["checks"]["database"]["status"] == "ok"


def test_healthz_in_the_embedded_mode_is_ok_with_the_database_alone(client, settings):
    settings.REDIS_URL = ""  # health_report reads the mode from settings, so the embedded case runs everywhere

    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json()["checks"]["background"]["status"] == "ok"


def test_healthz_is_503_and_names_what_is_down_when_redis_cannot_be_reached(client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"

    response = client.get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "degraded"
    assert body["checks"]["redis"]["status"] == "down"
    assert body["checks"]["database"]["status"] == "ok"


def test_beat_check_refuses_a_stale_heartbeat(settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    ServiceHeartbeat.objects.create(name="beat", seen_at=timezone.now() - timedelta(hours=1))

    assert health_report()["checks"]["beat"]["status"] == "down"


def test_beat_check_accepts_a_fresh_heartbeat(settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    ServiceHeartbeat.objects.create(name="beat", seen_at=timezone.now())

    assert health_report()["checks"]["beat"]["status"] == "ok"


def test_unknown_api_route_answers_problem_json(client):
    response = client.get("/api/v1/no-such-thing")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "not_found"
