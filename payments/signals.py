"""Signals of the payments app, for the pages and tickets built on it.

``invoice_paid`` is sent once per invoice when its patient share is paid in full, *after* the transaction that
recorded the payment commits. Arguments: ``invoice``. (payflows hands out the pharmacy window ticket on it.)
"""

from django.dispatch import Signal

invoice_paid = Signal()
