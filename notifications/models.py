import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Notification(models.Model):
    """A message to one person: shown in the portal, pushed live, and sent by email or SMS if asked.

    ``key`` names the event it is about (e.g. ``welcome``, ``appointment:42:reminder-1h``); the
    unique (user, key) constraint is what makes every notification happen once, however often the
    job that raises it runs. ``seq`` is the person's feed sequence number, carried in live messages
    so a client can notice a gap and re-read the list.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    key = models.CharField(max_length=200)
    kind = models.CharField(max_length=40)
    seq = models.BigIntegerField()
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("message"), blank=True)
    link = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(null=True, blank=True)
    send_email = models.BooleanField(default=False)
    email_sent_at = models.DateTimeField(null=True, blank=True)
    send_sms = models.BooleanField(default=False)
    sms_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-seq"]
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="notification_once_per_event"),
            models.UniqueConstraint(fields=["user", "seq"], name="notification_seq_unique"),
        ]

    def __str__(self) -> str:
        # Not the title: a title can be clinical ("blood pressure 182/110"), and this string is shown wherever the
        # row is named (the admin's breadcrumbs, checkboxes, logs), also to people who may not read it.
        return f"{self.kind} #{self.seq}"
