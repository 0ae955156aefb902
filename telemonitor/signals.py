"""Signals other apps listen to. telemonitor sits below payments (DESIGN.md layering), so it never imports it:
payments charges plan fees by listening here.

``plan_enrolled`` is sent once per new monitoring plan, after the enrolment's transaction has committed (never for
an enrolment that was rolled back or refused), with ``enrolment`` (the MonitoringPlan) and ``by`` (the User who
enrolled the patient). A receiver that fails is logged and does not undo the enrolment (``send_robust``); a
receiver that must not miss a plan (a fee) should make its own work idempotent by the plan's ``public_id``.
"""

import django.dispatch

plan_enrolled = django.dispatch.Signal()  # sender=MonitoringPlan; enrolment=MonitoringPlan, by=User
