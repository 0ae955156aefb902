"""Fixtures shared by the unit test folders (core, accounts, records, notifications).

Each folder's conftest imports them, so they apply there and nowhere else.
"""

import pytest
from django.core.cache import cache

from config.celery import app as celery_app


@pytest.fixture(autouse=True)
def unit_isolation():
    """Start each unit test with an empty cache (sign-up throttle counts) and tasks run in-process.

    With REDIS_URL set (the services run) Celery would publish to a broker no worker of these tests
    reads; the unit tests check what a task does, so it runs here. The integration tests cover the worker.
    """
    cache.clear()
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = eager
    cache.clear()


@pytest.fixture
def api_client():
    from rest_framework.test import APIClient

    return APIClient()


@pytest.fixture
def run_on_commit(django_capture_on_commit_callbacks):
    """Run the callbacks the code under test schedules with transaction.on_commit (emails, pushes)."""
    return lambda: django_capture_on_commit_callbacks(execute=True)
