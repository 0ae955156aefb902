"""core.sequences under real concurrency on PostgreSQL: the numbers behind MRNs and queue tickets.

Each thread has its own database connection (Django's are per thread), so the callers really race
on the sequence row, including on creating it.
"""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, transaction

from core.sequences import sequence_next
from tests.services import require_postgres

pytestmark = pytest.mark.django_db(transaction=True)
CALLERS = 50


class _Rollback(Exception):
    pass


def _race(call) -> list:
    """Run `call(i)` for i in 0..CALLERS-1, all released at once, each in its own thread and connection."""
    start = threading.Barrier(CALLERS, timeout=30)

    def caller(i: int):
        try:
            start.wait()
            return call(i)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=CALLERS) as pool:
        return list(pool.map(caller, range(CALLERS)))


def test_concurrent_callers_get_distinct_numbers_without_gaps():
    require_postgres()

    values = _race(lambda i: sequence_next(name="x"))

    assert sorted(values) == list(range(1, CALLERS + 1))


def test_numbers_of_rolled_back_callers_are_given_back():
    """Half the callers roll back after drawing a number; the committed ones still have no gap."""
    require_postgres()

    def draw(i: int) -> int | None:
        try:
            with transaction.atomic():
                value = sequence_next(name="x")
                if i % 2:
                    raise _Rollback
                return value
        except _Rollback:
            return None

    committed = [v for v in _race(draw) if v is not None]

    assert sorted(committed) == list(range(1, CALLERS // 2 + 1))
