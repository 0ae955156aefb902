import pytest
from django.test import override_settings

from tests.core.support import api_client, run_on_commit, unit_isolation  # noqa: F401


@pytest.fixture(autouse=True)
def payments_settings():
    """Sandbox notifications from these tests go nowhere on their own (the discard port refuses at once): a test
    delivers them itself, through the webhook, with tests.payments.factories.deliver."""
    with override_settings(PAYMENTS_BASE_URL="http://127.0.0.1:9", PAYMENT_PROVIDERS=["sandbox"],
                           PAYMENT_DEFAULT_PROVIDER="sandbox", REGISTRATION_FEES={}):
        yield
