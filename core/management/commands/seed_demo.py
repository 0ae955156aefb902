"""Seed a demo hospital. Idempotent: running it again changes nothing that is already there.

Each app that has demo data provides ``<app>/demo.py`` with ``seed() -> list[DemoLogin]``; they run
in INSTALLED_APPS order (lower apps first), so later apps can build on earlier ones' data.
"""

from importlib import import_module

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction

from core.demo import DEMO_PASSWORD, DEMO_TOTP_SECRET


class Command(BaseCommand):
    help = "Create (or complete) the demo hospital and print its logins."

    def add_arguments(self, parser):
        parser.add_argument("--quiet-logins", action="store_true", help="Do not print the demo logins.")

    def handle(self, *args, quiet_logins=False, **options):
        logins = []
        for app_config in apps.get_app_configs():
            try:
                module = import_module(f"{app_config.name}.demo")
            except ModuleNotFoundError as exc:
                if exc.name != f"{app_config.name}.demo":
                    raise
                continue
            if not hasattr(module, "seed"):
                continue
            with transaction.atomic():
                logins.extend(module.seed())
            self.stdout.write(f"  seeded {app_config.label}")
        if quiet_logins:
            return
        self.stdout.write(self.style.SUCCESS("\nDemo hospital ready. Sign in with any of these (password for all: "
                                             f"{DEMO_PASSWORD}):"))
        width = max(len(login.role) for login in logins) if logins else 0
        for login in logins:
            self.stdout.write(f"  {login.role.ljust(width)}  {login.username:<32} {login.note}")
        self.stdout.write(
            "Doctors, nurses and the administrator also need a code from an authenticator app (two-step sign-in). "
            f"Add this key to the app once (time-based, 6 digits): {DEMO_TOTP_SECRET}\n"
            "or print the current code with: python manage.py demo_totp")
