from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import User


class DailyReport(models.Model):
    """The morning report of one local date: at most one row per date, so the report is sent once however often
    (or however concurrently) the periodic job runs. The row is written in the same transaction that sends it."""

    date = models.DateField(_("date"), unique=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    recipients = models.PositiveIntegerField(_("recipients"), default=0)

    class Meta:
        verbose_name = _("daily report")
        verbose_name_plural = _("daily reports")
        ordering = ["-date"]
        permissions = [("view_dashboard", _("Can see the hospital dashboard"))]

    def __str__(self) -> str:
        return str(self.date)


class StaffMember(User):
    """A member of staff as the staff directory lists them: a proxy of the login (accounts.User), so the directory
    has its own page, filters and actions without a second table. Staff are deactivated, never deleted."""

    class Meta:
        proxy = True
        verbose_name = _("staff member")
        verbose_name_plural = _("staff directory")
