"""Signals other apps listen to, so that they can react to the record without this app importing them.

``encounter_signed`` is sent once per signed encounter (a signed amendment is a new encounter and sends its own),
*after* the transaction that signed it commits. Arguments: ``encounter``, ``by`` (the signing doctor).
payments listens to charge the encounter's prescriptions and orders.
"""

from django.dispatch import Signal

encounter_signed = Signal()
