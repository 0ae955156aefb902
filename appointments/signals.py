"""Signals other apps listen to, so that they can react to bookings without this app importing them.

``appointment_status_changed`` is sent once per status change, *after* the transaction that made it
commits (so a receiver never sees a change that was rolled back, and a failing receiver cannot undo
a booking). Arguments: ``appointment``, ``from_status`` ("" for a new appointment), ``to_status``, ``by``
(the user, or None for the system).
"""

from django.dispatch import Signal

appointment_status_changed = Signal()
