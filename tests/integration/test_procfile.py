"""The Procfile's web, worker and beat, started as a deployment starts them, report healthy (issue 2, item 2);
its MQTT bridge stays up while no broker is reachable (issue 7), so `make run` is not stopped by it.

The commands are read from the Procfile itself, so this breaks when the Procfile does.
"""

import json
import os
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings

from tests import servers
from tests.services import require_postgres, require_redis

pytestmark = pytest.mark.django_db(transaction=True)
SERVICES = ("database", "redis", "worker", "beat")


def _healthz(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(f"{url}/healthz", timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def _statuses(report: dict) -> dict[str, str]:
    return {name: check["status"] for name, check in report["checks"].items()}


@pytest.fixture
def procfile(request, tmp_path):
    """Start every Procfile process type through bash, on the test database and Redis; stop them all after."""
    require_postgres()
    require_redis()
    port = servers.free_port()
    env = servers.child_env(
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        REDIS_URL=settings.REDIS_URL, BEAT_HEARTBEAT_SECONDS="2", VAR_DIR=str(tmp_path),
        WEB_PORT=str(port), CELERY_CONCURRENCY="1", DJANGO_SETTINGS_MODULE="config.settings.test",
        # No broker listens here: the bridge must wait for one instead of exiting (and it stays off the shared
        # Mosquitto other tests publish to).
        MQTT_HOST="127.0.0.1", MQTT_PORT=str(servers.free_port()),
    )
    processes = {}
    try:
        for name, command in servers.procfile_commands().items():
            log_path = servers.register_log(request.node, tmp_path / f"{name}.log")
            processes[name] = servers.start_shell(command, log_path=log_path, env=env)
            processes[name].log_path = log_path
        servers.wait_for_port(port, process=processes["web"])
        yield f"http://127.0.0.1:{port}", processes
    finally:
        for process in processes.values():
            servers.stop_group(process)


def test_procfile_declares_web_worker_beat_and_the_mqtt_bridge():
    assert set(servers.procfile_commands()) == {"web", "worker", "beat", "mqtt"}


def test_procfile_processes_are_healthy_until_the_worker_stops(procfile):
    require_postgres()
    require_redis()
    url, processes = procfile

    status, report = servers.wait_until(
        lambda: (result := _healthz(url))[0] == 200 and result, timeout=60, interval=0.5,
        message="/healthz 200 with database, redis, worker and beat ok",
    )
    assert {name: _statuses(report)[name] for name in SERVICES} == dict.fromkeys(SERVICES, "ok")
    servers.wait_until(lambda: "not reachable" in processes["mqtt"].log_path.read_text(errors="replace"),
                       timeout=60, interval=0.5, message="the MQTT bridge saying it waits for the broker")
    assert processes["mqtt"].poll() is None  # waiting, not exited: under honcho an exit stops every process

    servers.stop_group(processes["worker"])
    status, report = _healthz(url)

    assert status == 503
    assert report["status"] == "degraded"
    assert report["checks"]["worker"]["status"] == "down"
