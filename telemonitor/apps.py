from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TelemonitorConfig(AppConfig):
    """Home devices, readings, vitals scoring and alerts (see docs/architecture.md; built in its own issue)."""

    name = "telemonitor"
    verbose_name = _("Home monitoring")

    def ready(self) -> None:
        from telemonitor import schema  # noqa: F401 - registers the OpenAPI description of device tokens
