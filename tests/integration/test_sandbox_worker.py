"""A real Celery worker, fed through Redis, delivers the sandbox's notifications and retries them (issue 6)."""

import json

import pytest
from django.utils import timezone

from payments.providers import provider_get
from payments.sandbox import services, tasks
from payments.sandbox.models import DeliveryStatus, SandboxDelivery
from tests.payments_sandbox.conftest import checkout_request, receiver  # noqa: F401 - fixtures used below
from tests.servers import wait_until
from tests.services import require_postgres, require_redis

pytestmark = pytest.mark.django_db(transaction=True)


def _delivery(provider_reference: str) -> SandboxDelivery:
    return SandboxDelivery.objects.get(transaction__checkout__provider_reference=provider_reference)


def test_worker_delivers_a_signed_notification_and_retries_until_2xx(celery_worker, receiver, checkout_request):  # noqa: F811
    require_postgres()
    require_redis()
    receiver.statuses = [503, 200]
    sandbox = provider_get("sandbox")
    s = sandbox.checkout_create(checkout_request(notify_url=receiver.url))

    services.checkout_act(provider_reference=s.provider_reference, action="pay")  # commits → Redis → worker
    wait_until(lambda: _delivery(s.provider_reference).attempts == 1, timeout=30, message="first attempt by the worker")
    SandboxDelivery.objects.filter(pk=_delivery(s.provider_reference).pk).update(next_attempt_at=timezone.now())
    tasks.deliveries_retry.delay()  # what beat does every 15 s
    wait_until(lambda: _delivery(s.provider_reference).status == DeliveryStatus.DELIVERED, timeout=30,
               message="delivered by the worker's retry")

    assert [r["headers"].get("X-Sandbox-Signature", "")[:3] for r in receiver.received] == ["v1=", "v1="]
    event = sandbox.notification_verify(headers=receiver.received[-1]["headers"], body=receiver.received[-1]["body"])
    assert (event.kind, json.loads(receiver.received[-1]["body"])["provider_reference"]) == ("capture", s.provider_reference)
