"""Who is called next: the ordering rules of an outpatient hall, as one pure function.

The rules, in the order they apply (each is tested in tests/appointments/queue/test_ordering.py):

1. Emergency (急诊): ahead of everyone else waiting, among themselves by the time they joined the line.
2. Aged 80 and over, and patients with a disability (老年人、残疾人优先): ahead of every ordinary patient,
   among themselves by the time they joined. (The age is read from the date of birth at check-in;
   QUEUE_PRIORITY_AGE.) Both are courtesy priorities of the same rank: neither goes before the other.
3. Ordinary patients:
   a. booked patients who arrived on time (checked in no later than QUEUE_LATE_GRACE_MINUTES after their
      slot started), in slot order, then by check-in time;
   b. then late arrivals, walk-ins, patients who come back after missing their call and patients
      transferred from another doctor, by the time they joined the line. A late arrival is behind every
      patient on time, even one whose slot is later.
4. Returning with results (回诊): comes back to the doctor after tests, so waits for at most
   QUEUE_RETURNING_AFTER ordinary patients *called after it joined*. It is slotted into the ordinary line
   at the position that keeps that promise (never before the courtesy priorities); several returning
   patients keep their own order. Counting calls since joining (not places in today's list) is what
   makes the promise hold as the line moves: otherwise a returning patient would stay "two from the
   front" for ever.

A ticket that is called, being served, skipped, done or gone is not in the waiting line.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Waiting:
    """What the rules need to know about one waiting ticket."""

    id: int
    priority: str
    late: bool
    slot_starts_at: datetime | None
    checked_in_at: datetime
    queued_at: datetime
    sequence: int


EMERGENCY = "emergency"
COURTESY = ("aged", "disability")
RETURNING = "returning"


def _ordinary_key(t: Waiting) -> tuple:
    on_time_booked = t.slot_starts_at is not None and not t.late
    if on_time_booked:
        return (0, t.slot_starts_at, t.checked_in_at, t.sequence)
    return (1, t.queued_at, t.sequence)


def waiting_order(tickets: Iterable[Waiting], *, ordinary_calls: Sequence[datetime] = (),
                  returning_after: int = 2) -> list[Waiting]:
    """The waiting `tickets` in the order they will be called.

    `ordinary_calls`: when each ticket of this queue today that was not a returning one was called
    (for rule 4). `returning_after`: QUEUE_RETURNING_AFTER.
    """
    tickets = list(tickets)
    emergency = sorted((t for t in tickets if t.priority == EMERGENCY), key=lambda t: (t.queued_at, t.sequence))
    courtesy = sorted((t for t in tickets if t.priority in COURTESY), key=lambda t: (t.queued_at, t.sequence))
    returning = sorted((t for t in tickets if t.priority == RETURNING), key=lambda t: (t.queued_at, t.sequence))
    ordinary = sorted((t for t in tickets if t.priority not in (EMERGENCY, RETURNING, *COURTESY)), key=_ordinary_key)

    line = list(ordinary)
    floor = 0  # a returning patient never goes before an earlier returning one
    for r in returning:
        called_since = sum(1 for at in ordinary_calls if at > r.queued_at)
        position = max(min(returning_after - called_since, len(line)), floor, 0)
        position = min(position, len(line))
        line.insert(position, r)
        floor = position + 1
    return [*emergency, *courtesy, *line]
