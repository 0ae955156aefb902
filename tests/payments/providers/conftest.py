"""Alipay without Alipay: RSA keys made here, notifications signed as Alipay signs them, and a local HTTP server that
answers like Alipay's gateway (its answers signed with the test's "Alipay" key). Alipay's real gateway cannot be
reached from the test machines."""

import base64
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

APP_ID = "2021000000000001"


@dataclass(frozen=True)
class KeyPair:
    private: rsa.RSAPrivateKey

    @property
    def private_pem(self) -> str:
        return self.private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                          serialization.NoEncryption()).decode()

    @property
    def public_pem(self) -> str:
        return self.private.public_key().public_bytes(serialization.Encoding.PEM,
                                                      serialization.PublicFormat.SubjectPublicKeyInfo).decode()

    def sign(self, text: str) -> str:
        return base64.b64encode(self.private.sign(text.encode(), padding.PKCS1v15(), hashes.SHA256())).decode()

    def verifies(self, text: str, signature: str) -> bool:
        try:
            self.private.public_key().verify(base64.b64decode(signature), text.encode(), padding.PKCS1v15(),
                                             hashes.SHA256())
        except Exception:
            return False
        return True


@pytest.fixture(scope="session")
def keys():
    """The app's key pair, Alipay's key pair, and a stranger's."""
    def make() -> KeyPair:
        return KeyPair(rsa.generate_private_key(public_exponent=65537, key_size=2048))

    return {"app": make(), "alipay": make(), "other": make()}


def signed_string(params: dict, *, request: bool = False) -> str:
    """Alipay's string to sign: the fields sorted, `k=v` joined by `&`, values unencoded; without sign, and, for a
    notification (not a request to the gateway), without sign_type too."""
    left_out = ("sign",) if request else ("sign", "sign_type")
    return "&".join(f"{k}={v}" for k, v in sorted(params.items()) if k not in left_out)


def notification(key: KeyPair, **fields) -> bytes:
    """A form-encoded async notification as Alipay POSTs it, signed with `key`."""
    params = {"app_id": APP_ID, "charset": "utf-8", "version": "1.0", "notify_type": "trade_status_sync",
              "notify_id": "ac05099524730693a8b330c5ecf72da9786", "notify_time": "2026-11-23 13:05:00",
              "trade_no": "2026112322001404000000000001", "out_trade_no": "P0123456789abcdef",
              "total_amount": "25.00", "trade_status": "TRADE_SUCCESS", "gmt_payment": "2026-11-23 13:04:59",
              **fields}
    params["sign"] = key.sign(signed_string(params))
    params["sign_type"] = "RSA2"
    return urlencode(params).encode()


@dataclass
class Gateway:
    """What the fake gateway answers per API method (the inner response object), and what it was asked."""

    url: str = ""
    answers: dict = field(default_factory=dict)
    requests: list = field(default_factory=list)
    sign_with: str = "alipay"
    files: dict = field(default_factory=dict)  # path → bytes, for downloads (the bill)


@pytest.fixture
def gateway(keys):
    state = Gateway()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            parts = urlsplit(self.path)
            if parts.path in state.files:
                return self._send(200, state.files[parts.path], "application/zip")
            params = dict(parse_qsl(parts.query, keep_blank_values=True))
            state.requests.append({"params": params, "app_signature_ok": keys["app"].verifies(
                signed_string(params, request=True), params.get("sign", "")), "biz": json.loads(params.get("biz_content", "{}"))})
            method = params.get("method", "")
            inner = json.dumps(state.answers.get(method, {"code": "40004", "msg": "Business Failed",
                                                          "sub_code": "ACQ.SYSTEM_ERROR", "sub_msg": "unknown"}),
                               ensure_ascii=False, separators=(",", ":"))
            sign = keys[state.sign_with].sign(inner)
            body = '{"' + method.replace(".", "_") + '_response":' + inner + ',"sign":"' + sign + '"}'
            return self._send(200, body.encode(), "application/json;charset=utf-8")

        def _send(self, status: int, body: bytes, content_type: str):
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/gateway.do"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def alipay_settings(settings, keys, gateway):
    """Alipay configured with the test keys and the fake gateway, and enabled beside the sandbox."""
    settings.ALIPAY_APP_ID = APP_ID
    settings.ALIPAY_APP_PRIVATE_KEY = keys["app"].private_pem
    settings.ALIPAY_PUBLIC_KEY = keys["alipay"].public_pem
    settings.ALIPAY_GATEWAY = gateway.url
    settings.PAYMENT_PROVIDERS = ["sandbox", "alipay"]
    return settings


@pytest.fixture
def alipay(alipay_settings):
    from payments.providers import provider_get

    return provider_get("alipay")
