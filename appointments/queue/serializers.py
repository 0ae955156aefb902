"""Inputs of the queue API. Snapshots are plain dicts from appointments.queue.selectors, returned as they are."""

from rest_framework import serializers

from appointments.models import TicketPriority

CONSOLE_ACTIONS = ("recall", "skip", "no-show", "start", "complete", "transfer")


class CheckInInput(serializers.Serializer):
    appointment = serializers.UUIDField(help_text="The appointment's id.")
    token = serializers.CharField(required=False, allow_blank=True, max_length=200,
                                  help_text="The token of the department desk's QR link, when checking in by it.")
    priority = serializers.ChoiceField(choices=TicketPriority.choices, required=False,
                                       help_text="Front desk only: a priority class.")


class WalkInInput(serializers.Serializer):
    patient = serializers.UUIDField()
    service_point = serializers.UUIDField()
    priority = serializers.ChoiceField(choices=TicketPriority.choices, required=False)


class TransferInput(serializers.Serializer):
    to = serializers.UUIDField(required=False, help_text="For transfer: the other doctor's service point.")


class SnapshotOutput(serializers.Serializer):
    """A snapshot (ticket, board or console): see appointments.queue.selectors for the fields."""

    seq = serializers.IntegerField()
    live = serializers.ChoiceField(choices=["live", "delayed"], help_text=(
        '"delayed" when the live channel (Redis) is down: this snapshot is current, but no nudges arrive; re-read it.'))
