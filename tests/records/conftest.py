import pytest

from tests.core.support import api_client, run_on_commit, unit_isolation  # noqa: F401


@pytest.fixture
def media_root(settings, tmp_path):
    """Uploaded report documents go to a folder of this test's own."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def world(db, media_root):
    from tests.records.clinical import world

    return world()
