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

REQUIRED = ("SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "REDIS_URL", "FIELD_ENCRYPTION_KEYS", "LOOKUP_HASH_KEY",
            "SANDBOX_PAY_SECRET")
# Anything in the test run's own environment that would leak into "production" and hide a missing variable.
INHERITED = (*REQUIRED, "DJANGO_SETTINGS_MODULE", "DEBUG", "EMAIL_URL", "EMAIL_BACKEND", "CELERY_BROKER_URL",
             "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "SECURE_HSTS_PRELOAD", "PAYMENT_PROVIDERS")


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
        SANDBOX_PAY_SECRET=secrets.token_urlsafe(32),
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


def test_production_without_the_sandbox_provider_needs_no_sandbox_secret(tmp_path):
    env = _production_env(tmp_path, PAYMENT_PROVIDERS="alipay")
    del env["SANDBOX_PAY_SECRET"]

    result = _manage("check", "--deploy", env=env)

    assert result.returncode == 0, result.stdout + result.stderr


PROBE = """
import json
from django.conf import settings
from django.test import Client, override_settings
# Plain static storage: production's manifest needs collectstatic, which is not what this checks.
with override_settings(STORAGES={**settings.STORAGES, "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}):
    response = Client(HTTP_HOST="portal.hospital.example").get("/accounts/login/", secure=True)
cookie = response.cookies["csrftoken"]
print(json.dumps({
    "status": response.status_code,
    "headers": dict(response.headers),
    "csrf_cookie": {"secure": bool(cookie["secure"]), "samesite": cookie["samesite"]},
    "settings": {name: getattr(settings, name) for name in (
        "SESSION_COOKIE_SECURE", "SESSION_COOKIE_HTTPONLY", "SESSION_COOKIE_SAMESITE", "CSRF_COOKIE_SECURE",
        "CSRF_COOKIE_SAMESITE", "SECURE_SSL_REDIRECT", "DEBUG")},
}))
"""


def test_production_answers_with_secure_cookies_hsts_and_the_csp(tmp_path):
    """A real request through production's middleware: HSTS, the CSP, the other headers, and a Secure CSRF cookie.

    The login page as an anonymous visitor touches no database, so this needs none."""
    import json

    result = _manage("shell", "-c", PROBE, env=_production_env(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    seen = json.loads(result.stdout.strip().splitlines()[-1])

    assert seen["status"] == 200
    headers = seen["headers"]
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert "'unsafe-inline'" not in headers["Content-Security-Policy"]
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert seen["csrf_cookie"] == {"secure": True, "samesite": "Lax"}
    assert seen["settings"] == {"SESSION_COOKIE_SECURE": True, "SESSION_COOKIE_HTTPONLY": True,
                                "SESSION_COOKIE_SAMESITE": "Lax", "CSRF_COOKIE_SECURE": True,
                                "CSRF_COOKIE_SAMESITE": "Lax", "SECURE_SSL_REDIRECT": True, "DEBUG": False}


def test_production_redirects_plain_http_to_https(tmp_path):
    probe = ('from django.test import Client; r = Client(HTTP_HOST="portal.hospital.example").get("/accounts/login/"); '
             'print(r.status_code, r["Location"])')

    result = _manage("shell", "-c", probe, env=_production_env(tmp_path))

    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip().splitlines()[-1] == "301 https://portal.hospital.example/accounts/login/"
