import pytest
from django.utils import translation

from tests.core.support import api_client, run_on_commit, unit_isolation  # noqa: F401
from tests.integration.conftest import celery_worker  # noqa: F401  (the dashboard's heavy range on a real worker)


@pytest.fixture(autouse=True)
def english():
    """Each test starts in English: a page requested in Chinese leaves that language active in the thread."""
    with translation.override("en"):
        yield
