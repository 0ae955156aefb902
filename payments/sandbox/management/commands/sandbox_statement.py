"""Write the sandbox's settlement file for a day (default: yesterday, hospital time) and print its path."""

from datetime import date, timedelta

from django.core.management.base import BaseCommand
from django.utils import timezone

from payments.sandbox.services import statement_file_write


class Command(BaseCommand):
    help = "Write the sandbox payment provider's settlement CSV for a day (YYYY-MM-DD; default yesterday)."

    def add_arguments(self, parser):
        parser.add_argument("--day", type=date.fromisoformat, default=None)
        parser.add_argument("--directory", default=None)

    def handle(self, *args, day=None, directory=None, **options):
        day = day or timezone.localdate() - timedelta(days=1)
        self.stdout.write(str(statement_file_write(day=day, directory=directory)))
