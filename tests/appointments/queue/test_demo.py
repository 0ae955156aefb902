"""seed_demo gives Dr Zhang's room a few walk-ins today, once however often it runs."""

import pytest
from django.core.management import call_command

from appointments.models import QueueTicket

pytestmark = pytest.mark.django_db


def test_seed_demo_puts_three_walk_ins_in_the_demo_doctors_queue_once():
    call_command("seed_demo", quiet_logins=True)
    call_command("seed_demo", quiet_logins=True)

    tickets = list(QueueTicket.objects.order_by("sequence").values_list("number", "service_point__doctor__user__email"))
    assert tickets == [("A001", "dr.zhang@demo.hospital"), ("A002", "dr.zhang@demo.hospital"),
                       ("A003", "dr.zhang@demo.hospital")]
