"""config.settings.production passes Django's deploy checks, and refuses to start without its secrets.

Each case is a fresh `manage.py` process with an environment built from scratch, as a server would
start; nothing here needs the database to exist (no check touches it).
"""

import os
import secrets
import subprocess
import sys

import pytest
from cryptography.fernet import Fernet

from tests.servers import ROOT

REQUIRED = ("SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "REDIS_URL", "FIELD_ENCRYPTION_KEYS", "LOOKUP_HASH_KEY")
# Anything in the test run's own environment that would leak into "production" and hide a missing variable.
INHERITED = (*REQUIRED, "DJANGO_SETTINGS_MODULE", "DEBUG", "EMAIL_URL", "EMAIL_BACKEND", "CELERY_BROKER_URL",
             "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "SECURE_HSTS_PRELOAD")


def _production_env(tmp_path, **overrides: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in INHERITED}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.production",
        VAR_DIR=str(tmp_path),
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS="portal.hospital.example,127.0.0.1",
        DATABASE_URL="postgres://portal@db.hospital.example:5432/portal",
        REDIS_URL="redis://cache.hospital.example:6379/0",
        FIELD_ENCRYPTION_KEYS=Fernet.generate_key().decode(),
        LOOKUP_HASH_KEY=secrets.token_urlsafe(32),
        PYTHONUNBUFFERED="1",
    )
    env.update(overrides)
    return env


def _manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)


def test_production_settings_pass_deploy_checks_with_no_warnings(tmp_path):
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=_production_env(tmp_path))

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
    assert "WARNING" not in result.stdout + result.stderr


@pytest.mark.parametrize("name", REQUIRED)
def test_production_settings_refuse_to_start_without(tmp_path, name):
    env = _production_env(tmp_path)
    del env[name]

    result = _manage("check", "--deploy", env=env)

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert f"{name} must be set" in result.stderr


def test_production_settings_refuse_sqlite(tmp_path):
    result = _manage("check", env=_production_env(tmp_path, DATABASE_URL=f"sqlite:///{tmp_path}/db.sqlite3"))

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "PostgreSQL" in result.stderr
