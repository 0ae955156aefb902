"""Payment providers behind one small interface (payments.providers.base), and the registry that hands them out.

`provider_get("sandbox")` returns the configured provider; `provider_get()` the default one
(settings.PAYMENT_DEFAULT_PROVIDER). Only names in settings.PAYMENT_PROVIDERS are handed out. To add a provider,
write a class implementing `PaymentProvider` and add its dotted path to PROVIDER_CLASSES (docs/payments-providers.md).
"""

from functools import cache

from django.conf import settings
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

from core.errors import NotFound
from payments.providers.base import (
    CheckoutRequest,
    CheckoutSession,
    EventKind,
    PaymentProvider,
    ProviderEvent,
    ProviderStatus,
)
from payments.providers.errors import NotificationRejected, ProviderDeclined, ProviderUnavailable

__all__ = [
    "CheckoutRequest", "CheckoutSession", "EventKind", "NotificationRejected", "PaymentProvider", "ProviderDeclined",
    "ProviderEvent", "ProviderStatus", "ProviderUnavailable", "provider_get", "provider_names",
]

PROVIDER_CLASSES = {
    "sandbox": "payments.sandbox.provider.SandboxProvider",
    "alipay": "payments.providers.alipay.AlipayProvider",
}


class ProviderNotEnabled(NotFound):
    code = "provider_not_enabled"
    default_message = _("This payment method is not available.")


def provider_names() -> list[str]:
    """The enabled providers, in the configured order (the first is offered first)."""
    return [name for name in settings.PAYMENT_PROVIDERS if name in PROVIDER_CLASSES]


def provider_get(name: str | None = None) -> PaymentProvider:
    """The provider called `name` (default: settings.PAYMENT_DEFAULT_PROVIDER). Raises ProviderNotEnabled for a name
    that is unknown or not enabled, e.g. the provider part of a webhook URL someone made up."""
    name = name or settings.PAYMENT_DEFAULT_PROVIDER
    if name not in provider_names():
        raise ProviderNotEnabled()
    return _provider_instance(name, _settings_key())


def _settings_key() -> tuple:
    # A new instance when the settings it was built from change (tests override them).
    return (tuple(settings.PAYMENT_PROVIDERS), settings.ALIPAY_APP_ID, settings.ALIPAY_GATEWAY, settings.ALIPAY_SANDBOX,
            settings.ALIPAY_APP_PRIVATE_KEY, settings.ALIPAY_PUBLIC_KEY)


@cache
def _provider_instance(name: str, _key: tuple) -> PaymentProvider:
    return import_string(PROVIDER_CLASSES[name])()
