from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class BackofficeConfig(AppConfig):
    """The hospital's back office: the admin site, the staff directory, the dashboard and the daily report."""

    default = True
    name = "backoffice"
    verbose_name = _("Back office")
    default_auto_field = "django.db.models.BigAutoField"


class HospitalAdminConfig(admin_apps.AdminConfig):
    """django.contrib.admin with the hospital's site as the default one, so every app's
    ``admin.site.register`` and ``@admin.register`` land in backoffice.site.HospitalAdminSite."""

    default = False
    default_site = "backoffice.site.HospitalAdminSite"
