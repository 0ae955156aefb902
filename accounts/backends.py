from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import ValidationError

from accounts.models import User
from accounts.phone import phone_normalise


def login_identifier_normalise(identifier: str) -> str:
    """The canonical form of what a person typed to sign in: a lower-case email or an 11-digit phone."""
    identifier = (identifier or "").strip()
    if "@" in identifier:
        return identifier.lower()
    try:
        return phone_normalise(identifier)
    except ValidationError:
        return identifier


def axes_username(request, credentials) -> str:
    """Lockout counts by person, however they wrote their phone or email."""
    raw = (credentials or {}).get("username") or (request.POST.get("username") if request is not None else "")
    return login_identifier_normalise(raw or "")


class PhoneOrEmailBackend(ModelBackend):
    """Sign in with an email address or a mobile number, and the password."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get(User.USERNAME_FIELD)
        if not username or password is None:
            return None
        identifier = login_identifier_normalise(username)
        lookup = {"email": identifier} if "@" in identifier else {"phone": identifier}
        try:
            user = User.objects.get(**lookup)
        except User.DoesNotExist:
            User().set_password(password)  # same work as a real check, so timing does not reveal accounts
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
