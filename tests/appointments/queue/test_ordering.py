"""The hall's ordering rules (appointments.queue.ordering), one test per rule, on the pure function."""

from datetime import UTC, datetime, timedelta

from appointments.queue.ordering import Waiting, waiting_order

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai


def t(id: int, *, slot: int | None = None, arrived: int = 0, priority: str = "normal", late: bool = False,
      joined: int | None = None) -> Waiting:
    """Ticket `id` with its slot `slot` minutes after T0 (None: walk-in), checked in `arrived` minutes after T0."""
    return Waiting(id=id, priority=priority, late=late,
                   slot_starts_at=T0 + timedelta(minutes=slot) if slot is not None else None,
                   checked_in_at=T0 + timedelta(minutes=arrived),
                   queued_at=T0 + timedelta(minutes=arrived if joined is None else joined), sequence=id)


def ids(tickets, **kwargs) -> list[int]:
    return [w.id for w in waiting_order(tickets, **kwargs)]


def test_booked_patients_on_time_wait_in_slot_order_not_arrival_order():
    assert ids([t(1, slot=30, arrived=-50), t(2, slot=0, arrived=-5), t(3, slot=15, arrived=-20)]) == [2, 3, 1]


def test_booked_patients_of_one_slot_wait_by_check_in_time():
    assert ids([t(1, slot=0, arrived=-5), t(2, slot=0, arrived=-30)]) == [2, 1]


def test_a_late_arrival_waits_behind_everyone_on_time_even_a_later_slot():
    late = t(1, slot=0, arrived=20, late=True)
    on_time_later_slot = t(2, slot=60, arrived=25)

    assert ids([late, on_time_later_slot]) == [2, 1]


def test_walk_ins_wait_behind_booked_patients_on_time_in_arrival_order():
    assert ids([t(1, arrived=-60), t(2, slot=45, arrived=30), t(3, arrived=-70)]) == [2, 3, 1]


def test_emergency_goes_before_everyone():
    assert ids([t(1, slot=0, arrived=-30), t(2, arrived=10, priority="emergency"), t(3, arrived=0, priority="aged")]) \
        == [2, 3, 1]


def test_aged_and_disability_go_before_ordinary_patients_in_arrival_order_between_themselves():
    order = ids([t(1, slot=0, arrived=-30), t(2, arrived=10, priority="disability"), t(3, arrived=5, priority="aged")])

    assert order == [3, 2, 1]


def test_returning_patient_waits_for_at_most_two_ordinary_patients():
    ordinary = [t(i, slot=i, arrived=-30) for i in range(1, 6)]
    returning = t(9, arrived=0, priority="returning")

    assert ids([*ordinary, returning], returning_after=2) == [1, 2, 9, 3, 4, 5]


def test_returning_patient_moves_up_as_ordinary_patients_are_called_after_it_joined():
    ordinary = [t(i, slot=i, arrived=-30) for i in range(3, 6)]
    returning = t(9, arrived=0, priority="returning")
    one_called_since = [T0 - timedelta(minutes=5), T0 + timedelta(minutes=1)]  # the first before it joined

    assert ids([*ordinary, returning], ordinary_calls=one_called_since, returning_after=2) == [3, 9, 4, 5]


def test_several_returning_patients_keep_their_own_order():
    order = ids([t(1, slot=1, arrived=-30), t(8, arrived=1, priority="returning"), t(9, arrived=0, priority="returning")],
                returning_after=0)

    assert order == [9, 8, 1]


def test_a_patient_back_after_missing_the_call_joins_behind_those_on_time_from_the_time_they_came_back():
    back = t(1, slot=0, arrived=-40, late=True, joined=30)

    assert ids([back, t(2, arrived=10), t(3, slot=60, arrived=20)]) == [3, 2, 1]
