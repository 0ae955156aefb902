"""Shared by every app's demo.py: the demo password and the login record printed by seed_demo."""

from dataclasses import dataclass

DEMO_PASSWORD = "Hospital-Demo-2026"


@dataclass(frozen=True)
class DemoLogin:
    role: str
    username: str
    note: str = ""
