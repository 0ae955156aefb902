"""Shared by every app's demo.py: the demo password and the login record printed by seed_demo."""

from dataclasses import dataclass

DEMO_PASSWORD = "Hospital-Demo-2026"
# Demo staff (doctors, nurses, the administrator) share this authenticator key (base32, RFC 6238: SHA-1, 6 digits,
# 30 s), so the demo is tried with one entry in an authenticator app, or `manage.py demo_totp` for the current code.
DEMO_TOTP_SECRET = "DEMOHOSPITALSTAFFTWOSTEPSIGNINAA"


@dataclass(frozen=True)
class DemoLogin:
    role: str
    username: str
    note: str = ""
