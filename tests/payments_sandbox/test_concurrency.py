"""Two clicks at once, or two refunds at once, against the sandbox: the checkout row lock makes them take turns
(PostgreSQL, real concurrent connections)."""

import threading
from decimal import Decimal

import pytest
from django.db import connection

from payments.providers import ProviderDeclined
from payments.sandbox import services
from payments.sandbox.models import SandboxCheckout, SandboxTransaction
from tests.services import require_postgres

pytestmark = pytest.mark.django_db(transaction=True)


def _at_once(count: int, work) -> list:
    """Run `work(i)` in `count` threads released together; returns each result or exception."""
    barrier, results = threading.Barrier(count), [None] * count

    def run(i: int) -> None:
        try:
            barrier.wait()
            results[i] = work(i)
        except Exception as exc:
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_ten_pay_clicks_at_once_charge_once(sandbox, checkout_request):
    require_postgres()
    s = sandbox.checkout_create(checkout_request(amount="25.00"))

    results = _at_once(10, lambda i: services.checkout_act(provider_reference=s.provider_reference,
                                                           action="decline" if i == 9 else "pay"))

    assert not [r for r in results if isinstance(r, Exception)]
    assert SandboxTransaction.objects.filter(checkout__provider_reference=s.provider_reference).count() == 1
    assert len({r.status for r in results}) == 1  # every click sees the one outcome


def test_refunds_at_once_never_exceed_what_was_captured(sandbox, checkout_request):
    require_postgres()
    s = sandbox.checkout_create(checkout_request(amount="100.00"))
    services.checkout_act(provider_reference=s.provider_reference, action="pay")

    results = _at_once(6, lambda i: sandbox.refund(provider_reference=s.provider_reference, amount=Decimal("40.00"),
                                                   refund_reference=f"R{i}", reason="x"))

    refused = [r for r in results if isinstance(r, ProviderDeclined)]
    assert (len(results) - len(refused), len(refused)) == (2, 4)
    assert SandboxCheckout.objects.get(provider_reference=s.provider_reference).refunded_amount == Decimal("80.00")
