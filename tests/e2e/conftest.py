"""Browser journeys: real headless Chromium against the real ASGI app (daphne) on the test database.

Playwright's sync API keeps an event loop running in the test's thread, so Django's async-safety
check would refuse the test's own ORM calls; the Makefile runs this folder in its own pytest
process with DJANGO_ALLOW_ASYNC_UNSAFE=true, and the default below makes `pytest tests/e2e` work too.
"""

import os
from pathlib import Path

import pytest
from django.conf import settings

from tests import servers
from tests.servers import asgi_server
from tests.services import CHROMIUM_ARGS, require_chromium

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2}
DESK = {"viewport": {"width": 1280, "height": 800}}


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Debian's Chromium: Playwright's own browser download does not work on these machines."""
    return {**browser_type_launch_args, "executable_path": require_chromium(), "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    # Every journey starts in English with the hospital's clock, whatever the machine says.
    return {**browser_context_args, "locale": "en-US", "timezone_id": settings.TIME_ZONE}


@pytest.fixture
def screens(output_path) -> Path:
    """This test's folder under --output (default test-results/), for named screenshots."""
    folder = Path(output_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def live_url(transactional_db, screens) -> str:
    """Base URL of config.asgi served by daphne in its own process, on this run's test database.

    Unlike pytest-django's live_server this speaks websockets. The test database is committed to
    (transactional_db), so rows the server writes are visible here and flushed after the test; the
    server is stopped before that flush because this fixture is torn down first.
    """
    env = {"REDIS_URL": settings.REDIS_URL} if settings.REDIS_URL else {}
    env["TIME_ZONE"] = settings.TIME_ZONE  # the server keeps this test's wall clock (a test may have moved it)
    with asgi_server(screens / "daphne.log", **env) as url:
        yield url


@pytest.fixture
def phone_page(new_context):
    """A 360×740 touch phone, the narrowest screen the portal is designed for."""
    return new_context(**PHONE).new_page()


@pytest.fixture
def desk_page(new_context):
    """A 1280×800 desktop, as at a hospital counter."""
    return new_context(**DESK).new_page()


@pytest.fixture
def worker(live_url, screens):
    """With Redis, background work (slot generation, scoring, refunds, the sandbox's notifications) runs in a real
    Celery worker on the test database, as deployed; without, the process that asks runs it in-process after commit.
    The worker's log is saved beside the screenshots."""
    if not settings.REDIS_URL:
        yield None
        return
    process = servers.celery_worker(screens / "celery-worker.log")
    try:
        servers.wait_for_worker(process)
        yield process
    finally:
        servers.stop(process, timeout=20)
