"""Database connections under ASGI: pooled in the web process, never "persistent" per request thread.

Daphne runs each request's sync code in a thread of its own, so CONN_MAX_AGE > 0 would leave a connection behind
per request; production (and the services mode of `make run`) takes connections from psycopg 3's pool instead
(DATABASE_POOL, config/settings/base.py). The settings cases run `manage.py` in fresh processes, as a server starts.
"""

import json
import os
import subprocess
import sys
import urllib.request

import pytest
from cryptography.fernet import Fernet
from django.db import connection

from tests import servers
from tests.services import require_postgres

SHOW_DATABASE = ("from django.conf import settings; import json; db = settings.DATABASES['default']; "
                 "print(json.dumps({k: db.get(k) for k in ('CONN_MAX_AGE', 'CONN_HEALTH_CHECKS')} "
                 "| {'pool': db['OPTIONS'].get('pool')}))")
DEPARTMENTS = "/api/v1/appointments/departments"  # one query, no sign-in


def _env(tmp_path, settings_module: str, **overrides: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("DATABASE_", "CONN_", "DJANGO_", "TEST_")) and k not in ("REDIS_URL", "SECRET_KEY")}
    env.update(DJANGO_SETTINGS_MODULE=settings_module, VAR_DIR=str(tmp_path), EMBEDDED_SCHEDULER="0",
               SECRET_KEY="pool-test-" + "k" * 50, ALLOWED_HOSTS="portal.hospital.example",
               DATABASE_URL="postgres://portal@db.hospital.example:5432/portal", REDIS_URL="redis://cache.hospital.example:6379/0",
               FIELD_ENCRYPTION_KEYS=Fernet.generate_key().decode(), LOOKUP_HASH_KEY="pool-test-lookup-key",
               SANDBOX_PAY_SECRET="pool-test-sandbox-key")
    env.update(overrides)
    return env


def _database_settings(env: dict[str, str]) -> dict:
    result = subprocess.run([sys.executable, "manage.py", "shell", "-c", SHOW_DATABASE], cwd=servers.ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_takes_connections_from_a_pool_and_never_keeps_one_per_thread(tmp_path):
    db = _database_settings(_env(tmp_path, "config.settings.production"))

    assert db["pool"] == {"min_size": 2, "max_size": 8, "timeout": 10.0}
    assert (db["CONN_MAX_AGE"], db["CONN_HEALTH_CHECKS"]) == (0, True)


def test_production_pool_can_be_turned_off_and_sized_from_the_environment(tmp_path):
    off = _database_settings(_env(tmp_path, "config.settings.production", DATABASE_POOL="0"))
    sized = _database_settings(_env(tmp_path, "config.settings.production", DATABASE_POOL_MAX_SIZE="20",
                                    DATABASE_POOL_TIMEOUT="2.5"))

    assert off["pool"] is None and off["CONN_MAX_AGE"] == 0
    assert sized["pool"] == {"min_size": 2, "max_size": 20, "timeout": 2.5}


def test_services_mode_of_make_run_pools_too_and_a_pool_overrides_conn_max_age(tmp_path):
    db = _database_settings(_env(tmp_path, "config.settings.local", CONN_MAX_AGE="60"))

    assert db["pool"] is not None and db["CONN_MAX_AGE"] == 0


def _import_asgi(env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", "import config.asgi"], cwd=servers.ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def test_asgi_application_refuses_persistent_connections(tmp_path):
    env = _env(tmp_path, "config.settings.local", DATABASE_URL=f"sqlite:///{tmp_path}/db.sqlite3", CONN_MAX_AGE="60")

    result = _import_asgi(env)

    assert result.returncode != 0
    assert "CONN_MAX_AGE must be 0 when serving over ASGI" in result.stderr


def test_asgi_application_starts_with_connections_closed_after_each_request(tmp_path):
    result = _import_asgi(_env(tmp_path, "config.settings.local", DATABASE_URL=f"sqlite:///{tmp_path}/db.sqlite3"))

    assert result.returncode == 0, result.stderr


def _server_backends() -> set[int]:
    """PostgreSQL backends connected to this test database, other than this process's own."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")
        return {pid for (pid,) in cursor.fetchall()}


@pytest.mark.django_db
def test_web_server_answers_many_requests_on_the_same_pooled_connections(request, tmp_path):
    require_postgres()
    log_path = servers.register_log(request.node, tmp_path / "daphne.log")
    with servers.asgi_server(log_path) as url:
        for _ in range(3):
            urllib.request.urlopen(f"{url}{DEPARTMENTS}", timeout=10).close()
        pooled = _server_backends()

        for _ in range(30):
            urllib.request.urlopen(f"{url}{DEPARTMENTS}", timeout=10).close()

        assert pooled, "no connection stays open between requests: the server is not pooling"
        assert _server_backends() == pooled  # thirty requests later, no connection was opened or closed
