"""telemonitor.signals.plan_enrolled: sent once per new plan, after commit, so payments can charge the plan's fee."""

import pytest
from django.db import transaction

from accounts.roles import Role
from core.errors import Conflict
from telemonitor.services import plans
from telemonitor.signals import plan_enrolled

pytestmark = pytest.mark.django_db


@pytest.fixture
def heard():
    calls = []

    def receiver(sender, enrolment, by, **kwargs):
        calls.append((enrolment, by))

    plan_enrolled.connect(receiver, dispatch_uid="tests.plan_enrolled")
    yield calls
    plan_enrolled.disconnect(dispatch_uid="tests.plan_enrolled")


def test_enrolment_sends_plan_enrolled_after_commit(patient, make_user, heard, django_capture_on_commit_callbacks):
    doctor = make_user(Role.DOCTOR)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        plan = plans.plan_enrol(patient=patient, kind="glucose", lead_doctor=doctor, enrolled_by=doctor)
    assert heard == []  # nothing before commit
    for callback in callbacks:
        callback()

    assert heard == [(plan, doctor)]


def test_refused_second_enrolment_sends_nothing(patient, make_user, heard, django_capture_on_commit_callbacks):
    doctor = make_user(Role.DOCTOR)
    with django_capture_on_commit_callbacks(execute=True):
        plans.plan_enrol(patient=patient, kind="glucose", lead_doctor=doctor, enrolled_by=doctor)

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(Conflict):
        plans.plan_enrol(patient=patient, kind="glucose", lead_doctor=doctor, enrolled_by=doctor)

    assert len(heard) == 1


def test_enrolment_rolled_back_sends_nothing(patient, make_user, heard, django_capture_on_commit_callbacks):
    doctor = make_user(Role.DOCTOR)

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), transaction.atomic():
        plans.plan_enrol(patient=patient, kind="cardiac", lead_doctor=doctor, enrolled_by=doctor)
        raise RuntimeError("the caller's transaction fails")

    assert heard == []


def test_a_failing_receiver_does_not_undo_the_enrolment(patient, make_user, django_capture_on_commit_callbacks):
    doctor = make_user(Role.DOCTOR)

    def broken(sender, **kwargs):
        raise ValueError("payments is down")

    plan_enrolled.connect(broken, dispatch_uid="tests.broken")
    try:
        with django_capture_on_commit_callbacks(execute=True):
            plan = plans.plan_enrol(patient=patient, kind="cardiac", lead_doctor=doctor, enrolled_by=doctor)
    finally:
        plan_enrolled.disconnect(dispatch_uid="tests.broken")

    plan.refresh_from_db()
    assert plan.ends_on is None
