from django.db import models
from django.utils.translation import gettext_lazy as _


class Sequence(models.Model):
    """A named counter for numbers people read (MRN, invoice and ticket numbers).

    Incremented by one ``UPDATE ... RETURNING`` (core.sequences.sequence_next), never ``count() + 1``:
    two transactions can never get the same value, on PostgreSQL or SQLite.
    """

    name = models.CharField(max_length=100, unique=True)
    last_value = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("number sequence")
        constraints = [models.CheckConstraint(condition=models.Q(last_value__gte=0), name="sequence_non_negative")]

    def __str__(self) -> str:
        return f"{self.name}={self.last_value}"


class OutboxMessage(models.Model):
    """A task that could not be handed to the broker when its transaction committed.

    The database is the source of truth: a request never fails because Redis is down. The
    ``outbox_flush`` periodic job sends these when the broker answers again.
    """

    task_name = models.CharField(max_length=200)
    args = models.JSONField(default=list)
    kwargs = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("queued background job")
        indexes = [models.Index(fields=["sent_at", "created_at"], name="outbox_pending_idx")]

    def __str__(self) -> str:
        # Not the arguments: they can hold what a message says (shown wherever the row is named, e.g. the admin).
        return f"{self.task_name} #{self.pk}"


class ServiceHeartbeat(models.Model):
    """Last time a background process proved it was alive (beat fires a task; a worker runs it)."""

    name = models.CharField(max_length=50, unique=True)
    seen_at = models.DateTimeField()

    class Meta:
        verbose_name = _("service heartbeat")

    def __str__(self) -> str:
        return f"{self.name} @ {self.seen_at:%Y-%m-%d %H:%M:%S}"
