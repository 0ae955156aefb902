"""A sandbox checkout to pay, and a small local HTTP server that receives the sandbox's notifications."""

import threading
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.utils import timezone

from payments.providers import CheckoutRequest, provider_get


@dataclass
class Receiver:
    """Answers each POST with the next status in `statuses` (the last one repeats) and keeps what it got."""

    url: str
    statuses: list[int] = field(default_factory=lambda: [200])
    received: list[dict] = field(default_factory=list)


@pytest.fixture
def receiver():
    state = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            index = min(len(state.received), len(state.statuses) - 1)
            state.received.append({"headers": dict(self.headers.items()), "body": body, "path": self.path})
            self.send_response(state.statuses[index])
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/api/v1/payments/notifications/sandbox"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def sandbox():
    return provider_get("sandbox")


@pytest.fixture
def checkout_request():
    def make(*, amount="25.00", capture=True, notify_url="https://hospital.example/api/v1/payments/notifications/sandbox",
             minutes=15, **fields) -> CheckoutRequest:
        return CheckoutRequest(
            reference=fields.pop("reference", "P" + uuid.uuid4().hex), amount=Decimal(amount), currency="CNY",
            description=fields.pop("description", "挂号费 Registration fee — 张医生 2026-11-24 AM"),
            return_url=fields.pop("return_url", "https://hospital.example/payments/return/"),
            notify_url=notify_url, expires_at=timezone.now() + timedelta(minutes=minutes), capture=capture, **fields,
        )

    return make
