"""A snapshot's ``seq`` never runs ahead of what it shows (appointments.queue.selectors, SEQ_FIRST).

A page ignores a nudge whose number is not above the ``seq`` of the snapshot it last read. With ``seq`` read after
the queue's rows, a change committed between the two gave old rows under the change's own number, and the page never
showed that change (found by the Redis-restart fault test: a console kept its called patient in the waiting list).
Here a real change is committed from another connection in the middle of the read, just before the snapshot reads
its sequence number; the snapshot must then either show the change or carry a number below it.
"""

import threading

import pytest
from django.db import connection

from appointments.queue import live, selectors, services
from core.models import Sequence
from tests.appointments.queue import world
from tests.services import require_postgres

pytestmark = pytest.mark.django_db(transaction=True)


def _read_while_a_change_commits(read, change):
    """Call `read()`; the first time it is about to read a sequence number, `change()` commits on another connection."""
    fired = []

    def wrapper(execute, sql, params, many, context):
        if not fired and Sequence._meta.db_table in sql and sql.lstrip().upper().startswith("SELECT"):
            fired.append(True)
            errors = []

            def run():
                try:
                    change()
                except Exception as exc:  # reported below
                    errors.append(exc)
                finally:
                    connection.close()  # this thread's own connection

            worker = threading.Thread(target=run)
            worker.start()
            worker.join(timeout=60)
            assert not errors, errors
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        snapshot = read()
    assert fired, "the snapshot read no sequence number"
    return snapshot


@pytest.mark.parametrize("kind", ["ticket", "board", "console"])
def test_a_change_committed_during_a_snapshot_is_shown_or_numbered_above_the_snapshot(kind):
    require_postgres()  # two connections at once (SQLite's test database is one file, locked by the first)
    c = world.clinic(prefix="S")
    slot = world.slot_at(c, world.soon(30))
    first, _second, third = (world.checked_in(c, world.booked(c, slot)) for _ in range(3))
    point = first.service_point
    read, view, group = {
        "ticket": (lambda: selectors.ticket_snapshot(ticket=type(third).objects.get(pk=third.pk)),
                   lambda s: (s["status"], s["people_ahead"]), live.queue_group(point.pk)),
        "board": (lambda: selectors.board_snapshot(department=c.department),
                  lambda s: s["rooms"], live.board_group(c.department.pk)),
        "console": (lambda: selectors.console_snapshot(service_point=point),
                    lambda s: ((s["current"] or {}).get("number"), [t["number"] for t in s["waiting"]]),
                    live.queue_group(point.pk)),
    }[kind]

    snapshot = _read_while_a_change_commits(read, lambda: services.queue_call_next(service_point=point,
                                                                                    by=c.doctor.user))

    first.refresh_from_db()
    assert first.status == "called"  # the change did commit, during the read
    now = read()
    # The page that read `snapshot` re-reads on the change's nudge unless the snapshot already shows the change.
    assert snapshot["seq"] < live.seq_current(group) or view(snapshot) == view(now), (snapshot["seq"], view(snapshot),
                                                                                    view(now))
