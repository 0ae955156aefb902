"""provider_get hands out only enabled providers; the settings say which are enabled."""

import os
import subprocess
import sys

import pytest

from payments.providers import PaymentProvider, ProviderNotEnabled, provider_get, provider_names
from tests.servers import ROOT


def test_default_provider_is_the_sandbox(settings):
    assert settings.PAYMENT_PROVIDERS == ["sandbox"] and settings.PAYMENT_DEFAULT_PROVIDER == "sandbox"
    assert provider_get().name == "sandbox"
    assert isinstance(provider_get(), PaymentProvider)


@pytest.mark.parametrize("name", ["alipay", "paypal", "../sandbox", ""])
def test_a_provider_not_enabled_is_not_handed_out(settings, name):
    settings.PAYMENT_DEFAULT_PROVIDER = "nothing"
    with pytest.raises(ProviderNotEnabled) as caught:
        provider_get(name)

    assert caught.value.http_status == 404


def test_alipay_is_handed_out_once_enabled_and_configured(alipay_settings):
    alipay = provider_get("alipay")

    assert (alipay.name, provider_names()) == ("alipay", ["sandbox", "alipay"])
    assert isinstance(alipay, PaymentProvider)


def _settings_in_a_fresh_process(tmp_path, **env: str) -> str:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("ALIPAY_", "PAYMENT_", "SANDBOX_PAY_"))}
    clean.update(DJANGO_SETTINGS_MODULE="config.settings.test", VAR_DIR=str(tmp_path), **env)
    code = ("import django; django.setup(); from django.conf import settings as s; "
            "print(s.PAYMENT_PROVIDERS, s.PAYMENT_DEFAULT_PROVIDER, s.ALIPAY_APP_ID, "
            "(s.ALIPAY_PUBLIC_KEY.strip().splitlines() or [''])[-1])")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_alipay_joins_the_providers_when_its_keys_are_in_the_environment(tmp_path, keys):
    key_file = tmp_path / "alipay_public.pem"
    key_file.write_text(keys["alipay"].public_pem)

    configured = _settings_in_a_fresh_process(tmp_path, ALIPAY_APP_ID="2021000000000001",
                                              ALIPAY_APP_PRIVATE_KEY=keys["app"].private_pem,
                                              ALIPAY_PUBLIC_KEY_PATH=str(key_file))
    without_keys = _settings_in_a_fresh_process(tmp_path, ALIPAY_APP_ID="2021000000000001")

    assert configured == "['sandbox', 'alipay'] sandbox 2021000000000001 -----END PUBLIC KEY-----"
    assert without_keys == "['sandbox'] sandbox 2021000000000001"
