"""Which real services this test run has, and what to do when a test needs one that is missing.

Without REQUIRE_SERVICES a test that needs PostgreSQL, Redis or Chromium is skipped when the
service is absent (a laptop running `make test` on the embedded defaults). With REQUIRE_SERVICES=1
(CI) the same test fails instead, so nothing is silently skipped there.
"""

import os
import shutil

import pytest
from django.conf import settings

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]


def services_required() -> bool:
    return os.environ.get("REQUIRE_SERVICES", "") not in ("", "0", "false")


def _missing(what: str) -> None:
    if services_required():
        pytest.fail(f"{what} is required (REQUIRE_SERVICES=1) but not available.")
    pytest.skip(f"{what} not available")


def on_postgres() -> bool:
    return settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"


def require_postgres() -> None:
    if not on_postgres():
        _missing("PostgreSQL (DATABASE_URL)")


def require_redis() -> None:
    if not settings.REDIS_URL:
        _missing("Redis (REDIS_URL)")
    import redis

    try:
        redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=5, socket_timeout=5).ping()  # a loaded CI machine is slow
    except redis.RedisError:
        _missing(f"Redis at {settings.REDIS_URL}")


def require_chromium() -> str:
    path = CHROMIUM if os.path.exists(CHROMIUM) else shutil.which("chromium")
    if not path:
        _missing("Chromium (/usr/bin/chromium)")
    return path
