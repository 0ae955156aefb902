from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TelemonitorConfig(AppConfig):
    """Home devices, readings, vitals scoring and alerts (see docs/architecture.md; built in its own issue)."""

    name = "telemonitor"
    verbose_name = _("Home monitoring")

    def ready(self) -> None:
        from telemonitor import care, chart_panel, schema  # noqa: F401 - schema registers the device-token scheme

        care.register()  # a monitoring plan's team has a care relationship with its patient (records.care)
        chart_panel.register()  # the vitals section of the records chart (records.chart_panels)
