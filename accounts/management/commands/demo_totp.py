"""The current two-step sign-in code of the demo staff (their shared, published demo key; see core.demo)."""

import pyotp
from django.core.management.base import BaseCommand

from core.demo import DEMO_TOTP_SECRET


class Command(BaseCommand):
    help = "Print the current 6-digit code for the demo staff accounts (demo key only; real accounts have their own)."

    def handle(self, *args, **options):
        self.stdout.write(pyotp.TOTP(DEMO_TOTP_SECRET).now())
