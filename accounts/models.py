import uuid
from functools import cached_property

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.roles import CLINICAL_ROLES, STAFF_ROLES, Role


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra) -> "User":
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra) -> "User":
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra) -> "User":
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra)

    def get_by_natural_key(self, username: str) -> "User":
        return self.get(email=username.lower())


class User(AbstractBaseUser, PermissionsMixin):
    """A person who signs in: a patient (account holder), or a member of staff.

    Signs in with email or mobile number (accounts.backends). A patient's clinical identity is
    records.Patient; this row is only the login.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("full name"), max_length=100)
    email = models.EmailField(_("email address"), unique=True)
    phone = models.CharField(_("mobile phone"), max_length=11, unique=True, null=True, blank=True)
    preferred_language = models.CharField(_("preferred language"), max_length=10, blank=True)
    is_staff = models.BooleanField(_("can use the admin site"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(_("joined"), default=timezone.now)

    objects = UserManager()

    EMAIL_FIELD = "email"
    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = ["name"]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            # Logins are looked up in lower case; a mixed-case copy would be a second account.
            models.CheckConstraint(condition=models.Q(email=Lower("email")), name="user_email_lowercase"),
            models.CheckConstraint(condition=~models.Q(phone=""), name="user_phone_null_not_blank"),
        ]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"

    def get_full_name(self) -> str:
        return self.name

    def get_short_name(self) -> str:
        return self.name

    @cached_property
    def roles(self) -> frozenset[str]:
        return frozenset(self.groups.values_list("name", flat=True))

    def has_role(self, role: str) -> bool:
        return role in self.roles

    @property
    def is_clinician(self) -> bool:
        return bool(self.roles & CLINICAL_ROLES)

    @property
    def is_hospital_staff(self) -> bool:
        return bool(self.roles & STAFF_ROLES)

    @property
    def role_labels(self) -> list[str]:
        return [str(Role(r).label) for r in Role.values if r in self.roles]


class TwoFactorDevice(models.Model):
    """A member of staff's authenticator (TOTP, RFC 6238): the second step after the password.

    The shared secret is sealed at rest (core.sealing, like national ID numbers). ``last_step`` is the
    30-second time step of the last accepted code, so a code is accepted once: a second use in the same
    step (or an older code) is refused as a replay. ``failures``/``locked_until`` lock the second step
    after repeated wrong codes. A device exists unconfirmed while enrolment waits for its first code.
    """

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="two_factor_device", verbose_name=_("user"))
    secret_sealed = models.TextField(_("secret (sealed)"), editable=False)
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True, editable=False)
    last_step = models.BigIntegerField(_("last accepted time step"), null=True, blank=True, editable=False)
    failures = models.PositiveSmallIntegerField(_("wrong codes in a row"), default=0, editable=False)
    locked_until = models.DateTimeField(_("locked until"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("two-factor device")
        verbose_name_plural = _("two-factor devices")

    def __str__(self) -> str:
        return str(self.user)

    @property
    def is_confirmed(self) -> bool:
        return self.confirmed_at is not None


class RecoveryCode(models.Model):
    """A one-time code that stands in for the authenticator (lost phone). Only its keyed hash is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="recovery_codes", verbose_name=_("user"))
    code_hash = models.CharField(_("code (keyed hash)"), max_length=64, editable=False)
    used_at = models.DateTimeField(_("used"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("recovery code")
        verbose_name_plural = _("recovery codes")
        constraints = [
            # The hash is of a random code; equal hashes for one person would make one code count twice.
            models.UniqueConstraint(fields=["user", "code_hash"], name="recovery_code_unique_per_user"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id}: {'used' if self.used_at else 'unused'}"
