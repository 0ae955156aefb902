from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SandboxConfig(AppConfig):
    """The test payment provider (its own app, so its tables are clearly not the hospital's ledger)."""

    name = "payments.sandbox"
    label = "payments_sandbox"
    verbose_name = _("Sandbox payment provider")
