"""core.sequences: named counters for numbers people read."""

import pytest
from django.db import IntegrityError, transaction

from core.models import Sequence
from core.sequences import sequence_next

pytestmark = pytest.mark.django_db


def test_a_new_sequence_starts_at_one_and_counts_up_by_one():
    assert [sequence_next(name="ticket:test") for _ in range(5)] == [1, 2, 3, 4, 5]


def test_sequences_with_different_names_count_separately():
    sequence_next(name="a")
    sequence_next(name="a")

    assert sequence_next(name="b") == 1
    assert sequence_next(name="a") == 3


def test_a_value_taken_in_a_rolled_back_transaction_is_given_again():
    sequence_next(name="invoice")
    with pytest.raises(RuntimeError), transaction.atomic():
        assert sequence_next(name="invoice") == 2
        raise RuntimeError("the invoice was not saved")

    assert sequence_next(name="invoice") == 2


def test_the_counter_is_stored_so_it_survives_a_reload():
    sequence_next(name="mrn-test")
    sequence_next(name="mrn-test")

    assert Sequence.objects.get(name="mrn-test").last_value == 2


def test_database_refuses_a_negative_counter():
    with pytest.raises(IntegrityError), transaction.atomic():
        Sequence.objects.create(name="broken", last_value=-1)


def test_database_refuses_two_sequences_with_one_name():
    sequence_next(name="dup")

    with pytest.raises(IntegrityError), transaction.atomic():
        Sequence.objects.create(name="dup")
