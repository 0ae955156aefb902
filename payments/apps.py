from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PaymentsConfig(AppConfig):
    """Fees, invoices, payments, insurance and refunds (see docs/architecture.md; built in its own issue)."""

    name = "payments"
    verbose_name = _("Payments")
