"""Reset a member of staff's two-step sign-in (lost phone and recovery codes): they set it up again next sign-in."""

from django.core.management.base import BaseCommand, CommandError

from accounts.backends import login_identifier_normalise
from accounts.models import User
from accounts.twofactor import two_factor_reset


class Command(BaseCommand):
    help = "Forget a user's authenticator app and recovery codes; they enrol again at their next sign-in."

    def add_arguments(self, parser):
        parser.add_argument("login", help="The user's email address or mobile number.")

    def handle(self, *args, login: str, **options):
        identifier = login_identifier_normalise(login)
        lookup = {"email": identifier} if "@" in identifier else {"phone": identifier}
        user = User.objects.filter(**lookup).first()
        if user is None:
            raise CommandError(f"No account signs in as {login!r}.")
        if two_factor_reset(user=user):
            self.stdout.write(self.style.SUCCESS(f"Two-step sign-in reset for {user}: they set it up again at "
                                                 "their next sign-in."))
        else:
            self.stdout.write(f"{user} had no two-step sign-in set up; nothing changed.")
