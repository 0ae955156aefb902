import pytest

from tests.appointments.queue.world import daytime_zone


@pytest.fixture(autouse=True)
def hospital_daytime(settings):
    """Queue tests put slots "in 30 minutes" or "in 2 hours"; near the hospital's midnight those fell on tomorrow's
    queue (tests failed between 23:00 and 24:00 Shanghai time). They run where it is mid-morning now."""
    settings.TIME_ZONE = daytime_zone()
